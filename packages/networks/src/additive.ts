/**
 * The additive ansatz: one inner network g_θ shared by consecutive blocks of the coordinates,
 *
 *     u(x, y) = Σ_{b=1}^{B} g_θ(x_b, y),   x = (x_1, …, x_B), each x_b of `blockSize` coordinates.
 *
 * It holds exactly the log-densities of targets that factorise into identical blocks,
 * π(x) = Π_b φ(x_b) (many-well: 16 copies of one 2-D double well), and keeps holding them along an
 * Ornstein–Uhlenbeck evolution, since the OU kernel factorises too: log ρ_t = Σ_b log φ_t(x_b).
 * A network of all d coordinates has to learn that structure from the points, and in high d the
 * step θ̇ then needs as many degrees of freedom as there are points (docs/design.md, many-well);
 * here every point gives B samples of one low-dimensional function, and p is that of g.
 *
 * Everything is computed by the inner network on the N·B block rows (x_b, y) and summed back:
 * ∇ₓu is g's gradient laid out block by block, Δₓu the sum of g's Laplacians, J = S·J_g with S
 * the N×(N·B) summation. The operator forms S·J_g once (N×p) and answers every product from it:
 * JᵀΩ then costs N·p·n instead of N·B·p·n through J_g, at the price of J_g's N·B×p floats while
 * it is summed.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { z } from "zod";
import {
  ErrorCode,
  MinevoError,
  quote,
  registries,
  type JacobianOperator,
  type Network,
  type NetworkEvaluation,
  type NetworkJSON,
  type NetworkRequest,
  type ParameterBlock,
  type RandomStream,
  type TensorFlow,
} from "@minevo/core";

export const additiveOptionsSchema = z
  .strictObject({
    /** d: the diffused variables x, cut into d / blockSize consecutive blocks. */
    inputDim: z.number().int().positive(),
    /** c: conditioning variables y, given whole to every block's inner evaluation. */
    conditionDim: z.number().int().nonnegative().default(0),
    /** The coordinates per block: the inner network's inputDim. Must divide inputDim. */
    blockSize: z.number().int().positive(),
    /**
     * The shared inner network, by registry name and options. Its inputDim and conditionDim are
     * set to blockSize and conditionDim when the options leave them out.
     */
    inner: z.strictObject({ name: z.string().min(1), options: z.record(z.string(), z.unknown()).default({}) }),
  })
  .superRefine((o, context) => {
    if (o.inputDim % o.blockSize !== 0) {
      context.addIssue({
        code: "custom",
        path: ["blockSize"],
        message: `blockSize ${o.blockSize} does not divide inputDim ${o.inputDim}: choose a block size that cuts x into equal blocks`,
      });
    }
  });

export type AdditiveOptions = z.output<typeof additiveOptionsSchema>;
export type AdditiveOptionsInput = z.input<typeof additiveOptionsSchema>;

export class AdditiveNetwork implements Network {
  readonly name = "additive";
  readonly inputDim: number;
  readonly conditionDim: number;
  readonly numParameters: number;
  readonly parameterLayout: readonly ParameterBlock[];
  readonly parameterScales?: Float64Array;
  /** The validated options this network was built from (recorded by toJSON). */
  readonly options: AdditiveOptions;
  /** The shared inner network g (inputDim = blockSize). */
  readonly inner: Network;
  /** B: the number of blocks. */
  readonly numBlocks: number;
  readonly referenceValues?: (parameters: Float64Array, points: Float64Array, numPoints: number) => Float64Array;

