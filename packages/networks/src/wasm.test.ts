// The same conformance checks on the wasm backend, the fast CPU path: every kernel the mlp uses
// (erf, softplus, gather, …) must exist there and agree with the float64 reference.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { registries } from "@minevo/core";
import { formatConformanceReport, runNetworkConformance } from "./conformance/index.js";
import { activationNames } from "./index.js";

beforeAll(async () => {
  await tf.setBackend("wasm");
  await tf.ready();
});

describe("mlp on the wasm backend", () => {
  for (const activation of activationNames) {
    it(`${activation} with every option passes the conformance suite`, async () => {
      expect(tf.getBackend()).toBe("wasm");
      const network = registries.network.create("mlp", {
        inputDim: 2,
        conditionDim: 1,
        hiddenWidths: [6, 6],
        activation,
        residual: true,
        fourierFeatures: { count: 3 },
        quadratic: {},
        gaussianEnvelope: { width: 2 },
      });
      const report = await runNetworkConformance(network, tf, { seed: 5 });
      if (!report.passed) console.log(formatConformanceReport(report));
      expect(report.checks.filter((c) => !c.passed).map((c) => c.name)).toEqual([]);
    });
  }
});
