/**
 * @minevo/backend-cpu: the CPU backends `cpu` (plain JavaScript) and `wasm` (WebAssembly SIMD).
 * Importing this module registers both in `registries.backend`; `selectBackend("auto")` then
 * prefers `wasm` and falls back to `cpu` if WebAssembly cannot initialise.
 */
import { registries } from "@minevo/core";
import { cpuBackend } from "./cpu.js";
import { wasmBackend } from "./wasm.js";

registries.backend.register(cpuBackend);
registries.backend.register(wasmBackend);

export { cpuBackend, cpuBackendOptions } from "./cpu.js";
export { wasmBackend, wasmBackendOptions } from "./wasm.js";
export { setTensorFlowBackend } from "@minevo/core";
