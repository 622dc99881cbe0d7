/**
 * Conditional sampling on the joint Gaussian (METHOD.md §6), at CI scale: a small network
 * ([16, 16] + quadratic, N = 400), one forward run, then x | y at three conditions, checked
 * against the exact conditional moments and log marginal log Z(y).
 *
 * The CI bounds on the moments are the 2 % plus three Monte Carlo standard errors at this
 * M (mean: 3σ/√ESS; variance: 3·√(2/ESS)), because 4000 draws cannot resolve 2 % by themselves.
 * The bare 2 % criterion is checked at M = 100 000 by the acceptance bench
 * (`pnpm --filter @minevo/bench bench:acceptance --only joint-gaussian`). log Z(y) is held to the
 * issue's 0.05 here, both the weighted and the forward estimate.
 */
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import "@minevo/backend-cpu";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import { ErrorCode, MinevoError, registries, selectBackend, type SamplingTarget } from "@minevo/core";
import "../index.js";
import { runConditionalOuSampler } from "./conditional-sampler.js";

const ciRecipe = {
  numPoints: 400,
  numExtraFitPoints: 600,
  fitIterations: 100,
  horizon: 4,
  conditionMean: [1],
  conditionScale: 1.5,
  network: "mlp",
  networkOptions: {
    inputDim: 2,
    conditionDim: 1,
    hiddenWidths: [16, 16],
    activation: "tanh",
    inputLengthScale: 2,
    quadratic: { form: "symmetric", learnable: true, initial: 0 },
  },
  sketch: "gaussian",
  sketchOptions: { sketchSize: 80, regularisation: { kind: "relative-trace", epsilon: 1e-6 } },
} as const;

/** The MinevoError code a promise rejects with. */
async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return e instanceof MinevoError ? e.code : "not a MinevoError";
  }
  return "no error";
}

describe("runConditionalOuSampler on the joint Gaussian", () => {
  it("samples x | y with the exact conditional mean and covariance, and estimates log Z(y), at three conditions", async () => {
    const backend = await selectBackend("wasm");
    expect(backend.tf).toBe(tf);
    const target = registries.target.configure("joint-gaussian", {}).create() as SamplingTarget;
    const facts = target.conditional!;
    // m_y = 1, σ_y = √1.5: the mean and ±1.5σ_y.
    const conditions = [1 - 1.5 * Math.sqrt(1.5), 1, 1 + 1.5 * Math.sqrt(1.5)].map((y) => Float64Array.of(y));
    const before = tf.memory().numTensors;
    const numSamples = 4000;
    const result = await runConditionalOuSampler({ tf, target, conditions, numSamples, seed: 0, ...ciRecipe });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.forward.status).toBe("success");
    expect(result.perCondition).toHaveLength(3);
    for (const run of result.perCondition) {
      const exact = facts.conditionalMoments(run.condition);
      const logZ = facts.logMarginal(run.condition);
      expect(run.samples).toHaveLength(numSamples * 2);
      expect(run.essFraction).toBeGreaterThan(0.9);
      expect(Math.abs(run.logZ - logZ)).toBeLessThanOrEqual(0.05);
      expect(Math.abs(run.logZForward - logZ)).toBeLessThanOrEqual(0.05);
      for (let i = 0; i < 2; i++) {
        const variance = exact.covariance[i * 2 + i] as number;
        const meanBound = (0.02 + 3 / Math.sqrt(run.ess)) * Math.sqrt(variance);
        expect(Math.abs((run.mean[i] as number) - (exact.mean[i] as number))).toBeLessThanOrEqual(meanBound);
        expect(Math.abs((run.covariance[i * 2 + i] as number) / variance - 1)).toBeLessThanOrEqual(0.02 + 3 * Math.sqrt(2 / run.ess));
      }
      // The sampler density is a density of x | y: log q₀ must differ from log π(x | y) = log π̃(x, y) − log Z(y) by little.
      let worst = 0;
      for (let j = 0; j < numSamples; j++) worst = Math.max(worst, Math.abs((run.logTargetDensity[j] as number) - logZ - (run.logProposalDensity[j] as number)));
      expect(worst).toBeLessThan(0.5);
    }
  }, 600_000);

  it("refuses targets without a condition, and conditions of the wrong length", async () => {
    await selectBackend("wasm");
    expect(await rejectionCode(runConditionalOuSampler({ tf, target: "gaussian", conditions: [Float64Array.of(0)] }))).toBe(ErrorCode.InvalidArgument);
    expect(await rejectionCode(runConditionalOuSampler({ tf, target: "joint-gaussian", conditions: [Float64Array.of(0, 1)] }))).toBe(ErrorCode.DimensionMismatch);
    expect(await rejectionCode(runConditionalOuSampler({ tf, target: "joint-gaussian", conditions: [Float64Array.of(Number.NaN)] }))).toBe(ErrorCode.NonFinite);
    expect(await rejectionCode(runConditionalOuSampler({ tf, target: "joint-gaussian", conditions: [] }))).toBe(ErrorCode.InvalidOptions);
  });
});
