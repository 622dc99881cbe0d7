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
 * Autocovariances are computed lag by lag while the truncation point is near (the first 64 lags);
 * past that — slowly mixing chains, whose truncation point can be a sizeable fraction of n —
 * every lag comes from one FFT per chain (zero-padded to a power of two ≥ 2n, so the circular
 * correlation is the linear one): O(n log n) instead of O(n·lags), which was O(n²) for a sticky
 * chain (a 25-mode MALA run spent most of its wall time here). Both give the same sums up to
 * rounding.
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
  const direct = (t: number): number => {
    let total = 0;
    for (const x of centred) {
      let s = 0;
      for (let k = 0; k + t < n; k++) s += (x[k] as number) * (x[k + t] as number);
      total += s / n;
    }
    return total / M;
  };
  let all: Float64Array | undefined;
  const autocovariance = (t: number): number => {
    if (t < directLags) return direct(t);
    all ??= autocovariances(centred, n);
    return all[t] as number;
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

/** Lags computed one by one before switching to the FFT. */
const directLags = 64;

/** meanₘ γₘ(t) for every lag t < n, by FFT: γₘ(t) = (1/n) Σₖ xₖ xₖ₊ₜ. */
function autocovariances(centred: readonly Float64Array[], n: number): Float64Array {
  let size = 1;
  while (size < 2 * n) size *= 2;
  const out = new Float64Array(n);
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (const x of centred) {
    re.fill(0);
    im.fill(0);
    re.set(x);
    fft(re, im, false);
    for (let k = 0; k < size; k++) {
      re[k] = (re[k] as number) ** 2 + (im[k] as number) ** 2;
      im[k] = 0;
    }
    fft(re, im, true);
    for (let t = 0; t < n; t++) out[t] = (out[t] as number) + (re[t] as number) / size / n;
  }
  for (let t = 0; t < n; t++) out[t] = (out[t] as number) / centred.length;
  return out;
}

/** In-place iterative radix-2 FFT of (re, im), length a power of two; `inverse` without the 1/size. */
function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const size = re.length;
  for (let i = 1, j = 0; i < size; i++) {
    let bit = size >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i] as number;
      re[i] = re[j] as number;
      re[j] = tr;
      const ti = im[i] as number;
      im[i] = im[j] as number;
      im[j] = ti;
    }
  }
  // Twiddles e^{∓2πik/size} from a table (accurate to rounding; a recurrence drifts with size).
  const cosTable = new Float64Array(size / 2);
  const sinTable = new Float64Array(size / 2);
  for (let k = 0; k < size / 2; k++) {
    cosTable[k] = Math.cos((2 * Math.PI * k) / size);
    sinTable[k] = (inverse ? 1 : -1) * Math.sin((2 * Math.PI * k) / size);
  }
  for (let length = 2; length <= size; length *= 2) {
    const half = length / 2;
    const stride = size / length;
    for (let start = 0; start < size; start += length) {
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const cr = cosTable[k * stride] as number;
        const ci = sinTable[k * stride] as number;
        const br = (re[b] as number) * cr - (im[b] as number) * ci;
        const bi = (re[b] as number) * ci + (im[b] as number) * cr;
        re[b] = (re[a] as number) - br;
        im[b] = (im[a] as number) - bi;
        re[a] = (re[a] as number) + br;
        im[a] = (im[a] as number) + bi;
      }
    }
  }
}
