/**
 * Collocation points from the target's formula alone: the end points of short MALA chains on π̃
 * (METHOD.md §4.2, "a short MCMC run on π̃"). No samples of π are used, and the chains need not
 * have mixed: the points only have to sit where π̃ has its mass, which a Gaussian reference does
 * not achieve in higher dimensions (in d = 10, N(0, 4I) puts 2 % of its points within radius 3.5,
 * where a unit-scale target's mass lies; docs/design.md).
 *
 * One globally adapted step size leaves chains that started in high-curvature tails rejecting
 * every move (banana: 10 % of the chains end below log π̃ = −20, some at −280). So chains that
 * end more than `restartBelow` below the median chain restart from uniformly chosen others and
 * every chain moves `steps` more (resample-move). The median, not the best chain, is the
 * reference, and the default margin grows with d: over π's own draws log π̃ spreads by about
 * √(d/2) (a Gaussian's −χ²_d/2), so in d = 32 a margin of 12 below the best chain restarted two
 * thirds of the chains of the many-well target (1002 of 1500), most of them in its bulk.
 */
import { ErrorCode, MinevoError, quote, type RandomStream, type SamplingTarget, type TensorFlow } from "@minevo/core";
import { evaluateAtPoints, type ChainContext, type ChainState } from "../mcmc/chains.js";
import { malaTransition, runMala } from "../mcmc/mala.js";

export interface MalaPointsOptions {
  readonly tf: TensorFlow;
  readonly target: SamplingTarget;
  readonly random: RandomStream;
  /** How many points (one chain each). */
  readonly count: number;
  /** Adapted MALA steps per chain. Default 300. */
  readonly steps?: number;
  /** The chains start from N(0, start²I). Default 2 (the sampler's broad reference). */
  readonly start?: number;
  /** The MALA time step the adaptation starts from. Default 0.05. */
  readonly stepSize?: number;
  /**
   * Chains ending more than this many units of log π̃ below the median chain restart from the
   * others, then all chains move `steps` more. Default 10 + 3√(d/2); Infinity never restarts.
   */
  readonly restartBelow?: number;
  /**
   * `"global"` (default): one step size for all chains, dual-averaged toward acceptance 0.574
   * (`runMala`). `"per-chain"`: each chain adapts its own step, log h_c += 0.3 (α_c − 0.574) after
   * every move, throughout — the chains then follow a target whose scale changes by orders of
   * magnitude over its mass (a funnel: e^{x₀/2} from the neck to the mouth), where one step is
   * too large in one place and too small in the other. The points need not be exact draws of π,
   * only sit where its mass is, so the never-ending adaptation is harmless here.
   */
  readonly stepAdaptation?: "global" | "per-chain";
  /** Called after every move of all chains (progress); a throw stops the run and propagates. */
  readonly onProgress?: (progress: MalaPointsProgress) => void;
}

export interface MalaPointsProgress {
  /** 1, or 2 for the moves after stuck chains were restarted. */
  readonly round: 1 | 2;
  /** Moves of this round done, of `moves`. */
  readonly move: number;
  readonly moves: number;
}

export interface MalaPoints {
  /** count×d, row-major. */
  readonly points: Float64Array;
  /** The adapted MALA step size (of the second round when chains were restarted; per chain: their median). */
  readonly stepSize: number;
  /** How many chains were restarted from others. */
  readonly restarted: number;
}

export const malaPointDefaults = { steps: 300, start: 2, stepSize: 0.05 } as const;

/** The default restart margin in d dimensions: 10 + 3√(d/2) (13 in d = 2, 22 in d = 32). */
export function defaultRestartMargin(d: number): number {
  return 10 + 3 * Math.sqrt(d / 2);
}

/** `value` if it is a positive (integer) number; otherwise an InvalidOptions error naming `field`. */
export function positiveOption(value: number, field: string, integer: boolean): number {
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isSafeInteger(value))) {
    throw new MinevoError(ErrorCode.InvalidOptions, `${field} must be a positive ${integer ? "integer" : "number"}, got ${quote(value)}`, { field });
  }
  return value;
}

