/**
 * The `cpu` backend: TensorFlow.js's plain-JavaScript kernels. Always available, slowest
 * (≈ 0.3 GFLOP/s for a large matMul here); the reference the other backends are checked against.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { defineBackend, type ActiveBackend, type BackendProvider, setTensorFlowBackend } from "@minevo/core";
import { z } from "zod";

export const cpuBackendOptions = z.object({}).strict();

export const cpuBackend = defineBackend({
  name: "cpu",
  description: "TensorFlow.js cpu backend: plain JavaScript kernels, runs everywhere",
  options: cpuBackendOptions,
  create: (): BackendProvider => ({
    priority: 10,
    probe: () => Promise.resolve({ available: true, accelerated: false, reason: "plain JavaScript runs everywhere" }),
    async activate(): Promise<ActiveBackend> {
      await setTensorFlowBackend(tf, "cpu", "the cpu backend is registered by @tensorflow/tfjs-backend-cpu; check that one copy of @tensorflow/tfjs-core is installed");
      return { name: "cpu", tfBackend: "cpu", engine: "TensorFlow.js cpu (plain JavaScript)", accelerated: false, notes: [], tf };
    },
  }),
});

declare module "@minevo/core" {
  interface BackendMap {
    cpu: typeof cpuBackend;
  }
}
