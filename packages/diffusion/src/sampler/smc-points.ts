/**
 * Collocation points from the target's formula alone by adaptive tempered sequential Monte Carlo
 * (Del Moral, Doucet and Jasra 2006; the next temperature chosen by the weights' effective sample
 * size, Jasra et al. 2011): particles drawn from a broad Gaussian reference q = N(0, s²I) travel
 * through the tempered densities
 *
 *     γ_β(x) = q̃(x)^{1−β} π̃(x)^β,   q̃(x) = exp(−|x|²/(2s²)),   0 = β₀ < β₁ < … < β_K = 1,
 *
 * each stage reweighting by (β_{k+1} − β_k)(log π̃ − log q̃), resampling systematically and moving
 * every particle by MALA steps on γ_{β_{k+1}}, each particle with its own step size.
 *
 * Why beside `malaPoints`: local chains started near the origin only reach what diffusion brings
 * them to. On Neal's funnel the chains never reach its mouth (x₀ ≳ 5, where xᵢ spreads by
 * e^{x₀/2}: x₀ can only rise as fast as the xᵢ spread, and the drift −(d−1)/2 pulls it back), so
 * the fitted model is wrong there (docs/design.md). Here the reference puts particles in the
 * mouth from the start, and the reweighting keeps as many there as π holds. The product of the
 * stages' mean weights is an unbiased estimate of Z (returned as `logZ`, a check on the target's
 * normaliser and on the particles' coverage).
 */
import { ErrorCode, MinevoError, quote, type RandomStream, type SamplingTarget, type TensorFlow } from "@minevo/core";
import { checkLogWeights, logSumExp } from "../diagnostics/importance-weights.js";
import { systematicResample } from "../diagnostics/resampling.js";
import { evaluateAtPoints, type ChainContext, type ChainState } from "../mcmc/chains.js";
import { malaTransition } from "../mcmc/mala.js";
import { positiveOption } from "./mala-points.js";

export interface SmcPointsOptions {
  readonly tf: TensorFlow;
  readonly target: SamplingTarget;
  readonly random: RandomStream;
  /** How many particles (points). At least 2. */
  readonly count: number;
  /** s: the reference is N(0, s²I). It should cover π's mass, tails included. Default 2. */
  readonly start?: number;
  /** MALA moves of every particle after each reweighting. Default 50. */
  readonly movesPerStage?: number;
  /**
   * Each stage's temperature step is the largest that keeps the effective sample size of its
   * weights at this fraction of `count` (0 < f < 1). Default 0.95; larger means more, smaller
   * stages (0.5 with 5 moves collapses on Neal's funnel, docs/design.md).
   */
  readonly essFraction?: number;
  /** The MALA time step every particle starts from. Default 0.05. */
  readonly stepSize?: number;
  /** The run stops with an error after this many stages. Default 1000. */
  readonly maxStages?: number;
  /**
   * β_K: the last temperature, > 0. Below 1 the particles end at γ_β = q̃^{1−β} π̃^β — wider
   * than π, its tails raised (for collocation points that must cover a target's tails, a funnel's
   * mouth) — and `logZ` estimates log ∫ γ_β, not log Z. Above 1 the path goes on from π along
   * γ_β = π̃^β (the reference gone): π sharpened toward where its density is high, which may hold
   * little of its volume (a funnel's neck: π̃^{1.2}'s x₀ is centred near −6.75); the target must
   * keep π̃^β normalisable, and `logZ` estimates log ∫ π̃^β. Default 1.
   */
  readonly temperature?: number;
  /** Called after every stage (progress); a throw stops the run and propagates. */
  readonly onStage?: (stage: SmcStage) => void;
}

export interface SmcStage {
  readonly stage: number;
  /** The stage's temperature β. */
  readonly beta: number;
  /** The running estimate of log Z_β = log ∫ γ_β. */
  readonly logZ: number;
  /** Mean MALA acceptance probability of the stage's moves. */
  readonly acceptance: number;
}

export interface SmcPoints {
  /** count×d, row-major: approximately distributed as π after the last stage's moves (as γ_β for a `temperature` β < 1). */
  readonly points: Float64Array;
  /** log Ẑ: the estimate of log ∫ π̃ (unbiased in Ẑ, not in log Ẑ); of log ∫ γ_β for a `temperature` β < 1. */
  readonly logZ: number;
  /** The temperatures, from 0 to `temperature` (1 by default). */
  readonly betas: Float64Array;
  /** Median of the particles' step sizes at the end. */
  readonly stepSize: number;
  /** Mean MALA acceptance probability of the last stage's moves. */
  readonly acceptance: number;
  /** Evaluations of (log π̃, ∇ log π̃), counting each particle once per batched call. */
  readonly gradientEvaluations: number;
}

