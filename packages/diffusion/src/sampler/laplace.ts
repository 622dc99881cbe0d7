/**
 * The blur's posterior by Laplace's method (`smoothing: { method: "laplace" }`).
 *
 * With a blur x = y + s z, y ~ π, z ~ N(0, I), the blurred density is
 *
 *     π̃_s(x) = ∫ π̃(y) N(x; y, s²I) dy,
 *
 * and the posterior of y given x is p(y | x) ∝ π̃(y) N(x; y, s²I). Where π has features narrower
 * than s (a funnel's neck), the blur's own draws y = x − s z rarely land where π̃ is large, so
 * `smoothedTarget`'s estimate is noisy, and reweighting draws x of π_s by π̃(x)/q(x) degenerates.
 * Both are mended by drawing y from a Gaussian fitted to p(y | x) at its mode:
 *
 *     y* = argmax φ(y),  φ(y) = log π̃(y) − |y − x|²/(2s²),
 *     A = −∇²log π̃(y*) + I/s²  (eigenvalues floored at 1/(2s²): φ need not be concave),
 *     g(y | x) = N(y; y*, A⁻¹).
 *
 * Then, with draws y_k ~ g(· | x),
 *
 *     π̃_s(x) = E_g[π̃(y) N(x; y, s²I) / g(y | x)],
 *     ∇log π̃_s(x) = E_{p(y|x)}[y − x]/s²                      (Tweedie's formula),
 *
 * both exact whatever g (self-normalised for the score), and exact with one draw when π is
 * Gaussian. For sampling, a draw x of the model q of π_s is carried back to y ~ g(· | x), and the
 * pair's importance weight
 *
 *     w = π̃(y) N(x; y, s²I) / (q(x) g(y | x))
 *
 * has E[w f(y)] = Z E_π[f] exactly: the draws y are draws of π itself, and the blur is removed
 * without the degeneracy of π̃(x)/q(x), since g puts y where π̃ is large at the scale π has there.
 *
 * ∇²log π̃ is taken by central differences of the target's score (step h = 0.01·s, the scale
 * below which the posterior lives), so any target with a score serves; the Newton iterations and
 * g are float64 on the CPU, the target's evaluations batched on the backend.
 */
import { ErrorCode, MinevoError, quote, symmetricEigen, type RandomStream, type SamplingTarget, type TensorFlow } from "@minevo/core";
import { evaluateTarget } from "./evaluate-target.js";
import { antitheticNormals } from "./smoothing.js";

/** Rows of target evaluations per batch. */
const batchRows = 1 << 15;

/** The Gaussian g(· | x) per point: y = mode + root·ε, ε ~ N(0, I). */
export interface BlurPosterior {
  readonly dim: number;
  /** y*, count×d. */
  readonly mode: Float64Array;
  /** A^{−1/2} = V Λ^{−1/2} (row-major d×d per point), count×d×d. */
  readonly root: Float64Array;
  /** ½ log det A per point (the normaliser of g). */
  readonly halfLogDetPrecision: Float64Array;
  /** Newton iterations used (the most over the points). */
  readonly iterations: number;
  /** Points whose Newton iteration had not converged when `maxIterations` was reached. */
  readonly unconverged: number;
}

export interface BlurPosteriorOptions {
  /** Newton iterations at most. Default 40. */
  readonly maxIterations?: number;
}

/** log π̃ and its score at `points` (count×d), in slices; checked finite. */
async function scoreAndValue(tf: TensorFlow, target: SamplingTarget, points: Float64Array, what: string): Promise<{ value: Float64Array; score: Float64Array }> {
  const d = target.dim;
  const count = points.length / d;
  const value = new Float64Array(count);
  const score = new Float64Array(count * d);
  for (let first = 0; first < count; first += batchRows) {
    const rows = Math.min(batchRows, count - first);
    const evaluated = await evaluateTarget(tf, target, points.subarray(first * d, (first + rows) * d), rows);
    value.set(evaluated.logDensity, first);
    score.set(evaluated.score, first * d);
  }
  for (let j = 0; j < count; j++) {
    const v = value[j] as number;
    if (Number.isNaN(v) || v === Number.POSITIVE_INFINITY) {
      throw new MinevoError(ErrorCode.NonFinite, `log π̃ of target "${target.name}" is ${v} at ${quote(Array.from(points.subarray(j * d, (j + 1) * d)))} (${what}); fix the target's formula there`, {
        point: Array.from(points.subarray(j * d, (j + 1) * d)),
      });
    }
  }
  return { value, score };
}

/**
 * The Laplace approximation g(· | x) of the blur's posterior p(y | x) ∝ π̃(y) N(x; y, s²I) at
 * each of `x` (count×d): damped Newton iterations on φ from y = x, then A at the mode.
 */
