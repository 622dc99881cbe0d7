/**
 * Known test problems in float64: Jacobians of chosen rank (rounded to float32, the values the
 * backend sees) and exact ridge and minimal-norm solutions to compare strategies against.
 */
import { solveLinear, type DenseMatrix, type RandomStream } from "@minevo/core";

/** A row-major N×p matrix with float32-representable entries. */
export function roundToFloat32(m: DenseMatrix): DenseMatrix {
  return { rows: m.rows, cols: m.cols, data: Float64Array.from(m.data, Math.fround) };
}

export function randomMatrix(rows: number, cols: number, random: RandomStream): DenseMatrix {
  return { rows, cols, data: random.normals(rows * cols) };
}

export function matmul(a: DenseMatrix, b: DenseMatrix): DenseMatrix {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k] as number;
      for (let j = 0; j < b.cols; j++) out[i * b.cols + j] = (out[i * b.cols + j] as number) + aik * (b.data[k * b.cols + j] as number);
    }
  return { rows: a.rows, cols: b.cols, data: out };
}

export function transposed(a: DenseMatrix): DenseMatrix {
  const out = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j] as number;
  return { rows: a.cols, cols: a.rows, data: out };
}

export function apply(a: DenseMatrix, x: Float64Array): Float64Array {
  const out = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    for (let j = 0; j < a.cols; j++) s += (a.data[i * a.cols + j] as number) * (x[j] as number);
    out[i] = s;
  }
  return out;
}

/**
 * A Jacobian of exact rank `rank` even in float32: J = A B with small-integer factors (A: N×r,
 * B: r×p, entries in −3..3), so every entry of J is an integer that float32 holds exactly.
 * (Rounding a real low-rank product to float32 would make it full rank with singular values
 * ~1e-7·σ₁, which a small λ does not ignore.)
 */
export function lowRankJacobian(numPoints: number, numParameters: number, rank: number, random: RandomStream) {
  const smallIntegers = (rows: number, cols: number): DenseMatrix => ({
    rows,
    cols,
    data: Float64Array.from({ length: rows * cols }, () => random.integer(7) - 3),
  });
  const a = smallIntegers(numPoints, rank);
  const b = smallIntegers(rank, numParameters);
  return { jacobian: matmul(a, b), rowFactor: b };
}

/** The exact ridge step Jᵀ(JJᵀ + λI)⁻¹f in float64. */
export function exactRidge(j: DenseMatrix, f: Float64Array, lambda: number): Float64Array {
  const k = matmul(j, transposed(j));
  for (let i = 0; i < k.rows; i++) k.data[i * k.rows + i] = (k.data[i * k.rows + i] as number) + lambda;
  return apply(transposed(j), solveLinear(k, f));
}

/** ‖J‖²_F = tr JJᵀ. */
export function frobeniusSquared(j: DenseMatrix): number {
  let s = 0;
  for (const v of j.data) s += v * v;
  return s;
}

/**
 * The minimal-norm θ with Jθ = Jx for J = A B (A of full column rank): the projection of x onto
 * the row space of B, Bᵀ(BBᵀ)⁻¹Bx.
 */
export function minimalNormSolution(rowFactor: DenseMatrix, x: Float64Array): Float64Array {
  const bx = apply(rowFactor, x);
  const bbt = matmul(rowFactor, transposed(rowFactor));
  return apply(transposed(rowFactor), solveLinear(bbt, bx));
}

export function norm(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] as number) ** 2;
  return Math.sqrt(s);
}

export function relativeDifference(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const d = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) d[i] = (x[i] as number) - (y[i] as number);
  return norm(d) / norm(y);
}
