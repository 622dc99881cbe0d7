/**
 * Float64 algebra of one Gaussian N(m, S) on the CPU: Cholesky factor, precision and log
 * normaliser, computed once when a target is built. The backend then only sees the small
 * constant tensors these produce.
 */
import { ErrorCode, MinevoError, cholesky, denseMatrix, quote, type RandomStream } from "@minevo/core";

export interface GaussianFactor {
  readonly dim: number;
  readonly mean: Float64Array;
  /** S, row-major. */
  readonly covariance: Float64Array;
  /** L with S = L Lᵀ, row-major lower triangular. */
  readonly lower: Float64Array;
  /** S⁻¹, row-major. */
  readonly precision: Float64Array;
  /** −½ log det(2πS): log N(m; m, S). */
  readonly logNormaliser: number;
}

/** A covariance given in full (`covariance`), as variances (`diagonal`), or the identity. */
export interface CovarianceChoice {
  readonly covariance?: readonly (readonly number[])[] | undefined;
  readonly diagonal?: readonly number[] | undefined;
}

/** The row-major dim×dim covariance a {@link CovarianceChoice} describes, with sizes checked. */
export function covarianceMatrix(choice: CovarianceChoice, dim: number, what: string): Float64Array {
  if (choice.covariance !== undefined && choice.diagonal !== undefined) {
    throw new MinevoError(ErrorCode.InvalidOptions, `${what}: give either "covariance" or "diagonal", not both`);
  }
  const out = new Float64Array(dim * dim);
  if (choice.covariance !== undefined) {
    const rows = choice.covariance;
    if (rows.length !== dim || rows.some((row) => row.length !== dim)) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `${what}: covariance must be ${dim}×${dim} to match the mean, got ${quote(rows.map((r) => r.length))} row lengths`,
        { expected: dim },
      );
    }
    rows.forEach((row, i) => row.forEach((v, j) => (out[i * dim + j] = v)));
    for (let i = 0; i < dim; i++) {
      for (let j = 0; j < i; j++) {
        const a = out[i * dim + j] as number;
        const b = out[j * dim + i] as number;
        if (Math.abs(a - b) > 1e-12 * Math.max(1, Math.abs(a), Math.abs(b))) {
          throw new MinevoError(
            ErrorCode.InvalidOptions,
            `${what}: covariance is not symmetric: entry (${i}, ${j}) = ${a} but (${j}, ${i}) = ${b}`,
            { row: i, col: j },
          );
        }
      }
    }
    return out;
  }
  if (choice.diagonal !== undefined) {
    if (choice.diagonal.length !== dim) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `${what}: diagonal must have ${dim} variances to match the mean, got ${choice.diagonal.length}`,
        { expected: dim, received: choice.diagonal.length },
      );
    }
    choice.diagonal.forEach((v, i) => (out[i * dim + i] = v));
    return out;
  }
  for (let i = 0; i < dim; i++) out[i * dim + i] = 1;
  return out;
}

export function gaussianFactor(mean: ArrayLike<number>, covariance: Float64Array, what: string): GaussianFactor {
  const dim = mean.length;
  let factor;
  try {
    factor = cholesky(denseMatrix(dim, dim, covariance));
  } catch (error) {
    if (error instanceof MinevoError && error.code === ErrorCode.NotPositiveDefinite) {
      throw new MinevoError(
        ErrorCode.NotPositiveDefinite,
        `${what}: covariance ${quote(Array.from(covariance))} is not positive definite; every covariance must be symmetric positive definite`,
        {},
        { cause: error },
      );
    }
    throw error;
  }
  const identity = denseMatrix(dim, dim);
  for (let i = 0; i < dim; i++) identity.data[i * dim + i] = 1;
  const precision = factor.solve(identity).data;
  // Symmetrise: the solve leaves rounding asymmetry that would make ∇ inconsistent with log π̃.
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < i; j++) {
      const s = 0.5 * ((precision[i * dim + j] as number) + (precision[j * dim + i] as number));
      precision[i * dim + j] = s;
      precision[j * dim + i] = s;
    }
  }
  const logNormaliser = -0.5 * (dim * Math.log(2 * Math.PI) + factor.logDeterminant());
  return { dim, mean: Float64Array.from(mean), covariance: Float64Array.from(covariance), lower: factor.lower.data, precision, logNormaliser };
}

/** Writes one draw m + L z into `out` at `offset`. */
export function drawGaussian(factor: GaussianFactor, random: RandomStream, out: Float64Array, offset: number): void {
  const d = factor.dim;
  const z = random.normals(d);
  for (let i = 0; i < d; i++) {
    let s = factor.mean[i] as number;
    for (let j = 0; j <= i; j++) s += (factor.lower[i * d + j] as number) * (z[j] as number);
    out[offset + i] = s;
  }
}

/** log N(x; m, S) in float64 (for exact facts, never for the batched evaluation). */
export function gaussianLogDensity64(factor: GaussianFactor, x: ArrayLike<number>): number {
  const d = factor.dim;
  let quad = 0;
  for (let i = 0; i < d; i++) {
    const ri = (x[i] as number) - (factor.mean[i] as number);
    for (let j = 0; j < d; j++) quad += ri * (factor.precision[i * d + j] as number) * ((x[j] as number) - (factor.mean[j] as number));
  }
  return factor.logNormaliser - 0.5 * quad;
}