export async function blurPosterior(tf: TensorFlow, target: SamplingTarget, x: Float64Array, scale: number, options: BlurPosteriorOptions = {}): Promise<BlurPosterior> {
  const d = target.dim;
  if (x.length % d !== 0) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `blurPosterior: ${x.length} coordinates are not a whole number of points of dimension ${d}`);
  }
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new MinevoError(ErrorCode.InvalidArgument, `blurPosterior: the blur scale must be a finite number > 0, got ${quote(scale)}`);
  }
  const count = x.length / d;
  const maxIterations = options.maxIterations ?? 40;
  if (!Number.isSafeInteger(maxIterations) || maxIterations < 0) {
    throw new MinevoError(ErrorCode.InvalidArgument, `blurPosterior: maxIterations must be a non-negative integer, got ${quote(maxIterations)}`);
  }
  const s2 = scale * scale;
  const h = 0.01 * scale;
  const floor = 0.5 / s2;
  const mode = Float64Array.from(x);
  const root = new Float64Array(count * d * d);
  const halfLogDetPrecision = new Float64Array(count);
  const phiAt = new Float64Array(count);
  // Points whose g is stored: those that converged (g at the mode they stopped at), so that the
  // final pass evaluates the Hessian again only where a step moved the point after its last one.
  const stored = new Uint8Array(count);
  let active = [...Array(count).keys()];
  let iterations = 0;
  const what = `the blur's posterior, smoothing scale ${scale}`;
  const phi = (value: number, y: Float64Array, j: number): number => {
    let r2 = 0;
    for (let c = 0; c < d; c++) r2 += ((y[c] as number) - (x[j * d + c] as number)) ** 2;
    return value - r2 / (2 * s2);
  };
  // One pass: the score and the central-difference Hessian at the active points' current y, then
  // (unless final) the Newton step with a backtracking line search on φ.
  const pass = async (final: boolean): Promise<void> => {
    const rowsPer = 1 + 2 * d;
    const at = new Float64Array(active.length * rowsPer * d);
    active.forEach((j, a) => {
      const base = a * rowsPer * d;
      for (let r = 0; r < rowsPer; r++) at.set(mode.subarray(j * d, (j + 1) * d), base + r * d);
      for (let c = 0; c < d; c++) {
        at[base + (1 + 2 * c) * d + c] = (at[base + (1 + 2 * c) * d + c] as number) + h;
        at[base + (2 + 2 * c) * d + c] = (at[base + (2 + 2 * c) * d + c] as number) - h;
      }
    });
    const { value, score } = await scoreAndValue(tf, target, at, what);
    const steps = new Float64Array(active.length * d);
    const decrement = new Float64Array(active.length);
    const precision = new Float64Array(d * d);
    active.forEach((j, a) => {
      const base = a * rowsPer;
      phiAt[j] = phi(value[base] as number, mode.subarray(j * d, (j + 1) * d), j);
      for (let c = 0; c < d; c++) {
        for (let r = 0; r < d; r++) {
          // ∂_c score_r, symmetrised below.
          precision[r * d + c] = -((score[(base + 1 + 2 * c) * d + r] as number) - (score[(base + 2 + 2 * c) * d + r] as number)) / (2 * h);
        }
      }
      for (let r = 0; r < d; r++) {
        for (let c = 0; c < r; c++) {
          const mean = 0.5 * ((precision[r * d + c] as number) + (precision[c * d + r] as number));
          precision[r * d + c] = mean;
          precision[c * d + r] = mean;
        }
        precision[r * d + r] = (precision[r * d + r] as number) + 1 / s2;
      }
      if (!precision.every(Number.isFinite)) {
        throw new MinevoError(ErrorCode.NonFinite, `the score of target "${target.name}" is not finite near ${quote(Array.from(mode.subarray(j * d, (j + 1) * d)))} (${what}); fix the target's gradient there`);
      }
      const { values, vectors } = symmetricEigen({ rows: d, cols: d, data: precision });
      const lambda = values.map((v) => Math.max(v, floor));
      const store = (): void => {
        let half = 0;
        for (let k = 0; k < d; k++) {
          half += 0.5 * Math.log(lambda[k] as number);
          const inv = 1 / Math.sqrt(lambda[k] as number);
          for (let r = 0; r < d; r++) root[j * d * d + r * d + k] = (vectors.data[r * d + k] as number) * inv;
        }
        halfLogDetPrecision[j] = half;
        stored[j] = 1;
      };
      if (final) {
        store();
        return;
      }
      // Newton step δ = V Λ⁻¹ Vᵀ ∇φ.
      const gradient = new Float64Array(d);
      for (let c = 0; c < d; c++) gradient[c] = (score[base * d + c] as number) - ((mode[j * d + c] as number) - (x[j * d + c] as number)) / s2;
      for (let k = 0; k < d; k++) {
        let dot = 0;
        for (let r = 0; r < d; r++) dot += (vectors.data[r * d + k] as number) * (gradient[r] as number);
        decrement[a] = (decrement[a] as number) + (dot * dot) / (lambda[k] as number);
        dot /= lambda[k] as number;
        for (let r = 0; r < d; r++) steps[a * d + r] = (steps[a * d + r] as number) + (vectors.data[r * d + k] as number) * dot;
      }
      if ((decrement[a] as number) < 1e-6) store();
    });
    if (final) return;
    // A point has converged when the Newton decrement ∇φᵀA⁻¹∇φ (twice the rise in φ the step
    // predicts) is below 1e-6. The others backtrack: halve the step until φ does not fall (float32
    // values: a fall below 1e-5·(1 + |φ|) counts as none), at most 20 times; a point that found
    // no ascent stops where it is.
    let pending = active.flatMap((j, a) => ((decrement[a] as number) < 1e-6 ? [] : [{ j, a, t: 1 }]));
    const next: number[] = [];
    for (let halving = 0; halving <= 20 && pending.length > 0; halving++) {
      const trial = new Float64Array(pending.length * d);
      pending.forEach(({ j, a, t }, k) => {
        for (let c = 0; c < d; c++) trial[k * d + c] = (mode[j * d + c] as number) + t * (steps[a * d + c] as number);
      });
      const { value } = await scoreAndValue(tf, target, trial, what);
      const retry: typeof pending = [];
      pending.forEach((p, k) => {
        const y = trial.subarray(k * d, (k + 1) * d);
        const now = phi(value[k] as number, y, p.j);
        const before = phiAt[p.j] as number;
        if (Number.isFinite(now) && now >= before - 1e-5 * (1 + Math.abs(before))) {
          mode.set(y, p.j * d);
          next.push(p.j);
        } else if (halving < 20) {
          retry.push({ ...p, t: p.t / 2 });
        }
      });
      pending = retry;
    }
    active = next;
  };
  while (active.length > 0 && iterations < maxIterations) {
    await pass(false);
    iterations++;
  }
  const unconverged = active.length;
  active = [...Array(count).keys()].filter((j) => stored[j] === 0);
  if (active.length > 0) await pass(true);
  return { dim: d, mode, root, halfLogDetPrecision, iterations, unconverged };
}

