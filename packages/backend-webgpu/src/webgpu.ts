/**
 * The `webgpu` backend: TensorFlow.js's WebGPU kernels, on the browser's `navigator.gpu` or, in
 * Node, on Dawn (the `webgpu` package) over the machine's Vulkan driver.
 *
 * `auto` should choose it only for a real GPU. A software adapter (lavapipe, SwiftShader) is
 * correct but slower than wasm, so by default it counts as unavailable, with a reason saying so;
 * `allowSoftwareAdapter: true` uses it anyway (the conformance tests run that way on CPUs).
 */
import * as tf from "@tensorflow/tfjs-core";
import { defineBackend, ErrorCode, MinevoError, type ActiveBackend, type BackendProbe, type BackendProvider, setTensorFlowBackend } from "@minevo/core";
import { z } from "zod";
import { describeAdapter, isSoftwareAdapter } from "./adapter.js";
import { environmentGpu, type GpuSource } from "./gpu-source.js";
import type { GpuAdapterLike, GpuLike } from "./gpu-types.js";

export const webgpuBackendOptions = z
  .object({
    /** Use a software adapter (lavapipe, SwiftShader) when it is the only one. For tests. */
    allowSoftwareAdapter: z.boolean().default(false),
    /** Which GPU to ask for on a machine with two. */
    powerPreference: z.enum(["high-performance", "low-power"]).default("high-performance"),
  })
  .strict();

export type WebGpuBackendOptions = z.output<typeof webgpuBackendOptions>;

/** Where the provider gets `navigator.gpu` from; tests substitute their own. */
export interface WebGpuEnvironment {
  gpu(): Promise<GpuSource>;
}

export const defaultWebGpuEnvironment: WebGpuEnvironment = { gpu: environmentGpu };

/** What probing found: an adapter and what it is, or why there is none. */
export type WebGpuInspection =
  | {
      readonly found: true;
      readonly gpu: GpuLike;
      readonly runtime: "browser" | "node";
      readonly adapter: GpuAdapterLike;
      readonly software: boolean;
      readonly description: string;
    }
  | { readonly found: false; readonly reason: string };

function noAdapterReason(runtime: "browser" | "node"): string {
  if (runtime === "node") {
    const icd = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.VK_ICD_FILENAMES;
    return (
      "Dawn (the webgpu package) found no WebGPU adapter: no usable Vulkan driver " +
      (icd ? `(VK_ICD_FILENAMES=${JSON.stringify(icd)})` : "(VK_ICD_FILENAMES is not set)") +
      ". With a GPU, install its Vulkan driver; without one, a software driver for tests comes from " +
      "`bash scripts/setup-vulkan.sh` in the minevo repository (it prints the VK_ICD_FILENAMES and LD_LIBRARY_PATH to set)"
    );
  }
  return "navigator.gpu.requestAdapter() found no adapter: WebGPU is disabled in this browser or no supported GPU is present";
}

