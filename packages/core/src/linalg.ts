/**
 * Float64 dense linear algebra for the small systems of the method (n×n Gram matrices, N×N
 * kernels), on the CPU. TensorFlow.js has no float64 and no factorisations, so these never run on
 * the tensor backend. Matrices are row-major Float64Arrays. Cholesky (the hot path) is our own;
 * LU, the symmetric eigen-decomposition and the SVD come from ml-matrix, wrapped here so that
 * callers see one typed, validated interface.
 */
import { EigenvalueDecomposition, LuDecomposition, Matrix, SingularValueDecomposition } from "ml-matrix";
import { choleskyPanels } from "./cholesky-panels.js";
import { choleskyPanelsInParallel } from "./cholesky-worker.js";
import { ErrorCode, MinevoError } from "./errors.js";

/** A dense row-major matrix. */
export interface DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function denseMatrix(rows: number, cols: number, data?: ArrayLike<number>): DenseMatrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new MinevoError(ErrorCode.InvalidArgument, `matrix size ${rows}×${cols} must be non-negative integers`);
  }
  const out = new Float64Array(rows * cols);
  if (data !== undefined) {
    if (data.length !== rows * cols) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `a ${rows}×${cols} matrix needs ${rows * cols} entries, got ${data.length}`,
        { rows, cols, length: data.length },
      );
    }
    out.set(data);
  }
  return { rows, cols, data: out };
}

function toMl(a: DenseMatrix): Matrix {
  return Matrix.from1DArray(a.rows, a.cols, a.data);
}

function fromMl(m: Matrix): DenseMatrix {
  return { rows: m.rows, cols: m.columns, data: Float64Array.from(m.to1DArray()) };
}

function requireSquare(a: DenseMatrix, what: string): void {
  if (a.rows !== a.cols) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `${what} needs a square matrix, got ${a.rows}×${a.cols}`, {
      rows: a.rows,
      cols: a.cols,
    });
  }
}

function requireFinite(a: DenseMatrix, what: string): void {
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i])) {
      throw new MinevoError(
        ErrorCode.NonFinite,
        `${what}: entry (${Math.floor(i / a.cols)}, ${i % a.cols}) is ${String(a.data[i])}; the matrix must be finite`,
        { row: Math.floor(i / a.cols), col: i % a.cols },
      );
    }
  }
}

function asRhs(b: DenseMatrix | Float64Array, n: number, what: string): DenseMatrix {
  const m = b instanceof Float64Array ? { rows: b.length, cols: 1, data: b } : b;
  if (m.rows !== n) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `${what}: right-hand side has ${m.rows} rows, the system has ${n}`, {
      rows: m.rows,
      expected: n,
    });
  }
  return m;
}

/** The lower Cholesky factor L of a symmetric positive definite matrix (A = L Lᵀ). */
export interface CholeskyFactor {
  readonly n: number;
  readonly lower: DenseMatrix;
  /** Solves A x = b for one vector or for the columns of a matrix. */
  solve(b: Float64Array): Float64Array;
  solve(b: DenseMatrix): DenseMatrix;
  /** log det A. */
  logDeterminant(): number;
}

function notPositiveDefinite(n: number, pivot: number, value: number): never {
  throw new MinevoError(
    ErrorCode.NotPositiveDefinite,
    `cholesky: the ${n}×${n} matrix is not positive definite to float64 precision (pivot ${pivot} is ${value}); increase the ridge λ`,
    { n, pivot, value },
  );
}

/**
 * L of A = LLᵀ (row-major, lower triangle; A's lower triangle is read), by rows, four at a time
 * (`choleskyPanels`): each entry is a dot product of two contiguous row prefixes of L, and a pass
 * over k updates a 4×4 block — rows i…i+3 of L against rows j…j+3 — from eight streamed loads
 * into sixteen independent sums (core's `gramOfRows` tiles the same way), where one entry at a
 * time costs two loads per product. Rows past the last multiple of four go entry by entry. The
 * summation order is fixed, so the result repeats bitwise — also when a worker started by
 * `startCholeskyWorker` takes every other panel (Node, n ≥ 400). bench:fit times it against the
 * textbook loop and the previous 2×2 tiling.
 */