export const smcPointDefaults = { start: 2, movesPerStage: 50, essFraction: 0.95, stepSize: 0.05, maxStages: 1000, temperature: 1 } as const;

/** The acceptance rate each particle's step size aims for (Roberts and Rosenthal 1998). */
const targetAcceptance = 0.574;
/** The gain of the per-particle step-size update (as `malaPoints`' per-chain adaptation). */
const stepGain = 0.3;

/**
 * The largest Δ ≤ rest with ESS(e^{Δδ}) ≥ goal, by bisection (the ESS falls as Δ grows). Entries
 * δ = −∞ (π̃ = 0 there) have zero weight at every Δ > 0; `goal` counts the others only.
 */
function nextIncrement(delta: Float64Array, rest: number, goal: number): number {
  const essAt = (step: number): number => Math.exp(2 * logSumExp(delta, step) - logSumExp(delta, 2 * step));
  if (essAt(rest) >= goal) return rest;
  let low = 0;
  let high = rest;
  for (let i = 0; i < 60; i++) {
    const mid = 0.5 * (low + high);
    if (essAt(mid) >= goal) low = mid;
    else high = mid;
  }
  // low > 0 unless a single particle holds all the weight at any step, which the goal (≥ 1 + ε) excludes.
  return low > 0 ? low : high;
}