/** The end points of `count` MALA chains on π̃ from N(0, start²I), stuck chains restarted. */
export function malaPoints(options: MalaPointsOptions): MalaPoints {
  const { tf, target, random } = options;
  if ((target.conditionDim ?? 0) > 0) {
    throw new MinevoError(ErrorCode.InvalidArgument, `MALA collocation points need a target without conditions; "${target.name}" has ${target.conditionDim}`);
  }
  const count = positiveOption(options.count, "count", true);
  const steps = positiveOption(options.steps ?? malaPointDefaults.steps, "steps", true);
  const start = positiveOption(options.start ?? malaPointDefaults.start, "start", false);
  const stepSize = positiveOption(options.stepSize ?? malaPointDefaults.stepSize, "stepSize", false);
  const restartBelow = options.restartBelow ?? defaultRestartMargin(target.dim);
  if (!(restartBelow > 0)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `restartBelow must be positive (Infinity: never restart), got ${quote(restartBelow)}`, { field: "restartBelow" });
  }
  const adaptation = options.stepAdaptation ?? "global";
  if (adaptation !== "global" && adaptation !== "per-chain") {
    throw new MinevoError(ErrorCode.InvalidOptions, `stepAdaptation must be "global" or "per-chain", got ${quote(adaptation)}`, { field: "stepAdaptation" });
  }
  const d = target.dim;
  const chainsFrom = (initialPoints: Float64Array, name: string, h: number, round: 1 | 2): { finalPoints: Float64Array; stepSize: number } => {
    const onStep = options.onProgress === undefined ? undefined : (move: number, moves: number) => options.onProgress?.({ round, move, moves });
    return adaptation === "per-chain"
      ? perChainMala(target, tf, random.derive(name), initialPoints, count, steps, h, onStep)
      : runMala({ target, tf, random: random.derive(name), initialPoints, warmupSteps: steps, numSamples: 4, initialStepSize: h, ...(onStep !== undefined ? { onStep } : {}) });
  };
  const initial = random.derive("point-chains-start").fillNormal(new Float64Array(count * d), 0, start);
  const first = chainsFrom(initial, "point-chains", stepSize, 1);
  if (!Number.isFinite(restartBelow)) return { points: first.finalPoints, stepSize: first.stepSize, restarted: 0 };

  const { logDensity } = evaluateAtPoints(target, tf, first.finalPoints, count);
  const sorted = Float64Array.from(logDensity).sort();
  const median = sorted[Math.floor((count - 1) / 2)] as number;
  if (!Number.isFinite(median)) {
    throw new MinevoError(ErrorCode.NonFinite, `half the MALA chains on "${target.name}" ended where log π̃ is not finite (median ${quote(median)}); check the target's log-density`);
  }
  const floor = median - restartBelow;
  const good: number[] = [];
  for (let i = 0; i < count; i++) if ((logDensity[i] as number) >= floor) good.push(i);
  const restarted = count - good.length;
  if (restarted === 0) return { points: first.finalPoints, stepSize: first.stepSize, restarted: 0 };
  const pick = random.derive("point-chains-restart");
  const moved = Float64Array.from(first.finalPoints);
  for (let i = 0; i < count; i++) {
    if ((logDensity[i] as number) >= floor) continue;
    const from = good[Math.min(good.length - 1, Math.floor(pick.uniform() * good.length))] as number;
    moved.set(first.finalPoints.subarray(from * d, (from + 1) * d), i * d);
  }
  const second = chainsFrom(moved, "point-chains-moved", first.stepSize, 2);
  return { points: second.finalPoints, stepSize: second.stepSize, restarted };
}

/** The acceptance rate each chain's step size aims for (Roberts and Rosenthal 1998). */
const targetAcceptance = 0.574;
/** The gain of the per-chain step-size update. */
const stepGain = 0.3;

/**
 * `steps` MALA moves of `count` chains, each with its own step size h_c, adapted after every move
 * (`stepAdaptation: "per-chain"`); the moves are runMala's (`malaTransition`).
 */
function perChainMala(
  target: SamplingTarget,
  tf: TensorFlow,
  random: RandomStream,
  initial: Float64Array,
  count: number,
  steps: number,
  h0: number,
  onStep: ((move: number, moves: number) => void) | undefined,
): { finalPoints: Float64Array; stepSize: number } {
  const d = target.dim;
  const evaluate = (points: Float64Array) => evaluateAtPoints(target, tf, points, count);
  const context: ChainContext = { target, tf, random, numChains: count, dim: d, pointDim: d, evaluate };
  const start = evaluate(initial);
  const state: ChainState = { points: Float64Array.from(initial), logDensity: Float64Array.from(start.logDensity), score: Float64Array.from(start.score) };
  const logStep = new Float64Array(count).fill(Math.log(h0));
  const stepOf = (c: number): number => Math.exp(logStep[c] as number);
  for (let step = 0; step < steps; step++) {
    const { acceptanceProbability } = malaTransition(context, state, stepOf);
    for (let c = 0; c < count; c++) logStep[c] = (logStep[c] as number) + stepGain * ((acceptanceProbability[c] as number) - targetAcceptance);
    onStep?.(step + 1, steps);
  }
  const sorted = Float64Array.from(logStep).sort();
  return { finalPoints: state.points, stepSize: Math.exp(sorted[Math.floor((count - 1) / 2)] as number) };
}
