/**
 * The browser half of bench:backends: bundled by ../browser-backends.ts and loaded in headless
 * Chromium, it measures wasm (with threads, the page being cross-origin isolated) and WebGPU
 * with the same code as the Node rows (../backend-measure.ts), and leaves the results in
 * `window.minevoBench`.
 */
import { selectBackend } from "@minevo/core";
import "@minevo/backend-cpu";
import { webgpuBackend } from "@minevo/backend-webgpu";
import { measureBackend, type BackendResult } from "../backend-measure.js";

declare global {
  interface Window {
    minevoBench?: Promise<BackendResult[]>;
  }
}

const choices = [
  { backend: "wasm", select: () => selectBackend({ name: "wasm", options: { wasmPaths: "/wasm/" } }) },
  { backend: "webgpu", select: () => selectBackend(webgpuBackend.with({ allowSoftwareAdapter: true })) },
];

async function measureAll(): Promise<BackendResult[]> {
  const results: BackendResult[] = [];
  for (const { backend, select } of choices) {
    try {
      results.push({ ...(await measureBackend(await select(), { repeats: 3 })), backend });
    } catch (error) {
      results.push({ backend, engine: "—", matMulGflops: Number.NaN, rhsMs: Number.NaN, rhsFlopFraction: Number.NaN, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}

window.minevoBench = measureAll();
