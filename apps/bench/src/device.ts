/**
 * Issue 9.6's GPU rows, on a machine with an NVIDIA GPU: this program runs there from the
 * self-contained kit that scripts/device-kit.sh builds (this file bundled with esbuild, a Node
 * binary, tfjs' wasm binaries, Dawn's Node bindings and the float64 reference), since that
 * machine has no npm registry and no Node.js of its own.
 *
 * It measures, on that machine, in one process:
 *  1. wasm (its CPU, one thread) and `node-gpu` with the WebGPU engine (Dawn over the NVIDIA
 *     Vulkan driver): each backend's matMul rate and one MNE right-hand side of the main job's
 *     size (the figures of bench:backends, measured the same way);
 *  2. the whole pipeline of bench:reference (fit, forward solve, 5000 samples) on each backend,
 *     with its accuracy, and the float64 numpy reference's pipeline there (`--reference`).
 * After each step it writes what it has to <out>/backends-device.json, so a run cut short keeps
 * its finished steps. Copy that file to apps/bench/results/ and run bench:backends to put the
 * rows into docs/benchmarks.md.
 *
 * Run (in the kit): node device.mjs --out DIR [--reference DIR] [--pipelines wasm,node-gpu]
 *   [--allow-software: accept a software WebGPU adapter, to check the kit on a machine without a GPU]
 *   --pipelines names the backends whose whole pipeline runs (default both; "none" for none);
 *   --reference names a folder with the float64 reference's modules and its driver as pipeline.py.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { selectBackend } from "@minevo/core";
import "@minevo/backend-cpu";
import { nodeGpuBackend } from "@minevo/backend-node-gpu";
import { measureBackend, type BackendResult } from "./backend-measure.js";
import { tf } from "./recipe.js";
import { runMinevoPipeline, runReferencePipeline, type PipelineRun, type ReferenceRun } from "./pipeline.js";

export interface DeviceResults {
  readonly date: string;
  readonly machine: { readonly gpu: string; readonly cpu: string; readonly node: string };
  readonly backends: BackendResult[];
  readonly pipelines: { readonly backend: string; readonly run?: PipelineRun; readonly error?: string }[];
  reference?: ReferenceRun | { readonly error: string };
}

// node:util's parseArgs (strict) refuses an unknown or incomplete option; its message, not a stack, is what the user sees.
let options: { out?: string; reference?: string; pipelines?: string; "allow-software"?: boolean };
try {
  ({ values: options } = parseArgs({
    options: { out: { type: "string" }, reference: { type: "string" }, pipelines: { type: "string" }, "allow-software": { type: "boolean" } },
    strict: true,
  }));
} catch (error) {
  console.error(`device: ${error instanceof Error ? error.message : String(error)} (options: --out DIR, --reference DIR, --pipelines wasm,node-gpu|none, --allow-software)`);
  process.exit(2);
}
const outDir = resolve(options.out ?? process.env["OUT"] ?? ".");
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, "backends-device.json");

// In the kit, tfjs' wasm binaries lie beside this bundle.
const here = dirname(fileURLToPath(import.meta.url));
const wasmOptions = existsSync(join(here, "tfjs-backend-wasm-simd.wasm")) ? { wasmPaths: `${here}/` } : {};

const nvidia = spawnSync("nvidia-smi", ["--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"], { encoding: "utf8" });
const results: DeviceResults = {
  date: new Date().toISOString(),
  machine: {
    gpu: nvidia.status === 0 ? nvidia.stdout.trim() : `no nvidia-smi (${nvidia.error?.message ?? nvidia.stderr.trim()})`,
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}`,
    node: process.version,
  },
  backends: [],
  pipelines: [],
};
const save = () => writeFileSync(outFile, JSON.stringify(results, null, 1));
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
console.log(`machine: ${results.machine.gpu}; ${results.machine.cpu}; Node ${results.machine.node}`);

const choices = [
  { key: "wasm", label: "wasm", select: () => selectBackend({ name: "wasm", options: wasmOptions }) },
  { key: "node-gpu", label: "node-gpu (webgpu)", select: () => selectBackend(nodeGpuBackend.with({ engine: "webgpu", allowSoftwareAdapter: options["allow-software"] === true })) },
];
const pipelines = (options.pipelines ?? "wasm,node-gpu").split(",");
for (const name of pipelines) {
  if (name !== "none" && !choices.some((c) => c.key === name)) {
    console.error(`device: --pipelines: unknown backend "${name}"; use wasm, node-gpu, both separated by a comma, or none`);
    process.exit(2);
  }
}
for (const choice of choices) {
  try {
    const active = await choice.select();
    const result = { ...(await measureBackend(active, { repeats: 5 })), backend: choice.label };
    results.backends.push(result);
    console.log(`${choice.label}: matMul ${result.matMulGflops.toFixed(2)} GFLOP/s, one RHS ${result.rhsMs.toFixed(1)} ms (${result.engine})`);
  } catch (error) {
    results.backends.push({ backend: choice.label, engine: "—", matMulGflops: Number.NaN, rhsMs: Number.NaN, rhsFlopFraction: Number.NaN, error: describe(error) });
    console.log(`${choice.label} failed: ${describe(error)}`);
  }
  save();
}

if (!pipelines.includes("none")) {
  for (const choice of choices) {
    if (!pipelines.includes(choice.key)) continue;
    if (results.backends.find((b) => b.backend === choice.label)?.error !== undefined) continue;
    try {
      await choice.select();
      const run = await runMinevoPipeline();
      results.pipelines.push({ backend: choice.label, run });
      console.log(`pipeline on ${choice.label}: ${run.wall.toFixed(1)} s (fit ${run.fit.toFixed(1)}, forward ${run.forward.toFixed(1)}, sample ${run.sample.toFixed(1)}), ESS/M ${run.essFraction.toFixed(5)}, log Ẑ ${run.logZ.toExponential(2)}`);
    } catch (error) {
      results.pipelines.push({ backend: choice.label, error: describe(error) });
      console.log(`pipeline on ${choice.label} failed: ${describe(error)}`);
    }
    save();
  }
  if (options.reference !== undefined) {
    try {
      // The kit puts the reference's modules and its driver (apps/bench/python/reference_pipeline.py) in one folder.
      results.reference = runReferencePipeline(join(options.reference, "pipeline.py"), options.reference);
      console.log(`reference pipeline: ${results.reference.wallWithStartup.toFixed(1)} s (fit ${results.reference.fit.toFixed(1)}, forward ${results.reference.forward.toFixed(1)}, sample ${results.reference.sample.toFixed(1)})`);
    } catch (error) {
      results.reference = { error: describe(error) };
      console.log(`reference pipeline failed: ${describe(error)}`);
    }
    save();
  }
}
console.log(`wrote ${outFile}; live tensors at the end: ${tf.memory().numTensors}`);
