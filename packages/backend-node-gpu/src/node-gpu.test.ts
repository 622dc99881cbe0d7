// The node-gpu backend: the exact advice when its optional peers are missing (they are never
// installed in this repository), engine selection on substituted environments, and its WebGPU
// engine on this machine's Dawn adapter (Mesa lavapipe in CI: `bash scripts/setup-vulkan.sh`).
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { ErrorCode, Registry, defineBackend, isMinevoError, selectBackend, type BackendProvider } from "@minevo/core";
import { defaultWebGpuEnvironment, inspectWebGpu, type GpuAdapterInfoLike, type WebGpuEnvironment } from "@minevo/backend-webgpu";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  chooseEngine,
  createNodeGpuProvider,
  defaultNodeGpuEnvironment,
  nodeGpuBackend,
  nodeGpuBackendOptions,
  type NodeGpuEnvironment,
} from "./index.js";

const GPU_ADVICE =
  "@tensorflow/tfjs-node-gpu is not installed (it is an optional peer dependency of @minevo/backend-node-gpu): " +
  "npm install @tensorflow/tfjs-node-gpu@4.22.0 (Linux x64 with an NVIDIA GPU, CUDA 11.8 and cuDNN 8), " +
  "or npm install @tensorflow/tfjs-node@4.22.0 for TensorFlow on the CPU";
const CPU_ADVICE =
  "@tensorflow/tfjs-node is not installed (it is an optional peer dependency of @minevo/backend-node-gpu): " +
  "npm install @tensorflow/tfjs-node@4.22.0 (or @tensorflow/tfjs-node-gpu@4.22.0 for CUDA)";

const options = (o: z.input<typeof nodeGpuBackendOptions> = {}) => nodeGpuBackendOptions.parse(o);

/** A stand-in CPU backend for `auto` to fall back to (plugins may not import each other). */
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

function missing(name: string): Error {
  return Object.assign(new Error(`Cannot find package '${name}' imported from /app/index.js`), { code: "ERR_MODULE_NOT_FOUND" });
}

const adapter = (info: GpuAdapterInfoLike): WebGpuEnvironment => ({
  gpu: () => Promise.resolve({ gpu: { requestAdapter: () => Promise.resolve({ info }) }, runtime: "node" }),
});
const nvidiaVulkan = adapter({ vendor: "nvidia", architecture: "ampere", description: "NVIDIA A100" });
const lavapipe = adapter({ vendor: "mesa", architecture: "software", description: "llvmpipe (LLVM 15.0.6)", isFallbackAdapter: true });
const noAdapter: WebGpuEnvironment = { gpu: () => Promise.resolve({ gpu: { requestAdapter: () => Promise.resolve(null) }, runtime: "node" }) };

function environment(installed: readonly string[], webgpu: WebGpuEnvironment): NodeGpuEnvironment {
  return {
    importModule: (name) => (installed.includes(name) ? Promise.resolve({ name }) : Promise.reject(missing(name))),
    webgpu,
  };
}

describe("missing optional peers (not installed in this repository)", () => {
  it("tfjs-node-gpu: the probe gives the exact install advice", async () => {
    const probe = await nodeGpuBackend.with({ engine: "tfjs-node-gpu" }).create().probe();
    expect(probe).toEqual({ available: false, accelerated: false, reason: `engine tfjs-node-gpu: ${GPU_ADVICE}` });
  });

  it("tfjs-node-gpu: selecting it fails with BACKEND_UNAVAILABLE and the same advice", async () => {
    const registry = new Registry("backend").register(nodeGpuBackend);
    const error = await selectBackend({ name: "node-gpu", options: { engine: "tfjs-node-gpu" } }, { registry }).catch((e: unknown) => e);
    expect(isMinevoError(error, ErrorCode.BackendUnavailable)).toBe(true);
    expect((error as Error).message).toBe(`backend "node-gpu" is not available here: engine tfjs-node-gpu: ${GPU_ADVICE}`);
  });

  it("tfjs-node: the probe gives the exact install advice", async () => {
    const probe = await nodeGpuBackend.with({ engine: "tfjs-node" }).create().probe();
    expect(probe.reason).toBe(`engine tfjs-node: ${CPU_ADVICE}`);
  });

  it("an installed but broken package is told apart from a missing one", async () => {
    const broken: NodeGpuEnvironment = {
      importModule: () => Promise.reject(new Error("libtensorflow.so.2: cannot open shared object file")),
      webgpu: noAdapter,
    };
    const choice = await chooseEngine(options({ engine: "tfjs-node-gpu" }), broken);
    expect(choice.chosen).toBeUndefined();
    expect("reason" in choice && choice.reason).toBe(
      "engine tfjs-node-gpu: @tensorflow/tfjs-node-gpu is installed but failed to load (libtensorflow.so.2: cannot open shared object file); " +
        "its install script downloads libtensorflow, so reinstall it where that download can run: npm rebuild @tensorflow/tfjs-node-gpu",
    );
  });
});

