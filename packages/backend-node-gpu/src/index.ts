/**
 * @minevo/backend-node-gpu: the `node-gpu` backend (Node only). Importing this module registers
 * it in `registries.backend`. Install @tensorflow/tfjs-node-gpu for CUDA, or rely on its WebGPU
 * engine (the `webgpu` package, with a Vulkan driver for the GPU).
 */
import { registries } from "@minevo/core";
import { nodeGpuBackend } from "./node-gpu.js";

registries.backend.register(nodeGpuBackend);

export {
  nodeGpuBackend,
  nodeGpuBackendOptions,
  nodeGpuEngines,
  createNodeGpuProvider,
  chooseEngine,
  defaultNodeGpuEnvironment,
} from "./node-gpu.js";
export type { NodeGpuEngine, NodeGpuBackendOptions, NodeGpuEnvironment, EngineCandidate, EngineChoice } from "./node-gpu.js";
export { missingPackageMessage, installAdvice, tfjsNodeVersion, loadTfjsNode } from "./tfjs-node.js";
export type { TfjsNodePackage, ModuleImporter, LoadResult } from "./tfjs-node.js";
