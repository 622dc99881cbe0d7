/**
 * The MNE step with a fixed sketch Ω (N×n), drawn once in `prepare` and never redrawn:
 *
 *     Z = JᵀΩ (p×n, backend, float32),   θ̇ = Z (ZᵀZ + λI)⁻¹ Ωᵀf   (CPU, float64)
 *
 * θ̇ is a deterministic, smooth function of (J, f), so adaptive integrators' error estimates stay
 * meaningful. When rank K ≤ n and f lies in the range of J, it tends to the unsketched θ̇ as
 * λ → 0. For λ > 0 the sketch weighs the residual by ΩΩᵀ instead of I, so it is a different ridge
 * problem: its kernel is ZᵀZ = ΩᵀKΩ, whose eigenvalues are about n/N times those of K.
 *
 * λ under "relative-trace" is ε·tr K/N with tr K estimated by (N/n)·tr(ZᵀZ) (unbiased, since
 * E[ΩΩᵀ] = (n/N)I), i.e. λ = ε·tr(ZᵀZ)/n: the reference's λ = ε·tr(JJᵀ)/N in expectation.
 */
import { gramOfColumns, timesVector, transposeTimesVector, type SketchPrepareContext, type SketchSolution, type SketchSolveInput, type SketchState, type SketchStrategy } from "@minevo/core";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { drawOmega, type Omega, type OmegaKind } from "./omega.js";
import { checkPrepareContext, checkSolveInput, checkThetaDot, download, requirePrepared, stateOf, type Prepared } from "./preparation.js";
import { solveRegularised, trace, type RegularisationPolicy } from "./regularisation.js";

export interface FixedSketchOptions {
  readonly sketchSize: number;
  readonly regularisation: RegularisationPolicy;
}

export class FixedSketchStrategy implements SketchStrategy {
  readonly name: string;
  readonly smooth = true;
  readonly omegaKind: OmegaKind;
  readonly options: FixedSketchOptions;
  #prepared: Prepared | undefined;
  #omega: Omega | undefined;
  #omegaTensor: Tensor2D | undefined;

  constructor(name: string, omegaKind: OmegaKind, options: FixedSketchOptions) {
    this.name = name;
    this.omegaKind = omegaKind;
    this.options = options;
  }

  prepare(context: SketchPrepareContext): void {
    const prepared = checkPrepareContext(this.name, context);
    const omega = drawOmega(this.omegaKind, prepared.numPoints, this.options.sketchSize, prepared.random);
    this.dispose();
    this.#prepared = prepared;
    this.#omega = omega;
    this.#omegaTensor = prepared.tf.tensor2d(Float32Array.from(omega.values), [omega.numPoints, omega.sketchSize], "float32");
  }

  /** The fixed Ω as drawn (row-major N×n), for inspection and tests. */
  get omega(): Omega {
    requirePrepared(this.name, this.#prepared);
    return this.#omega as Omega;
  }

  async solve(input: SketchSolveInput): Promise<SketchSolution> {
    const prepared = requirePrepared(this.name, this.#prepared);
    checkSolveInput(this.name, prepared, input);
    const omega = this.#omega as Omega;
    const n = omega.sketchSize;
    const z = await download(
      input.jacobian.transposeTimes(this.#omegaTensor as Tensor2D),
      prepared.numParameters,
      n,
      `sketch "${this.name}": Z = JᵀΩ`,
    );
    const gram = gramOfColumns(z);
    const sketchedRhs = transposeTimesVector({ rows: omega.numPoints, cols: n, data: omega.values }, input.rhs);
    const kernelTrace = (prepared.numPoints / n) * trace(gram);
    const { solution, lambda, effectiveRank } = solveRegularised(gram, sketchedRhs, this.options.regularisation, kernelTrace, prepared.numPoints);
    const thetaDot = checkThetaDot(this.name, timesVector(z, solution));
    return { thetaDot, effectiveRank, lambda, systemSize: n, kernelTrace };
  }

  getState(): SketchState {
    return stateOf(this.name, this.#prepared, "initial");
  }

  dispose(): void {
    this.#omegaTensor?.dispose();
    this.#omegaTensor = undefined;
    this.#omega = undefined;
    this.#prepared = undefined;
  }
}
