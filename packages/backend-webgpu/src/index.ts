/**
 * @minevo/backend-webgpu: the `webgpu` backend. Importing this module registers it in
 * `registries.backend`. In Node it needs the optional dependency `webgpu` (Dawn) and a Vulkan
 * driver; in the browser, a WebGPU-enabled browser.
 */
import { registries } from "@minevo/core";
import { webgpuBackend } from "./webgpu.js";

registries.backend.register(webgpuBackend);

export {
  webgpuBackend,
  webgpuBackendOptions,
  createWebGpuProvider,
  defaultWebGpuEnvironment,
  inspectWebGpu,
  probeFromInspection,
  activateWebGpu,
} from "./webgpu.js";
export type { WebGpuBackendOptions, WebGpuEnvironment, WebGpuInspection } from "./webgpu.js";
export { isSoftwareAdapter, describeAdapter } from "./adapter.js";
export { environmentGpu } from "./gpu-source.js";
export type { GpuSource } from "./gpu-source.js";
export type { GpuLike, GpuAdapterLike, GpuAdapterInfoLike, GpuRequestAdapterOptions } from "./gpu-types.js";