function choleskyLower(src: ArrayLike<number>, n: number): Float64Array {
  const parallel = choleskyPanelsInParallel(src, n);
  if (parallel !== undefined && "pivot" in parallel) notPositiveDefinite(n, parallel.pivot, parallel.value);
  const l = parallel?.l ?? choleskyPanelsHere(src, n);
  const blocked = n - (n % 4);
  // The last n mod 4 rows, entry by entry.
  for (let i = blocked; i < n; i++) {
    const r0 = i * n;
    for (let j = 0; j <= i; j++) {
      const c0 = j * n;
      let sum = 0;
      for (let k = 0; k < j; k++) sum += (l[r0 + k] as number) * (l[c0 + k] as number);
      const value = (src[r0 + j] as number) - sum;
      if (j < i) {
        l[r0 + j] = value / (l[c0 + j] as number);
      } else {
        if (!(value > 0)) notPositiveDefinite(n, i, value);
        l[r0 + i] = Math.sqrt(value);
      }
    }
  }
  return l;
}

/** The panels on this thread alone. */
function choleskyPanelsHere(src: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  const state = new Int32Array(2 + Math.floor(n / 4));
  const failure = new Float64Array(2);
  choleskyPanels(l, src, n, state, failure, Number.POSITIVE_INFINITY);
  if (state[1] !== 0) notPositiveDefinite(n, failure[0] as number, failure[1] as number);
  return l;
}

/**
 * Cholesky factorisation, hand-written on row-major Float64Array: the dense MNE strategy and the
 * initial fit factor matrices of order 10³, where ml-matrix's array-of-rows Cholesky was 10×
 * slower. Row-oriented (entries are dot products of contiguous row prefixes, four rows at a time),
 * so the inner loop streams through memory. Throws {@link ErrorCode.NotPositiveDefinite} when A is not
 * numerically positive definite — add a ridge (A + λI) rather than retrying the same matrix.
 * Only the lower triangle of A is read.
 */
export function cholesky(a: DenseMatrix): CholeskyFactor {
  requireSquare(a, "cholesky");
  requireFinite(a, "cholesky");
  const n = a.rows;
  const l = choleskyLower(a.data, n);
  const lower: DenseMatrix = { rows: n, cols: n, data: l };
  return {
    n,
    lower,
    solve: ((b: Float64Array | DenseMatrix) => {
      const rhs = asRhs(b, n, "cholesky solve");
      const x = choleskySolveColumns(l, n, rhs);
      return b instanceof Float64Array ? x.data : x;
    }) as CholeskyFactor["solve"],
    logDeterminant() {
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.log(l[i * n + i] as number);
      return 2 * s;
    },
  };
}

/**
 * Solves L Lᵀ X = B column by column (forward then backward substitution). One right-hand side
 * (the common case: LM steps, the preconditioner of `conjugateGradient`) runs both passes along
 * rows of L — the backward pass in column (axpy) form, x_i = y_i / L_ii then y[0, i) −= x_i·L[i, 0, i)
 * — where the textbook backward pass walks down columns of the row-major factor.
 */
