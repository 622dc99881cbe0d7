// The backend conformance suite of @minevo/core, on `cpu` and on `wasm`, each selected by name
// through the registry (so activation itself is under test too).
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { backendConformanceCases, runConformanceCase } from "@minevo/core/conformance";
import { selectBackend, type ActiveBackend } from "@minevo/core";
import { beforeAll, describe, expect, it } from "vitest";
import "./index.js";

for (const name of ["cpu", "wasm"] as const) {
  describe(`conformance on ${name}`, () => {
    let active: ActiveBackend;
    beforeAll(async () => {
      active = await selectBackend(name);
    });

    for (const c of backendConformanceCases) {
      it(c.name, async () => {
        // Both describe blocks share one tfjs engine: make sure this block's backend is current.
        await active.tf.setBackend(active.tfBackend);
        const result = await runConformanceCase(active.tf, c);
        expect(result.backend).toBe(name);
        expect(result.passed, result.message).toBe(true);
      });
    }
  });
}
