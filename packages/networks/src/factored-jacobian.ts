/**
 * The parameter Jacobian of a layered network, kept in factored form.
 *
 * A dense layer's weight block has per-point entries ∂u/∂W[i,j] = h[i]·δ[j] (input activation
 * times back-propagated sensitivity), so its N×(a·b) block is the row-wise outer product of an
 * N×a and an N×b matrix. Storing the two factors instead of the block lets J·V and JᵀΩ skip J:
 *  - (J V) for a weight block = Σⱼ δ[n,j]·(h Vᵦ)[n,j,·], costing N·a·b·k and N·b·k memory, when
 *    V is narrower than the fan-in (k < a); otherwise the block is formed and multiplied;
 *  - (JᵀΩ) for a weight block = hᵀ(δ ⊙ Ω), costing N·b·n memory instead of N·a·b, which is the
 *    cheaper route when the sketch is narrower than the layer's fan-in (n < a); otherwise the
 *    block is formed and multiplied (on wasm at N = 2000, n = 100, a = b = 32 the factored route
 *    measured ~10× slower than forming the block: same flops, a worse matMul shape).
 * Other blocks (biases, the output layer, the quadratic term) are plain N×q column blocks.
 */
import type { Tensor, Tensor2D } from "@tensorflow/tfjs-core";
import { ErrorCode, MinevoError, assertFinite, quote, type JacobianOperator, type RowMajor, type TensorFlow } from "@minevo/core";

/**
 * A block of J read back to the CPU (row-major float32 data): `outer` has entries
 * J[m, i·b + j] = left[m, i]·right[m, j]; `columns` is the block itself. A factor shared by two
 * blocks (a layer's sensitivities δ are both the right factor of its weight block and its bias
 * columns) is the same object in both, so a consumer can reuse work on it by identity.
 */
export type HostJacobianBlock =
  | { readonly kind: "outer"; readonly left: RowMajor; readonly right: RowMajor }
  | { readonly kind: "columns"; readonly columns: RowMajor };

/** A block of J: the outer product of two factors per point, or plain columns. */
export type JacobianBlock =
  | { readonly kind: "outer"; readonly left: Tensor2D; readonly right: Tensor2D }
  | { readonly kind: "columns"; readonly columns: Tensor2D };

function blockWidth(block: JacobianBlock): number {
  return block.kind === "outer" ? (block.left.shape[1] as number) * (block.right.shape[1] as number) : (block.columns.shape[1] as number);
}

export class FactoredJacobian implements JacobianOperator {
  readonly numPoints: number;
  readonly numParameters: number;
  readonly #tf: TensorFlow;
  readonly #blocks: readonly JacobianBlock[];
  #disposed = false;

  /** Takes ownership of the blocks' tensors (which may be shared between blocks). */
  constructor(tf: TensorFlow, numPoints: number, blocks: readonly JacobianBlock[]) {
    this.#tf = tf;
    this.numPoints = numPoints;
    this.#blocks = blocks;
    this.numParameters = blocks.reduce((total, block) => total + blockWidth(block), 0);
  }

