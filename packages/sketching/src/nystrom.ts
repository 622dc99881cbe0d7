/**
 * Nyström: approximate K by K̂ = (KΩ)(ΩᵀKΩ)⁺(KΩ)ᵀ and take the kernel ridge step with K̂ used
 * consistently, θ̇ = P Jᵀ(K̂ + λI)⁻¹f, where P projects onto range(Z), Z = JᵀΩ (so K̂ = JPJᵀ).
 *
 * Woodbury with Y = KΩ = JZ and W = ΩᵀKΩ = ZᵀZ gives (K̂ + λI)⁻¹ = λ⁻¹[I − Y(λW + YᵀY)⁻¹Yᵀ], and
 * pushing P through collapses the step to one n×n system without the 1/λ (whose cancellation
 * would destroy float32 data at small λ):
 *
 *     θ̇ = Z a,   (YᵀY + λW) a = Yᵀf,
 *
 * the ridge solution restricted to θ̇ ∈ range(Z) with the TRUE residual ‖JZa − f‖². Unlike the
 * Gaussian sketch it never weighs the residual by ΩΩᵀ, so when rank K ≤ n (range(Z) = range(Jᵀ))
 * it equals the unsketched θ̇ for every λ and f. It costs a second product with J (Y = JZ).
 *
 * Numerically: W = ZᵀZ in float64 from the read-back Z, and T = L⁻ᵀ with W + δI = LLᵀ,
 * δ = `rangeTolerance`·max diag W, orthonormalises range(Z) (directions with w ≲ δ — the float32
 * noise of Z when rank J < n — are shrunk smoothly instead of dropped; see `orthonormaliser`).
 * The second product is taken with the
 * orthonormal basis, Q = ZT and JQ on the backend, not as (JZ)T: JZ = KΩ carries K's squared
 * spectrum, and float32 rounding of it, amplified by T's w^{-1/2}, swamps the directions whose
 * eigenvalues are near λ (measured at p = 4968, N = 2000: the (JZ)T form stayed 1.6× the dense
 * held-out error at n = 800; see docs/design.md). With the Q used on the backend,
 *
 *     θ̇ = Q b,   (QᵀJᵀJQ + λI) b = QᵀJᵀf,
 *
 * is the ridge step on range(Q) (Q orthonormal to float32 rounding). B = (JQ)ᵀ(JQ) is the
 * Nyström kernel's Gram matrix: its eigenvalues are those of K̂, so r_λ and tr K̂ = tr B
 * (= tr K when rank K ≤ n) come from it. "relative-trace" uses λ = ε·tr B/N.
 */
import { cholesky, type DenseMatrix, type SketchPrepareContext, type SketchSolution, type SketchSolveInput, type SketchState, type SketchStrategy, gramOfColumns, timesVector, transposeTimesVector } from "@minevo/core";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { drawOmega, type OmegaKind } from "./omega.js";
import { checkPrepareContext, checkSolveInput, checkThetaDot, download, requirePrepared, stateOf, type Prepared } from "./preparation.js";
import { ridgeFor, solveRegularised, trace, type RegularisationPolicy } from "./regularisation.js";

export interface NystromOptions {
  readonly sketchSize: number;
  readonly omega: OmegaKind;
  readonly rangeTolerance: number;
  readonly regularisation: RegularisationPolicy;
}

export class NystromStrategy implements SketchStrategy {
  readonly name: string;
  readonly smooth = true;
  readonly options: NystromOptions;
  #prepared: Prepared | undefined;
  #omegaTensor: Tensor2D | undefined;

  constructor(name: string, options: NystromOptions) {
    this.name = name;
    this.options = options;
  }

  prepare(context: SketchPrepareContext): void {
    const prepared = checkPrepareContext(this.name, context);
    const omega = drawOmega(this.options.omega, prepared.numPoints, this.options.sketchSize, prepared.random);
    this.dispose();
    this.#prepared = prepared;
    this.#omegaTensor = prepared.tf.tensor2d(Float32Array.from(omega.values), [omega.numPoints, omega.sketchSize], "float32");
  }

