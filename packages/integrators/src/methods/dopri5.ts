/**
 * Dormand–Prince 5(4) (Dormand & Prince 1980) as in Hairer's DOPRI5: FSAL, 7 stages, error
 * coefficients eᵢ = bᵢ − b̂ᵢ, and the 4th-order continuous extension of Shampine (1986).
 */
import type { RungeKuttaMethod } from "./method.js";

const b = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0];
const e = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40];
/** Hairer's d₁..d₇ (d₂ = 0) of the dense output. */
const d = [
  -12715105075 / 11282082432,
  0,
  87487479700 / 32700410799,
  -10690763975 / 1880347072,
  701980252875 / 199316789632,
  -1453857185 / 822651844,
  69997945 / 29380423,
];

/**
 * Hairer's CONTD5 evaluates y₀ + θ(r₂ + (1−θ)(r₃ + θ(r₄ + (1−θ)r₅))) with r₂ = h Σ bᵢkᵢ,
 * r₃ = h k₁ − r₂, r₄ = r₂ − h k₇ − r₃, r₅ = h Σ dᵢkᵢ. Expanded per stage:
 * wᵢ(θ) = θbᵢ + θ(1−θ)(δᵢ₁ − bᵢ) + θ²(1−θ)(2bᵢ − δᵢ₁ − δᵢ₇) + θ²(1−θ)²dᵢ.
 */
function dopri5Weights(theta: number, out: Float64Array): void {
  const s1 = 1 - theta;
  const p2 = theta * s1;
  const p3 = theta * theta * s1;
  const p4 = p3 * s1;
  for (let i = 0; i < 7; i++) {
    const bi = b[i] as number;
    const first = i === 0 ? 1 : 0;
    const last = i === 6 ? 1 : 0;
    out[i] = theta * bi + p2 * (first - bi) + p3 * (2 * bi - first - last) + p4 * (d[i] as number);
  }
}

export const dopri5Method: RungeKuttaMethod = {
  name: "dopri5",
  order: 5,
  stages: 7,
  c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
  a: [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
  ],
  b,
  fsal: true,
  error: { kind: "embedded", weights: e, order: 4 },
  dense: { kind: "continuous", order: 4, extraStages: [], weights: dopri5Weights },
};
