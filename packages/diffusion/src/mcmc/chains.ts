/**
 * What MALA and HMC share: options, the batched evaluation of the target at float64 chain
 * states, warm-up with dual averaging, and the recorded result.
 *
 * The chain states live on the CPU in float64; each transition uploads the proposals of all
 * chains as one [chains, dim + conditionDim] float32 tensor, evaluates log π̃ and ∇ₓ log π̃ in one
 * batched call, and reads both back. The target evaluation is the only large computation, so it
 * is the only one on the backend; accept/reject and the proposal arithmetic stay in float64, so
 * the chain's bookkeeping never rounds to float32.
 */
import { ErrorCode, MinevoError, quote, type RandomStream, type SamplingTarget, type TensorFlow } from "@minevo/core";
import { chainPotentialScaleReduction } from "../diagnostics/convergence.js";
import { chainEffectiveSampleSize } from "../diagnostics/effective-sample-size.js";
import { pointDimOf } from "../targets/formula-target.js";
import { DualAveraging } from "./dual-averaging.js";

export interface McmcOptions {
  readonly target: SamplingTarget;
  /** The TensorFlow.js namespace the target evaluates with (the active backend's). */
  readonly tf: TensorFlow;
  /** The source of every random draw; the same seed gives the same chains. */
  readonly random: RandomStream;
  /**
   * Starting points, row-major [numChains, dim + conditionDim]. For a joint target the condition
   * columns stay fixed: chain c samples π(x | y_c). Default: N(0, initialScale²) in x (targets
   * without a condition only).
   */
  readonly initialPoints?: Float64Array;
  /** Number of chains when `initialPoints` is not given (default 16). */
  readonly numChains?: number;
  /** Standard deviation of the default starting points (default 1). */
  readonly initialScale?: number;
  /** Warm-up iterations, during which the step size adapts; none of them are kept (default 500). */
  readonly warmupSteps?: number;
  /** Kept draws per chain, at least 4 for the diagnostics (default 1000). */
  readonly numSamples?: number;
  /** Keep every `thin`-th state (default 1). */
  readonly thin?: number;
  /** Starting step size (MALA: the time step h; HMC: the leapfrog step ε). */
  readonly initialStepSize?: number;
  /** Acceptance rate that dual averaging aims for (MALA 0.574, HMC 0.65 by default). */
  readonly targetAcceptance?: number;
  /** Adapt the step size during warm-up (default true); false keeps `initialStepSize`. */
  readonly adaptStepSize?: boolean;
  /**
   * Called after every transition of all chains (progress): `completed` of `total` =
   * warmupSteps + numSamples·thin. A throw stops the run and propagates (an abort).
   */
  readonly onStep?: (completed: number, total: number) => void;
}

export interface McmcResult {
  readonly numChains: number;
  readonly numSamples: number;
  /** d_x: the width of a recorded draw. */
  readonly dim: number;
  /** Draws of x, row-major [numChains, numSamples, dim] (chain-major, so each chain is contiguous). */
  readonly samples: Float64Array;
  /** log π̃ at each draw, [numChains, numSamples]. */
  readonly logDensities: Float64Array;
  /** The last state of every chain, [numChains, dim + conditionDim] (to continue, or as points). */
  readonly finalPoints: Float64Array;
  /** Mean Metropolis acceptance rate over the kept phase, all chains. */
  readonly acceptanceRate: number;
  /** Acceptance rate of each chain over the kept phase. */
  readonly chainAcceptanceRates: Float64Array;
  /** Mean acceptance probability during warm-up. */
  readonly warmupAcceptanceRate: number;
  /** The step size used for the kept draws (the dual-averaged one when adapting). */
  readonly stepSize: number;
  /** Per-dimension effective sample size of `samples` (all chains together, Geyer truncation). */
  readonly effectiveSampleSize: Float64Array;
  /** Per-dimension split R̂ of `samples` (near 1 when the chains agree and do not drift). */
  readonly potentialScaleReduction: Float64Array;
  /** Proposals whose log-density or energy was not finite (rejected). */
  readonly nonFiniteProposals: number;
  /** Evaluations of (log π̃, ∇ₓ log π̃), counting each chain once per batched call. */
  readonly gradientEvaluations: number;
}

/** Chain states in float64: points [C, P], log π̃ [C], ∇ₓ log π̃ [C, d]. */
export interface ChainState {
  readonly points: Float64Array;
  readonly logDensity: Float64Array;
  readonly score: Float64Array;
}

/** One transition of all chains: acceptance probabilities min(1, e^{log α}) and decisions. */
export interface TransitionStatistics {
  readonly acceptanceProbability: Float64Array;
  readonly accepted: Uint8Array;
  readonly nonFinite: number;
}

