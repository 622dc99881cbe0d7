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
 * Run (in the kit): node device.mjs --out DIR [--reference SCRIPT DIR] [--pipelines wasm,node-gpu]
 *   [--allow-software: accept a software WebGPU adapter, to check the kit on a machine without a GPU]
 *   --pipelines names the backends whose whole pipeline runs (default both; "none" for none).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
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

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const valueAfter = (name: string, offset = 1): string | undefined => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + offset] : undefined;
};
// Every argument is known: a mistyped one is refused rather than ignored.
for (let i = 0; i < args.length; i++) {
  const arg = args[i] as string;
  const takes = { "--out": 1, "--pipelines": 1, "--reference": 2, "--allow-software": 0 }[arg];
  if (takes === undefined) throw new Error(`unknown argument ${JSON.stringify(arg)}: use --out DIR, --reference SCRIPT DIR, --pipelines wasm,node-gpu|none, --allow-software`);
  if (i + takes >= args.length) throw new Error(`${arg} needs ${takes} value${takes === 1 ? "" : "s"}`);
  i += takes;
}
const outDir = resolve(valueAfter("--out") ?? process.env["OUT"] ?? ".");
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
  { key: "node-gpu", label: "node-gpu (webgpu)", select: () => selectBackend(nodeGpuBackend.with({ engine: "webgpu", allowSoftwareAdapter: flag("--allow-software") })) },
];
const pipelines = (valueAfter("--pipelines") ?? "wasm,node-gpu").split(",");
for (const name of pipelines) {
  if (name !== "none" && !choices.some((c) => c.key === name)) throw new Error(`--pipelines: unknown backend "${name}"; use wasm, node-gpu, both separated by a comma, or none`);
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
  const script = valueAfter("--reference");
  const referenceDir = valueAfter("--reference", 2);
  if (script !== undefined && referenceDir !== undefined) {
    try {
      results.reference = runReferencePipeline(script, referenceDir);
      console.log(`reference pipeline: ${results.reference.wallWithStartup.toFixed(1)} s (fit ${results.reference.fit.toFixed(1)}, forward ${results.reference.forward.toFixed(1)}, sample ${results.reference.sample.toFixed(1)})`);
    } catch (error) {
      results.reference = { error: describe(error) };
      console.log(`reference pipeline failed: ${describe(error)}`);
    }
    save();
  }
}
console.log(`wrote ${outFile}; live tensors at the end: ${tf.memory().numTensors}`);
