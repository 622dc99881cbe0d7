import { describe, expect, it } from "vitest";
import { ErrorCode, RandomStream, cholesky, conjugateGradient, denseMatrix, isMinevoError, multiply, solveLinear, svd, symmetricEigen, transpose } from "./index.js";
import { indefiniteAt, maxAbsDiff, randomMatrix, spd, thrown } from "./test-support/matrices.js";

describe("float64 linear algebra", () => {
  it("Cholesky factorises and solves to float64 precision", () => {
    const a = spd(40, 1);
    const factor = cholesky(a);
    const l = factor.lower;
    expect(maxAbsDiff(multiply(l, transpose(l)).data, a.data)).toBeLessThan(1e-11);
    const x = RandomStream.fromSeed(2).normals(40);
    const b = multiply(a, denseMatrix(40, 1, x)).data;
    expect(maxAbsDiff(factor.solve(b), x)).toBeLessThan(1e-12);
    const eig = symmetricEigen(a);
    const logDet = eig.values.reduce((s, v) => s + Math.log(v), 0);
    expect(factor.logDeterminant()).toBeCloseTo(logDet, 9);
  });

  it("Cholesky of every order mod 4 (the 4×4-blocked rows and the last n mod 4 rows): LLᵀ = A, L lower, repeatable", () => {
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 33, 64, 66, 67]) {
      const a = spd(n, 10 + n);
      const l = cholesky(a).lower;
      const scale = Math.max(...Array.from(a.data, Math.abs));
      expect(maxAbsDiff(multiply(l, transpose(l)).data, a.data) / scale, `n = ${n}`).toBeLessThan(1e-13);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(l.data[i * n + j]).toBe(0);
      expect(Array.from(cholesky(a).lower.data)).toEqual(Array.from(l.data));
    }
  });

  it("names the pivot that fails, in the blocked rows and in the last rows", () => {
    // Indefinite at pivot 1, 2 or 3 inside the first 4×4 block, at pivot 5 (second block), and at pivot 2 (a last row).
    for (const pivot of [1, 2, 3, 5]) {
      const inBlock = thrown(() => cholesky(denseMatrix(8, 8, indefiniteAt(8, pivot))));
      expect(isMinevoError(inBlock, ErrorCode.NotPositiveDefinite)).toBe(true);
      expect((inBlock as Error).message).toContain(`pivot ${pivot}`);
    }
    const lastRow = thrown(() => cholesky(denseMatrix(3, 3, [1, 0, 0, 0, 1, 0, 0, 0, -1])));
    expect((lastRow as Error).message).toContain("pivot 2");
  });

  it("a single right-hand side (rows-only backward pass) solves like the column path", () => {
    for (const n of [1, 5, 37]) {
      const a = spd(n, 70 + n);
      const factor = cholesky(a);
      const x = RandomStream.fromSeed(71).normals(n);
      const b = multiply(a, denseMatrix(n, 1, x)).data;
      const one = factor.solve(b);
      expect(maxAbsDiff(one, x), `n = ${n}`).toBeLessThan(1e-12);
      // Two columns go through the column-by-column path: the same solution to rounding.
      const both = factor.solve(denseMatrix(n, 2, Array.from({ length: 2 * n }, (_, i) => b[Math.floor(i / 2)] as number)));
      for (let i = 0; i < n; i++) expect(Math.abs((both.data[2 * i] as number) - (one[i] as number))).toBeLessThan(1e-12);
    }
  });

  it("conjugate gradients preconditioned by a nearby matrix's factor: converges in ~½√c·ln(2/τ) iterations, reports indefiniteness", () => {
    // A Levenberg–Marquardt pair: G of rank 30 plus a ridge, A = G + 2·diag G (damping raised
    // 4× from μ = ½), M = G + ½·diag G, so M ⪯ A ⪯ 4M.
    const n = 60;
    const r0 = randomMatrix(n, 30, 80);
    const g = multiply(r0, transpose(r0));
    for (let i = 0; i < n; i++) g.data[i * n + i] = (g.data[i * n + i] as number) + 1e-3;
    const a = denseMatrix(n, n, g.data);
    const nearby = denseMatrix(n, n, g.data);
    for (let i = 0; i < n; i++) {
      a.data[i * n + i] = 3 * (g.data[i * n + i] as number);
      nearby.data[i * n + i] = 1.5 * (g.data[i * n + i] as number);
    }
    const x = RandomStream.fromSeed(81).normals(n);
    const b = multiply(a, denseMatrix(n, 1, x)).data;
    // Exact preconditioner: one iteration.
    const exactFactor = cholesky(a);
    const exact = conjugateGradient(a, b, (r) => exactFactor.solve(r));
    expect(exact.status).toBe("converged");
    expect(exact.iterations).toBe(1);
    expect(maxAbsDiff(exact.x, x)).toBeLessThan(1e-9);
    const factor = cholesky(nearby);
    const pcg = conjugateGradient(a, b, (r) => factor.solve(r), { tolerance: 1e-12 });
    expect(pcg.status).toBe("converged");
    expect(pcg.relativeResidual).toBeLessThanOrEqual(1e-12);
    expect(maxAbsDiff(pcg.x, x)).toBeLessThan(1e-9);
    const plain = conjugateGradient(a, b, (r) => Float64Array.from(r), { tolerance: 1e-12 });
    // κ(M⁻¹A) ≤ 4: ½·2·ln(2·10¹²) ≈ 28 iterations at most; unpreconditioned, κ(A) is far larger.
    expect(pcg.iterations).toBeLessThanOrEqual(28);
    expect(pcg.iterations).toBeLessThan(plain.iterations);
    // Too few iterations: reported, not silently returned as converged.
    const short = conjugateGradient(a, b, (r) => Float64Array.from(r), { maxIterations: 2 });
    expect(short.status).toBe("max_iterations");
    expect(short.relativeResidual).toBeGreaterThan(1e-10);
    // An indefinite A meets pᵀAp ≤ 0.
    const indefinite = conjugateGradient(denseMatrix(2, 2, [1, 0, 0, -1]), new Float64Array([0, 1]), (r) => Float64Array.from(r));
    expect(indefinite.status).toBe("not_positive_definite");
    expect(isMinevoError(thrown(() => conjugateGradient(a, b, (r) => r, { tolerance: 0 })), ErrorCode.InvalidOptions)).toBe(true);
    expect(isMinevoError(thrown(() => conjugateGradient(a, new Float64Array(3), (r) => r)), ErrorCode.DimensionMismatch)).toBe(true);
    expect(conjugateGradient(a, new Float64Array(n), (r) => r).iterations).toBe(0);
  });

  it("refuses a matrix that is not positive definite, and a non-finite one", () => {
    const a = denseMatrix(2, 2, [1, 2, 2, 1]);
    expect(isMinevoError(thrown(() => cholesky(a)), ErrorCode.NotPositiveDefinite)).toBe(true);
    const bad = denseMatrix(2, 2, [1, 0, 0, Number.NaN]);
    const error = thrown(() => cholesky(bad));
    expect(isMinevoError(error, ErrorCode.NonFinite)).toBe(true);
    expect((error as Error).message).toContain("(1, 1) is NaN");
  });

  it("solves general systems and reports singular ones", () => {
    const a = randomMatrix(30, 30, 3);
    const x = RandomStream.fromSeed(4).normals(30);
    const b = multiply(a, denseMatrix(30, 1, x)).data;
    expect(maxAbsDiff(solveLinear(a, b), x)).toBeLessThan(1e-10);
    expect(isMinevoError(thrown(() => solveLinear(denseMatrix(2, 2, [1, 2, 2, 4]), new Float64Array(2))), ErrorCode.SingularMatrix)).toBe(true);
    expect(isMinevoError(thrown(() => solveLinear(a, new Float64Array(3))), ErrorCode.DimensionMismatch)).toBe(true);
  });

  it("symmetric eigen-decomposition reconstructs the matrix with ascending values", () => {
    const a = spd(25, 5);
    const { values, vectors } = symmetricEigen(a);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1] as number);
    const scaled = denseMatrix(25, 25);
    for (let r = 0; r < 25; r++) for (let c = 0; c < 25; c++) scaled.data[r * 25 + c] = (vectors.data[r * 25 + c] as number) * (values[c] as number);
    expect(maxAbsDiff(multiply(scaled, transpose(vectors)).data, a.data)).toBeLessThan(1e-9);
  });

  it("thin SVD of a tall and of a wide matrix", () => {
    for (const [m, n] of [[20, 7], [7, 20]] as const) {
      const a = randomMatrix(m, n, 6 + m);
      const { u, s, v } = svd(a);
      const k = s.length;
      expect(k).toBe(Math.min(m, n));
      for (let i = 1; i < k; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1] as number);
      const us = denseMatrix(u.rows, k);
      for (let r = 0; r < u.rows; r++) for (let c = 0; c < k; c++) us.data[r * k + c] = (u.data[r * u.cols + c] as number) * (s[c] as number);
      const vk = denseMatrix(v.rows, k);
      for (let r = 0; r < v.rows; r++) for (let c = 0; c < k; c++) vk.data[r * k + c] = v.data[r * v.cols + c] as number;
      expect(maxAbsDiff(multiply(us, transpose(vk)).data, a.data)).toBeLessThan(1e-10);
    }
  });

  it("checks sizes", () => {
    expect(isMinevoError(thrown(() => denseMatrix(2, 2, [1, 2, 3])), ErrorCode.DimensionMismatch)).toBe(true);
    expect(isMinevoError(thrown(() => cholesky(denseMatrix(2, 3))), ErrorCode.DimensionMismatch)).toBe(true);
  });
});
