// Probing and selection of the webgpu backend: with no adapter (stubbed, as in a browser whose
// WebGPU finds nothing), with no navigator.gpu at all, and with the real Dawn adapter of this
// machine — Mesa lavapipe in CI, a software renderer that `auto` must pass over for wasm/cpu.
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { ErrorCode, Registry, defineBackend, isMinevoError, selectBackend, type BackendProvider } from "@minevo/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeAdapter, isSoftwareAdapter } from "./adapter.js";
import type { GpuAdapterLike } from "./gpu-types.js";
import {
  createWebGpuProvider,
  defaultWebGpuEnvironment,
  inspectWebGpu,
  webgpuBackend,
  webgpuBackendOptions,
  type WebGpuEnvironment,
} from "./webgpu.js";

/** A stand-in CPU backend, so `auto` has somewhere to fall back to (plugins may not import each other). */
const plainCpu = defineBackend({
  name: "plain-cpu",
  description: "TensorFlow.js cpu, for these tests",
  options: z.object({}),
  create: (): BackendProvider => ({
    priority: 10,
    probe: () => Promise.resolve({ available: true, accelerated: false, reason: "always" }),
    async activate() {
      expect(await tf.setBackend("cpu")).toBe(true);
      return { name: "plain-cpu", tfBackend: "cpu", engine: "tfjs cpu", accelerated: false, notes: [], tf };
    },
  }),
});

function webgpuWith(environment: WebGpuEnvironment) {
  return defineBackend({
    name: "webgpu",
    description: "webgpu on a test environment",
    options: webgpuBackendOptions,
    create: (options) => createWebGpuProvider(options, environment),
  });
}

const noAdapter: WebGpuEnvironment = { gpu: () => Promise.resolve({ gpu: { requestAdapter: () => Promise.resolve(null) }, runtime: "browser" }) };
const noWebGpu: WebGpuEnvironment = {
  gpu: () => Promise.resolve({ reason: "this JavaScript environment has no WebGPU (navigator.gpu is undefined); use a browser with WebGPU enabled" }),
};

describe("software adapters", () => {
  const lavapipe: GpuAdapterLike = {
    info: { vendor: "mesa", architecture: "software", device: "llvmpipe-llvm-15-0-6-256-bits-", description: "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)" },
  };
  const swiftshader: GpuAdapterLike = { info: { vendor: "google", architecture: "swiftshader", device: "", description: "SwiftShader device (Subzero)" } };
  const nvidia: GpuAdapterLike = { info: { vendor: "nvidia", architecture: "ampere", device: "", description: "NVIDIA GeForce RTX 3080", isFallbackAdapter: false } };

  it("are recognised by name, by isFallbackAdapter and by a cpu adapter type", () => {
    expect(isSoftwareAdapter(lavapipe)).toBe(true);
    expect(isSoftwareAdapter(swiftshader)).toBe(true);
    expect(isSoftwareAdapter({ info: { vendor: "x", isFallbackAdapter: true } })).toBe(true);
    expect(isSoftwareAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ info: { vendor: "x", type: "CPU" } })).toBe(true);
    expect(isSoftwareAdapter(nvidia)).toBe(false);
    expect(isSoftwareAdapter({})).toBe(false);
  });

  it("are named with their vendor, architecture and description", () => {
    expect(describeAdapter(nvidia)).toBe("nvidia ampere (NVIDIA GeForce RTX 3080)");
    expect(describeAdapter(lavapipe)).toBe("mesa software (llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)) [software]");
    expect(describeAdapter({})).toBe("an adapter that does not describe itself");
  });
});

