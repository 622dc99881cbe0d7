/**
 * Type-level promises of the registries: a registered name selects its options type at compile
 * time; a wrong option, a wrong option type and an unknown name do not compile.
 */
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { defineIntegrator, defineSketch, registries, Registry, type PluginChoice, type PluginOptions } from "./index.js";

const testRk = defineIntegrator({
  name: "test-rk",
  description: "a fixture integrator",
  options: z.object({ rtol: z.number().positive().default(1e-6), order: z.int().min(1).max(8).default(5) }),
  create: (o) => ({ kind: "rk" as const, rtol: o.rtol, order: o.order }),
});

const testSketch = defineSketch({
  name: "test-sketch",
  description: "a fixture sketch",
  options: z.object({ sketchSize: z.int().positive() }),
  create: (o) => ({ sketchSize: o.sketchSize }),
});

declare module "./registry.js" {
  interface IntegratorMap {
    "test-rk": typeof testRk;
  }
  interface SketchMap {
    "test-sketch": typeof testSketch;
  }
}

describe("registry types", () => {
  it("a registered name selects its options and instance types", () => {
    expectTypeOf<PluginOptions<"integrator", "test-rk">>().toEqualTypeOf<{ rtol?: number | undefined; order?: number | undefined }>();
    const rk = registries.integrator.create("test-rk", { rtol: 1e-8 });
    expectTypeOf(rk).toEqualTypeOf<{ kind: "rk"; rtol: number; order: number }>();
    const sketch = registries.sketch.create("test-sketch", { sketchSize: 100 });
    expectTypeOf(sketch.sketchSize).toEqualTypeOf<number>();
  });

  it("a wrong option name does not compile", () => {
    // @ts-expect-error -- "rtoll" is not an option of test-rk
    registries.integrator.create("test-rk", { rtoll: 1e-8 });
  });

  it("a wrong option type does not compile", () => {
    // @ts-expect-error -- rtol must be a number
    registries.integrator.create("test-rk", { rtol: "tight" });
  });

  it("a missing required option does not compile", () => {
    // @ts-expect-error -- sketchSize is required
    registries.sketch.create("test-sketch", {});
  });

  it("an unknown name does not compile", () => {
    // @ts-expect-error -- no integrator is registered as "dopri-typo"
    registries.integrator.create("dopri-typo", {});
  });

  it("a name of another slot does not compile", () => {
    // @ts-expect-error -- test-sketch is a sketch, not an integrator
    registries.integrator.create("test-sketch", { sketchSize: 3 });
  });

  it("choices check options against the chosen name", () => {
    const ok: PluginChoice<"integrator"> = { name: "test-rk", options: { order: 4 } };
    const byValue: PluginChoice<"integrator"> = testRk.with({ rtol: 1e-9 });
    expectTypeOf(ok).toExtend<PluginChoice<"integrator">>();
    expectTypeOf(byValue).toExtend<PluginChoice<"integrator">>();
    // @ts-expect-error -- order must be a number
    const bad: PluginChoice<"integrator"> = { name: "test-rk", options: { order: "high" } };
    // @ts-expect-error -- a sketch value is not an integrator choice
    const wrongSlot: PluginChoice<"integrator"> = testSketch.with({ sketchSize: 4 });
    void bad;
    void wrongSlot;
  });

  it("a slot registry only accepts plugins of its slot", () => {
    const integrators = new Registry("integrator");
    integrators.register(testRk);
    // @ts-expect-error -- a sketch definition cannot go into the integrator registry
    integrators.register(testSketch);
  });

  it("with() takes the input form of the options", () => {
    testRk.with({});
    // @ts-expect-error -- unknown option
    testRk.with({ tolerance: 1 });
  });
});
