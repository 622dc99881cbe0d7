/**
 * A blurred initial condition (`runOuSampler`'s `smoothing`): fit u_θ(0) to
 *
 *     log π̃_s(x) = log ∫ π̃(x − s z) φ(z) dz = log E_z[π̃(x − s z)],   z ~ N(0, I),
 *
 * the log of π̃ convolved with N(0, s²I), instead of log π̃ itself. Convolution keeps the mass,
 * so π̃_s has the same Z and log Ẑ, the forward log Z and the flow-consistency check read as
 * before. The sampler then draws from (its model of) π_s = π ∗ N(0, s²I); the importance weights
 * π̃/q₀ use π̃ itself, so they remove the blur along with the model's error, at the cost of some
 * ESS where π has features narrower than s.
 *
 * Why: log π̃ may have features the network cannot fit and the evolution cannot follow — kinks
 * between the narrow modes of a mixture, a curved valley a fraction of a unit wide, quartic
 * tails. The log-density of a Gaussian convolution is semi-convex, ∇²log π̃_s ⪰ −I/s², so the
 * blur caps the curvature the model must carry at 1/s², and with it the stiffness of the
 * log-density Fokker–Planck right-hand side at t = 0 (docs/design.md).
 *
 * The expectation is taken over one fixed set of K draws z₁…z_K in antithetic pairs (±z), the
 * same for every x, so the fitted function is smooth in x:
 *
 *     log π̃_s(x) ≈ logsumexp_k log π̃(x − s z_k) − log K,
 *     ∇log π̃_s(x) ≈ Σ_k w_k ∇log π̃(x − s z_k),   w = softmax_k log π̃(x − s z_k).
 *
 * The estimate is good while s·|∇log π̃| is a few units at most over the fit points (then the
 * weights w spread over many draws); the sampler reports the draws' effective number per point.
 */
import { ErrorCode, MinevoError, quote, type RandomStream, type SamplingTarget, type TensorFlow } from "@minevo/core";

export interface SmoothingOptions {
  /** s, the standard deviation of the Gaussian blur. */
  readonly scale: number;
  /** K, the number of draws (even: antithetic pairs). Default 256, or 16 with `method: "laplace"`. */
  readonly draws?: number;
  /**
   * How the blur is estimated and removed. "draws" (the default): the fit's values from the blur's
   * own draws x − s z, and the importance weights π̃(x)/q₀(x) at the model's draws x. "laplace":
   * draws of the blur's posterior p(y | x) by Laplace's method, for the fit's values and to carry
   * each model draw x back to a draw y of π, weighted π̃(y)N(x; y, s²I)/(q₀(x)g(y | x))
   * (laplace.ts) — for targets with features narrower than s, such as a funnel's neck, where the
   * plain weights lose them. The returned samples are then the y.
   */
  readonly method?: "draws" | "laplace";
}

export const smoothingDefaults = { draws: 256, laplaceDraws: 16 } as const;

/** `smoothing` resolved: method "laplace" is named, the default "draws" is not (a run's settings as before). */
export interface ResolvedSmoothing {
  readonly scale: number;
  readonly draws: number;
  readonly method?: "laplace";
}

/** `smoothing` checked, with its defaults; undefined: none. */
export function resolveSmoothing(value: unknown): ResolvedSmoothing | undefined {
  if (value === undefined) return undefined;
  const given = typeof value === "number" ? { scale: value } : value;
  if (typeof given !== "object" || given === null) {
    throw new MinevoError(ErrorCode.InvalidOptions, `smoothing must be a blur scale s > 0 or { scale, draws, method }, got ${quote(value)}`, { field: "smoothing" });
  }
  const { scale, method = "draws", ...rest } = given as { scale?: unknown; draws?: unknown; method?: unknown };
  if (method !== "draws" && method !== "laplace") {
    throw new MinevoError(ErrorCode.InvalidOptions, `smoothing.method must be "draws" or "laplace", got ${quote(method)}`, { field: "smoothing.method" });
  }
  const draws = rest.draws ?? (method === "laplace" ? smoothingDefaults.laplaceDraws : smoothingDefaults.draws);
  if (typeof scale !== "number" || !(scale > 0) || !Number.isFinite(scale)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `smoothing.scale must be a finite number > 0 (the blur's standard deviation), got ${quote(scale)}`, { field: "smoothing.scale" });
  }
  if (typeof draws !== "number" || !Number.isSafeInteger(draws) || draws < 2 || draws % 2 !== 0) {
    throw new MinevoError(ErrorCode.InvalidOptions, `smoothing.draws must be an even integer ≥ 2 (antithetic pairs), got ${quote(draws)}`, { field: "smoothing.draws" });
  }
  return method === "laplace" ? { scale, draws, method } : { scale, draws };
}