/** Particles moved from N(0, s²I) to π̃ by adaptive tempered SMC with MALA moves. */
export function smcPoints(options: SmcPointsOptions): SmcPoints {
  const { tf, target, random } = options;
  if ((target.conditionDim ?? 0) > 0) {
    throw new MinevoError(ErrorCode.InvalidArgument, `SMC collocation points need a target without conditions; "${target.name}" has ${target.conditionDim}`);
  }
  const count = positiveOption(options.count, "count", true);
  if (count < 2) throw new MinevoError(ErrorCode.InvalidOptions, `count must be at least 2 particles, got ${quote(count)}`, { field: "count" });
  const s = positiveOption(options.start ?? smcPointDefaults.start, "start", false);
  const moves = positiveOption(options.movesPerStage ?? smcPointDefaults.movesPerStage, "movesPerStage", true);
  const h0 = positiveOption(options.stepSize ?? smcPointDefaults.stepSize, "stepSize", false);
  const maxStages = positiveOption(options.maxStages ?? smcPointDefaults.maxStages, "maxStages", true);
  const essFraction = options.essFraction ?? smcPointDefaults.essFraction;
  if (!(essFraction > 0 && essFraction < 1)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `essFraction must be in (0, 1), got ${quote(essFraction)}`, { field: "essFraction" });
  }
  const temperature = options.temperature ?? smcPointDefaults.temperature;
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new MinevoError(ErrorCode.InvalidOptions, `temperature must be a finite number > 0 (the last β; 1 ends at π), got ${quote(temperature)}`, { field: "temperature" });
  }
  const d = target.dim;
  const logReference = (x: Float64Array, i: number): number => {
    let r = 0;
    for (let k = 0; k < d; k++) r += (x[i * d + k] as number) ** 2;
    return -r / (2 * s * s);
  };

  let points: Float64Array = random.derive("smc-start").fillNormal(new Float64Array(count * d), 0, s);
  let logStep = new Float64Array(count).fill(Math.log(h0));
  let at: { logDensity: Float64Array; score: Float64Array } = evaluateAtPoints(target, tf, points, count);
  let gradientEvaluations = count;
  // log ∫ q̃ = (d/2) log(2πs²): the stages multiply it up to ∫ π̃.
  let logZ = 0.5 * d * Math.log(2 * Math.PI * s * s);
  let beta = 0;
  let acceptance = Number.NaN;
  const betas = [0];
  const moveRandom = random.derive("smc-moves");
  const resampleRandom = random.derive("smc-resample");

  for (let stage = 1; beta < temperature; stage++) {
    if (stage > maxStages) {
      throw new MinevoError(
        ErrorCode.InvalidOptions,
        `SMC points on "${target.name}" reached only β = ${beta.toPrecision(3)} after ${maxStages} stages; raise maxStages, lower essFraction, or narrow the reference (start = ${s}) toward the target's scale`,
        { field: "maxStages", beta },
      );
    }
    // d log γ_β / dβ: log π̃ − log q̃ up to β = 1, log π̃ beyond (a stage does not cross 1).
    const sharpening = beta >= 1;
    const stageEnd = sharpening ? temperature : Math.min(temperature, 1);
    const delta = new Float64Array(count);
    for (let i = 0; i < count; i++) delta[i] = (at.logDensity[i] as number) - (sharpening ? 0 : logReference(points, i));
    checkLogWeights(delta, `SMC points on "${target.name}" (log π̃ − log q at the particles)`);
    let alive = 0;
    for (let i = 0; i < count; i++) if (delta[i] !== -Infinity) alive++;
    if (alive < 2) {
      throw new MinevoError(
        ErrorCode.NonFinite,
        `SMC points on "${target.name}": log π̃ is −∞ at ${count - alive} of ${count} particles at β = ${beta.toPrecision(3)}; start the reference (start = ${s}) where π̃ is positive`,
      );
    }
    // Particles where π̃ = 0 drop out at this stage's resampling; the ESS goal counts the others.
    const increment = nextIncrement(delta, stageEnd - beta, Math.max(essFraction * alive, 1 + 1e-9));
    const logWeights = new Float64Array(count);
    for (let i = 0; i < count; i++) logWeights[i] = increment * (delta[i] as number);
    logZ += logSumExp(logWeights) - Math.log(count);
    beta = stageEnd - beta - increment <= 1e-12 ? stageEnd : beta + increment;
    betas.push(beta);

    const parents = systematicResample(logWeights, resampleRandom);
    const resampled = new Float64Array(count * d);
    const resampledStep = new Float64Array(count);
    const resampledAt = { logDensity: new Float64Array(count), score: new Float64Array(count * d) };
    for (let i = 0; i < count; i++) {
      const j = parents[i] as number;
      resampled.set(points.subarray(j * d, (j + 1) * d), i * d);
      resampledAt.score.set(at.score.subarray(j * d, (j + 1) * d), i * d);
      resampledAt.logDensity[i] = at.logDensity[j] as number;
      resampledStep[i] = logStep[j] as number;
    }
    points = resampled;
    logStep = resampledStep;
    at = resampledAt;

    // The moves target γ_β; log π̃ and its score at the particles are kept beside the chain state
    // (from the proposals' evaluations, accepted ones copied in), so no stage evaluates π̃ twice.
    const b = beta;
    const temper = (x: Float64Array, value: { logDensity: Float64Array; score: Float64Array }) => {
      const logDensity = new Float64Array(count);
      const score = new Float64Array(count * d);
      for (let i = 0; i < count; i++) {
        const r = Math.max(0, 1 - b);
        logDensity[i] = r * logReference(x, i) + b * (value.logDensity[i] as number);
        for (let k = 0; k < d; k++) score[i * d + k] = (-r * (x[i * d + k] as number)) / (s * s) + b * (value.score[i * d + k] as number);
      }
      return { logDensity, score };
    };
    let proposed = at;
    const evaluate = (x: Float64Array) => {
      proposed = evaluateAtPoints(target, tf, x, count);
      return temper(x, proposed);
    };
    const context: ChainContext = { target, tf, random: moveRandom, numChains: count, dim: d, pointDim: d, evaluate };
    const start = temper(points, at);
    const state: ChainState = { points, logDensity: start.logDensity, score: start.score };
    let acceptanceSum = 0;
    for (let m = 0; m < moves; m++) {
      const { acceptanceProbability, accepted } = malaTransition(context, state, (c) => Math.exp(logStep[c] as number));
      for (let c = 0; c < count; c++) {
        const a = acceptanceProbability[c] as number;
        acceptanceSum += a;
        logStep[c] = (logStep[c] as number) + stepGain * (a - targetAcceptance);
        if (accepted[c] === 1) {
          at.logDensity[c] = proposed.logDensity[c] as number;
          at.score.set(proposed.score.subarray(c * d, (c + 1) * d), c * d);
        }
      }
    }
    gradientEvaluations += count * moves;
    acceptance = acceptanceSum / (moves * count);
    points = state.points;
    options.onStage?.({ stage, beta, logZ, acceptance });
  }
  const sortedSteps = Float64Array.from(logStep).sort();
  return {
    points,
    logZ,
    betas: Float64Array.from(betas),
    stepSize: Math.exp(sortedSteps[Math.floor((count - 1) / 2)] as number),
    acceptance,
    gradientEvaluations,
  };
}
