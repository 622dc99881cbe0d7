/**
 * Telling a real GPU from a software rasteriser, and naming an adapter for a user. A software
 * adapter (Mesa lavapipe/llvmpipe, SwiftShader, WARP) computes WebGPU on the CPU: correct, and
 * useful for tests, but slower than the wasm backend, so it must not count as acceleration.
 */
import type { GpuAdapterInfoLike, GpuAdapterLike } from "./gpu-types.js";

const softwareNames = /llvmpipe|lavapipe|swiftshader|softpipe|microsoft basic render|\bwarp\b|software/i;

/** True when the adapter computes on the CPU. */
export function isSoftwareAdapter(adapter: GpuAdapterLike): boolean {
  const info: GpuAdapterInfoLike = adapter.info ?? {};
  if (info.isFallbackAdapter === true || adapter.isFallbackAdapter === true) return true;
  if (typeof info.type === "string" && /^cpu$/i.test(info.type.trim())) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((text) => typeof text === "string" && softwareNames.test(text));
}

/** "vendor architecture (description)", from whichever fields the implementation fills in. */
export function describeAdapter(adapter: GpuAdapterLike): string {
  const info: GpuAdapterInfoLike = adapter.info ?? {};
  const head = [info.vendor, info.architecture].filter((s): s is string => typeof s === "string" && s.length > 0).join(" ");
  const detail = [info.description, info.device].find((s): s is string => typeof s === "string" && s.length > 0);
  const name = head.length > 0 ? (detail !== undefined ? `${head} (${detail})` : head) : (detail ?? "an adapter that does not describe itself");
  return isSoftwareAdapter(adapter) ? `${name} [software]` : name;
}
