/**
 * The `wasm` backend: TensorFlow.js's WebAssembly kernels (XNNPACK, SIMD). The fast CPU path —
 * ≈ 15 GFLOP/s for a large matMul in Node, where it runs single-threaded; in a browser page
 * served cross-origin isolated it also gets threads. Preferred over `cpu` by `auto`.
 *
 * Two performance facts callers should know: `matMul(a, b, false, true)` is many times slower
 * than transposing `b` explicitly first, and long float32 sums drift more than on `cpu`.
 */
import * as tf from "@tensorflow/tfjs-core";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { defineBackend, type ActiveBackend, type BackendProvider, setTensorFlowBackend } from "@minevo/core";
import { z } from "zod";

export const wasmBackendOptions = z
  .object({
    /**
     * Where the `tfjs-backend-wasm*.wasm` files are served from (a URL prefix ending in "/"), for
     * bundlers that do not copy them; Node finds them in the installed package without it.
     */
    wasmPaths: z.string().min(1).optional(),
  })
  .strict();

/** Whether this JavaScript engine has WebAssembly at all. */
function hasWebAssembly(): boolean {
  return typeof WebAssembly === "object" && typeof WebAssembly.instantiate === "function";
}

export const wasmBackend = defineBackend({
  name: "wasm",
  description: "TensorFlow.js wasm backend: WebAssembly (SIMD) kernels, the fast CPU path",
  options: wasmBackendOptions,
  create: (options): BackendProvider => ({
    priority: 20,
    probe: () =>
      Promise.resolve(
        hasWebAssembly()
          ? { available: true, accelerated: false, reason: "WebAssembly is available" }
          : { available: false, accelerated: false, reason: "this JavaScript engine has no WebAssembly" },
      ),
    async activate(): Promise<ActiveBackend> {
      if (options.wasmPaths !== undefined) setWasmPaths(options.wasmPaths);
      await setTensorFlowBackend(
        tf,
        "wasm",
        options.wasmPaths === undefined
          ? "if the .wasm files were not found (a bundled web page), pass the URL they are served from as the wasmPaths option"
          : `check that the tfjs-backend-wasm*.wasm files are served from ${JSON.stringify(options.wasmPaths)}`,
      );
      const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) === true;
      const threads = getThreadsCount();
      return {
        name: "wasm",
        tfBackend: "wasm",
        engine: `TensorFlow.js wasm (${simd ? "SIMD" : "no SIMD"}, ${threads} thread${threads === 1 ? "" : "s"})`,
        accelerated: false,
        notes: simd ? [] : ["WebAssembly SIMD is not available here: the wasm backend runs several times slower"],
        tf,
      };
    },
  }),
});

declare module "@minevo/core" {
  interface BackendMap {
    wasm: typeof wasmBackend;
  }
}
