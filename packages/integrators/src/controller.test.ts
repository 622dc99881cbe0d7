/** Step-size control: the I/PI/PID rules, bounds, tolerances per component, dtmax. */
import { describe, expect, it } from "vitest";
import { isMinevoError, registries } from "@minevo/core";
import "./index.js";
import { acceptedStepFactor, adaptiveController, rejectedStepFactor } from "./controller.js";
import { createIntegrator } from "./integrator.js";
import { dopri5Method } from "./methods/dopri5.js";
import { saveSteps } from "./save.js";
import { arenstorf, dampedRotation, maxAbsDifference } from "./test-support/problems.js";

describe("controller rules", () => {
  it("the PID factor is safety · εₙ^(−β₁/k) · εₙ₋₁^(−β₂/k) · εₙ₋₂^(−β₃/k)", () => {
    const c = adaptiveController({ rule: "pid", beta1: 0.6, beta2: -0.3, beta3: 0.1 });
    const expected = 0.9 * 0.5 ** (-0.6 / 5) * 0.25 ** (0.3 / 5) * 0.8 ** (-0.1 / 5);
    expect(acceptedStepFactor(c, 0.5, [0.25, 0.8], 5)).toBeCloseTo(expected, 14);
  });

  it("PI defaults to β = (0.7, −0.4) and I ignores the history", () => {
    const pi = adaptiveController({});
    expect(pi.rule).toBe("pi");
    expect(acceptedStepFactor(pi, 0.3, [0.6], 5)).toBeCloseTo(0.9 * 0.3 ** (-0.7 / 5) * 0.6 ** (0.4 / 5), 14);
    const i = adaptiveController({ rule: "i" });
    expect(acceptedStepFactor(i, 0.3, [0.6], 5)).toBe(acceptedStepFactor(i, 0.3, [], 5));
  });

  it("factors stay within [minFactor, maxFactor], and a rejection never grows the step", () => {
    const c = adaptiveController({ rule: "i", minFactor: 0.25, maxFactor: 4 });
    expect(acceptedStepFactor(c, 1e-12, [], 5)).toBe(4);
    expect(acceptedStepFactor(c, 0, [], 5)).toBe(4);
    expect(rejectedStepFactor(c, 1e6, 5)).toBe(0.25);
    expect(rejectedStepFactor(c, 1.0001, 5)).toBeLessThan(1);
    expect(rejectedStepFactor(c, Infinity, 5)).toBe(0.25);
  });

  it("PID needs explicit coefficients, and bad bounds are refused", () => {
    expect(() => adaptiveController({ rule: "pid", beta1: 0.6 })).toThrow(/beta1, beta2 and beta3/);
    expect(() => adaptiveController({ minFactor: 1.5 })).toThrow(/minFactor < 1 < maxFactor/);
    expect(() => adaptiveController({ dtmin: 2, dtmax: 1 })).toThrow(/dtmin/);
  });

  const rules = [{ kind: "i" as const }, { kind: "pi" as const }, { kind: "pid" as const, beta1: 0.6, beta2: -0.3, beta3: 0.1 }];

  it("I, PI and PID each reach the tolerance on Arenstorf, along different step sequences", () => {
    const accepted = rules.map((controller) => {
      const integrator = registries.integrator.create("dopri5", { rtol: 1e-8, atol: 1e-8, controller });
      const result = integrator.solveSync({ rhs: arenstorf.rhs, t0: 0, t1: arenstorf.period, y0: arenstorf.y0 });
      expect(result.status).toBe("success");
      expect(maxAbsDifference(result.y, arenstorf.y0)).toBeLessThan(1e-3);
      return result.stats.acceptedSteps;
    });
    expect(new Set(accepted).size).toBe(3);
  });
});

describe("step bounds and tolerances", () => {
  it("dtmax caps every step and dt0 sets the first", () => {
    const integrator = registries.integrator.create("dopri5", { rtol: 1e-3, atol: 1e-3, dtmax: 0.1, dt0: 0.01 });
    const result = integrator.solveSync({ rhs: dampedRotation.rhs, t0: 0, t1: 3, y0: dampedRotation.y0 }, { save: saveSteps() });
    const steps = result.ts.slice(1).map((t, i) => t - (result.ts[i] as number));
    expect(steps[0]).toBeCloseTo(0.01, 15);
    expect(Math.max(...steps)).toBeLessThanOrEqual(0.1 + 1e-15);
    expect(result.ts.at(-1)).toBe(3);
  });

  it("tighter tolerances take more steps and give smaller errors", () => {
    const errors: number[] = [];
    const steps: number[] = [];
    for (const tol of [1e-4, 1e-7, 1e-10]) {
      const result = registries.integrator.create("tsit5", { rtol: tol, atol: tol }).solveSync({ rhs: dampedRotation.rhs, t0: 0, t1: 4, y0: dampedRotation.y0 });
      errors.push(maxAbsDifference(result.y, dampedRotation.exact(4)));
      steps.push(result.stats.acceptedSteps);
    }
    expect(errors[1]).toBeLessThan((errors[0] as number) / 100);
    expect(errors[2]).toBeLessThan((errors[1] as number) / 100);
    expect(steps[2]).toBeGreaterThan(steps[1] as number);
  });

  it("per-component atol: a tight tolerance on one component forces more steps", () => {
    const run = (atol: number[]) =>
      createIntegrator({ method: dopri5Method, controller: adaptiveController({ rtol: 0, atol }) }).solveSync({ rhs: dampedRotation.rhs, t0: 0, t1: 4, y0: dampedRotation.y0 });
    expect(run([1e-4, 1e-10]).stats.acceptedSteps).toBeGreaterThan(run([1e-4, 1e-4]).stats.acceptedSteps);
  });

  it("a tolerance of the wrong length is a DimensionMismatch naming both sizes", () => {
    const integrator = createIntegrator({ method: dopri5Method, controller: adaptiveController({ atol: [1e-6, 1e-6, 1e-6] }) });
    let thrown: unknown;
    try {
      integrator.solveSync({ rhs: dampedRotation.rhs, t0: 0, t1: 1, y0: dampedRotation.y0 });
    } catch (error) {
      thrown = error;
    }
    expect(isMinevoError(thrown, "MINEVO_DIMENSION_MISMATCH")).toBe(true);
    expect((thrown as Error).message).toMatch(/3 entries but the state has 2 components/);
  });
});
