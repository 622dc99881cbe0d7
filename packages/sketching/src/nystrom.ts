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
 * Numerically: W = V diag(w) Vᵀ; directions with w below `rangeTolerance`·max w are dropped
 * (they are float32 noise of Z when rank J < n), T = V diag(w^{-1/2}) orthonormalises range(Z),
 * and B = TᵀYᵀYT is the Nyström kernel's Gram matrix: its eigenvalues are those of K̂, so r_λ and
 * tr K̂ = tr B (= tr K when rank K ≤ n) come from it. "relative-trace" uses λ = ε·tr B/N.
 */
import { symmetricEigen, type DenseMatrix, type SketchPrepareContext, type SketchSolution, type SketchSolveInput, type SketchState, type SketchStrategy, gramOfColumns, timesVector, transposeTimesVector } from "@minevo/core";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { drawOmega, type OmegaKind } from "./omega.js";
import { checkPrepareContext, checkSolveInput, checkThetaDot, download, requirePrepared, stateOf, type Prepared } from "./preparation.js";
import { solveRegularised, trace, type RegularisationPolicy } from "./regularisation.js";

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
    const { numPoints, numParameters } = prepared;
    const n = this.options.sketchSize;
    const zTensor = input.jacobian.transposeTimes(this.#omegaTensor as Tensor2D);
    let yTensor: Tensor2D;
    try {
      yTensor = input.jacobian.times(zTensor);
    } catch (error) {
      zTensor.dispose();
      throw error;
    }
    let z;
    let y;
    try {
      z = await download(zTensor, numParameters, n, `sketch "${this.name}": Z = JᵀΩ`);
      y = await download(yTensor, numPoints, n, `sketch "${this.name}": Y = JZ`);
    } finally {
      zTensor.dispose();
      yTensor.dispose();
    }

    const w = symmetricEigen(gramOfColumns(z));
    const largest = w.values[n - 1] as number;
    const kept: number[] = [];
    for (let i = n - 1; i >= 0; i--) if ((w.values[i] as number) > this.options.rangeTolerance * largest) kept.push(i);
    const k = kept.length;
    // T = V_k diag(w_k^{-1/2}), n×k.
    const t = new Float64Array(n * k);
    kept.forEach((src, dst) => {
      const s = 1 / Math.sqrt(w.values[src] as number);
      for (let r = 0; r < n; r++) t[r * k + dst] = (w.vectors.data[r * n + src] as number) * s;
    });
    const tMatrix = { rows: n, cols: k, data: t };
    // YT (N×k) in float64, then B = (YT)ᵀ(YT) and h = (YT)ᵀf.
    const yt = multiplyRowMajor(y, tMatrix);
    const gram = gramOfColumns(yt);
    const projectedRhs = transposeTimesVector(yt, input.rhs);
    const kernelTrace = trace(gram);
    const { solution, lambda, effectiveRank } = solveRegularised(gram, projectedRhs, this.options.regularisation, kernelTrace, numPoints);
    const a = timesVector(tMatrix, solution);
    const thetaDot = checkThetaDot(this.name, timesVector(z, a));
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

/** A B for row-major A (float32 or float64 data) and a small float64 B. */
function multiplyRowMajor(a: { rows: number; cols: number; data: Float32Array | Float64Array }, b: DenseMatrix): DenseMatrix {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let l = 0; l < a.cols; l++) {
      const ail = a.data[i * a.cols + l] as number;
      if (ail === 0) continue;
      for (let j = 0; j < b.cols; j++) out[i * b.cols + j] = (out[i * b.cols + j] as number) + ail * (b.data[l * b.cols + j] as number);
    }
  }
  return { rows: a.rows, cols: b.cols, data: out };
}
