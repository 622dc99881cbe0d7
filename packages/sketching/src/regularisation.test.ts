import { ErrorCode, RandomStream, isMinevoError, symmetricEigen, type DenseMatrix } from "@minevo/core";
import { describe, expect, it } from "vitest";
import { regularisationSchema, ridgeFor, solveRegularised } from "./regularisation.js";
import { apply, matmul, randomMatrix, relativeDifference, transposed } from "./test-support/problems.js";

/** G = AᵀA for a random A: symmetric positive semi-definite of rank min(rows, n). */
function randomGram(rows: number, n: number, seed: number): DenseMatrix {
  const a = randomMatrix(rows, n, RandomStream.fromSeed(seed));
  return matmul(transposed(a), a);
}

function shifted(g: DenseMatrix, lambda: number): DenseMatrix {
  const data = Float64Array.from(g.data);
  for (let i = 0; i < g.rows; i++) data[i * g.rows + i] = (data[i * g.rows + i] as number) + lambda;
  return { rows: g.rows, cols: g.cols, data };
}

describe("solveRegularised", () => {
  it("solves (G + λI)c = b with λ = ε·tr K/N and reports r_λ = Σ μ/(μ+λ) from the eigenvalues", () => {
    const g = randomGram(30, 12, 1);
    const b = RandomStream.fromSeed(2).normals(12);
    const kernelTrace = 123.4;
    const numPoints = 50;
    const result = solveRegularised(g, b, { kind: "relative-trace", epsilon: 1e-2 }, kernelTrace, numPoints);
    expect(result.lambda).toBe((1e-2 * kernelTrace) / numPoints);
    // The residual of the shifted system is at float64 rounding.
    const residual = apply(shifted(g, result.lambda), result.solution);
    expect(relativeDifference(residual, b)).toBeLessThan(1e-12);
    const { values } = symmetricEigen(g);
    const expected = [...values].reduce((s, mu) => s + mu / (mu + result.lambda), 0);
    expect(result.effectiveRank).toBeCloseTo(expected, 9);
  });

  it("counts the rank of a rank-deficient Gram matrix as r_λ when λ is far below its eigenvalues", () => {
    const g = randomGram(4, 10, 3); // rank 4
    const result = solveRegularised(g, RandomStream.fromSeed(4).normals(10), { kind: "absolute", lambda: 1e-9 }, 1, 1);
    expect(result.lambda).toBe(1e-9);
    expect(result.effectiveRank).toBeGreaterThan(4 - 1e-6);
    expect(result.effectiveRank).toBeLessThan(4 + 1e-6);
  });

  it("truncated SVD keeps the directions with σᵢ > cutoff·σ₁ and inverts G on them only", () => {
    // G = V diag(μ) Vᵀ with known μ and a random orthogonal V.
    const mus = [100, 10, 1e-2, 1e-8];
    const q = symmetricEigen(randomGram(8, 4, 5)).vectors;
    const g = matmul(matmul(q, { rows: 4, cols: 4, data: Float64Array.from([100, 0, 0, 0, 0, 10, 0, 0, 0, 0, 1e-2, 0, 0, 0, 0, 1e-8]) }), transposed(q));
    const b = RandomStream.fromSeed(6).normals(4);
    // σ = √μ: σ/σ₁ = 1, 0.316, 0.01, 1e-5. A cutoff of 0.05 keeps the first two.
    const result = solveRegularised(g, b, { kind: "truncated-svd", relativeCutoff: 0.05 }, 1, 1);
    expect(result.effectiveRank).toBe(2);
    expect(result.lambda).toBe(0);
    const qt = transposed(q);
    const coefficients = apply(qt, b).map((v, i) => (i < 2 ? v / (mus[i] as number) : 0));
    expect(relativeDifference(result.solution, apply(q, coefficients))).toBeLessThan(1e-10);
  });

  it("gives c = 0 for a zero Gram matrix (J = 0), not a failed factorisation", () => {
    const result = solveRegularised({ rows: 3, cols: 3, data: new Float64Array(9) }, Float64Array.from([1, 2, 3]), { kind: "relative-trace", epsilon: 1e-6 }, 0, 3);
    expect([...result.solution]).toEqual([0, 0, 0]);
    expect(result.effectiveRank).toBe(0);
  });

  it("throws NotPositiveDefinite naming λ when λ = 0 meets a singular Gram matrix", () => {
    const g = randomGram(2, 5, 7);
    try {
      solveRegularised(g, new Float64Array(5).fill(1), { kind: "absolute", lambda: 0 }, 1, 1);
      expect.unreachable();
    } catch (error) {
      expect(isMinevoError(error, ErrorCode.NotPositiveDefinite)).toBe(true);
      expect(String(error)).toContain("λ = 0");
    }
  });

  it("validates policies", () => {
    expect(regularisationSchema.safeParse({ kind: "relative-trace", epsilon: 0 }).success).toBe(false);
    expect(regularisationSchema.safeParse({ kind: "absolute", lambda: -1 }).success).toBe(false);
    expect(regularisationSchema.safeParse({ kind: "truncated-svd", relativeCutoff: 1 }).success).toBe(false);
    expect(regularisationSchema.safeParse({ kind: "tikhonov", lambda: 1 }).success).toBe(false);
    expect(ridgeFor({ kind: "truncated-svd", relativeCutoff: 0.1 }, 5, 5)).toBe(0);
  });
});
