/**
 * Effective sample size of MCMC draws from their autocorrelation, in float64.
 *
 * The multi-chain estimator of Gelman et al. (BDA3, §11.5) as in Stan: with M chains of n draws,
 * per-chain autocovariances γₘ(t) (divided by n), W the mean within-chain variance and
 * var⁺ = (n−1)/n·W + B/n (B/n the variance of the chain means),
 *
 *     ρ̂ₜ = 1 − (W − meanₘ γₘ(t)) / var⁺,     τ̂ = −1 + 2 Σₖ P̂ₖ,    ESS = M n / τ̂,
 *
 * with Geyer's (1992) initial positive sequence: P̂ₖ = ρ̂₂ₖ + ρ̂₂ₖ₊₁ summed while positive, made
 * monotone (P̂ₖ ≤ P̂ₖ₋₁). Chains that disagree inflate var⁺ and lower the ESS, as they should.
 * As in Stan, τ̂ is floored at 1/log₁₀(Mn), capping the ESS of antithetic chains at Mn·log₁₀(Mn).
 * Autocovariances are computed lag by lag up to the truncation point only.
 */
import { ErrorCode, MinevoError } from "@minevo/core";

/**
 * ESS of each coordinate of draws laid out [numChains, numDraws, dim] (chain-major). A
 * coordinate with no variance at all (every chain constant at the same value) has ESS 0.
 */
export function chainEffectiveSampleSize(draws: Float64Array, numChains: number, numDraws: number, dim: number): Float64Array {
  if (draws.length !== numChains * numDraws * dim) {
    throw new MinevoError(
      ErrorCode.DimensionMismatch,
      `effective sample size: ${draws.length} values do not form ${numChains} chains × ${numDraws} draws × ${dim} coordinates`,
    );
  }
  if (numDraws < 4) {
    throw new MinevoError(ErrorCode.InvalidArgument, `effective sample size needs at least 4 draws per chain, got ${numDraws}`);
  }
  const out = new Float64Array(dim);
  const series = Array.from({ length: numChains }, () => new Float64Array(numDraws));
  for (let i = 0; i < dim; i++) {
    for (let c = 0; c < numChains; c++) {
      const s = series[c] as Float64Array;
      for (let t = 0; t < numDraws; t++) s[t] = draws[(c * numDraws + t) * dim + i] as number;
    }
    out[i] = seriesEffectiveSampleSize(series);
  }
  return out;
}

/** ESS of one scalar quantity observed along several chains of equal length. */
export function seriesEffectiveSampleSize(chains: readonly Float64Array[]): number {
  const M = chains.length;
  const n = chains[0]?.length ?? 0;
  if (M === 0 || n < 4 || chains.some((c) => c.length !== n)) {
    throw new MinevoError(ErrorCode.InvalidArgument, `effective sample size needs ≥ 1 chain of ≥ 4 draws, all of equal length`);
  }
  for (const chain of chains) {
    for (let t = 0; t < n; t++) {
      if (!Number.isFinite(chain[t])) {
        throw new MinevoError(ErrorCode.NonFinite, `effective sample size: draw ${t} is ${String(chain[t])}; every draw must be finite`);
      }
    }
  }
  const means = chains.map((c) => c.reduce((s, v) => s + v, 0) / n);
  const centred = chains.map((c, m) => c.map((v) => v - (means[m] as number)));
  const autocovariance = (t: number): number => {
    let total = 0;
    for (const x of centred) {
      let s = 0;
      for (let k = 0; k + t < n; k++) s += (x[k] as number) * (x[k + t] as number);
      total += s / n;
    }
    return total / M;
  };
  const gamma0 = autocovariance(0);
  const within = (gamma0 * n) / (n - 1);
  const grandMean = means.reduce((s, v) => s + v, 0) / M;
  const betweenOverN = M > 1 ? means.reduce((s, v) => s + (v - grandMean) ** 2, 0) / (M - 1) : 0;
  const varPlus = ((n - 1) / n) * within + betweenOverN;
  if (!(varPlus > 0)) return 0;
  const rho = (t: number): number => (t === 0 ? 1 : 1 - (within - autocovariance(t)) / varPlus);

  let previousPair = rho(0) + rho(1);
  let sum = previousPair;
  for (let k = 1; 2 * k + 1 < n; k++) {
    let pair = rho(2 * k) + rho(2 * k + 1);
    if (pair < 0) break;
    if (pair > previousPair) pair = previousPair;
    sum += pair;
    previousPair = pair;
  }
  const total = M * n;
  const tau = Math.max(-1 + 2 * sum, 1 / Math.log10(total));
  return total / tau;
}
