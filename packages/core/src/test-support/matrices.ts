/** Matrices and checks shared by the linear-algebra tests. */
import { RandomStream, denseMatrix, multiply, transpose, type DenseMatrix } from "../index.js";

export function randomMatrix(rows: number, cols: number, seed: number): DenseMatrix {
  return denseMatrix(rows, cols, RandomStream.fromSeed(seed).normals(rows * cols));
}

/** A Aᵀ + nI for a random n×n A: symmetric positive definite, well conditioned. */
export function spd(n: number, seed: number): DenseMatrix {
  const a = randomMatrix(n, n, seed);
  const k = multiply(a, transpose(a));
  for (let i = 0; i < n; i++) k.data[i * n + i] = (k.data[i * n + i] as number) + n;
  return k;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** What `body` throws (undefined when it returns). */
export function thrown(body: () => unknown): unknown {
  try {
    body();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** An n×n identity with a 2 beside the diagonal at (pivot, pivot − 1): indefinite from that pivot on. */
export function indefiniteAt(n: number, pivot: number): number[] {
  const a = new Array<number>(n * n).fill(0);
  for (let k = 0; k < n; k++) a[k * n + k] = 1;
  a[pivot * n + pivot - 1] = a[(pivot - 1) * n + pivot] = 2;
  return a;
}
