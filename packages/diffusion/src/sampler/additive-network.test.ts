/**
 * The sampler with the `additive` network on a target that factorises into identical blocks: a
 * Gaussian in d = 8 whose covariance is four copies of one correlated 2×2 block. The network is
 * one small MLP of a block summed over the four blocks (p of a 2-d network), the evolution keeps
 * that form exactly, and the weights and log Ẑ come out as with a network of all 8 coordinates.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, isMinevoError, registries, type SamplingTarget } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import { tf } from "../test-support/tensorflow.js";
import "../index.js";
import { runOuSampler } from "./ou-sampler.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const d = 8;
const blockMean = [1, -1];
const blockCovariance = [
  [1, 0.5],
  [0.5, 2],
];
const mean = Array.from({ length: d }, (_, i) => blockMean[i % 2]!);
const covariance = Array.from({ length: d }, (_, i) =>
  Array.from({ length: d }, (_, j) => (Math.floor(i / 2) === Math.floor(j / 2) ? blockCovariance[i % 2]![j % 2]! : 0)),
);
const target = registries.target.create("gaussian", { mean, covariance }) as SamplingTarget;

const options = {
  tf,
  target,
  network: "additive",
  networkOptions: {
    inputDim: d,
    blockSize: 2,
    inner: { name: "mlp", options: { hiddenWidths: [8], inputLengthScale: 2, quadratic: { form: "symmetric", learnable: true, initial: 0 } } },
  },
  sketch: "dense",
  sketchOptions: { regularisation: { kind: "relative-trace", epsilon: 1e-8 } },
  numPoints: 150,
  numExtraFitPoints: 150,
  fitIterations: 40,
  fitGramPrecision: "float64",
  numSamples: 1000,
  seed: 2,
} as const;

describe("runOuSampler with the additive network", () => {
  it("samples a block-product Gaussian in d = 8 with one 2-d network summed over the blocks", async () => {
    const result = await runOuSampler(options);
    expect(result.network.name).toBe("additive");
    // The figures the docs quote: MINEVO_TEST_LOG=1 pnpm --filter @minevo/diffusion exec vitest run src/sampler/additive-network.test.ts
    if (process.env.MINEVO_TEST_LOG) console.log(`additive network, d = 8: log Ẑ ${result.logZ.toExponential(2)}, ESS/M ${result.essFraction.toFixed(4)}`);
    // p is the 2-d inner network's: [8] MLP (2·8 + 8 + 8 + 1) and a symmetric 2×2 quadratic (3).
    const path = result.parameterPath;
    expect(path.parameters.length / path.times.length).toBe(36);
    // The registered Gaussian is normalised: log Z = 0.
    expect(Math.abs(result.logZ)).toBeLessThan(0.05);
    expect(result.essFraction).toBeGreaterThan(0.9);
    let m0 = 0;
    let m1 = 0;
    result.normalisedWeights.forEach((w, j) => {
      for (let b = 0; b < d; b += 2) {
        m0 += (w * result.samples[d * j + b]!) / 4;
        m1 += (w * result.samples[d * j + b + 1]!) / 4;
      }
    });
    expect(Math.abs(m0 - 1)).toBeLessThan(0.1);
    expect(Math.abs(m1 + 1)).toBeLessThan(0.15);
  }, 300_000);

  it("refuses an unknown fit Gram precision", async () => {
    try {
      await runOuSampler({ ...options, fitGramPrecision: "float16" as never });
      expect.unreachable();
    } catch (error) {
      expect(isMinevoError(error) && error.code === ErrorCode.InvalidOptions).toBe(true);
      expect((error as Error).message).toMatch(/fitGramPrecision must be "float64", "float32" or "auto", got "float16"/);
    }
  });
});
