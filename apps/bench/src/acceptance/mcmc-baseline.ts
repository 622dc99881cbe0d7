/**
 * MALA and HMC given the same wall-clock budget as the MNE sampler: a pilot measures the seconds
 * per iteration, then warm-up (30 % of the iterations, step size adapted by dual averaging) and
 * kept draws fill the budget. The pilot's own time is not charged to the budget; the table
 * reports the seconds the baseline actually ran.
 *
 * The pilot runs at least 80 iterations and doubles until it has taken 2 % of the budget (at most
 * 10 s): a pilot of a few hundred milliseconds on a loaded machine misjudged the cost per iteration
 * (MALA once ran 33 s of a 116 s budget). A run that still ends below 85 % of the budget (or above
 * 120 %) is redone from scratch with a fresh stream, its iteration count rescaled by the run's own
 * cost per iteration (by ½…3×, at most two redos) — but only for budgets up to `maxRedoBudget`
 * (300 s): a redo of a long run would double or triple its wall time (the many-well's 968 s MALA
 * baseline was still redoing 40 min later), so a long run is reported with the seconds it ran.
 *
 * Kept draws are thinned to at most `maxKeptPerChain` (5000) per chain: keeping every state of a
 * long budget held 14 GB (32 chains × 32 coordinates × ~10⁶ iterations) and slowed the run past
 * its budget. Thinning by k < the chains' autocorrelation time leaves the ESS nearly unchanged.
 */
import type { RandomStream, SamplingTarget, TensorFlow } from "@minevo/core";
import { runHmc, runMala, type McmcResult } from "@minevo/diffusion";

export interface BaselineRun {
  readonly method: "MALA" | "HMC";
  readonly seconds: number;
  readonly result: McmcResult;
  /** min over coordinates of the chains' effective sample size. */
  readonly ess: number;
  /** Kept draws are every `thin`-th transition after warm-up (1: every one). */
  readonly thin: number;
}

export interface BaselineOptions {
  readonly tf: TensorFlow;
  readonly target: SamplingTarget;
  readonly random: RandomStream;
  readonly budgetSeconds: number;
  readonly numChains: number;
  /** Starting points [numChains, dim + conditionDim]; default N(0, initialScale²) in x. */
  readonly initialPoints?: Float64Array;
  readonly initialScale?: number;
  readonly leapfrogSteps?: number;
  /** Kept draws per chain at most (thinning evenly); default 5000. */
  readonly maxKeptPerChain?: number;
  /** Budgets above this many seconds are not redone when they miss (default 300). */
  readonly maxRedoBudget?: number;
}

export function runBaseline(method: "MALA" | "HMC", options: BaselineOptions): BaselineRun {
  const maxKept = options.maxKeptPerChain ?? 5000;
  const maxRedoBudget = options.maxRedoBudget ?? 300;
  // `iterations` transitions per chain: warm-up, then kept draws every `thin`-th transition.
  const thinning = (keptIterations: number): number => Math.max(1, Math.ceil(keptIterations / maxKept));
  const run = (warmupSteps: number, keptIterations: number, random: RandomStream): McmcResult => {
    const thin = thinning(keptIterations);
    const common = {
      target: options.target,
      tf: options.tf,
      random,
      warmupSteps,
      numSamples: Math.max(4, Math.floor(keptIterations / thin)),
      thin,
      ...(options.initialPoints !== undefined ? { initialPoints: options.initialPoints } : { numChains: options.numChains, initialScale: options.initialScale ?? 1 }),
    };
    return method === "MALA" ? runMala(common) : runHmc({ ...common, leapfrogSteps: options.leapfrogSteps ?? 10 });
  };
  // An untimed first call (JIT, wasm warm-up), then a timed pilot: a cold pilot overestimated the
  // cost per iteration ~4× and left the baseline a quarter of its budget.
  run(10, 10, options.random.derive(`${method}-warm-up`));
  let pilotIterations = 80;
  let perIteration: number;
  for (;;) {
    const start = performance.now();
    run(pilotIterations / 2, pilotIterations / 2, options.random.derive(`${method}-pilot`));
    const pilotSeconds = (performance.now() - start) / 1000;
    perIteration = pilotSeconds / pilotIterations;
    if (pilotSeconds >= Math.min(0.02 * options.budgetSeconds, 10) || pilotIterations * 2 * perIteration > 0.05 * options.budgetSeconds) break;
    pilotIterations *= 2;
  }
  let iterations = Math.max(40, Math.floor(options.budgetSeconds / perIteration));
  let result: McmcResult;
  let seconds: number;
  let thin: number;
  for (let attempt = 0; ; attempt++) {
    const warmup = Math.floor(0.3 * iterations);
    thin = thinning(iterations - warmup);
    const start = performance.now();
    result = run(warmup, iterations - warmup, options.random.derive(attempt === 0 ? method : `${method}-redo-${attempt}`));
    seconds = (performance.now() - start) / 1000;
    const share = seconds / options.budgetSeconds;
    if (attempt === 2 || options.budgetSeconds > maxRedoBudget || (share >= 0.85 && share <= 1.2) || (iterations === 40 && share > 1.2)) break;
    // Rescaled by the run's own cost, within [½, 3]× per redo: the cost is not quite linear in the
    // iterations (the ESS diagnostics), and one wild pilot must not send the next run far past.
    iterations = Math.max(40, Math.floor(iterations * Math.min(3, Math.max(0.5, options.budgetSeconds / seconds))));
  }
  const ess = Math.min(...Array.from(result.effectiveSampleSize));
  return { method, seconds, result, ess, thin };
}