export interface SmoothedValues {
  /** log π̃_s at each point. */
  readonly logDensity: Float64Array;
  /** ∇log π̃_s, count×d. */
  readonly score: Float64Array;
  /** Per point, the effective number of draws 1/Σw_k² (K when π̃ is flat over the blur, 1 when one draw dominates). */
  readonly effectiveDraws: Float64Array;
}

/** `draws` standard normal d-vectors in antithetic pairs (z, −z), draws×d: the first half drawn, the second its negation. */
export function antitheticNormals(random: RandomStream, draws: number, d: number): Float64Array {
  const half = random.fillNormal(new Float64Array((draws / 2) * d), 0, 1);
  const out = new Float64Array(draws * d);
  out.set(half);
  for (let i = 0; i < half.length; i++) out[half.length + i] = -(half[i] as number);
  return out;
}

/** Rows of target evaluations per batch (the points × draws are evaluated in slices of this many). */
const batchRows = 1 << 15;

/** log π̃_s and its score at `points` (count×d), by the fixed antithetic draws of `random`. */
export async function smoothedTarget(tf: TensorFlow, target: SamplingTarget, points: Float64Array, options: { readonly scale: number; readonly draws: number }, random: RandomStream): Promise<SmoothedValues> {
  const d = target.dim;
  const count = points.length / d;
  const { scale, draws } = options;
  const offsets = antitheticNormals(random, draws, d).map((z) => -scale * z);
  const logDensity = new Float64Array(count);
  const score = new Float64Array(count * d);
  const effectiveDraws = new Float64Array(count);
  const pointsPerBatch = Math.max(1, Math.floor(batchRows / draws));
  const logK = Math.log(draws);
  for (let first = 0; first < count; first += pointsPerBatch) {
    const inBatch = Math.min(pointsPerBatch, count - first);
    const shifted = new Float32Array(inBatch * draws * d);
    for (let j = 0; j < inBatch; j++) {
      const x = (first + j) * d;
      for (let k = 0; k < draws; k++) {
        const row = (j * draws + k) * d;
        for (let c = 0; c < d; c++) shifted[row + c] = (points[x + c] as number) + (offsets[k * d + c] as number);
      }
    }
    const y = tf.tensor2d(shifted, [inBatch * draws, d]);
    let values: Float32Array;
    let gradients: Float32Array;
    try {
      const evaluated = target.scoreAndLogDensity(y, tf);
      try {
        [values, gradients] = (await Promise.all([evaluated.logDensity.data(), evaluated.score.data()])) as [Float32Array, Float32Array];
      } finally {
        tf.dispose([evaluated.logDensity, evaluated.score]);
      }
    } finally {
      y.dispose();
    }
    for (let j = 0; j < inBatch; j++) {
      const base = j * draws;
      const at = () => Array.from(points.subarray((first + j) * d, (first + j + 1) * d));
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < draws; k++) {
        const value = values[base + k] as number;
        // −∞ (zero density) is allowed; NaN and +∞ are not.
        if (Number.isNaN(value) || value === Number.POSITIVE_INFINITY) {
          throw new MinevoError(ErrorCode.NonFinite, `log π̃ of target "${target.name}" is ${value} at a blurred copy of the fit point ${quote(at())} (smoothing.scale ${scale}); fix the target's formula there`, { point: at() });
        }
        max = Math.max(max, value);
      }
      if (max === Number.NEGATIVE_INFINITY) {
        throw new MinevoError(ErrorCode.NonFinite, `log π̃ of target "${target.name}" is −∞ at every blurred copy of the fit point ${quote(at())} (smoothing.scale ${scale}): move the fit points where π̃ > 0, or widen the blur`, { point: at() });
      }
      let sum = 0;
      let sumSquares = 0;
      const out = (first + j) * d;
      for (let k = 0; k < draws; k++) {
        const w = Math.exp((values[base + k] as number) - max);
        sum += w;
        sumSquares += w * w;
        for (let c = 0; c < d; c++) score[out + c] = (score[out + c] as number) + w * (gradients[(base + k) * d + c] as number);
      }
      for (let c = 0; c < d; c++) {
        score[out + c] = (score[out + c] as number) / sum;
        if (!Number.isFinite(score[out + c])) {
          throw new MinevoError(ErrorCode.NonFinite, `the score of target "${target.name}" is not finite at a blurred copy of the fit point ${quote(at())} (smoothing.scale ${scale}); fix the target's gradient there`, { point: at() });
        }
      }
      logDensity[first + j] = max + Math.log(sum) - logK;
      effectiveDraws[first + j] = (sum * sum) / sumSquares;
    }
  }
  return { logDensity, score, effectiveDraws };
}
