/**
 * A defensive floor under the initial condition (`defensive` in runOuSampler): fit u_θ(0) to
 *
 *     log(π̃(x) + c·φ_s(x)),   φ_s the N(0, s²I) density,   c = Ẑ·w/(1 − w),
 *
 * instead of log π̃ — the sampler's density then starts as the mixture (1 − w)·π + w·N(0, s²I)
 * (Hesterberg's defensive importance sampling), with Ẑ an estimate of π̃'s normaliser from
 * tempered SMC. The importance weights π̃/q₀ are taken against π̃ itself, so the floor costs
 * about a fraction w of the effective sample size and biases nothing.
 *
 * Why: collocation and fit points only where π has its mass leave the model unconstrained
 * elsewhere, and at small t it can stop being normalisable there — the reverse flow then throws
 * draws far out (banana attempt 17: |x| ~ 10⁵). Broad points with log π̃'s own values do not
 * help: a quartic target's tails reach −10⁴ there and swamp the fit (banana attempts 1 and 16).
 * Under the floor the values at broad points are a Gaussian's, which the quadratic term carries,
 * so broad points can keep the model a density everywhere.
 */
import { ErrorCode, MinevoError, quote } from "@minevo/core";

/** `defensive` of runOuSampler; the fields left out take their defaults. */
export interface DefensiveOptions {
  /** w: the floor's share of the initial density's mass, in (0, 1). Default 0.05. */
  readonly weight?: number;
  /** s of the floor's N(0, s²I) (in the coordinates the sampler runs in). Default pointScale. */
  readonly scale?: number;
  /**
   * log Ẑ: π̃'s normaliser, which sets the floor's height. Default: the tempered-SMC estimate of
   * the standardising pilot or of `pointSource: "smc"` (one of them is then required).
   */
  readonly logZ?: number;
}

export interface ResolvedDefensive {
  readonly weight: number;
  readonly scale: number;
  readonly logZ?: number;
}

/** `defensive` with its defaults filled in; undefined when off. */
export function resolveDefensive(value: boolean | number | DefensiveOptions | undefined, pointScale: number): ResolvedDefensive | undefined {
  if (value === undefined || value === false) return undefined;
  const given: DefensiveOptions = value === true ? {} : typeof value === "number" ? { weight: value } : value;
  if (typeof given !== "object" || given === null) {
    throw new MinevoError(ErrorCode.InvalidOptions, `defensive must be true, a weight in (0, 1) or { weight, scale, logZ }, got ${quote(value)}`, { field: "defensive" });
  }
  const weight = given.weight ?? 0.05;
  if (!(weight > 0 && weight < 1)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `defensive.weight must be in (0, 1) (the floor's share of the initial mass), got ${quote(weight)}`, { field: "defensive.weight" });
  }
  const scale = given.scale ?? pointScale;
  if (!(Number.isFinite(scale) && scale > 0)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `defensive.scale must be a finite positive number, got ${quote(scale)}`, { field: "defensive.scale" });
  }
  if (given.logZ !== undefined && !Number.isFinite(given.logZ)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `defensive.logZ must be a finite number, got ${quote(given.logZ)}`, { field: "defensive.logZ" });
  }
  return { weight, scale, ...(given.logZ !== undefined ? { logZ: given.logZ } : {}) };
}

/**
 * log(π̃ + c·φ_s) and its gradient at count×d points, from log π̃ and its score there (float64,
 * overflow-free: a log-sum-exp of the two terms).
 */
export function defensiveValues(
  points: Float64Array,
  d: number,
  logDensity: Float64Array,
  score: Float64Array,
  floor: { readonly weight: number; readonly scale: number; readonly logZ: number },
): { readonly logDensity: Float64Array; readonly score: Float64Array } {
  const count = logDensity.length;
  const s2 = floor.scale * floor.scale;
  const logHeight = floor.logZ + Math.log(floor.weight / (1 - floor.weight)) - 0.5 * d * Math.log(2 * Math.PI * s2);
  const values = new Float64Array(count);
  const gradients = new Float64Array(count * d);
  for (let j = 0; j < count; j++) {
    let r2 = 0;
    for (let k = 0; k < d; k++) r2 += (points[j * d + k] as number) ** 2;
    const f = logHeight - r2 / (2 * s2);
    const l = logDensity[j] as number;
    const top = Math.max(l, f);
    values[j] = top + Math.log(Math.exp(l - top) + Math.exp(f - top));
    // The share of π̃ in the sum at this point; the rest is the floor's.
    const share = l === Number.NEGATIVE_INFINITY ? 0 : 1 / (1 + Math.exp(f - l));
    for (let k = 0; k < d; k++) {
      const floorGradient = -(points[j * d + k] as number) / s2;
      gradients[j * d + k] = share === 0 ? floorGradient : share * (score[j * d + k] as number) + (1 - share) * floorGradient;
    }
  }
  return { logDensity: values, score: gradients };
}
