/** Test problems with known answers. */

/** The restricted three-body problem of Arenstorf (Hairer, Nørsett & Wanner I, §II.0). */
export const arenstorf = {
  mu: 0.012277471,
  /** 17.0652165601579625588917206249, rounded to double. */
  period: 17.065216560157964,
  /** y₂'(0) = −2.00158510637908252240537862224, rounded to double. */
  y0: Float64Array.of(0.994, 0, 0, -2.0015851063790824),
  rhs(_t: number, y: Float64Array): Float64Array {
    const mu = 0.012277471;
    const muPrime = 1 - mu;
    const y1 = y[0] as number;
    const y2 = y[1] as number;
    const v1 = y[2] as number;
    const v2 = y[3] as number;
    const d1 = Math.pow((y1 + mu) ** 2 + y2 ** 2, 1.5);
    const d2 = Math.pow((y1 - muPrime) ** 2 + y2 ** 2, 1.5);
    return Float64Array.of(
      v1,
      v2,
      y1 + 2 * v2 - (muPrime * (y1 + mu)) / d1 - (mu * (y1 - muPrime)) / d2,
      y2 - 2 * v1 - (muPrime * y2) / d1 - (mu * y2) / d2,
    );
  },
};

/**
 * A smooth non-autonomous linear system with a closed-form solution, the damped rotation
 * y' = [[−t/4, −1], [1, −t/4]] y, y(0) = (1, 0): y(t) = e^{−t²/8} (cos t, sin t).
 */
export const dampedRotation = {
  y0: Float64Array.of(1, 0),
  rhs(t: number, y: Float64Array): Float64Array {
    const a = -t / 4;
    const y1 = y[0] as number;
    const y2 = y[1] as number;
    return Float64Array.of(a * y1 - y2, y1 + a * y2);
  },
  exact(t: number): Float64Array {
    const r = Math.exp(-(t * t) / 8);
    return Float64Array.of(r * Math.cos(t), r * Math.sin(t));
  },
};

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
