/** Failure is a result: every status, with statistics and the solution up to the failure. */
import { describe, expect, it } from "vitest";
import { isMinevoError, registries } from "@minevo/core";
import "./index.js";
import { saveSteps } from "./save.js";
import { dampedRotation, maxAbsDifference } from "./test-support/problems.js";

/** y' = y², y(0) = 1: y = 1/(1 − t) blows up at t = 1. */
const blowUp = (_t: number, y: Float64Array) => Float64Array.of((y[0] as number) ** 2);

describe("failure statuses", () => {
  it("max_steps keeps every accepted step up to the limit", () => {
    const integrator = registries.integrator.create("dopri5", { rtol: 1e-10, atol: 1e-10, maxSteps: 20 });
    const result = integrator.solveSync({ rhs: dampedRotation.rhs, t0: 0, t1: 10, y0: dampedRotation.y0 }, { save: saveSteps() });
    expect(result.status).toBe("max_steps");
    expect(result.message).toMatch(/maxSteps = 20/);
    expect(result.stats.acceptedSteps + result.stats.rejectedSteps).toBe(20);
    expect(result.t).toBeGreaterThan(0);
    expect(result.t).toBeLessThan(10);
    expect(result.ts).toHaveLength(result.stats.acceptedSteps + 1);
    expect(result.ts.at(-1)).toBe(result.t);
    // The kept solution is the true one up to the failure.
    for (const [i, t] of result.ts.entries()) expect(maxAbsDifference(result.ys[i] as Float64Array, dampedRotation.exact(t))).toBeLessThan(1e-8);
    expect(Array.from(result.y)).toEqual(Array.from(result.ys.at(-1) as Float64Array));
  });

  it("dt_underflow when the step needed falls below dtmin (a finite-time blow-up)", () => {
    const integrator = registries.integrator.create("dopri5", { rtol: 1e-8, atol: 1e-8, dtmin: 1e-6 });
    const result = integrator.solveSync({ rhs: blowUp, t0: 0, t1: 2, y0: Float64Array.of(1) });
    expect(result.status).toBe("dt_underflow");
    expect(result.t).toBeLessThan(1);
    expect(result.t).toBeGreaterThan(0.99);
    // Close to the singularity the relative error grows like tol/(1 − t); 1e-4 is ample.
    expect(Math.abs((result.y[0] as number) - 1 / (1 - result.t)) / (result.y[0] as number)).toBeLessThan(1e-4);
  });

  it.each(["bosh3", "dopri5", "tsit5", "dop853"] as const)("%s: dt_underflow from the floor 10 ε |t| when no dtmin is set", (name) => {
    const integrator = registries.integrator.create(name, { rtol: 1e-8, atol: 1e-8, maxRejections: 1000 });
    const result = integrator.solveSync({ rhs: blowUp, t0: 0, t1: 2, y0: Float64Array.of(1) });
    expect(result.status).toBe("dt_underflow");
    // Stopped at the blow-up (up to the accumulated error in t), never past it on the other branch.
    expect(Math.abs(result.t - 1)).toBeLessThan(1e-6);
    expect(result.y[0]).toBeGreaterThan(1e8);
  });

  it("rejected_too_often after maxRejections consecutive rejections", () => {
    const integrator = registries.integrator.create("dopri5", { rtol: 1e-12, atol: 1e-12, dt0: 5, maxRejections: 2 });
    const result = integrator.solveSync({ rhs: dampedRotation.rhs, t0: 0, t1: 5, y0: dampedRotation.y0 });
    expect(result.status).toBe("rejected_too_often");
    expect(result.stats.rejectedSteps).toBe(3);
    expect(result.stats.acceptedSteps).toBe(0);
    expect(result.t).toBe(0);
    expect(Array.from(result.y)).toEqual(Array.from(dampedRotation.y0));
  });

  it("nonfinite is detected at the first NaN the right-hand side returns", () => {
    let calls = 0;
    let callsAtNaN = -1;
    const rhs = (t: number, y: Float64Array) => {
      calls++;
      if (t > 0.5) {
        if (callsAtNaN < 0) callsAtNaN = calls;
        return Float64Array.of(Number.NaN, 0);
      }
      return dampedRotation.rhs(t, y);
    };
    const integrator = registries.integrator.create("tsit5", { rtol: 1e-6, atol: 1e-6 });
    const result = integrator.solveSync({ rhs, t0: 0, t1: 1, y0: dampedRotation.y0 }, { save: saveSteps() });
    expect(result.status).toBe("nonfinite");
    expect(calls).toBe(callsAtNaN);
    expect(result.stats.rhsEvaluations).toBe(calls);
    expect(result.t).toBeLessThanOrEqual(0.5);
    expect(result.ys.length).toBe(result.stats.acceptedSteps + 1);
    expect(maxAbsDifference(result.y, dampedRotation.exact(result.t))).toBeLessThan(1e-5);
  });

  it("Infinity counts as non-finite too, and so does a non-finite initial state", () => {
    const integrator = registries.integrator.create("rk4", { steps: 10 });
    const inf = integrator.solveSync({ rhs: () => Float64Array.of(Infinity), t0: 0, t1: 1, y0: Float64Array.of(0) });
    expect(inf.status).toBe("nonfinite");
    expect(inf.stats.rhsEvaluations).toBe(1);
    const nanStart = integrator.solveSync({ rhs: () => Float64Array.of(0), t0: 0, t1: 1, y0: Float64Array.of(Number.NaN) });
    expect(nanStart.status).toBe("nonfinite");
    expect(nanStart.stats.rhsEvaluations).toBe(0);
  });

  it("throwOnFailure turns a failure into a MinevoError with a stable code", async () => {
    const integrator = registries.integrator.create("dopri5", { rtol: 1e-8, atol: 1e-8, dtmin: 1e-6 });
    const problem = { rhs: blowUp, t0: 0, t1: 2, y0: Float64Array.of(1) };
    let thrown: unknown;
    try {
      integrator.solveSync(problem, { throwOnFailure: true });
    } catch (error) {
      thrown = error;
    }
    expect(isMinevoError(thrown, "MINEVO_STEP_SIZE_COLLAPSE")).toBe(true);
    expect((thrown as Error).message).toMatch(/dt_underflow/);
    const limited = registries.integrator.create("dopri5", { rtol: 1e-10, atol: 1e-10, maxSteps: 3 });
    expect(() =>
      limited.solveSync({ rhs: (_t, y) => Float64Array.from(y, (v) => -v), t0: 0, t1: 10, y0: Float64Array.of(1) }, { throwOnFailure: true }),
    ).toThrow(expect.objectContaining({ code: "MINEVO_INTEGRATION_FAILED" }));
    await expect(
      integrator.solve({ rhs: () => Float64Array.of(Number.NaN), t0: 0, t1: 1, y0: Float64Array.of(0) }, { throwOnFailure: true }),
    ).rejects.toMatchObject({ code: "MINEVO_NONFINITE" });
  });

  it("an error thrown by the right-hand side propagates unchanged", async () => {
    const integrator = registries.integrator.create("dopri5", {});
    const boom = new Error("boom");
    await expect(integrator.solve({ rhs: () => Promise.reject(boom), t0: 0, t1: 1, y0: Float64Array.of(0) })).rejects.toBe(boom);
  });
});