  constructor(options: AdditiveOptions) {
    this.options = options;
    this.inputDim = options.inputDim;
    this.conditionDim = options.conditionDim;
    this.numBlocks = options.inputDim / options.blockSize;
    const innerOptions: Record<string, unknown> = { ...options.inner.options };
    innerOptions["inputDim"] ??= options.blockSize;
    innerOptions["conditionDim"] ??= options.conditionDim;
    const inner = registries.network.configure(options.inner.name, innerOptions).create() as Network;
    if (inner.inputDim !== options.blockSize || inner.conditionDim !== options.conditionDim) {
      throw new MinevoError(
        ErrorCode.InvalidOptions,
        `the additive network's inner "${options.inner.name}" takes d = ${inner.inputDim} and c = ${inner.conditionDim} inputs, but each block has ` +
          `blockSize = ${options.blockSize} coordinates and c = ${options.conditionDim}: leave inputDim and conditionDim out of inner.options, or make them match`,
        { blockSize: options.blockSize, innerInputDim: inner.inputDim },
      );
    }
    this.inner = inner;
    this.numParameters = inner.numParameters;
    this.parameterLayout = inner.parameterLayout;
    if (inner.parameterScales !== undefined) this.parameterScales = inner.parameterScales;
    const innerReference = inner.referenceValues?.bind(inner);
    if (innerReference !== undefined) {
      this.referenceValues = (parameters, points, numPoints) => {
        const rows = this.#blockRows(points, numPoints);
        const values = innerReference(parameters, rows, numPoints * this.numBlocks);
        const out = new Float64Array(numPoints);
        for (let i = 0; i < numPoints; i++) {
          let s = 0;
          for (let b = 0; b < this.numBlocks; b++) s += values[i * this.numBlocks + b] as number;
          out[i] = s;
        }
        return out;
      };
    }
  }

  initialParameters(random: RandomStream): Float64Array {
    return this.inner.initialParameters(random);
  }

  evaluate(tf: TensorFlow, parameters: Tensor1D | Float64Array | Float32Array, points: Tensor2D, request: NetworkRequest): NetworkEvaluation {
    const inputs = this.inputDim + this.conditionDim;
    if (points.rank !== 2 || points.shape[1] !== inputs) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `points must have shape [N, ${inputs}] (d = ${this.inputDim} diffused + c = ${this.conditionDim} conditioning columns), got ${quote(points.shape)}`,
        { expected: inputs, shape: points.shape },
      );
    }
    const n = points.shape[0];
    const blocks = this.numBlocks;
    const k = this.options.blockSize;
    const c = this.conditionDim;
    // Row i·B + b holds (x_b, y) of point i: a plain reshape of x, since x is row-major.
    const rows = tf.tidy(() => {
      const x = c === 0 ? points : tf.slice(points, [0, 0], [n, this.inputDim]);
      const xRows = tf.reshape(x, [n * blocks, k]) as Tensor2D;
      if (c === 0) return xRows;
      const y = tf.slice(points, [0, this.inputDim], [n, c]);
      return tf.concat([xRows, tf.reshape(tf.tile(tf.expandDims(y, 1), [1, blocks, 1]), [n * blocks, c])], 1) as Tensor2D;
    });
    let innerEvaluation: NetworkEvaluation;
    try {
      innerEvaluation = this.inner.evaluate(tf, parameters, rows, request);
    } catch (error) {
      rows.dispose();
      throw error;
    }
    const sumBlocks = (perRow: Tensor1D): Tensor1D => tf.tidy(() => tf.sum(tf.reshape(perRow, [n, blocks]), 1) as Tensor1D);
    const value = request.value === true && innerEvaluation.value !== undefined ? sumBlocks(innerEvaluation.value) : undefined;
    const laplacian = request.laplacian === true && innerEvaluation.laplacian !== undefined ? sumBlocks(innerEvaluation.laplacian) : undefined;
    const gradient =
      request.gradient === true && innerEvaluation.gradient !== undefined ? (tf.reshape(innerEvaluation.gradient, [n, this.inputDim]) as Tensor2D) : undefined;
    // The block sum of J_g; the inner evaluation (and the rows it may hold) live until it is formed.
    const jacobian = innerEvaluation.jacobian !== undefined ? new BlockSumJacobian(tf, innerEvaluation, rows, n, blocks) : undefined;
    if (jacobian === undefined) {
      innerEvaluation.dispose();
      rows.dispose();
    } else {
      innerEvaluation.value?.dispose();
      innerEvaluation.gradient?.dispose();
      innerEvaluation.laplacian?.dispose();
    }
    return {
      ...(value !== undefined ? { value } : {}),
      ...(gradient !== undefined ? { gradient } : {}),
      ...(laplacian !== undefined ? { laplacian } : {}),
      ...(jacobian !== undefined ? { jacobian } : {}),
      dispose() {
        value?.dispose();
        gradient?.dispose();
        laplacian?.dispose();
        jacobian?.dispose();
      },
    };
  }

  toJSON(parameters: ArrayLike<number>): NetworkJSON {
    const inner = this.inner.toJSON(parameters);
    return { name: this.name, options: structuredClone(this.options), parameters: inner.parameters };
  }

  /** The N·B block rows (x_b, y) of row-major points, in float64. */
  #blockRows(points: Float64Array, numPoints: number): Float64Array {
    const d = this.inputDim;
    const c = this.conditionDim;
    const k = this.options.blockSize;
    if (points.length !== numPoints * (d + c)) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `referenceValues needs ${numPoints}×${d + c} points, got ${points.length} values`,
        { expected: numPoints * (d + c), actual: points.length },
      );
    }
    const width = k + c;
    const rows = new Float64Array(numPoints * this.numBlocks * width);
    for (let i = 0; i < numPoints; i++) {
      const point = i * (d + c);
      for (let b = 0; b < this.numBlocks; b++) {
        const row = (i * this.numBlocks + b) * width;
        for (let j = 0; j < k; j++) rows[row + j] = points[point + b * k + j] as number;
        for (let j = 0; j < c; j++) rows[row + k + j] = points[point + d + j] as number;
      }
    }
    return rows;
  }
}

