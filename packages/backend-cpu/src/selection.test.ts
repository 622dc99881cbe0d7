// Registration and selection of the CPU backends through @minevo/core's registry.
import { ErrorCode, isMinevoError, registries, selectBackend, type TensorFlow, setTensorFlowBackend } from "@minevo/core";
import { describe, expect, it } from "vitest";
import { cpuBackend, wasmBackend } from "./index.js";

describe("registration", () => {
  it("importing the package registers cpu and wasm; registering again is a no-op", () => {
    expect(registries.backend.get("cpu")).toBe(cpuBackend);
    expect(registries.backend.get("wasm")).toBe(wasmBackend);
    expect(() => registries.backend.register(cpuBackend).register(wasmBackend)).not.toThrow();
  });
});

describe("selectBackend", () => {
  it('"auto" picks wasm when only @minevo/backend-cpu is registered', async () => {
    expect(registries.backend.names()).toEqual(["cpu", "wasm"]);
    const lines: string[] = [];
    const active = await selectBackend("auto", { log: (l) => lines.push(l) });
    expect(active.name).toBe("wasm");
    expect(active.tf.getBackend()).toBe("wasm");
    expect(active.accelerated).toBe(false);
    expect(active.engine).toMatch(/^TensorFlow\.js wasm \((SIMD|no SIMD), \d+ threads?\)$/);
    expect(lines).toEqual([`backend: wasm (${active.engine})`]);
  });

  it("by name: cpu", async () => {
    const active = await selectBackend("cpu");
    expect(active).toMatchObject({ name: "cpu", tfBackend: "cpu", accelerated: false, engine: "TensorFlow.js cpu (plain JavaScript)" });
    expect(active.tf.getBackend()).toBe("cpu");
  });

  it("by name: wasm, then back to cpu, each really switching TensorFlow.js", async () => {
    expect((await selectBackend({ name: "wasm" })).tf.getBackend()).toBe("wasm");
    expect((await selectBackend(cpuBackend.with())).tf.getBackend()).toBe("cpu");
  });

  it("validates options, naming the bad field", async () => {
    const error = await selectBackend({ name: "wasm", options: { wasmPaths: 5 } }).catch((e: unknown) => e);
    expect(isMinevoError(error, ErrorCode.InvalidOptions)).toBe(true);
    expect((error as Error).message).toMatch(/field "wasmPaths"/);
    expect(() => cpuBackend.with({ threads: 2 } as never)).toThrow(/threads/);
  });
});

describe("setTensorFlowBackend refuses a silent fallback", () => {
  const fakeTf = (switched: boolean, active: string) =>
    ({ setBackend: () => Promise.resolve(switched), ready: () => Promise.resolve(), getBackend: () => active }) as unknown as TensorFlow;

  it("when setBackend returns false", async () => {
    const error = await setTensorFlowBackend(fakeTf(false, "cpu"), "wasm", "do this").catch((e: unknown) => e);
    expect(isMinevoError(error, ErrorCode.BackendUnavailable)).toBe(true);
    expect((error as Error).message).toBe(
      'TensorFlow.js did not switch to its "wasm" backend (setBackend returned false, the active backend is "cpu"); do this',
    );
  });

  it("when another backend ends up active", async () => {
    const error = await setTensorFlowBackend(fakeTf(true, "cpu"), "wasm", "do this").catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/setBackend returned true, the active backend is "cpu"/);
  });

  it("when initialisation throws", async () => {
    const throwing = { setBackend: () => Promise.reject(new Error("no memory")), ready: () => Promise.resolve(), getBackend: () => "cpu" } as unknown as TensorFlow;
    const error = await setTensorFlowBackend(throwing, "wasm", "do this").catch((e: unknown) => e);
    expect(isMinevoError(error, ErrorCode.BackendUnavailable)).toBe(true);
    expect((error as Error).message).toBe('TensorFlow.js could not initialise its "wasm" backend: no memory; do this');
  });
});