describe("without an adapter", () => {
  it("the probe says unavailable, with the reason", async () => {
    const probe = await createWebGpuProvider(webgpuBackendOptions.parse({}), noAdapter).probe();
    expect(probe).toEqual({
      available: false,
      accelerated: false,
      reason: "navigator.gpu.requestAdapter() found no adapter: WebGPU is disabled in this browser or no supported GPU is present",
    });
  });

  it("naming webgpu fails with BACKEND_UNAVAILABLE and the reason", async () => {
    const registry = new Registry("backend").register(webgpuWith(noAdapter)).register(plainCpu);
    const error = await selectBackend("webgpu", { registry }).catch((e: unknown) => e);
    expect(isMinevoError(error, ErrorCode.BackendUnavailable)).toBe(true);
    expect((error as Error).message).toBe(
      'backend "webgpu" is not available here: navigator.gpu.requestAdapter() found no adapter: WebGPU is disabled in this browser or no supported GPU is present',
    );
  });

  it("auto falls back to the CPU and says why", async () => {
    const registry = new Registry("backend").register(webgpuWith(noAdapter)).register(plainCpu);
    const lines: string[] = [];
    const active = await selectBackend("auto", { registry, log: (l) => lines.push(l) });
    expect(active.name).toBe("plain-cpu");
    expect(active.notes).toEqual(['backend "webgpu" skipped: navigator.gpu.requestAdapter() found no adapter: WebGPU is disabled in this browser or no supported GPU is present']);
    expect(lines[0]).toMatch(/^backend "webgpu" skipped: /);
  });

  it("with no navigator.gpu at all, the reason says so", async () => {
    const registry = new Registry("backend").register(webgpuWith(noWebGpu));
    const error = await selectBackend("webgpu", { registry }).catch((e: unknown) => e);
    expect(isMinevoError(error, ErrorCode.BackendUnavailable)).toBe(true);
    expect((error as Error).message).toMatch(/navigator\.gpu is undefined/);
  });

  it("activate refuses too, rather than letting TensorFlow.js fall back silently", async () => {
    const error = await createWebGpuProvider(webgpuBackendOptions.parse({}), noAdapter)
      .activate()
      .catch((e: unknown) => e);
    expect(isMinevoError(error, ErrorCode.BackendUnavailable)).toBe(true);
    expect(tf.getBackend()).not.toBe("webgpu");
  });
});

describe("on this machine's Dawn adapter (lavapipe in CI: run `bash scripts/setup-vulkan.sh` first)", () => {
  const options = webgpuBackendOptions.parse({});
  /** The adapter Dawn finds here; every test in this block fails, saying what to do, if there is none. */
  async function machineAdapter(): Promise<{ software: boolean; description: string }> {
    const found = await inspectWebGpu(defaultWebGpuEnvironment, options.powerPreference);
    if (!found.found) throw new Error(`no WebGPU adapter on this machine: ${found.reason}`);
    return found;
  }

  it("is probed as accelerated exactly when it is a hardware GPU", async () => {
    const adapter = await machineAdapter();
    const probe = await webgpuBackend.with({}).create().probe();
    expect(probe.accelerated).toBe(!adapter.software);
    if (adapter.software) {
      // The default policy declines a software renderer, naming it.
      expect(probe.available).toBe(false);
      expect(probe.reason).toMatch(/^the only WebGPU adapter is a software renderer, .*\[software\], which is slower than the wasm backend/);
    } else {
      expect(probe.available, probe.reason).toBe(true);
    }
  });

  it("auto passes over a software adapter for the CPU, saying so (and takes a hardware one)", async () => {
    const adapter = await machineAdapter();
    const registry = new Registry("backend").register(webgpuBackend).register(plainCpu);
    const active = await selectBackend("auto", { registry });
    if (adapter.software) {
      expect(active.name).toBe("plain-cpu");
      expect(active.notes[0]).toMatch(/^backend "webgpu" skipped: the only WebGPU adapter is a software renderer/);
    } else {
      expect(active.name).toBe("webgpu");
      expect(active.accelerated).toBe(true);
    }
  });

  it("with allowSoftwareAdapter, activates WebGPU and reports whether it is accelerated", async () => {
    const adapter = await machineAdapter();
    const provider = webgpuBackend.with({ allowSoftwareAdapter: true }).create();
    const probe = await provider.probe();
    expect(probe.available, probe.reason).toBe(true);
    const active = await provider.activate();
    expect(active.tf.getBackend()).toBe("webgpu");
    expect(active.accelerated).toBe(!adapter.software);
    expect(active.engine).toBe(`WebGPU (Dawn in Node) on ${adapter.description}`);
    if (adapter.software) expect(active.notes[0]).toMatch(/computes on the CPU/);
    const product = active.tf.matMul(active.tf.tensor2d([1, 2, 3, 4], [2, 2]), active.tf.tensor2d([5, 6, 7, 8], [2, 2]));
    expect(await product.array()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    product.dispose();
  });

  it("rejects unknown options by name", () => {
    expect(() => webgpuBackend.with({ allowSoftware: true } as never)).toThrow(/allowSoftware/);
  });
});
