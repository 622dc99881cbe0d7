/**
 * Where `navigator.gpu` comes from. A browser (or Deno) provides it. Node does not: there Dawn's
 * Node bindings, the npm package `webgpu` (an optional dependency, so a browser bundle never
 * needs it), install the WebGPU globals and a `navigator.gpu` that talks to the machine's Vulkan
 * (Linux, Windows) or Metal (macOS) driver. The globals must exist before
 * @tensorflow/tfjs-backend-webgpu is imported, because that module registers its backend only if
 * it sees `navigator.gpu`.
 */
import type { GpuLike } from "./gpu-types.js";

/** A `navigator.gpu`, or why there is none. */
export type GpuSource = { readonly gpu: GpuLike; readonly runtime: "browser" | "node" } | { readonly gpu?: undefined; readonly reason: string };

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

type NavigatorHolder = { navigator?: { gpu?: GpuLike } };

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof proc?.versions?.node === "string";
}

let dawnInstall: Promise<GpuSource> | undefined;

async function installDawn(): Promise<GpuSource> {
  // A variable specifier keeps browser bundlers from trying to bundle a native Node addon.
  const specifier = "webgpu";
  let dawn: DawnModule;
  try {
    dawn = (await import(/* @vite-ignore */ specifier)) as DawnModule;
  } catch (error) {
    return {
      reason:
        `WebGPU in Node needs the "webgpu" package (Dawn's Node bindings), which could not be loaded ` +
        `(${error instanceof Error ? error.message : String(error)}): npm install webgpu`,
    };
  }
  const holder = globalThis as NavigatorHolder;
  if (holder.navigator?.gpu !== undefined) return { gpu: holder.navigator.gpu, runtime: "node" };
  Object.assign(globalThis, dawn.globals);
  if (holder.navigator === undefined) {
    Object.defineProperty(globalThis, "navigator", { value: {}, writable: true, configurable: true, enumerable: false });
  }
  const gpu = dawn.create([]);
  Object.defineProperty(holder.navigator, "gpu", { value: gpu, writable: true, configurable: true, enumerable: true });
  return { gpu, runtime: "node" };
}

/**
 * The environment's `navigator.gpu`: the browser's own, or in Node one from Dawn (installed once
 * per process, on first use).
 */
export function environmentGpu(): Promise<GpuSource> {
  const existing = (globalThis as NavigatorHolder).navigator?.gpu;
  if (existing !== undefined) return Promise.resolve({ gpu: existing, runtime: isNode() ? "node" : "browser" });
  if (isNode()) return (dawnInstall ??= installDawn());
  return Promise.resolve({
    reason: "this JavaScript environment has no WebGPU (navigator.gpu is undefined); use a browser with WebGPU enabled",
  });
}
