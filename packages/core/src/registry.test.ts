import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ErrorCode, MinevoError, defineIntegrator, defineSketch, isMinevoError, Registry } from "./index.js";

const options = z.object({
  rtol: z.number().positive().default(1e-6),
  controller: z.object({ kind: z.enum(["i", "pi", "pid"]), beta: z.array(z.number()).length(3).optional() }).default({ kind: "pi" }),
});
const rk = defineIntegrator({ name: "rk-fixture", description: "fixture", options, create: (o) => ({ ...o }) });
const other = defineIntegrator({ name: "rk-fixture", description: "a different plugin, same name", options, create: (o) => o });
const sketch = defineSketch({ name: "sk", description: "fixture", options: z.object({}), create: () => ({}) });

function catchError(body: () => unknown): MinevoError {
  try {
    body();
  } catch (error) {
    if (error instanceof MinevoError) return error;
    throw error;
  }
  throw new Error("expected a MinevoError");
}

describe("Registry", () => {
  it("creates a plugin with defaults applied", () => {
    const registry = new Registry("integrator").register(rk);
    expect(registry.configure("rk-fixture", {}).options).toEqual({ rtol: 1e-6, controller: { kind: "pi" } });
    expect(registry.names()).toEqual(["rk-fixture"]);
  });

  it("lists the registered names when asked for an unknown one", () => {
    const registry = new Registry("integrator").register(rk).register(
      defineIntegrator({ name: "another", description: "x", options: z.object({}), create: () => 1 }),
    );
    const error = catchError(() => registry.configure("dopri-typo", {}));
    expect(error.code).toBe(ErrorCode.UnknownPlugin);
    expect(error.message).toContain('"dopri-typo"');
    expect(error.message).toContain('"another", "rk-fixture"');
    expect(error.details["registered"]).toEqual(["another", "rk-fixture"]);
  });

  it("says to import a package when nothing is registered", () => {
    expect(catchError(() => new Registry("network").lookup("mlp")).message).toMatch(/none — import the package/);
  });

  it("rejects a different plugin under a taken name, unless overridden", () => {
    const registry = new Registry("integrator").register(rk);
    const error = catchError(() => registry.register(other));
    expect(error.code).toBe(ErrorCode.DuplicatePlugin);
    expect(error.message).toContain('"rk-fixture"');
    registry.register(rk); // the same definition again is a no-op
    registry.register(other, { override: true });
    expect(registry.lookup("rk-fixture")).toBe(other);
  });

  it("rejects a plugin of another slot", () => {
    const registry = new Registry("integrator");
    const error = catchError(() => registry.register(sketch as never));
    expect(error.code).toBe(ErrorCode.InvalidArgument);
  });

  it("validates JSON options and names the bad field", () => {
    const registry = new Registry("integrator").register(rk);
    const json: unknown = JSON.parse('{"name":"rk-fixture","options":{"rtol":"tight"}}');
    const error = catchError(() => registry.resolve(json as { name: string; options?: unknown }));
    expect(error.code).toBe(ErrorCode.InvalidOptions);
    expect(error.message).toContain('field "rtol"');
    expect(error.details["field"]).toBe("rtol");

    const nested = catchError(() => registry.configure("rk-fixture", { controller: { kind: "pd" } }));
    expect(nested.message).toContain('field "controller.kind"');
    const negative = catchError(() => registry.configure("rk-fixture", { rtol: -1 }));
    expect(negative.message).toMatch(/field "rtol": .*>0/);
  });

  it("rejects unknown fields in strict schemas", () => {
    const strict = defineIntegrator({ name: "strict", description: "x", options: z.strictObject({ a: z.number() }), create: (o) => o });
    const error = catchError(() => new Registry("integrator").register(strict).configure("strict", { a: 1, b: 2 }));
    expect(error.message).toMatch(/"b"/);
  });

  it("resolves names, JSON choices and configured values alike", () => {
    const registry = new Registry("integrator").register(rk);
    expect(registry.resolve("rk-fixture").options).toMatchObject({ rtol: 1e-6 });
    expect(registry.resolve({ name: "rk-fixture", options: { rtol: 1e-3 } }).create()).toMatchObject({ rtol: 1e-3 });
    const value = rk.with({ rtol: 1e-9 });
    expect(registry.resolve(value)).toBe(value);
    expect(JSON.parse(JSON.stringify(value))).toEqual({ name: "rk-fixture", options: { rtol: 1e-9, controller: { kind: "pi" } } });
    expect(isMinevoError(catchError(() => registry.resolve(42 as never)), ErrorCode.InvalidOptions)).toBe(true);
  });

  it("validates options given by value too", () => {
    const error = catchError(() => rk.with({ rtol: Number.NaN }));
    expect(error.code).toBe(ErrorCode.InvalidOptions);
    expect(error.message).toContain('field "rtol"');
  });
});
