/**
 * Convergence checks for MCMC output, in float64: the Monte-Carlo standard error of a mean
 * (sd/√ESS) and the split potential scale reduction R̂ of Gelman et al. (BDA3, §11.4).
 *
 * Split R̂ halves every chain, so a chain that drifts (its halves disagree) is caught as well as
 * chains that disagree with each other: with the 2M half-chains of length n,
 * R̂ = √(var⁺ / W), var⁺ = (n−1)/n·W + B/n. Values above ~1.01 mean the chains have not mixed.
 */
import { ErrorCode, MinevoError } from "@minevo/core";
import { seriesEffectiveSampleSize } from "./effective-sample-size.js";

export interface MonteCarloEstimate {
  /** The mean over all chains' draws. */
  readonly mean: number;
  /** sd / √ESS. */
  readonly standardError: number;
  readonly effectiveSampleSize: number;
}

/** The mean of a quantity observed along several chains, with its Monte-Carlo standard error. */
export function monteCarloEstimate(chains: readonly Float64Array[]): MonteCarloEstimate {
  const effectiveSampleSize = seriesEffectiveSampleSize(chains);
  let count = 0;
  let sum = 0;
  for (const c of chains) {
    for (const v of c) sum += v;
    count += c.length;
  }
  const mean = sum / count;
  let squares = 0;
  for (const c of chains) for (const v of c) squares += (v - mean) ** 2;
  const sd = Math.sqrt(squares / (count - 1));
  return { mean, standardError: effectiveSampleSize > 0 ? sd / Math.sqrt(effectiveSampleSize) : Infinity, effectiveSampleSize };
}

/** Split R̂ of one quantity observed along several chains of equal length (≥ 4 draws each). */
export function splitPotentialScaleReduction(chains: readonly Float64Array[]): number {
  const n = chains[0]?.length ?? 0;
  if (chains.length === 0 || n < 4 || chains.some((c) => c.length !== n)) {
    throw new MinevoError(ErrorCode.InvalidArgument, "split R̂ needs ≥ 1 chain of ≥ 4 draws, all of equal length");
  }
  const half = Math.floor(n / 2);
  // An odd draw in the middle is dropped so both halves have the same length.
  const halves = chains.flatMap((c) => [c.subarray(0, half), c.subarray(n - half)]);
  const means = halves.map((h) => h.reduce((s, v) => s + v, 0) / half);
  const within = halves.reduce((s, h, k) => s + h.reduce((t, v) => t + (v - (means[k] as number)) ** 2, 0) / (half - 1), 0) / halves.length;
  const grand = means.reduce((s, v) => s + v, 0) / means.length;
  const betweenOverN = means.reduce((s, v) => s + (v - grand) ** 2, 0) / (means.length - 1);
  for (const v of [within, betweenOverN]) {
    if (!Number.isFinite(v)) throw new MinevoError(ErrorCode.NonFinite, `split R̂: the draws contain a non-finite value (${String(v)})`);
  }
  if (within === 0) return betweenOverN === 0 ? 1 : Infinity;
  return Math.sqrt((((half - 1) / half) * within + betweenOverN) / within);
}

/** Split R̂ of each coordinate of draws laid out [numChains, numDraws, dim]. */
export function chainPotentialScaleReduction(draws: Float64Array, numChains: number, numDraws: number, dim: number): Float64Array {
  if (draws.length !== numChains * numDraws * dim) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `split R̂: ${draws.length} values do not form ${numChains} chains × ${numDraws} draws × ${dim} coordinates`);
  }
  const out = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    const chains = Array.from({ length: numChains }, (_, c) => Float64Array.from({ length: numDraws }, (_, t) => draws[(c * numDraws + t) * dim + i] as number));
    out[i] = splitPotentialScaleReduction(chains);
  }
  return out;
}
