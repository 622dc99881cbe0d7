/**
 * Distances between two sample sets, in float64 on the CPU, for benchmarks against exact draws.
 * Both are unbiased U-statistics (pairs of a point with itself left out), so either can come out
 * slightly negative when the two laws agree. Cost O((n + m)² d).
 *
 * - Energy distance (Székely and Rizzo 2004): 2E|X − Y| − E|X − X'| − E|Y − Y'|, zero iff the
 *   laws are equal.
 * - Squared maximum mean discrepancy (Gretton et al. 2012) with the Gaussian kernel
 *   k(a, b) = exp(−|a − b|² / (2ℓ²)); ℓ defaults to the median pairwise distance of the pooled
 *   sample (the median heuristic).
 */
import { ErrorCode, MinevoError, quote } from "@minevo/core";

function checkSamples(x: Float64Array, y: Float64Array, dim: number, what: string): [number, number] {
  if (!Number.isSafeInteger(dim) || dim < 1) throw new MinevoError(ErrorCode.InvalidArgument, `${what}: dim must be a positive integer, got ${quote(dim)}`);
  for (const [name, s] of [["first", x], ["second", y]] as const) {
    if (s.length % dim !== 0 || s.length / dim < 2) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `${what}: the ${name} sample has ${s.length} values, not at least 2 rows of dimension ${dim}`,
      );
    }
    for (let i = 0; i < s.length; i++) {
      if (!Number.isFinite(s[i])) {
        throw new MinevoError(ErrorCode.NonFinite, `${what}: the ${name} sample has ${String(s[i])} at row ${Math.floor(i / dim)}`);
      }
    }
  }
  return [x.length / dim, y.length / dim];
}

function squaredDistance(a: Float64Array, i: number, b: Float64Array, j: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) {
    const diff = (a[i * dim + k] as number) - (b[j * dim + k] as number);
    s += diff * diff;
  }
  return s;
}

/** Mean of f(|aᵢ − bⱼ|²) over all pairs, or over i ≠ j when a and b are the same sample. */
function meanPairwise(a: Float64Array, na: number, b: Float64Array, nb: number, dim: number, same: boolean, f: (squared: number) => number): number {
  let s = 0;
  for (let i = 0; i < na; i++) {
    for (let j = same ? i + 1 : 0; j < nb; j++) s += f(squaredDistance(a, i, b, j, dim));
  }
  return same ? (2 * s) / (na * (na - 1)) : s / (na * nb);
}

/** Energy distance between samples x ([n, dim] row-major) and y ([m, dim]). */
export function energyDistance(x: Float64Array, y: Float64Array, dim: number): number {
  const [n, m] = checkSamples(x, y, dim, "energyDistance");
  return (
    2 * meanPairwise(x, n, y, m, dim, false, Math.sqrt) -
    meanPairwise(x, n, x, n, dim, true, Math.sqrt) -
    meanPairwise(y, m, y, m, dim, true, Math.sqrt)
  );
}

export interface MaximumMeanDiscrepancy {
  /** The unbiased estimate of MMD². */
  readonly mmdSquared: number;
  /** The kernel length scale ℓ used. */
  readonly bandwidth: number;
}

/** The median pairwise distance of the pooled sample (at most its first 1000 rows of each set). */
export function medianPairwiseDistance(x: Float64Array, y: Float64Array, dim: number): number {
  const cap = 1000;
  const rows = (s: Float64Array) => s.subarray(0, Math.min(s.length / dim, cap) * dim);
  const a = rows(x);
  const b = rows(y);
  const pooled = new Float64Array(a.length + b.length);
  pooled.set(a);
  pooled.set(b, a.length);
  const N = pooled.length / dim;
  const distances = new Float64Array((N * (N - 1)) / 2);
  let k = 0;
  for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) distances[k++] = Math.sqrt(squaredDistance(pooled, i, pooled, j, dim));
  distances.sort();
  const mid = distances.length >> 1;
  return distances.length % 2 === 1 ? (distances[mid] as number) : 0.5 * ((distances[mid - 1] as number) + (distances[mid] as number));
}

/** Unbiased MMD² between x ([n, dim]) and y ([m, dim]) with a Gaussian kernel of length scale ℓ. */
export function maximumMeanDiscrepancy(x: Float64Array, y: Float64Array, dim: number, bandwidth?: number): MaximumMeanDiscrepancy {
  const [n, m] = checkSamples(x, y, dim, "maximumMeanDiscrepancy");
  const ell = bandwidth ?? medianPairwiseDistance(x, y, dim);
  if (!(ell > 0) || !Number.isFinite(ell)) {
    throw new MinevoError(ErrorCode.InvalidArgument, `maximumMeanDiscrepancy: the kernel length scale must be positive and finite, got ${quote(ell)}`);
  }
  const kernel = (squared: number) => Math.exp(-squared / (2 * ell * ell));
  const mmdSquared =
    meanPairwise(x, n, x, n, dim, true, kernel) + meanPairwise(y, m, y, m, dim, true, kernel) - 2 * meanPairwise(x, n, y, m, dim, false, kernel);
  return { mmdSquared, bandwidth: ell };
}
