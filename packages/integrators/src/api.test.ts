/** The registry plugins, the by-value API, the stepper, save policies and backward integration. */
import { describe, expect, expectTypeOf, it } from "vitest";
import { isMinevoError, registries } from "@minevo/core";
import type { Integrator } from "@minevo/core";
import { adaptiveController, createIntegrator, createStepper, dopri5, integratorPlugins, rk4, rk4Method, saveAt, saveDense, saveSteps, solve } from "./index.js";
import { dampedRotation, maxAbsDifference } from "./test-support/problems.js";

const problem = { rhs: dampedRotation.rhs, t0: 0, t1: 2, y0: dampedRotation.y0 };

describe("registry", () => {
  it("registers the eight methods", () => {
    for (const name of ["euler", "heun", "midpoint", "rk4", "bosh3", "dopri5", "tsit5", "dop853"]) expect(registries.integrator.has(name)).toBe(true);
    expect(integratorPlugins).toHaveLength(8);
  });

  it("creates an integrator through core's contract only", async () => {
    const integrator: Integrator = registries.integrator.create("dopri5", { rtol: 1e-9, atol: 1e-9, controller: { kind: "pi", beta1: 0.7, beta2: -0.4 } });
    expect(integrator.adaptive).toBe(true);
    expect(integrator.order).toBe(5);
    const result = await integrator.solve(problem);
    expect(maxAbsDifference(result.y, dampedRotation.exact(2))).toBeLessThan(1e-8);
  });

  it("types the options per name", () => {
    expectTypeOf(registries.integrator.create("dopri5", { rtol: 1e-6 })).toExtend<Integrator>();
    // @ts-expect-error: fixed-step methods have no rtol
    expect(() => registries.integrator.create("rk4", { steps: 4, rtol: 1 })).toThrow(/Unrecognized key: "rtol"/);
  });

  it("validates JSON options and names the bad field", () => {
    const bad = (options: unknown) => {
      try {
        registries.integrator.configure("dop853", options);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const e1 = bad({ rtol: -1 });
    expect(isMinevoError(e1, "MINEVO_INVALID_OPTIONS")).toBe(true);
    expect((e1 as Error).message).toMatch(/field "rtol"/);
    expect((bad({ controller: { kind: "pid", beta1: 1 } }) as Error).message).toMatch(/controller/);
    expect((bad({ tolerance: 1 }) as Error).message).toMatch(/tolerance/);
    expect(() => registries.integrator.configure("rk4", {})).toThrow(/exactly one of dt or steps/);
    expect(() => registries.integrator.configure("rk4", { dt: 0.1, steps: 3 })).toThrow(/exactly one of dt or steps/);
  });

  it("the value form needs no registry and round-trips through JSON", () => {
    const configured = dopri5.with({ rtol: 1e-7 });
    const again = registries.integrator.resolve(JSON.parse(JSON.stringify(configured.toJSON())) as { name: string; options: unknown });
    const a = configured.create() as Integrator;
    const b = again.create() as Integrator;
    expect(a.solveSync(problem).stats).toEqual(b.solveSync(problem).stats);
  });

  it("fixed-step methods take dt (last step shortened) or steps", () => {
    const byDt = rk4.with({ dt: 0.3 }).create().solveSync(problem, { save: saveSteps() });
    expect(byDt.ts).toHaveLength(8);
    expect(byDt.ts.at(-2)).toBeCloseTo(1.8, 14);
    expect(byDt.ts.at(-1)).toBe(2);
    const bySteps = rk4.with({ steps: 4 }).create().solveSync(problem, { save: saveSteps() });
    expect(bySteps.ts).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(bySteps.stats.rhsEvaluations).toBe(1 + 4 * 4);
  });
});

describe("edge cases", () => {
  it("t1 = t0 succeeds at once with no evaluation and returns a copy of y0", () => {
    const result = dopri5.with({}).create().solveSync({ ...problem, t1: 0 }, { save: saveSteps() });
    expect(result.status).toBe("success");
    expect(result.stats).toEqual({ rhsEvaluations: 0, acceptedSteps: 0, rejectedSteps: 0 });
    expect(result.y).not.toBe(problem.y0);
    expect(Array.from(result.y)).toEqual(Array.from(problem.y0));
  });

  it("refuses an adaptive controller for a method without an error estimate", () => {
    expect(() =>
      createIntegrator({ method: rk4Method, controller: adaptiveController({}) }).solveSync(problem),
    ).toThrow(/rk4 has no error estimate/);
  });

  it("refuses a state it cannot integrate, naming what it got", () => {
    const integrator = dopri5.with({}).create();
    expect(() => integrator.solveSync({ rhs: () => [0], t0: 0, t1: 1, y0: [1] })).toThrow(/Float64Array, a float32 tensor or a record/);
    expect(() => integrator.solveSync({ rhs: () => Float64Array.of(0, 0), t0: 0, t1: 1, y0: Float64Array.of(1) })).toThrow(/has length 2 but the state has 1/);
  });
});

describe("stepper", () => {
  it("steps exactly as solve does, and interpolates inside the last step", async () => {
    const integrator = dopri5.with({ rtol: 1e-8, atol: 1e-8 }).create();
    const reference = integrator.solveSync(problem, { save: saveSteps() });
    const stepper = createStepper(integrator, problem);
    await stepper.init();
    const ts = [stepper.t];
    while (!stepper.done) {
      const report = await stepper.step();
      ts.push(report.t);
      expect(report.tPrevious).toBe(ts.at(-2));
    }
    expect(stepper.status).toBe("success");
    expect(ts).toEqual(reference.ts);
    expect(Array.from(stepper.state())).toEqual(Array.from(reference.y));
    const tMid = ((ts.at(-2) as number) + 2) / 2;
    expect(maxAbsDifference(await stepper.interpolate(tMid), dampedRotation.exact(tMid))).toBeLessThan(1e-8);
    await expect(stepper.interpolate(0.1)).rejects.toThrow(/last step covers/);
    stepper.dispose();
    expect(() => stepper.state()).toThrow(/disposed/);
  });

  it("refuses a second step while one is in flight", async () => {
    const stepper = dopri5.with({}).create().createStepper({ ...problem, rhs: async (t: number, y: Float64Array) => dampedRotation.rhs(t, y) });
    await stepper.init();
    const first = stepper.step();
    expect(() => stepper.step()).toThrow(/already working/);
    await first;
    stepper.dispose();
  });
});

describe("save policies", () => {
  it("saveAt returns the solution at the requested times, t0 and t1 included", async () => {
    const times = [0, 0.25, 0.5, 1.33, 2];
    const result = await solve(dopri5.with({ rtol: 1e-9, atol: 1e-9 }).create(), problem, { save: saveAt(times) });
    expect(result.ts).toEqual(times);
    for (const [i, t] of times.entries()) expect(maxAbsDifference(result.ys[i] as Float64Array, dampedRotation.exact(t))).toBeLessThan(1e-8);
  });

  it("saveAt refuses unordered or out-of-range times", () => {
    const integrator = dopri5.with({}).create();
    expect(() => integrator.solveSync(problem, { save: saveAt([0.5, 0.2]) })).toThrow(/sort them/);
    expect(() => integrator.solveSync(problem, { save: saveAt([3]) })).toThrow(/outside/);
  });

  it("saveDense interpolates anywhere; final saves nothing but y", () => {
    const integrator = dopri5.with({ rtol: 1e-9, atol: 1e-9 }).create();
    const dense = integrator.solveSync(problem, { save: saveDense() });
    const interpolate = dense.interpolate as (t: number) => Float64Array;
    for (const t of [0, 0.001, 0.7, 1.999, 2]) expect(maxAbsDifference(interpolate(t), dampedRotation.exact(t))).toBeLessThan(1e-8);
    expect(() => interpolate(2.5)).toThrow(/cannot interpolate/);
    const final = integrator.solveSync(problem);
    expect(final.ts).toHaveLength(0);
    expect(final.interpolate).toBeUndefined();
  });

  it("onStep sees every accepted step", () => {
    const seen: number[] = [];
    const result = dopri5.with({}).create().solveSync(problem, { onStep: (r) => seen.push(r.t) });
    expect(seen).toHaveLength(result.stats.acceptedSteps);
    expect(seen.at(-1)).toBe(2);
  });
});

describe("backward integration (t1 < t0)", () => {
  it.each(["dopri5", "tsit5", "dop853", "bosh3"] as const)("%s integrates from t = 2 back to 0 against the exact solution", (name) => {
    const integrator = registries.integrator.create(name, { rtol: 1e-9, atol: 1e-9 });
    const result = integrator.solveSync({ rhs: dampedRotation.rhs, t0: 2, t1: 0, y0: dampedRotation.exact(2) }, { save: saveAt([1.5, 0.4, 0]) });
    expect(result.status).toBe("success");
    expect(result.t).toBe(0);
    expect(maxAbsDifference(result.y, dampedRotation.y0)).toBeLessThan(1e-7);
    for (const [i, t] of result.ts.entries()) expect(maxAbsDifference(result.ys[i] as Float64Array, dampedRotation.exact(t))).toBeLessThan(1e-7);
  });

  it("rk4 with steps runs backward with negative steps", () => {
    const result = rk4.with({ steps: 40 }).create().solveSync({ rhs: dampedRotation.rhs, t0: 2, t1: 0, y0: dampedRotation.exact(2) }, { save: saveDense() });
    expect(maxAbsDifference(result.y, dampedRotation.y0)).toBeLessThan(1e-6);
    expect(maxAbsDifference((result.interpolate as (t: number) => Float64Array)(0.77), dampedRotation.exact(0.77))).toBeLessThan(1e-6);
  });
});
