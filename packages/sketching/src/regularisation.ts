/**
 * Regularisation policies and the one float64 solve every strategy ends in:
 * (G + λI) c = b for a small symmetric positive semi-definite Gram matrix G.
 *
 * The Gram matrix is always formed in float64 from float32 tensor data: the STABILITY study
 * ("Float32") found that a Gram matrix rounded to float32 makes runs stiff at ε = 1e-6, because
 * λ = 1e-6·tr K/N is below the float32 rounding of the large eigenvalues.
 */
import { z } from "zod";
import { ErrorCode, MinevoError, cholesky, isMinevoError, quote, symmetricEigen, type DenseMatrix } from "@minevo/core";

export const relativeTraceSchema = z.strictObject({
  kind: z.literal("relative-trace"),
  /** λ = ε · tr K / N, with tr K estimated by the strategy (see each strategy's docs). */
  epsilon: z.number().positive().finite(),
});
export const absoluteSchema = z.strictObject({
  kind: z.literal("absolute"),
  /** λ itself (0 allowed: then G must be positive definite). */
  lambda: z.number().nonnegative().finite(),
});
export const truncatedSvdSchema = z.strictObject({
  kind: z.literal("truncated-svd"),
  /**
   * Keep the directions whose singular value σᵢ is above relativeCutoff·σ₁, i.e. Gram eigenvalues
   * μᵢ = σᵢ² above relativeCutoff²·μ₁; drop the rest (λ = 0 on the kept ones).
   */
  relativeCutoff: z.number().positive().lt(1),
});

export const regularisationSchema = z.discriminatedUnion("kind", [relativeTraceSchema, absoluteSchema, truncatedSvdSchema]);

/** How λ is chosen: relative to the kernel's trace, absolute, or a truncated SVD. */
export type RegularisationPolicy = z.output<typeof regularisationSchema>;

/** The default, from the STABILITY recipe: λ = 1e-6 · tr K / N. */
export const defaultRegularisation: RegularisationPolicy = { kind: "relative-trace", epsilon: 1e-6 };

export interface RegularisedSolution {
  readonly solution: Float64Array;
  readonly lambda: number;
  /** r_λ = Σ μᵢ/(μᵢ+λ); the number of kept directions under a truncated SVD. */
  readonly effectiveRank: number;
}

/** The ridge λ that `policy` gives for a kernel of trace `kernelTrace` over `numPoints` points. */
export function ridgeFor(policy: RegularisationPolicy, kernelTrace: number, numPoints: number): number {
  switch (policy.kind) {
    case "relative-trace":
      return (policy.epsilon * kernelTrace) / numPoints;
    case "absolute":
      return policy.lambda;
    case "truncated-svd":
      return 0;
  }
}

/** tr G. */
export function trace(gram: DenseMatrix): number {
  let s = 0;
  for (let i = 0; i < gram.rows; i++) s += gram.data[i * gram.cols + i] as number;
  return s;
}

/**
 * Solves the regularised system for `policy` with λ scaled from `kernelTrace` and `numPoints`.
 * A zero Gram matrix (J = 0: no parameter moves u at the points) gives c = 0, the minimal-norm
 * answer, rather than a failed factorisation.
 */
export function solveRegularised(
  gram: DenseMatrix,
  rhs: Float64Array,
  policy: RegularisationPolicy,
  kernelTrace: number,
  numPoints: number,
): RegularisedSolution {
  const n = gram.rows;
  if (trace(gram) === 0) return { solution: new Float64Array(n), lambda: ridgeFor(policy, 0, numPoints), effectiveRank: 0 };
  if (policy.kind === "truncated-svd") return solveTruncated(gram, rhs, policy.relativeCutoff);
  const lambda = ridgeFor(policy, kernelTrace, numPoints);
  const shifted = new Float64Array(gram.data);
  for (let i = 0; i < n; i++) shifted[i * n + i] = (shifted[i * n + i] as number) + lambda;
  let factor;
  try {
    factor = cholesky({ rows: n, cols: n, data: shifted });
  } catch (error) {
    if (isMinevoError(error, ErrorCode.NotPositiveDefinite)) {
      throw new MinevoError(
        ErrorCode.NotPositiveDefinite,
        `the ${n}×${n} Gram matrix plus λ = ${quote(lambda)} is not positive definite in float64; ` +
          `use a larger λ (regularisation ${quote(policy)}), or { kind: "truncated-svd" }`,
        { n, lambda, policy },
        { cause: error },
      );
    }
    throw error;
  }
  const solution = factor.solve(rhs);
  // r_λ = tr(G (G+λI)⁻¹) = n − λ tr((G+λI)⁻¹) = n − λ ‖L⁻¹‖²_F: the eigenvalues without an
  // eigendecomposition, at the cost of one triangular inverse (n³/3, like the factorisation).
  const effectiveRank = lambda === 0 ? n : n - lambda * inverseFrobeniusSquared(factor.lower);
  return { solution, lambda, effectiveRank: Math.max(0, effectiveRank) };
}

/**
 * ‖L⁻¹‖²_F for a lower-triangular L, by forward substitution of each unit vector in column
 * (axpy) order over the rows of Lᵀ: contiguous and free of a dependency chain, which at N = 2000
 * is several times faster than the dot-product order.
 */
function inverseFrobeniusSquared(lower: DenseMatrix): number {
  const n = lower.rows;
  const lt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) lt[j * n + i] = lower.data[i * n + j] as number;
  const x = new Float64Array(n);
  let total = 0;
  for (let col = 0; col < n; col++) {
    // L x = e_col: x is zero above `col`.
    x.fill(0, col);
    x[col] = 1;
    for (let k = col; k < n; k++) {
      const row = k * n;
      const xk = (x[k] as number) / (lt[row + k] as number);
      total += xk * xk;
      if (xk === 0) continue;
      for (let i = k + 1; i < n; i++) x[i] = (x[i] as number) - xk * (lt[row + i] as number);
    }
  }
  return total;
}

function solveTruncated(gram: DenseMatrix, rhs: Float64Array, relativeCutoff: number): RegularisedSolution {
  const n = gram.rows;
  const { values, vectors } = symmetricEigen(gram);
  const largest = values[n - 1] as number;
  const threshold = relativeCutoff * relativeCutoff * largest;
  const solution = new Float64Array(n);
  let kept = 0;
  for (let j = 0; j < n; j++) {
    const mu = values[j] as number;
    if (!(mu > threshold)) continue;
    kept++;
    let projection = 0;
    for (let i = 0; i < n; i++) projection += (vectors.data[i * n + j] as number) * (rhs[i] as number);
    const coefficient = projection / mu;
    for (let i = 0; i < n; i++) solution[i] = (solution[i] as number) + coefficient * (vectors.data[i * n + j] as number);
  }
  return { solution, lambda: 0, effectiveRank: kept };
}
