/**
 * The `node-gpu` backend: a GPU in Node, through one of two engines —
 *   - TensorFlow's C library via @tensorflow/tfjs-node-gpu (CUDA) — or @tensorflow/tfjs-node on
 *     the CPU when named explicitly — optional peers, loaded only when present;
 *   - WebGPU via Dawn (@minevo/backend-webgpu's Node path) over the machine's Vulkan driver.
 *
 * With `engine: "auto"` it is available only when an accelerated engine is: tfjs-node-gpu if it
 * loads, else a hardware WebGPU adapter. A software Vulkan driver (lavapipe) does not count, so
 * `auto` then chooses wasm instead.
 */
import * as tf from "@tensorflow/tfjs-core";
import { defineBackend, ErrorCode, MinevoError, type ActiveBackend, type BackendProbe, type BackendProvider, setTensorFlowBackend } from "@minevo/core";
import { activateWebGpu, defaultWebGpuEnvironment, inspectWebGpu, type WebGpuEnvironment, type WebGpuInspection } from "@minevo/backend-webgpu";
import { z } from "zod";
import { importModule, loadTfjsNode, type LoadResult, type ModuleImporter, type TfjsNodePackage } from "./tfjs-node.js";

export const nodeGpuEngines = ["auto", "tfjs-node-gpu", "tfjs-node", "webgpu"] as const;
export type NodeGpuEngine = (typeof nodeGpuEngines)[number];

export const nodeGpuBackendOptions = z
  .object({
    /** Which engine to use; `auto` takes the first accelerated one of tfjs-node-gpu, webgpu. */
    engine: z.enum(nodeGpuEngines).default("auto"),
    /** Let the webgpu engine run on a software Vulkan driver (lavapipe). For tests. */
    allowSoftwareAdapter: z.boolean().default(false),
  })
  .strict();

export type NodeGpuBackendOptions = z.output<typeof nodeGpuBackendOptions>;

/** Where the engines come from; tests substitute their own. */
export interface NodeGpuEnvironment {
  readonly importModule: ModuleImporter;
  readonly webgpu: WebGpuEnvironment;
}

export const defaultNodeGpuEnvironment: NodeGpuEnvironment = { importModule, webgpu: defaultWebGpuEnvironment };

/** An engine that can run, before TensorFlow.js is switched to it. */
export type EngineCandidate =
  | { readonly engine: "tfjs-node-gpu" | "tfjs-node"; readonly accelerated: boolean; readonly module: unknown }
  | { readonly engine: "webgpu"; readonly accelerated: boolean; readonly inspection: WebGpuInspection };

/** The engine chosen, or every engine's reason for not running. */
export type EngineChoice = { readonly chosen: EngineCandidate } | { readonly chosen?: undefined; readonly reason: string };

const packageOf = { "tfjs-node-gpu": "@tensorflow/tfjs-node-gpu", "tfjs-node": "@tensorflow/tfjs-node" } as const satisfies Record<string, TfjsNodePackage>;

async function tryEngine(
  engine: Exclude<NodeGpuEngine, "auto">,
  options: NodeGpuBackendOptions,
  environment: NodeGpuEnvironment,
): Promise<{ candidate: EngineCandidate } | { reason: string }> {
  if (engine === "webgpu") {
    const inspection = await inspectWebGpu(environment.webgpu, "high-performance");
    if (!inspection.found) return { reason: inspection.reason };
    if (inspection.software && !options.allowSoftwareAdapter) {
      return { reason: `the only WebGPU adapter is a software renderer, ${inspection.description}, not a GPU` };
    }
    return { candidate: { engine, accelerated: !inspection.software, inspection } };
  }
  const loaded: LoadResult = await loadTfjsNode(packageOf[engine], environment.importModule);
  if (!loaded.loaded) return { reason: loaded.reason };
  // The CUDA build counts as accelerated; tfjs-node is TensorFlow on the CPU.
  return { candidate: { engine, accelerated: engine === "tfjs-node-gpu", module: loaded.module } };
}

/** Picks the engine `options.engine` asks for (see the module comment for `auto`). */
export async function chooseEngine(options: NodeGpuBackendOptions, environment: NodeGpuEnvironment): Promise<EngineChoice> {
  if (options.engine !== "auto") {
    const result = await tryEngine(options.engine, options, environment);
    return "candidate" in result ? { chosen: result.candidate } : { reason: `engine ${options.engine}: ${result.reason}` };
  }
  const reasons: string[] = [];
  for (const engine of ["tfjs-node-gpu", "webgpu"] as const) {
    const result = await tryEngine(engine, options, environment);
    if ("candidate" in result && result.candidate.accelerated) return { chosen: result.candidate };
    reasons.push(`${engine}: ${"reason" in result ? result.reason : "not accelerated"}`);
  }
  return { reason: `no GPU engine is available (${reasons.join("; ")})` };
}

function probeOf(choice: EngineChoice): BackendProbe {
  if (choice.chosen === undefined) return { available: false, accelerated: false, reason: choice.reason };
  return { available: true, accelerated: choice.chosen.accelerated, reason: `engine ${choice.chosen.engine}` };
}

interface TensorflowBackendLike {
  readonly isUsingGpuDevice?: boolean;
}

async function activateTfjsNode(candidate: Extract<EngineCandidate, { engine: "tfjs-node-gpu" | "tfjs-node" }>): Promise<ActiveBackend> {
  await setTensorFlowBackend(tf, "tensorflow", `${packageOf[candidate.engine]} loaded but did not register its "tensorflow" backend with this copy of @tensorflow/tfjs-core; install matching versions`);
  const onGpu = (tf.backend() as TensorflowBackendLike).isUsingGpuDevice;
  const accelerated = candidate.engine === "tfjs-node-gpu" && onGpu !== false;
  const notes = candidate.engine === "tfjs-node-gpu" && onGpu === false ? ["tfjs-node-gpu found no CUDA device and runs TensorFlow on the CPU"] : [];
  return {
    name: "node-gpu",
    tfBackend: "tensorflow",
    engine: `${packageOf[candidate.engine]} (TensorFlow C library on the ${accelerated ? "GPU (CUDA)" : "CPU"})`,
    accelerated,
    notes,
    tf,
  };
}

/** A `node-gpu` provider; `environment` supplies the engines (tests pass their own). */
export function createNodeGpuProvider(options: NodeGpuBackendOptions, environment: NodeGpuEnvironment = defaultNodeGpuEnvironment): BackendProvider {
  let choice: Promise<EngineChoice> | undefined;
  const choose = () => (choice ??= chooseEngine(options, environment));
  return {
    priority: 40,
    probe: async () => probeOf(await choose()),
    async activate() {
      const chosen = await choose();
      if (chosen.chosen === undefined) {
        throw new MinevoError(ErrorCode.BackendUnavailable, `backend "node-gpu" is not available here: ${chosen.reason}`, { backend: "node-gpu" });
      }
      const candidate = chosen.chosen;
      if (candidate.engine === "webgpu") return activateWebGpu("node-gpu", candidate.inspection, "high-performance");
      return activateTfjsNode(candidate);
    },
  };
}

export const nodeGpuBackend = defineBackend({
  name: "node-gpu",
  description: "A GPU in Node: TensorFlow via tfjs-node-gpu (CUDA), or WebGPU via Dawn over Vulkan",
  options: nodeGpuBackendOptions,
  create: (options) => createNodeGpuProvider(options),
});

declare module "@minevo/core" {
  interface BackendMap {
    "node-gpu": typeof nodeGpuBackend;
  }
}