/** y = y* + A^{−1/2} ε per point, and log g(y | x) (ε: count×d standard normal draws). */
export function drawFromPosterior(posterior: BlurPosterior, epsilon: Float64Array, point: number, out: Float64Array): number {
  const d = posterior.dim;
  let e2 = 0;
  for (let r = 0; r < d; r++) {
    let v = posterior.mode[point * d + r] as number;
    for (let k = 0; k < d; k++) v += (posterior.root[point * d * d + r * d + k] as number) * (epsilon[k] as number);
    out[r] = v;
  }
  for (let k = 0; k < d; k++) e2 += (epsilon[k] as number) ** 2;
  return -0.5 * e2 - 0.5 * d * Math.log(2 * Math.PI) + (posterior.halfLogDetPrecision[point] as number);
}

/** Points per call of blurPosterior: its work arrays ((2d + 1)·d numbers per point, and d² for g) stay near 2²² numbers. */
function pointsPerBlock(d: number): number {
  return Math.max(1, Math.floor((1 << 22) / (d * (2 * d + 1) + d * d)));
}

/**
 * `draws` draws y of g(· | x) per point of `x` (ε for point j's k-th draw from `epsilon(j, k)`),
 * and log g at each, the posteriors fitted block by block so that memory stays bounded in d.
 */
async function drawPosteriors(
  tf: TensorFlow,
  target: SamplingTarget,
  x: Float64Array,
  scale: number,
  draws: number,
  epsilon: (point: number, draw: number) => Float64Array,
  block: number,
): Promise<{ ys: Float64Array; logG: Float64Array; iterations: number; unconverged: number }> {
  const d = target.dim;
  const count = x.length / d;
  const ys = new Float64Array(count * draws * d);
  const logG = new Float64Array(count * draws);
  let iterations = 0;
  let unconverged = 0;
  for (let first = 0; first < count; first += block) {
    const n = Math.min(block, count - first);
    const posterior = await blurPosterior(tf, target, x.subarray(first * d, (first + n) * d), scale);
    iterations = Math.max(iterations, posterior.iterations);
    unconverged += posterior.unconverged;
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < draws; k++) {
        const row = (first + j) * draws + k;
        logG[row] = drawFromPosterior(posterior, epsilon(first + j, k), j, ys.subarray(row * d, (row + 1) * d));
      }
    }
  }
  return { ys, logG, iterations, unconverged };
}

