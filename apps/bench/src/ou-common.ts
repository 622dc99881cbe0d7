/**
 * What the OU benchmarks share: the wasm backend, the recipe solver (from ./recipe.ts: tanh MLP +
 * learnable quadratic, log-density form, λ = 1e-6·tr K/N, dopri5), a Levenberg–Marquardt fit of the initial
 * condition cached on disk (the fit is the slow part and is the same for every cell of a grid),
 * and the relative score error against the exact OU solution on fresh exact samples.
 */
import "@tensorflow/tfjs-backend-wasm";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RandomStream, registries, setTensorFlowBackend, startCholeskyWorker, type Network, type SamplingTarget } from "@minevo/core";
import { exactOuMixture, malaPoints, type ExactOuMixture, type MixtureSpec } from "@minevo/diffusion";
import type { InitialConditionTarget, Solver } from "@minevo/evolution";
import { collocationPoints, median, tf } from "./recipe.js";

export { collocationPoints, median, recipeSolver, tf, type RecipeOptions } from "./recipe.js";

export const benchRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cacheDir = resolve(benchRoot, ".cache");

export async function useWasm(): Promise<void> {
  await setTensorFlowBackend(tf, "wasm", "the wasm backend is needed for this benchmark");
  // Every factorisation of the run on two threads from the start, as the fit and evolve have them,
  // so that a step timed through `prepare` before any evolve is timed alike.
  await startCholeskyWorker();
}


/** Least-squares slope and intercept of log y on log x: the growth exponent of y ∝ x^k. */
export function logLogFit(xs: readonly number[], ys: readonly number[]): { exponent: number; intercept: number } {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const my = ly.reduce((s, v) => s + v, 0) / ly.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < lx.length; i++) {
    sxy += ((lx[i] as number) - mx) * ((ly[i] as number) - my);
    sxx += ((lx[i] as number) - mx) ** 2;
  }
  const exponent = sxy / sxx;
  return { exponent, intercept: my - exponent * mx };
}

/**
 * A two-component mixture in d dimensions that reduces to the reference's 2-D mixture in its
 * first two coordinates (weights 0.3/0.7, means (−2, 0) and (2, 1)); the other coordinates are
 * N(0, 0.8) in both components, so the target stays two-mode and its exact OU solution is known.
 */
export function mixtureInDimension(d: number): MixtureSpec {
  const mean0 = new Array<number>(d).fill(0);
  const mean1 = new Array<number>(d).fill(0);
  mean0[0] = -2;
  mean1[0] = 2;
  mean1[1] = 1;
  const cov0 = new Array<number>(d * d).fill(0);
  const cov1 = new Array<number>(d * d).fill(0);
  for (let i = 0; i < d; i++) {
    cov0[i * d + i] = i < 2 ? 0.5 : 0.8;
    cov1[i * d + i] = i === 0 ? 1 : i === 1 ? 0.6 : 0.8;
  }
  cov1[1] = 0.3;
  cov1[d] = 0.3;
  return { weights: [0.3, 0.7], means: [mean0, mean1], covariances: [cov0, cov1] };
}

/** A single Gaussian N(m, S) in d dimensions (mean 1 in the first coordinate, variances 0.5 … 1.5). */
export function gaussianInDimension(d: number): MixtureSpec {
  const mean = new Array<number>(d).fill(0);
  mean[0] = 1;
  const cov = new Array<number>(d * d).fill(0);
  for (let i = 0; i < d; i++) cov[i * d + i] = 0.5 + (d === 1 ? 0 : i / (d - 1));
  return { weights: [1], means: [mean], covariances: [cov] };
}




/** The mixture `spec` as a formula target (the registered "gmm"), for chains on its formula. */
export function mixtureFormula(spec: MixtureSpec): SamplingTarget {
  const d = spec.means[0]!.length;
  return registries.target.create("gmm", {
    weights: [...spec.weights],
    means: spec.means.map((m) => [...m]),
    covariances: spec.covariances.map((c) => Array.from({ length: d }, (_, i) => c.slice(i * d, (i + 1) * d))),
  }) as SamplingTarget;
}

/**
 * N collocation points from the formula alone — the end points of 300-step MALA chains on the
 * mixture's π̃ (`malaPoints`) — and 2N fit points: those moved by N(0, 0.5²I), then the points.
 */
export function malaCollocation(spec: MixtureSpec, numPoints: number, random: RandomStream): { points: Float64Array; fitPoints: Float64Array; stepSize: number; restarted: number } {
  const chains = malaPoints({ tf, target: mixtureFormula(spec), random: random.derive("points"), count: numPoints });
  const points = chains.points;
  const jitter = random.derive("fit-jitter").fillNormal(new Float64Array(points.length), 0, 0.5);
  const fitPoints = new Float64Array(2 * points.length);
  for (let i = 0; i < points.length; i++) fitPoints[i] = (points[i] as number) + (jitter[i] as number);
  fitPoints.set(points, points.length);
  return { points, fitPoints, stepSize: chains.stepSize, restarted: chains.restarted };
}

