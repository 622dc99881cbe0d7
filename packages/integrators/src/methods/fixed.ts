/** The classical fixed-step methods: forward Euler, Heun (explicit trapezoid), midpoint and RK4. */
import type { RungeKuttaMethod } from "./method.js";

const hermite = { kind: "hermite" } as const;

export const eulerMethod: RungeKuttaMethod = {
  name: "euler",
  order: 1,
  stages: 1,
  c: [0],
  a: [[]],
  b: [1],
  fsal: false,
  dense: hermite,
};

export const heunMethod: RungeKuttaMethod = {
  name: "heun",
  order: 2,
  stages: 2,
  c: [0, 1],
  a: [[], [1]],
  b: [1 / 2, 1 / 2],
  fsal: false,
  dense: hermite,
};

export const midpointMethod: RungeKuttaMethod = {
  name: "midpoint",
  order: 2,
  stages: 2,
  c: [0, 1 / 2],
  a: [[], [1 / 2]],
  b: [0, 1],
  fsal: false,
  dense: hermite,
};

export const rk4Method: RungeKuttaMethod = {
  name: "rk4",
  order: 4,
  stages: 4,
  c: [0, 1 / 2, 1 / 2, 1],
  a: [[], [1 / 2], [0, 1 / 2], [0, 0, 1]],
  b: [1 / 6, 1 / 3, 1 / 3, 1 / 6],
  fsal: false,
  dense: hermite,
};
