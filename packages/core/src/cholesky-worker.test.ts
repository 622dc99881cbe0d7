import { afterAll, describe, expect, it } from "vitest";
import { ErrorCode, RandomStream, cholesky, choleskyWorkerRunning, denseMatrix, isMinevoError, multiply, startCholeskyWorker, stopCholeskyWorker, transpose, type DenseMatrix } from "./index.js";

function spd(n: number, seed: number): DenseMatrix {
  const a = denseMatrix(n, n, RandomStream.fromSeed(seed).normals(n * n));
  const k = multiply(a, transpose(a));
  for (let i = 0; i < n; i++) k.data[i * n + i] = (k.data[i * n + i] as number) + n;
  return k;
}

function failureOf(body: () => unknown): Error {
  try {
    body();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

afterAll(async () => {
  await stopCholeskyWorker();
});

describe("cholesky on two threads (Node)", () => {
  it("gives bitwise the one-thread factor, at every order mod 4 from the threshold (400)", async () => {
    const orders = [400, 401, 402, 403, 603];
    const alone = orders.map((n) => Array.from(cholesky(spd(n, n)).lower.data));
    expect(choleskyWorkerRunning()).toBe(false);
    expect(await startCholeskyWorker()).toBe(true);
    expect(choleskyWorkerRunning()).toBe(true);
    for (const [index, n] of orders.entries()) {
      const l = cholesky(spd(n, n)).lower.data;
      expect(l.buffer).toBeInstanceOf(SharedArrayBuffer); // the worker's path was taken
      expect(Array.from(l), `n = ${n}`).toEqual(alone[index]);
    }
    // Below the threshold one thread factors, as before.
    expect(cholesky(spd(64, 3)).lower.data.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it("names the failing pivot as one thread does, whichever thread meets it", async () => {
    expect(await startCholeskyWorker()).toBe(true);
    for (const pivot of [1, 6, 401, 402]) {
      const n = 410;
      const a = new Array<number>(n * n).fill(0);
      for (let k = 0; k < n; k++) a[k * n + k] = 1;
      a[pivot * n + pivot - 1] = a[(pivot - 1) * n + pivot] = 2;
      const error = failureOf(() => cholesky(denseMatrix(n, n, a)));
      expect(isMinevoError(error, ErrorCode.NotPositiveDefinite)).toBe(true);
      expect(error.message, `pivot ${pivot}`).toContain(`pivot ${pivot} `);
    }
    // The worker is still usable afterwards.
    const a = spd(410, 5);
    const l = cholesky(a).lower;
    expect(l.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    let worst = 0;
    const product = multiply(l, transpose(l)).data;
    for (let i = 0; i < product.length; i++) worst = Math.max(worst, Math.abs((product[i] as number) - (a.data[i] as number)));
    expect(worst).toBeLessThan(1e-9);
  });

  it("stops, and factors on one thread again", async () => {
    expect(await startCholeskyWorker()).toBe(true);
    await stopCholeskyWorker();
    expect(choleskyWorkerRunning()).toBe(false);
    expect(cholesky(spd(410, 9)).lower.data.buffer).toBeInstanceOf(ArrayBuffer);
  });
});