  dense(): Tensor2D {
    this.#assertLive("dense");
    const tf = this.#tf;
    return tf.tidy(() => tf.concat(this.#blocks.map((block) => this.#denseBlock(block)), 1));
  }

  times(v: Tensor2D): Tensor2D {
    this.#assertLive("times");
    if (v.rank !== 2 || v.shape[0] !== this.numParameters) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `J·V needs V of shape [p, k] = [${this.numParameters}, k], got ${quote(v.shape)}`,
        { expected: this.numParameters, shape: v.shape },
      );
    }
    const tf = this.#tf;
    const n = this.numPoints;
    const k = v.shape[1];
    return tf.tidy(() => {
      let offset = 0;
      const parts: Tensor2D[] = [];
      for (const block of this.#blocks) {
        const width = blockWidth(block);
        const slice = tf.slice(v, [offset, 0], [width, k]);
        offset += width;
        if (block.kind === "columns") {
          parts.push(tf.matMul(block.columns, slice));
        } else if (k >= (block.left.shape[1] as number)) {
          // As in transposeTimes: when V is at least as wide as the fan-in, forming the block and
          // one matMul beats the factored route (wasm, N = 2000, a = b = 68: k = 200 135 ms
          // against 230 ms; k = 100 67 against 84 ms; k = 400 equal).
          parts.push(tf.matMul(this.#denseBlock(block), slice));
        } else {
          const a = block.left.shape[1];
          const b = block.right.shape[1];
          const projected = tf.reshape(tf.matMul(block.left, tf.reshape(slice, [a, b * k])), [n, b, k]);
          parts.push(tf.sum(tf.mul(projected, tf.expandDims(block.right, 2)), 1));
        }
      }
      return parts.length === 1 ? (parts[0] as Tensor2D) : (tf.addN(parts) as Tensor2D);
    });
  }

  transposeTimes(omega: Tensor2D): Tensor2D {
    this.#assertLive("transposeTimes");
    if (omega.rank !== 2 || omega.shape[0] !== this.numPoints) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `JᵀΩ needs Ω of shape [N, n] = [${this.numPoints}, n], got ${quote(omega.shape)}`,
        { expected: this.numPoints, shape: omega.shape },
      );
    }
    const tf = this.#tf;
    const n = this.numPoints;
    const k = omega.shape[1];
    return tf.tidy(() => {
      // Explicit transposes: matMul with a transposed operand is many times slower on wasm. The
      // block is transposed rather than Ω because wasm's matMul measured faster with the long
      // (N) dimension inner and the p side outer: J_bᵀΩ beat (ΩᵀJ_b)ᵀ by ~1.5×.
      const parts = this.#blocks.map((block): Tensor => {
        if (block.kind === "outer" && k < (block.left.shape[1] as number)) {
          const a = block.left.shape[1];
          const b = block.right.shape[1];
          const weighted = tf.reshape(tf.mul(tf.expandDims(block.right, 2), tf.expandDims(omega, 1)), [n, b * k]);
          return tf.reshape(tf.matMul(tf.transpose(block.left), weighted), [a * b, k]);
        }
        return tf.matMul(this.#denseBlockTransposed(block), omega);
      });
      return tf.concat(parts, 0) as Tensor2D;
    });
  }

  /**
   * The factors on the CPU, in the order of J's columns: what a float64 kernel needs. With them
   * K = JJᵀ = Σ_outer (LLᵀ)∘(RRᵀ) + Σ_columns CCᵀ costs N²(a + b)/2 per weight block instead of
   * N²·a·b/2, and Jᵀc costs N·p — without forming or transferring the N×p matrix.
   */
  async readFactors(): Promise<readonly HostJacobianBlock[]> {
    this.#assertLive("readFactors");
    const host = new Map<Tensor2D, RowMajor>();
    const read = async (tensor: Tensor2D): Promise<RowMajor> => {
      const known = host.get(tensor);
      if (known !== undefined) return known;
      const data = (await tensor.data()) as Float32Array;
      assertFinite(data, "a Jacobian factor", "the network produced NaN or infinite derivatives (a blown-up θ?)");
      const matrix: RowMajor = { rows: tensor.shape[0], cols: tensor.shape[1], data };
      host.set(tensor, matrix);
      return matrix;
    };
    const blocks: HostJacobianBlock[] = [];
    for (const block of this.#blocks) {
      blocks.push(
        block.kind === "outer"
          ? { kind: "outer", left: await read(block.left), right: await read(block.right) }
          : { kind: "columns", columns: await read(block.columns) },
      );
    }
    return blocks;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const unique = new Set<Tensor>();
    for (const block of this.#blocks) {
      if (block.kind === "outer") {
        unique.add(block.left);
        unique.add(block.right);
      } else unique.add(block.columns);
    }
    for (const tensor of unique) tensor.dispose();
  }

  #denseBlock(block: JacobianBlock): Tensor2D {
    const tf = this.#tf;
    if (block.kind === "columns") return block.columns;
    const width = blockWidth(block);
    return tf.reshape(tf.mul(tf.expandDims(block.left, 2), tf.expandDims(block.right, 1)), [this.numPoints, width]);
  }

  /**
   * J_bᵀ (width×N) formed directly from the transposed factors: transposing the two thin factors
   * (N×a, N×b) and taking their outer product costs one pass over the a·b×N block, where forming
   * the N×a·b block and transposing it costs two (at N = 2000, a = b = 68: 9.2M entries each).
   */
  #denseBlockTransposed(block: JacobianBlock): Tensor2D {
    const tf = this.#tf;
    if (block.kind === "columns") return tf.transpose(block.columns);
    const width = blockWidth(block);
    return tf.reshape(tf.mul(tf.expandDims(tf.transpose(block.left), 1), tf.expandDims(tf.transpose(block.right), 0)), [width, this.numPoints]);
  }

  #assertLive(what: string): void {
    if (this.#disposed) {
      throw new MinevoError(ErrorCode.InvalidArgument, `JacobianOperator.${what}() called after dispose(): evaluate the network again`);
    }
  }
}
