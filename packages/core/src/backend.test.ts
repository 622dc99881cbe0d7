import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ErrorCode, Registry, defineBackend, isMinevoError, selectBackend, type BackendProvider, type TensorFlow } from "./index.js";

const fakeTf = {} as TensorFlow;

function fakeBackend(name: string, priority: number, available: boolean, reason: string) {
  return defineBackend({
    name,
    description: `fake ${name}`,
    options: z.object({}),
    create: (): BackendProvider => ({
      priority,
      probe: () => Promise.resolve({ available, reason, accelerated: priority > 25 }),
      activate: () => Promise.resolve({ name, tfBackend: name, engine: `fake ${name}`, accelerated: false, notes: [], tf: fakeTf }),
    }),
  });
}

describe("selectBackend", () => {
  const registry = new Registry("backend")
    .register(fakeBackend("cpu", 10, true, "always"))
    .register(fakeBackend("wasm", 20, true, "wasm initialised"))
    .register(fakeBackend("webgpu", 30, false, "no WebGPU adapter in this environment"));

  it("auto takes the best available backend and says why better ones were skipped", async () => {
    const lines: string[] = [];
    const active = await selectBackend("auto", { registry, log: (l) => lines.push(l) });
    expect(active.name).toBe("wasm");
    expect(active.notes).toEqual(['backend "webgpu" skipped: no WebGPU adapter in this environment']);
    expect(lines.at(-1)).toBe("backend: wasm (fake wasm)");
  });

  it("naming an unavailable backend fails with its reason", async () => {
    const error = await selectBackend("webgpu", { registry }).catch((e: unknown) => e);
    expect(isMinevoError(error, ErrorCode.BackendUnavailable)).toBe(true);
    expect((error as Error).message).toBe('backend "webgpu" is not available here: no WebGPU adapter in this environment');
  });

  it("naming an unknown backend lists the registered ones", async () => {
    const error = await selectBackend("cuda", { registry }).catch((e: unknown) => e);
    expect(isMinevoError(error, ErrorCode.UnknownPlugin)).toBe(true);
    expect((error as Error).message).toContain('"cpu", "wasm", "webgpu"');
  });

  it("auto with nothing registered says what to import", async () => {
    const error = await selectBackend("auto", { registry: new Registry("backend") }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/@minevo\/backend-cpu/);
  });
});