/** J = S·J_g, formed once from the inner operator on first use; the inner operator is then released. */
class BlockSumJacobian implements JacobianOperator {
  readonly numPoints: number;
  readonly numParameters: number;
  readonly #tf: TensorFlow;
  #inner: NetworkEvaluation | null;
  #rows: Tensor2D | null;
  readonly #blocks: number;
  #summed: Tensor2D | null = null;

  constructor(tf: TensorFlow, inner: NetworkEvaluation, rows: Tensor2D, numPoints: number, blocks: number) {
    this.#tf = tf;
    this.#inner = inner;
    this.#rows = rows;
    this.#blocks = blocks;
    this.numPoints = numPoints;
    this.numParameters = inner.jacobian!.numParameters;
  }

  #dense(): Tensor2D {
    if (this.#summed !== null) return this.#summed;
    if (this.#inner === null) {
      throw new MinevoError(ErrorCode.InvalidState, "this Jacobian operator was disposed: evaluate the network again");
    }
    const tf = this.#tf;
    const inner = this.#inner;
    const n = this.numPoints;
    const p = this.numParameters;
    this.#summed = tf.tidy(() => tf.sum(tf.reshape(inner.jacobian!.dense(), [n, this.#blocks, p]), 1) as Tensor2D);
    this.#releaseInner();
    return this.#summed;
  }

  dense(): Tensor2D {
    return this.#tf.clone(this.#dense());
  }

  transposeTimes(omega: Tensor2D): Tensor2D {
    if (omega.rank !== 2 || omega.shape[0] !== this.numPoints) {
      throw new MinevoError(ErrorCode.DimensionMismatch, `Jᵀ Ω needs Ω with ${this.numPoints} rows, got shape ${quote(omega.shape)}`, {
        expected: this.numPoints,
        shape: omega.shape,
      });
    }
    const summed = this.#dense();
    // An explicit transpose: matMul with a transposed operand is many times slower on wasm.
    return this.#tf.tidy(() => this.#tf.matMul(this.#tf.transpose(summed), omega) as Tensor2D);
  }

  times(v: Tensor2D): Tensor2D {
    if (v.rank !== 2 || v.shape[0] !== this.numParameters) {
      throw new MinevoError(ErrorCode.DimensionMismatch, `J V needs V with ${this.numParameters} rows, got shape ${quote(v.shape)}`, {
        expected: this.numParameters,
        shape: v.shape,
      });
    }
    return this.#tf.matMul(this.#dense(), v) as Tensor2D;
  }

  #releaseInner(): void {
    this.#inner?.dispose();
    this.#inner = null;
    this.#rows?.dispose();
    this.#rows = null;
  }

  dispose(): void {
    this.#releaseInner();
    this.#summed?.dispose();
    this.#summed = null;
  }
}
