/**
 * Bogacki–Shampine 3(2) (Bogacki & Shampine 1989), FSAL. Its natural interpolant is the cubic
 * Hermite polynomial through y₀, f₀, y₁, f₁, which is third-order accurate.
 */
import type { RungeKuttaMethod } from "./method.js";

const b = [2 / 9, 1 / 3, 4 / 9, 0];
/** The embedded second-order weights b̂. */
const bHat = [7 / 24, 1 / 4, 1 / 3, 1 / 8];

export const bosh3Method: RungeKuttaMethod = {
  name: "bosh3",
  order: 3,
  stages: 4,
  c: [0, 1 / 2, 3 / 4, 1],
  a: [[], [1 / 2], [0, 3 / 4], [2 / 9, 1 / 3, 4 / 9]],
  b,
  fsal: true,
  error: { kind: "embedded", weights: b.map((bi, i) => bi - (bHat[i] as number)), order: 2 },
  dense: { kind: "hermite" },
};