export interface ChainContext {
  readonly target: SamplingTarget;
  readonly tf: TensorFlow;
  readonly random: RandomStream;
  readonly numChains: number;
  readonly dim: number;
  readonly pointDim: number;
  /** Evaluates log π̃ and the score at `points` ([C, P] float64). */
  evaluate(points: Float64Array): { logDensity: Float64Array; score: Float64Array };
}

export type TransitionKernel = (context: ChainContext, state: ChainState, stepSize: number) => TransitionStatistics;

function checkCount(value: number, field: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new MinevoError(ErrorCode.InvalidArgument, `MCMC option ${field} must be an integer ≥ ${min}, got ${quote(value)}`, { field });
  }
  return value;
}

function checkPositive(value: number, field: string, max = Infinity): number {
  if (!Number.isFinite(value) || value <= 0 || value >= max) {
    throw new MinevoError(
      ErrorCode.InvalidArgument,
      `MCMC option ${field} must be a finite number in (0, ${max === Infinity ? "∞" : max}), got ${quote(value)}`,
      { field },
    );
  }
  return value;
}

/** Evaluates (log π̃, ∇ₓ log π̃) of `target` at float64 points, disposing every tensor. */
export function evaluateAtPoints(target: SamplingTarget, tf: TensorFlow, points: Float64Array, numPoints: number): { logDensity: Float64Array; score: Float64Array } {
  const input = tf.tensor2d(Float32Array.from(points), [numPoints, pointDimOf(target)], "float32");
  try {
    const { logDensity, score } = target.scoreAndLogDensity(input, tf);
    try {
      return { logDensity: Float64Array.from(logDensity.dataSync()), score: Float64Array.from(score.dataSync()) };
    } finally {
      logDensity.dispose();
      score.dispose();
    }
  } finally {
    input.dispose();
  }
}

