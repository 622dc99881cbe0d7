/**
 * The blocked part of the Cholesky factorisation A = LLᵀ (row-major n×n, A's lower triangle read):
 * L's rows four at a time ("panels"). Panel p holds rows 4p…4p+3; its 4×4 block in columns
 * 4j…4j+3 (j < p) is a dot product of row prefixes of panels p and j — sixteen independent sums
 * streamed over k < 4j — finished by forward substitution within the block; then the diagonal
 * block by a 4×4 Cholesky. A block of panel p needs only panel j complete, so two threads can
 * work on consecutive panels at once; every entry is summed in the same order whoever computes
 * it, so the factor is bitwise the same sequentially and in parallel.
 *
 * Scheduling, through `state` (an Int32Array, shared between threads for the parallel form):
 * state[0] is the next panel to claim (Atomics.add), state[1] is set when a pivot is not positive
 * (failure = [pivot, value]) or a wait ran out of patience (failure = [−1, ms waited]), and
 * state[2 + p] is set when panel p is complete. A thread that needs an incomplete panel waits on
 * its flag (Atomics.wait; only ever reached in the parallel form, on shared memory).
 *
 * Self-contained — no imports, no names from outside its body, no inner functions — because its
 * source text is what the worker of `startCholeskyWorker` runs.
 */
