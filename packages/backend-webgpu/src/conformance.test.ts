// The backend conformance suite of @minevo/core on WebGPU. In Node on a machine without a GPU
// this runs on Mesa's lavapipe (software Vulkan), which `bash scripts/setup-vulkan.sh` installs
// and `pnpm test` (../../scripts/run-with-vulkan.mjs) selects. Without any adapter these tests fail, saying
// so: they are meant to run in CI, not to be skipped. Lavapipe compiles each new shader slowly,
// hence the long timeouts.
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { backendConformanceCases, runConformanceCase } from "@minevo/core/conformance";
import { selectBackend, type ActiveBackend } from "@minevo/core";
import { beforeAll, describe, expect, it } from "vitest";
import { webgpuBackend } from "./index.js";

describe("conformance on webgpu", () => {
  let active: ActiveBackend;
  beforeAll(async () => {
    active = await selectBackend(webgpuBackend.with({ allowSoftwareAdapter: true }));
    // TensorFlow.js hands ops on small CPU-resident inputs (< 1000 entries) to its CPU kernels;
    // the suite's inputs are that small, and it is the WebGPU kernels that must be checked.
    active.tf.env().set("WEBGPU_CPU_FORWARD", false);
  }, 120_000);

  it("runs on a WebGPU adapter that it describes", () => {
    expect(active.tfBackend).toBe("webgpu");
    expect(active.tf.getBackend()).toBe("webgpu");
    expect(active.engine).toMatch(/^WebGPU \((Dawn in Node|browser)\) on \S/);
  });

  for (const c of backendConformanceCases) {
    it(c.name, { timeout: 120_000 }, async () => {
      const result = await runConformanceCase(active.tf, c);
      expect(result.backend).toBe("webgpu");
      expect(result.passed, result.message).toBe(true);
    });
  }
});