  async solve(input: SketchSolveInput): Promise<SketchSolution> {
    const prepared = requirePrepared(this.name, this.#prepared);
    checkSolveInput(this.name, prepared, input);
    const { numPoints, numParameters, tf } = prepared;
    const n = this.options.sketchSize;
    const zTensor = input.jacobian.transposeTimes(this.#omegaTensor as Tensor2D);
    let qTensor: Tensor2D | undefined;
    let yTensor: Tensor2D | undefined;
    const k = n;
    let q;
    let y;
    try {
      const z = await download(zTensor, numParameters, n, `sketch "${this.name}": Z = JᵀΩ`, false);
      const t = orthonormaliser(gramOfColumns(z), this.options.rangeTolerance);
      if (t === undefined) {
        // Z = 0: no parameter direction in the sketch moves u at the points; θ̇ = 0 is the answer.
        const lambda = ridgeFor(this.options.regularisation, 0, numPoints);
        return { thetaDot: new Float64Array(numParameters), effectiveRank: 0, lambda, systemSize: 0, kernelTrace: 0 };
      }
      const tTensor = tf.tensor2d(t, [n, k], "float32");
      qTensor = tf.matMul(zTensor, tTensor) as Tensor2D;
      tTensor.dispose();
      yTensor = input.jacobian.times(qTensor);
      q = await download(qTensor, numParameters, k, `sketch "${this.name}": Q = ZT`);
      y = await download(yTensor, numPoints, k, `sketch "${this.name}": JQ`);
    } finally {
      zTensor.dispose();
      qTensor?.dispose();
      yTensor?.dispose();
    }
    // B = (JQ)ᵀ(JQ) and h = (JQ)ᵀf in float64; θ̇ = Q b for the Q actually used in JQ.
    const gram = gramOfColumns(y);
    const projectedRhs = transposeTimesVector(y, input.rhs);
    const kernelTrace = trace(gram);
    const { solution, lambda, effectiveRank } = solveRegularised(gram, projectedRhs, this.options.regularisation, kernelTrace, numPoints);
    const thetaDot = checkThetaDot(this.name, timesVector(q, solution));
    return { thetaDot, effectiveRank, lambda, systemSize: k, kernelTrace };
  }

  getState(): SketchState {
    return stateOf(this.name, this.#prepared, "initial");
  }

  dispose(): void {
    this.#omegaTensor?.dispose();
    this.#omegaTensor = undefined;
    this.#prepared = undefined;
  }
}

/**
 * T = L⁻ᵀ (n×n, float32 for the backend) with W + δI = LLᵀ and δ = tolerance·max diag W, so that
 * Q = ZT has QᵀQ = I − δ(W + δI)⁻¹: orthonormal on the directions of range(Z) with w ≫ δ, and
 * shrunk smoothly (norm² w/(w + δ)) on those at or below it — the float32 noise directions of Z
 * when rank J < n. Unlike dropping directions by an eigenvalue threshold, this is a smooth
 * function of Z (θ̇ stays smooth in θ), and it costs two n³/3 passes instead of an
 * eigendecomposition (at n = 200: ~5 ms against ~80 ms).
 */
function orthonormaliser(w: DenseMatrix, tolerance: number): Float32Array | undefined {
  const n = w.rows;
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, w.data[i * n + i] as number);
  if (largest === 0) return undefined;
  const shifted = new Float64Array(w.data);
  const delta = tolerance * largest;
  for (let i = 0; i < n; i++) shifted[i * n + i] = (shifted[i * n + i] as number) + delta;
  const l = cholesky({ rows: n, cols: n, data: shifted }).lower.data;
  // L⁻¹ by forward substitution, row by row (lower triangular); then T = (L⁻¹)ᵀ.
  const inverse = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const lii = l[i * n + i] as number;
    inverse[i * n + i] = 1 / lii;
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let m = j; m < i; m++) s += (l[i * n + m] as number) * (inverse[m * n + j] as number);
      inverse[i * n + j] = -s / lii;
    }
  }
  const t = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) t[j * n + i] = inverse[i * n + j] as number;
  return t;
}