export interface CachedFit {
  readonly parameters: Float64Array;
  readonly seconds: number;
  readonly valueRms: number;
  readonly iterations: number;
  readonly cached: boolean;
}

/**
 * The recipe's initial fit of u_θ to log ρ₀ (formula only, weight decay 1e-4) at `numFit` broad
 * points N(0, 9I) plus 1000 collocation points, cached under apps/bench/.cache by `key`.
 */
export async function fitRecipe(
  solver: Solver,
  exact: ExactOuMixture,
  key: string,
  options: { numFit?: number; iterations?: number; given?: { fitPoints: Float64Array; checkPoints: Float64Array } } = {},
): Promise<CachedFit> {
  const file = resolve(cacheDir, `${key}.json`);
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8")) as { parameters: number[]; seconds: number; valueRms: number; iterations: number };
    if (saved.parameters.length === solver.network.numParameters) {
      return { ...saved, parameters: Float64Array.from(saved.parameters), cached: true };
    }
  }
  const d = exact.dim;
  const numFit = options.numFit ?? 2000;
  const random = RandomStream.fromSeed(`bench-fit-${key}`);
  let fitPoints: Float64Array = new Float64Array((numFit + 1000) * d);
  fitPoints.set(random.derive("broad").fillNormal(new Float64Array(numFit * d), 0, 3));
  let check: Float64Array = collocationPoints(1000, d);
  fitPoints.set(check, numFit * d);
  if (options.given !== undefined) ({ fitPoints, checkPoints: check } = options.given);
  const start = performance.now();
  const fit = await solver.fitInitialCondition({
    points: fitPoints,
    checkPoints: check,
    target: exactInitialCondition(exact),
    weightDecay: 1e-4,
    maxIterations: options.iterations ?? 100,
  });
  const seconds = (performance.now() - start) / 1000;
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(file, JSON.stringify({ parameters: Array.from(fit.parameters), seconds, valueRms: fit.valueRms, iterations: fit.iterations }));
  return { parameters: fit.parameters, seconds, valueRms: fit.valueRms, iterations: fit.iterations, cached: false };
}

/** The fit's target: log ρ₀ of the exact solution with its score and Laplacian (the formula only). */
export function exactInitialCondition(exact: ExactOuMixture): InitialConditionTarget {
  const at0 = (x: Float64Array) => exact.evaluate(0, x);
  return {
    value: (x) => at0(x).logDensity[0] as number,
    gradient: (x) => at0(x).score,
    laplacian: (x) => at0(x).laplacian[0] as number,
  };
}

/** E|∇u_θ − ∇log ρ_t|² / E|∇log ρ_t|² on `count` fresh exact samples of ρ_t. */
export async function relativeScoreError(network: Network, parameters: Float64Array, exact: ExactOuMixture, t: number, count = 2000): Promise<number> {
  const d = exact.dim;
  const samples = exact.sample(t, RandomStream.fromSeed(`bench-check-${t}`), count);
  const truth = exact.evaluate(t, samples);
  const sampleTensor = tf.tensor2d(Float32Array.from(samples), [count, d]);
  const evaluation = network.evaluate(tf, parameters, sampleTensor, { gradient: true });
  const gradient = await evaluation.gradient!.data();
  evaluation.dispose();
  sampleTensor.dispose();
  let num = 0;
  let den = 0;
  for (let i = 0; i < count * d; i++) {
    num += ((gradient[i] as number) - (truth.score[i] as number)) ** 2;
    den += (truth.score[i] as number) ** 2;
  }
  return num / den;
}

/** Seconds per right-hand side at t = 0 (median of `repeats`, after one warm-up when repeats > 1) and the r_λ seen. */
export async function timePerRhs(solver: Solver, parameters: Float64Array, points: Float64Array, repeats: number): Promise<{ seconds: number; effectiveRank: number }> {
  const run = solver.prepare({ parameters, points });
  try {
    // A warm-up evaluation (kernel set-up, allocations) unless only one, expensive, run is asked for.
    if (repeats > 1) await run.rhs(0, run.initialState);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const start = performance.now();
      await run.rhs(0, run.initialState);
      times.push((performance.now() - start) / 1000);
    }
    return { seconds: median(times), effectiveRank: run.vectorField.lastDiagnostics?.effectiveRank ?? Number.NaN };
  } finally {
    run.dispose();
  }
}

export function exactFor(spec: MixtureSpec): ExactOuMixture {
  return exactOuMixture(spec);
}