/** Finds a WebGPU adapter (does not initialise TensorFlow.js). */
export async function inspectWebGpu(environment: WebGpuEnvironment, powerPreference: WebGpuBackendOptions["powerPreference"]): Promise<WebGpuInspection> {
  const source = await environment.gpu();
  if (source.gpu === undefined) return { found: false, reason: source.reason };
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await source.gpu.requestAdapter({ powerPreference });
  } catch (error) {
    return { found: false, reason: `navigator.gpu.requestAdapter() failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (adapter === null || adapter === undefined) return { found: false, reason: noAdapterReason(source.runtime) };
  return { found: true, gpu: source.gpu, runtime: source.runtime, adapter, software: isSoftwareAdapter(adapter), description: describeAdapter(adapter) };
}

/** The probe that an inspection gives, under the software-adapter policy. */
export function probeFromInspection(inspection: WebGpuInspection, allowSoftwareAdapter: boolean): BackendProbe {
  if (!inspection.found) return { available: false, accelerated: false, reason: inspection.reason };
  if (inspection.software && !allowSoftwareAdapter) {
    return {
      available: false,
      accelerated: false,
      reason:
        `the only WebGPU adapter is a software renderer, ${inspection.description}, which is slower than the wasm backend; ` +
        "select webgpu with the option allowSoftwareAdapter: true to use it anyway",
    };
  }
  return { available: true, accelerated: !inspection.software, reason: `WebGPU adapter: ${inspection.description}` };
}

interface DeviceAdapter {
  readonly features: { has(name: string): boolean };
  readonly limits: Record<string, number>;
  requestDevice(descriptor: unknown): Promise<unknown>;
}

/**
 * Registers TensorFlow.js's WebGPU kernels and, if its own registration did not happen (the
 * module was imported before `navigator.gpu` existed), a backend factory on this adapter.
 */
async function ensureTensorFlowWebGpu(inspection: Extract<WebGpuInspection, { found: true }>, powerPreference: string): Promise<void> {
  const { WebGPUBackend } = await import("@tensorflow/tfjs-backend-webgpu");
  tf.env().set("WEBGPU_USE_LOW_POWER_GPU", powerPreference === "low-power");
  if (tf.findBackendFactory("webgpu") !== null) return;
  tf.registerBackend(
    "webgpu",
    async () => {
      // The device request TensorFlow.js makes in its own factory.
      const adapter = (await inspection.gpu.requestAdapter({ powerPreference: powerPreference as "low-power" | "high-performance" })) as unknown as DeviceAdapter | null;
      if (adapter === null) throw new Error("the WebGPU adapter disappeared");
      const limits = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures: adapter.features.has("timestamp-query") ? ["timestamp-query"] : [],
        requiredLimits: {
          maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
          maxBufferSize: limits.maxBufferSize,
          maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
        },
      });
      return new WebGPUBackend(device as never, (adapter as GpuAdapterLike).info as never);
    },
    3,
  );
}

/** Switches TensorFlow.js to WebGPU on an inspected adapter; `name` is the minevo backend name. */
export async function activateWebGpu(
  name: string,
  inspection: WebGpuInspection,
  powerPreference: WebGpuBackendOptions["powerPreference"],
): Promise<ActiveBackend> {
  if (!inspection.found) {
    throw new MinevoError(ErrorCode.BackendUnavailable, `backend "${name}" is not available here: ${inspection.reason}`, { backend: name });
  }
  await ensureTensorFlowWebGpu(inspection, powerPreference);
  await setTensorFlowBackend(tf, "webgpu", `the WebGPU adapter was ${inspection.description}`);
  return {
    name,
    tfBackend: "webgpu",
    engine: `WebGPU (${inspection.runtime === "node" ? "Dawn in Node" : "browser"}) on ${inspection.description}`,
    accelerated: !inspection.software,
    notes: inspection.software ? [`the WebGPU adapter ${inspection.description} computes on the CPU: correct, but slower than wasm`] : [],
    tf,
  };
}

/** A `webgpu` provider; `environment` supplies `navigator.gpu` (tests pass their own). */
export function createWebGpuProvider(options: WebGpuBackendOptions, environment: WebGpuEnvironment = defaultWebGpuEnvironment): BackendProvider {
  let inspection: Promise<WebGpuInspection> | undefined;
  const inspect = () => (inspection ??= inspectWebGpu(environment, options.powerPreference));
  return {
    priority: 30,
    probe: async () => probeFromInspection(await inspect(), options.allowSoftwareAdapter),
    async activate() {
      const found = await inspect();
      const probe = probeFromInspection(found, options.allowSoftwareAdapter);
      if (!probe.available) {
        throw new MinevoError(ErrorCode.BackendUnavailable, `backend "webgpu" is not available here: ${probe.reason}`, { backend: "webgpu" });
      }
      return activateWebGpu("webgpu", found, options.powerPreference);
    },
  };
}

export const webgpuBackend = defineBackend({
  name: "webgpu",
  description: "TensorFlow.js webgpu backend: WebGPU in the browser, or Dawn over Vulkan in Node",
  options: webgpuBackendOptions,
  create: (options) => createWebGpuProvider(options),
});

declare module "@minevo/core" {
  interface BackendMap {
    webgpu: typeof webgpuBackend;
  }
}