export function choleskyPanels(l: Float64Array, src: ArrayLike<number>, n: number, state: Int32Array, failure: Float64Array, patienceMs: number): void {
  const panels = (n - (n % 4)) / 4;
  for (;;) {
    const p = Atomics.add(state, 0, 1);
    if (p >= panels || Atomics.load(state, 1) !== 0) return;
    const i = 4 * p;
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    for (let j = 0; j < i; j += 4) {
      if (Atomics.load(state, 2 + j / 4) === 0) {
        const start = Date.now();
        while (Atomics.load(state, 2 + j / 4) === 0) {
          if (Atomics.load(state, 1) !== 0) return;
          if (Date.now() - start > patienceMs) {
            failure[0] = -1;
            failure[1] = Date.now() - start;
            Atomics.store(state, 1, 1);
            return;
          }
          Atomics.wait(state, 2 + j / 4, 0, 20);
        }
      }
      const c0 = j * n;
      const c1 = c0 + n;
      const c2 = c1 + n;
      const c3 = c2 + n;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0; k < j; k++) {
        const a0 = l[r0 + k] as number;
        const a1 = l[r1 + k] as number;
        const a2 = l[r2 + k] as number;
        const a3 = l[r3 + k] as number;
        const b0 = l[c0 + k] as number;
        const b1 = l[c1 + k] as number;
        const b2 = l[c2 + k] as number;
        const b3 = l[c3 + k] as number;
        s00 += a0 * b0;
        s01 += a0 * b1;
        s02 += a0 * b2;
        s03 += a0 * b3;
        s10 += a1 * b0;
        s11 += a1 * b1;
        s12 += a1 * b2;
        s13 += a1 * b3;
        s20 += a2 * b0;
        s21 += a2 * b1;
        s22 += a2 * b2;
        s23 += a2 * b3;
        s30 += a3 * b0;
        s31 += a3 * b1;
        s32 += a3 * b2;
        s33 += a3 * b3;
      }
      // Columns j…j+3 of the block: L[j+q][j+m] (m < q) and the pivots L[j+q][j+q].
      const l10 = l[c1 + j] as number;
      const l20 = l[c2 + j] as number;
      const l21 = l[c2 + j + 1] as number;
      const l30 = l[c3 + j] as number;
      const l31 = l[c3 + j + 1] as number;
      const l32 = l[c3 + j + 2] as number;
      const d0 = l[c0 + j] as number;
      const d1 = l[c1 + j + 1] as number;
      const d2 = l[c2 + j + 2] as number;
      const d3 = l[c3 + j + 3] as number;
      // Each of the four rows by forward substitution against the block's columns.
      for (let q = 0; q < 4; q++) {
        const r = r0 + q * n;
        const t0 = q === 0 ? s00 : q === 1 ? s10 : q === 2 ? s20 : s30;
        const t1 = q === 0 ? s01 : q === 1 ? s11 : q === 2 ? s21 : s31;
        const t2 = q === 0 ? s02 : q === 1 ? s12 : q === 2 ? s22 : s32;
        const t3 = q === 0 ? s03 : q === 1 ? s13 : q === 2 ? s23 : s33;
        const x0 = ((src[r + j] as number) - t0) / d0;
        const x1 = ((src[r + j + 1] as number) - t1 - x0 * l10) / d1;
        const x2 = ((src[r + j + 2] as number) - t2 - x0 * l20 - x1 * l21) / d2;
        const x3 = ((src[r + j + 3] as number) - t3 - x0 * l30 - x1 * l31 - x2 * l32) / d3;
        l[r + j] = x0;
        l[r + j + 1] = x1;
        l[r + j + 2] = x2;
        l[r + j + 3] = x3;
      }
    }
    // The 4×4 block on the diagonal: its ten sums, then a 4×4 Cholesky.
    let s00 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s22 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
    for (let k = 0; k < i; k++) {
      const a0 = l[r0 + k] as number;
      const a1 = l[r1 + k] as number;
      const a2 = l[r2 + k] as number;
      const a3 = l[r3 + k] as number;
      s00 += a0 * a0;
      s10 += a1 * a0;
      s11 += a1 * a1;
      s20 += a2 * a0;
      s21 += a2 * a1;
      s22 += a2 * a2;
      s30 += a3 * a0;
      s31 += a3 * a1;
      s32 += a3 * a2;
      s33 += a3 * a3;
    }
    const p0 = (src[r0 + i] as number) - s00;
    let bad = p0 > 0 ? -1 : i;
    let badValue = p0;
    const m00 = Math.sqrt(p0);
    const m10 = ((src[r1 + i] as number) - s10) / m00;
    const m20 = ((src[r2 + i] as number) - s20) / m00;
    const m30 = ((src[r3 + i] as number) - s30) / m00;
    const p1 = (src[r1 + i + 1] as number) - s11 - m10 * m10;
    if (bad < 0 && !(p1 > 0)) {
      bad = i + 1;
      badValue = p1;
    }
    const m11 = Math.sqrt(p1);
    const m21 = ((src[r2 + i + 1] as number) - s21 - m20 * m10) / m11;
    const m31 = ((src[r3 + i + 1] as number) - s31 - m30 * m10) / m11;
    const p2 = (src[r2 + i + 2] as number) - s22 - m20 * m20 - m21 * m21;
    if (bad < 0 && !(p2 > 0)) {
      bad = i + 2;
      badValue = p2;
    }
    const m22 = Math.sqrt(p2);
    const m32 = ((src[r3 + i + 2] as number) - s32 - m30 * m20 - m31 * m21) / m22;
    const p3 = (src[r3 + i + 3] as number) - s33 - m30 * m30 - m31 * m31 - m32 * m32;
    if (bad < 0 && !(p3 > 0)) {
      bad = i + 3;
      badValue = p3;
    }
    if (bad >= 0) {
      failure[0] = bad;
      failure[1] = badValue;
      Atomics.store(state, 1, 1);
      return;
    }
    l[r0 + i] = m00;
    l[r1 + i] = m10;
    l[r1 + i + 1] = m11;
    l[r2 + i] = m20;
    l[r2 + i + 1] = m21;
    l[r2 + i + 2] = m22;
    l[r3 + i] = m30;
    l[r3 + i + 1] = m31;
    l[r3 + i + 2] = m32;
    l[r3 + i + 3] = Math.sqrt(p3);
    Atomics.store(state, 2 + p, 1);
    Atomics.notify(state, 2 + p);
  }
}