function choleskySolveColumns(l: Float64Array, n: number, b: DenseMatrix): DenseMatrix {
  const m = b.cols;
  if (m === 1) {
    const y = Float64Array.from(b.data);
    for (let i = 0; i < n; i++) {
      let sum = y[i] as number;
      const row = i * n;
      for (let k = 0; k < i; k++) sum -= (l[row + k] as number) * (y[k] as number);
      y[i] = sum / (l[row + i] as number);
    }
    for (let i = n - 1; i >= 0; i--) {
      const row = i * n;
      const xi = (y[i] as number) / (l[row + i] as number);
      y[i] = xi;
      if (xi === 0) continue;
      for (let k = 0; k < i; k++) y[k] = (y[k] as number) - xi * (l[row + k] as number);
    }
    return { rows: n, cols: 1, data: y };
  }
  const out = new Float64Array(n * m);
  const y = new Float64Array(n);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let sum = b.data[i * m + c] as number;
      const row = i * n;
      for (let k = 0; k < i; k++) sum -= (l[row + k] as number) * (y[k] as number);
      y[i] = sum / (l[row + i] as number);
    }
    for (let i = n - 1; i >= 0; i--) {
      let sum = y[i] as number;
      for (let k = i + 1; k < n; k++) sum -= (l[k * n + i] as number) * (out[k * m + c] as number);
      out[i * m + c] = sum / (l[i * n + i] as number);
    }
  }
  return { rows: n, cols: m, data: out };
}

/** What `conjugateGradient` returns. */
export interface ConjugateGradientResult {
  readonly x: Float64Array;
  readonly iterations: number;
  /** ‖b − Ax‖/‖b‖ reached (from the recurrence), ≤ `tolerance` when converged. */
  readonly relativeResidual: number;
  /**
   * `"converged"`; `"max_iterations"`; or `"not_positive_definite"` when a search direction met
   * pᵀAp ≤ 0 (A is not positive definite: factorise it to find out, do not use x).
   */
  readonly status: "converged" | "max_iterations" | "not_positive_definite";
}

/**
 * Preconditioned conjugate gradients for a symmetric positive definite A (full row-major storage)
 * and one right-hand side, from x = 0. `preconditioner(r)` returns M⁻¹r for an SPD M ≈ A — e.g.
 * a Cholesky factor of a nearby matrix, `(r) => factor.solve(r)`. With M ⪯ A ⪯ cM the
 * iteration count to a relative residual τ is about ½√c·ln(2/τ). Each iteration costs one
 * product with A (n² multiply-adds) and one preconditioner application.
 */
export function conjugateGradient(
  a: DenseMatrix,
  b: Float64Array,
  preconditioner: (r: Float64Array) => Float64Array,
  options: { readonly tolerance?: number; readonly maxIterations?: number } = {},
): ConjugateGradientResult {
  requireSquare(a, "conjugateGradient");
  const n = a.rows;
  if (b.length !== n) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `conjugateGradient: the right-hand side has length ${b.length}, the system has ${n} rows`, { rows: b.length, expected: n });
  }
  const tolerance = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? n;
  if (!(tolerance > 0 && tolerance < 1)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `conjugateGradient: tolerance = ${String(tolerance)} must be in (0, 1)`, { field: "tolerance" });
  }
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new MinevoError(ErrorCode.InvalidOptions, `conjugateGradient: maxIterations = ${String(maxIterations)} must be a positive integer`, { field: "maxIterations" });
  }
  const data = a.data;
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  let bNorm = 0;
  for (let i = 0; i < n; i++) bNorm += (b[i] as number) ** 2;
  bNorm = Math.sqrt(bNorm);
  if (!Number.isFinite(bNorm)) throw new MinevoError(ErrorCode.NonFinite, "conjugateGradient: the right-hand side is not finite", {});
  if (bNorm === 0) return { x, iterations: 0, relativeResidual: 0, status: "converged" };
  let z = preconditioner(r);
  const direction = Float64Array.from(z);
  const ap = new Float64Array(n);
  let rz = 0;
  for (let i = 0; i < n; i++) rz += (r[i] as number) * (z[i] as number);
  let relativeResidual = 1;
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    let curvature = 0;
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let s = 0;
      for (let k = 0; k < n; k++) s += (data[row + k] as number) * (direction[k] as number);
      ap[i] = s;
      curvature += s * (direction[i] as number);
    }
    if (!(curvature > 0)) return { x, iterations: iteration, relativeResidual, status: "not_positive_definite" };
    const alpha = rz / curvature;
    let rNorm = 0;
    for (let i = 0; i < n; i++) {
      x[i] = (x[i] as number) + alpha * (direction[i] as number);
      const ri = (r[i] as number) - alpha * (ap[i] as number);
      r[i] = ri;
      rNorm += ri * ri;
    }
    relativeResidual = Math.sqrt(rNorm) / bNorm;
    if (relativeResidual <= tolerance) return { x, iterations: iteration, relativeResidual, status: "converged" };
    z = preconditioner(r);
    let rzNext = 0;
    for (let i = 0; i < n; i++) rzNext += (r[i] as number) * (z[i] as number);
    const beta = rzNext / rz;
    rz = rzNext;
    for (let i = 0; i < n; i++) direction[i] = (z[i] as number) + beta * (direction[i] as number);
  }
  return { x, iterations: maxIterations, relativeResidual, status: "max_iterations" };
}

