/**
 * The many-well at CI scale: two of its double wells (the registered target with dim = 4), the
 * additive network with the quartic term at ℓ_r = 1, every collocation point from MALA chains on
 * π̃. The 32-d acceptance run (docs/benchmarks.md, many-well) uses the same recipe at full size;
 * this checks its parts end to end — the float64 Gram of the fit, the quartic coefficient leaving
 * at t > 0 so that no collocation point runs away along the probability flow, log Ẑ and the
 * weights against the target's exact facts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@minevo/backend-cpu";
import { registries, selectBackend } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import "../index.js";
import type { ManyWellTarget } from "../targets/many-well.js";
import { runOuSampler } from "./ou-sampler.js";

// The wasm backend, the fast CPU path (as acceptance.test.ts): about 20 s here against 2 min on "cpu".
beforeAll(async () => {
  expect((await selectBackend("wasm")).tf).toBe(tf);
});

const d = 4;
const target = registries.target.create("many-well", { dim: d }) as ManyWellTarget;

describe("runOuSampler on two double wells of the many-well", () => {
  it("reaches log Z and P(a > 0) with the additive network, and no collocation point runs away", { timeout: 600_000 }, async () => {
    const farthest: number[] = [];
    const before = tf.memory().numTensors;
    const result = await runOuSampler({
      tf,
      target,
      network: "additive",
      networkOptions: {
        inputDim: d,
        blockSize: 2,
        inner: {
          name: "mlp",
          options: {
            hiddenWidths: [16, 16],
            inputLengthScale: 2,
            quadratic: { form: "diagonal", learnable: true, initial: 0 },
            quartic: { initial: 0, lengthScale: 1 },
          },
        },
      },
      sketch: "gaussian",
      sketchOptions: { sketchSize: 100, regularisation: { kind: "relative-trace", epsilon: 1e-6 } },
      numPoints: 500,
      pointScale: 1.5,
      pointSource: { kind: "mala", fraction: 1, fitJitter: 0.3 },
      numExtraFitPoints: 500,
      fitIterations: 100,
      fitGramPrecision: "float64",
      numSamples: 2000,
      seed: 0,
      onProgress: (p) => void (p.stage === "forward" && farthest.push(p.maxAbsPoint)),
    });
    const exactLogZ = target.logZ!;
    if (process.env.MINEVO_TEST_LOG) {
      console.log(`many-well d = 4: log Ẑ − log Z ${(result.logZ - exactLogZ).toExponential(2)}, ESS/M ${result.essFraction.toFixed(4)}, farthest point ${farthest[0]!.toFixed(2)} → ${Math.max(...farthest).toFixed(2)}`);
    }
    expect(Math.abs(result.logZ - exactLogZ)).toBeLessThan(0.02);
    expect(result.essFraction).toBeGreaterThan(0.9);
    // The weighted share of draws in each well's right-hand side (a > 0).
    for (let well = 0; well < d / 2; well++) {
      let positive = 0;
      for (let j = 0; j < result.normalisedWeights.length; j++) if (result.samples[j * d + 2 * well]! > 0) positive += result.normalisedWeights[j]!;
      expect(Math.abs(positive - target.wellPositiveProbability)).toBeLessThan(0.03);
    }
    // With ℓ_r = 2 (the quartic coefficient kept by the minimal-norm step) a tail point ran away
    // along the probability flow, from |x| 3.7 to 10⁴ over the run (docs/design.md); here the
    // farthest point stays near where it started.
    expect(Math.max(...farthest)).toBeLessThan(2 * farthest[0]!);
    expect(tf.memory().numTensors).toBe(before);
  });
});