/** log N(x; y, s²I). */
function logBlurKernel(x: Float64Array, y: Float64Array, scale: number): number {
  let r2 = 0;
  for (let c = 0; c < x.length; c++) r2 += ((x[c] as number) - (y[c] as number)) ** 2;
  return -r2 / (2 * scale * scale) - x.length * Math.log(scale) - 0.5 * x.length * Math.log(2 * Math.PI);
}

/**
 * log π̃_s and its score at `points` (count×d) by importance sampling from the Laplace posterior:
 * K = `draws` fixed antithetic draws ε (the same for every point, so the estimate is smooth in x).
 * `effectiveDraws` as in `smoothedTarget`: K when g is the exact posterior.
 */
export async function laplaceSmoothedTarget(
  tf: TensorFlow,
  target: SamplingTarget,
  points: Float64Array,
  options: { readonly scale: number; readonly draws: number },
  random: RandomStream,
  /** Points per Newton batch (default: memory near 2²² numbers); the results do not depend on it. */
  block: number = pointsPerBlock(target.dim),
): Promise<{ logDensity: Float64Array; score: Float64Array; effectiveDraws: Float64Array; newtonIterations: number; unconverged: number }> {
  const d = target.dim;
  const count = points.length / d;
  const { scale, draws } = options;
  const epsilon = antitheticNormals(random, draws, d);
  const { ys, logG, iterations, unconverged } = await drawPosteriors(tf, target, points, scale, draws, (_, k) => epsilon.subarray(k * d, (k + 1) * d), block);
  const { value } = await scoreAndValue(tf, target, ys, `a draw of the blur's posterior, smoothing scale ${scale}`);
  const logDensity = new Float64Array(count);
  const score = new Float64Array(count * d);
  const effectiveDraws = new Float64Array(count);
  const logV = new Float64Array(draws);
  for (let j = 0; j < count; j++) {
    const x = points.subarray(j * d, (j + 1) * d);
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < draws; k++) {
      const row = j * draws + k;
      logV[k] = (value[row] as number) + logBlurKernel(x, ys.subarray(row * d, (row + 1) * d), scale) - (logG[row] as number);
      max = Math.max(max, logV[k] as number);
    }
    if (max === Number.NEGATIVE_INFINITY) {
      throw new MinevoError(ErrorCode.NonFinite, `log π̃ of target "${target.name}" is −∞ at every draw of the blur's posterior at the fit point ${quote(Array.from(x))} (smoothing scale ${scale}): move the fit points where π̃ > 0`, { point: Array.from(x) });
    }
    let sum = 0;
    let sumSquares = 0;
    for (let k = 0; k < draws; k++) {
      const w = Math.exp((logV[k] as number) - max);
      sum += w;
      sumSquares += w * w;
      const row = j * draws + k;
      for (let c = 0; c < d; c++) score[j * d + c] = (score[j * d + c] as number) + w * ((ys[row * d + c] as number) - (x[c] as number));
    }
    for (let c = 0; c < d; c++) score[j * d + c] = (score[j * d + c] as number) / (sum * scale * scale);
    logDensity[j] = max + Math.log(sum) - Math.log(draws);
    effectiveDraws[j] = (sum * sum) / sumSquares;
  }
  return { logDensity, score, effectiveDraws, newtonIterations: iterations, unconverged };
}

/**
 * Carries draws x of (a model of) π_s back to draws y of π: y ~ g(· | x), and per draw
 * log π̃(y) and log c = log N(x; y, s²I) − log g(y | x), so that the pair's log weight is
 * log π̃(y) + log c − log q(x).
 */
export async function denoiseByLaplace(
  tf: TensorFlow,
  target: SamplingTarget,
  x: Float64Array,
  scale: number,
  random: RandomStream,
  /** Points per Newton batch (default: memory near 2²² numbers); the results do not depend on it. */
  block: number = pointsPerBlock(target.dim),
): Promise<{ samples: Float64Array; logTargetDensity: Float64Array; logCorrection: Float64Array; newtonIterations: number; unconverged: number }> {
  const d = target.dim;
  const count = x.length / d;
  const epsilon = random.fillNormal(new Float64Array(count * d), 0, 1);
  const { ys: samples, logG, iterations, unconverged } = await drawPosteriors(tf, target, x, scale, 1, (j) => epsilon.subarray(j * d, (j + 1) * d), block);
  const logCorrection = new Float64Array(count);
  for (let j = 0; j < count; j++) logCorrection[j] = logBlurKernel(x.subarray(j * d, (j + 1) * d), samples.subarray(j * d, (j + 1) * d), scale) - (logG[j] as number);
  const { value } = await scoreAndValue(tf, target, samples, `a draw of the blur's posterior, smoothing scale ${scale}`);
  return { samples, logTargetDensity: value, logCorrection, newtonIterations: iterations, unconverged };
}
