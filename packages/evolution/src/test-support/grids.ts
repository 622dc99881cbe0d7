/**
 * TEST FIXTURE: point sets and error measures for the exact-solution tests.
 */
import type { RandomStream } from "@minevo/core";

/** N points evenly spaced on [a, b], cell-centred (row-major N×1). */
export function cellCentres(a: number, b: number, n: number, shift = 0.5): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => a + ((b - a) * (i + shift)) / n);
}

/** A jittered g×g grid on the square [lo, lo + side]², row-major (g²)×2. */
export function jitteredGrid(lo: number, side: number, g: number, random: RandomStream): Float64Array {
  const h = side / g;
  const out = new Float64Array(2 * g * g);
  for (let i = 0; i < g; i++) {
    for (let j = 0; j < g; j++) {
      const k = i * g + j;
      out[2 * k] = lo + h * (i + 0.25 + 0.5 * random.uniform());
      out[2 * k + 1] = lo + h * (j + 0.25 + 0.5 * random.uniform());
    }
  }
  return out;
}

/** ‖u − exact‖₂ / ‖exact‖₂. */
export function relativeL2(u: ArrayLike<number>, exact: ArrayLike<number>): number {
  let e2 = 0;
  let n2 = 0;
  for (let i = 0; i < exact.length; i++) {
    e2 += ((u[i] as number) - (exact[i] as number)) ** 2;
    n2 += (exact[i] as number) ** 2;
  }
  return Math.sqrt(e2 / n2);
}
