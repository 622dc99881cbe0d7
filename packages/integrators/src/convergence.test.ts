/**
 * Observed convergence order of every tableau on a smooth problem with a known solution, and
 * of every dense output. Each method runs with constant steps so the tableau alone is measured.
 */
import { describe, expect, it } from "vitest";
import { constantStep } from "./controller.js";
import { createIntegrator } from "./integrator.js";
import type { RungeKuttaMethod } from "./methods/method.js";
import { eulerMethod, heunMethod, midpointMethod, rk4Method } from "./methods/fixed.js";
import { bosh3Method } from "./methods/bosh3.js";
import { dopri5Method } from "./methods/dopri5.js";
import { tsit5Method } from "./methods/tsit5.js";
import { dop853Method } from "./methods/dop853.js";
import { saveDense, saveSteps } from "./save.js";
import { dampedRotation, maxAbsDifference } from "./test-support/problems.js";

const T = 2;

/** Step counts (N, 2N) in the asymptotic range: errors well above rounding, below O(1). */
const cases: [RungeKuttaMethod, number][] = [
  [eulerMethod, 200],
  [heunMethod, 50],
  [midpointMethod, 50],
  [rk4Method, 20],
  [bosh3Method, 40],
  [dopri5Method, 10],
  [tsit5Method, 32],
  [dop853Method, 8],
];
const named = cases.map(([method, steps]) => [method.name, method, steps] as const);

/** Largest error at the step ends. */
function gridError(method: RungeKuttaMethod, steps: number): number {
  const integrator = createIntegrator({ method, controller: constantStep({ steps }) });
  const result = integrator.solveSync({ rhs: dampedRotation.rhs, t0: 0, t1: T, y0: dampedRotation.y0 }, { save: saveSteps() });
  expect(result.status).toBe("success");
  expect(result.stats.acceptedSteps).toBe(steps);
  return Math.max(...result.ts.map((t, i) => maxAbsDifference(result.ys[i] as Float64Array, dampedRotation.exact(t))));
}

/** Largest dense-output error at points strictly inside steps, and the largest error at step ends. */
function denseErrors(method: RungeKuttaMethod, steps: number): { dense: number; grid: number } {
  const integrator = createIntegrator({ method, controller: constantStep({ steps }) });
  const result = integrator.solveSync({ rhs: dampedRotation.rhs, t0: 0, t1: T, y0: dampedRotation.y0 }, { save: saveDense() });
  const interpolate = result.interpolate as (t: number) => Float64Array;
  let dense = 0;
  let grid = 0;
  for (let i = 0; i < steps; i++) {
    const a = (T * i) / steps;
    const h = T / steps;
    grid = Math.max(grid, maxAbsDifference(interpolate(a + h), dampedRotation.exact(a + h)));
    for (const theta of [0.13, 0.37, 0.5, 0.71, 0.94]) {
      const t = a + theta * h;
      dense = Math.max(dense, maxAbsDifference(interpolate(t), dampedRotation.exact(t)));
    }
  }
  return { dense, grid };
}

describe("observed convergence order", () => {
  it.each(named)("%s is within 0.3 of its nominal order", (_name, method, steps) => {
    const coarse = gridError(method, steps);
    const fine = gridError(method, 2 * steps);
    const observed = Math.log2(coarse / fine);
    expect(fine).toBeGreaterThan(1e-14);
    expect(Math.abs(observed - method.order)).toBeLessThan(0.3);
  });
});

describe("dense output", () => {
  it.each(named)("%s: error between steps is of the same order as the error at the steps", (_name, method, steps) => {
    const coarse = denseErrors(method, steps);
    const fine = denseErrors(method, 2 * steps);
    // Same size: interpolation adds at most a modest multiple of the step error…
    expect(fine.dense).toBeLessThan(20 * fine.grid);
    // …and converges at least as fast as the global error (the interpolant's local order is
    // at least the method's global order for every pairing used here).
    const denseOrder = Math.log2(coarse.dense / fine.dense);
    const gridOrder = Math.log2(coarse.grid / fine.grid);
    expect(denseOrder).toBeGreaterThan(Math.min(gridOrder, denseOrderCap(method)) - 0.3);
  });
});

/** The dense output's own accuracy limit: global error cannot beat the interpolant's local order. */
function denseOrderCap(method: RungeKuttaMethod): number {
  return method.dense.kind === "hermite" ? 4 : method.dense.order + 1;
}
