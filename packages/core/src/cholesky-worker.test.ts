import { afterAll, describe, expect, it } from "vitest";
import { ErrorCode, cholesky, choleskyWorkerRunning, denseMatrix, isMinevoError, multiply, startCholeskyWorker, stopCholeskyWorker, transpose } from "./index.js";
import { indefiniteAt, maxAbsDiff, spd, thrown } from "./test-support/matrices.js";

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
      const error = thrown(() => cholesky(denseMatrix(410, 410, indefiniteAt(410, pivot)))) as Error;
      expect(isMinevoError(error, ErrorCode.NotPositiveDefinite)).toBe(true);
      expect(error.message, `pivot ${pivot}`).toContain(`pivot ${pivot} `);
    }
    // The worker is still usable afterwards.
    const a = spd(410, 5);
    const l = cholesky(a).lower;
    expect(l.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(maxAbsDiff(multiply(l, transpose(l)).data, a.data)).toBeLessThan(1e-9);
  });

  it("stops, and factors on one thread again", async () => {
    expect(await startCholeskyWorker()).toBe(true);
    await stopCholeskyWorker();
    expect(choleskyWorkerRunning()).toBe(false);
    expect(cholesky(spd(410, 9)).lower.data.buffer).toBeInstanceOf(ArrayBuffer);
  });
});