describe("engine selection", () => {
  it("auto prefers tfjs-node-gpu when it loads", async () => {
    const choice = await chooseEngine(options(), environment(["@tensorflow/tfjs-node-gpu"], nvidiaVulkan));
    expect(choice.chosen?.engine).toBe("tfjs-node-gpu");
    expect(choice.chosen?.accelerated).toBe(true);
  });

  it("auto takes a hardware WebGPU adapter when tfjs-node-gpu is missing", async () => {
    const choice = await chooseEngine(options(), environment([], nvidiaVulkan));
    expect(choice.chosen?.engine).toBe("webgpu");
    expect(choice.chosen?.accelerated).toBe(true);
  });

  it("auto is unavailable on a software adapter, giving each engine's reason", async () => {
    const probe = await createNodeGpuProvider(options(), environment([], lavapipe)).probe();
    expect(probe).toEqual({
      available: false,
      accelerated: false,
      reason:
        `no GPU engine is available (tfjs-node-gpu: ${GPU_ADVICE}; ` +
        "webgpu: the only WebGPU adapter is a software renderer, mesa software (llvmpipe (LLVM 15.0.6)) [software], not a GPU)",
    });
  });

  it("auto does not count tfjs-node (TensorFlow on the CPU) as a GPU engine", async () => {
    const choice = await chooseEngine(options(), environment(["@tensorflow/tfjs-node"], noAdapter));
    expect(choice.chosen).toBeUndefined();
  });

  it("naming tfjs-node uses it when installed, reported as not accelerated", async () => {
    const probe = await createNodeGpuProvider(options({ engine: "tfjs-node" }), environment(["@tensorflow/tfjs-node"], noAdapter)).probe();
    expect(probe).toEqual({ available: true, accelerated: false, reason: "engine tfjs-node" });
  });

  it("naming webgpu on a software adapter needs allowSoftwareAdapter", async () => {
    expect((await chooseEngine(options({ engine: "webgpu" }), environment([], lavapipe))).chosen).toBeUndefined();
    const allowed = await chooseEngine(options({ engine: "webgpu", allowSoftwareAdapter: true }), environment([], lavapipe));
    expect(allowed.chosen?.engine).toBe("webgpu");
    expect(allowed.chosen?.accelerated).toBe(false);
  });

  it("rejects an unknown engine, naming the choices", () => {
    expect(() => nodeGpuBackend.with({ engine: "cuda" as never })).toThrow(/engine/);
  });
});

describe("on this machine's Dawn adapter (lavapipe in CI)", () => {
  async function machineAdapterIsSoftware(): Promise<boolean> {
    const found = await inspectWebGpu(defaultWebGpuEnvironment, "high-performance");
    if (!found.found) throw new Error(`no WebGPU adapter on this machine: ${found.reason}`);
    return found.software;
  }

  it("auto does not choose node-gpu over a software adapter, and says why", async () => {
    const software = await machineAdapterIsSoftware();
    const registry = new Registry("backend").register(nodeGpuBackend).register(plainCpu);
    const active = await selectBackend("auto", { registry });
    if (software) {
      expect(active.name).toBe("plain-cpu");
      expect(active.notes[0]).toMatch(/^backend "node-gpu" skipped: no GPU engine is available \(tfjs-node-gpu: .*; webgpu: the only WebGPU adapter is a software renderer/);
    } else {
      expect(active.name).toBe("node-gpu");
    }
  });

  it("the webgpu engine, allowed on software, computes and reports whether it is accelerated", async () => {
    const software = await machineAdapterIsSoftware();
    const active = await createNodeGpuProvider(options({ engine: "webgpu", allowSoftwareAdapter: true }), defaultNodeGpuEnvironment).activate();
    expect(active.name).toBe("node-gpu");
    expect(active.tfBackend).toBe("webgpu");
    expect(active.tf.getBackend()).toBe("webgpu");
    expect(active.accelerated).toBe(!software);
    const product = active.tf.matMul(active.tf.tensor2d([1, 2, 3, 4], [2, 2]), active.tf.tensor2d([5, 6, 7, 8], [2, 2]));
    expect(await product.array()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    product.dispose();
  });
});