/** Solves the general square system A x = b by LU with partial pivoting. */
export function solveLinear(a: DenseMatrix, b: Float64Array): Float64Array;
export function solveLinear(a: DenseMatrix, b: DenseMatrix): DenseMatrix;
export function solveLinear(a: DenseMatrix, b: Float64Array | DenseMatrix): Float64Array | DenseMatrix {
  requireSquare(a, "solve");
  requireFinite(a, "solve");
  const rhs = asRhs(b, a.rows, "solve");
  const lu = new LuDecomposition(toMl(a));
  if (lu.isSingular()) {
    throw new MinevoError(ErrorCode.SingularMatrix, `solve: the ${a.rows}×${a.rows} matrix is singular`, { n: a.rows });
  }
  const x = fromMl(lu.solve(toMl(rhs)));
  return b instanceof Float64Array ? x.data : x;
}

/** Eigen-decomposition of a symmetric matrix: A = V diag(values) Vᵀ, values ascending. */
export interface SymmetricEigen {
  readonly values: Float64Array;
  /** Eigenvectors as columns, in the order of `values`. */
  readonly vectors: DenseMatrix;
}

export function symmetricEigen(a: DenseMatrix): SymmetricEigen {
  requireSquare(a, "symmetricEigen");
  requireFinite(a, "symmetricEigen");
  const n = a.rows;
  const e = new EigenvalueDecomposition(toMl(a), { assumeSymmetric: true });
  const values = Float64Array.from(e.realEigenvalues);
  const v = e.eigenvectorMatrix;
  const order = [...values.keys()].sort((i, j) => (values[i] as number) - (values[j] as number));
  const sortedValues = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    sortedValues[dst] = values[src] as number;
    for (let r = 0; r < n; r++) vectors[r * n + dst] = v.get(r, src);
  });
  return { values: sortedValues, vectors: { rows: n, cols: n, data: vectors } };
}

/** Thin singular value decomposition A = U diag(s) Vᵀ, singular values descending. */
export interface SingularValues {
  readonly u: DenseMatrix;
  readonly s: Float64Array;
  readonly v: DenseMatrix;
}

export function svd(a: DenseMatrix): SingularValues {
  requireFinite(a, "svd");
  const d = new SingularValueDecomposition(toMl(a), { autoTranspose: true });
  return { u: fromMl(d.leftSingularVectors), s: Float64Array.from(d.diagonal), v: fromMl(d.rightSingularVectors) };
}

/** C = A B for small dense matrices (float64, on the CPU). */
export function multiply(a: DenseMatrix, b: DenseMatrix): DenseMatrix {
  if (a.cols !== b.rows) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `multiply: ${a.rows}×${a.cols} times ${b.rows}×${b.cols}`);
  }
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k] as number;
      if (aik === 0) continue;
      const rowB = k * b.cols;
      const rowC = i * b.cols;
      for (let j = 0; j < b.cols; j++) out[rowC + j] = (out[rowC + j] as number) + aik * (b.data[rowB + j] as number);
    }
  }
  return { rows: a.rows, cols: b.cols, data: out };
}

/** Aᵀ for a dense matrix. */
export function transpose(a: DenseMatrix): DenseMatrix {
  const out = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j] as number;
  return { rows: a.cols, cols: a.rows, data: out };
}