/** Runs warm-up then sampling with `kernel`; MALA and HMC differ only in their kernels. */
export function runChains(options: McmcOptions, kernel: TransitionKernel, defaults: { stepSize: number; targetAcceptance: number }, method: string): McmcResult {
  const { target, tf, random } = options;
  const dim = target.dim;
  const pointDim = pointDimOf(target);
  const warmupSteps = checkCount(options.warmupSteps ?? 500, "warmupSteps", 0);
  const numSamples = checkCount(options.numSamples ?? 1000, "numSamples", 4);
  const thin = checkCount(options.thin ?? 1, "thin", 1);
  const initialStepSize = checkPositive(options.initialStepSize ?? defaults.stepSize, "initialStepSize");
  const targetAcceptance = checkPositive(options.targetAcceptance ?? defaults.targetAcceptance, "targetAcceptance", 1);
  const adapt = options.adaptStepSize ?? true;

  let points: Float64Array;
  let numChains: number;
  if (options.initialPoints !== undefined) {
    points = Float64Array.from(options.initialPoints);
    if (points.length === 0 || points.length % pointDim !== 0) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `${method}: initialPoints has ${points.length} entries, not a positive multiple of the point width ${pointDim} (dim ${dim}${target.conditionDim ? ` + conditionDim ${target.conditionDim}` : ""})`,
        { received: points.length, pointDim },
      );
    }
    numChains = points.length / pointDim;
    if (options.numChains !== undefined && options.numChains !== numChains) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `${method}: numChains ${options.numChains} disagrees with initialPoints, which holds ${numChains} points; give one or make them agree`,
      );
    }
  } else {
    if (target.conditionDim !== undefined && target.conditionDim > 0) {
      throw new MinevoError(
        ErrorCode.InvalidArgument,
        `${method}: target "${target.name}" is joint in (x, y); pass initialPoints with the condition y of each chain in the last ${target.conditionDim} columns`,
      );
    }
    numChains = checkCount(options.numChains ?? 16, "numChains", 1);
    const scale = checkPositive(options.initialScale ?? 1, "initialScale");
    points = random.fillNormal(new Float64Array(numChains * pointDim), 0, scale);
  }

  const context: ChainContext = {
    target,
    tf,
    random,
    numChains,
    dim,
    pointDim,
    evaluate: (p) => evaluateAtPoints(target, tf, p, numChains),
  };
  const initial = context.evaluate(points);
  for (let c = 0; c < numChains; c++) {
    if (!Number.isFinite(initial.logDensity[c])) {
      throw new MinevoError(
        ErrorCode.NonFinite,
        `${method}: log π̃ is ${String(initial.logDensity[c])} at starting point ${c} = ${quote(Array.from(points.subarray(c * pointDim, (c + 1) * pointDim)))}; start every chain where the target is finite`,
        { chain: c },
      );
    }
  }
  const state: ChainState = { points, logDensity: initial.logDensity, score: initial.score };
  let gradientEvaluations = numChains;
  let nonFiniteProposals = 0;
  const countEvaluations = { ...context, evaluate: (p: Float64Array) => ((gradientEvaluations += numChains), context.evaluate(p)) };

  const adaptation = new DualAveraging(initialStepSize, targetAcceptance);
  const totalSteps = warmupSteps + numSamples * thin;
  let completed = 0;
  const onStep = options.onStep;
  let warmupAcceptance = 0;
  for (let m = 0; m < warmupSteps; m++) {
    const stepSize = adapt ? adaptation.stepSize : initialStepSize;
    const stats = kernel(countEvaluations, state, stepSize);
    onStep?.(++completed, totalSteps);
    nonFiniteProposals += stats.nonFinite;
    const meanProbability = mean(stats.acceptanceProbability);
    warmupAcceptance += meanProbability;
    if (adapt) adaptation.update(meanProbability);
  }
  const stepSize = adapt && warmupSteps > 0 ? adaptation.adaptedStepSize : initialStepSize;

  const samples = new Float64Array(numChains * numSamples * dim);
  const logDensities = new Float64Array(numChains * numSamples);
  const acceptedCount = new Float64Array(numChains);
  for (let s = 0; s < numSamples; s++) {
    for (let t = 0; t < thin; t++) {
      const stats = kernel(countEvaluations, state, stepSize);
      onStep?.(++completed, totalSteps);
      nonFiniteProposals += stats.nonFinite;
      for (let c = 0; c < numChains; c++) acceptedCount[c] = (acceptedCount[c] as number) + (stats.accepted[c] as number);
    }
    for (let c = 0; c < numChains; c++) {
      const row = (c * numSamples + s) * dim;
      for (let i = 0; i < dim; i++) samples[row + i] = state.points[c * pointDim + i] as number;
      logDensities[c * numSamples + s] = state.logDensity[c] as number;
    }
  }
  const chainAcceptanceRates = acceptedCount.map((a) => a / (numSamples * thin));
  return {
    numChains,
    numSamples,
    dim,
    samples,
    logDensities,
    finalPoints: Float64Array.from(state.points),
    acceptanceRate: mean(chainAcceptanceRates),
    chainAcceptanceRates,
    warmupAcceptanceRate: warmupSteps > 0 ? warmupAcceptance / warmupSteps : Number.NaN,
    stepSize,
    effectiveSampleSize: chainEffectiveSampleSize(samples, numChains, numSamples, dim),
    potentialScaleReduction: chainPotentialScaleReduction(samples, numChains, numSamples, dim),
    nonFiniteProposals,
    gradientEvaluations,
  };
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return s / values.length;
}

/** Metropolis decision on log α for each chain; a non-finite log α is a rejection. */
export function metropolisDecisions(logAcceptance: Float64Array, random: RandomStream): TransitionStatistics {
  const C = logAcceptance.length;
  const acceptanceProbability = new Float64Array(C);
  const accepted = new Uint8Array(C);
  let nonFinite = 0;
  for (let c = 0; c < C; c++) {
    const logAlpha = logAcceptance[c] as number;
    const u = random.uniformOpen(); // drawn for every chain, so the stream does not depend on outcomes
    if (Number.isNaN(logAlpha) || logAlpha === -Infinity || logAlpha === Infinity) {
      nonFinite += logAlpha === -Infinity ? 0 : 1;
      continue;
    }
    acceptanceProbability[c] = logAlpha >= 0 ? 1 : Math.exp(logAlpha);
    accepted[c] = Math.log(u) < logAlpha ? 1 : 0;
  }
  return { acceptanceProbability, accepted, nonFinite };
}

/** Copies the accepted proposals (point, log π̃, score) into the chain state. */
export function acceptInto(
  state: ChainState,
  proposal: Float64Array,
  at: { logDensity: Float64Array; score: Float64Array },
  accepted: Uint8Array,
  context: { numChains: number; dim: number; pointDim: number },
): void {
  const { numChains: C, dim: d, pointDim: P } = context;
  for (let c = 0; c < C; c++) {
    if (accepted[c] !== 1) continue;
    state.points.set(proposal.subarray(c * P, (c + 1) * P), c * P);
    state.score.set(at.score.subarray(c * d, (c + 1) * d), c * d);
    state.logDensity[c] = at.logDensity[c] as number;
  }
}
