import { describe, expect, it } from "vitest";
import { ErrorCode, RandomStream, registries, type SamplingTarget } from "@minevo/core";
import { tf } from "../test-support/tensorflow.js";
import "../index.js";
import { monteCarloEstimate } from "../diagnostics/convergence.js";
import type { McmcResult } from "./chains.js";
import { runHmc } from "./hmc.js";
import { runMala } from "./mala.js";
import { errorCodeOf } from "../test-support/error-code.js";

// A 2-D correlated Gaussian: mean (1, −1), covariance [[2, 0.9], [0.9, 1]] (correlation 0.64).
const MEAN = [1, -1];
const COV = [
  [2, 0.9],
  [0.9, 1],
];
const gaussian = (): SamplingTarget => registries.target.create("gaussian", { mean: MEAN, covariance: COV });

/** The chains of one coordinate (or a function of the draw) as separate series. */
function chainsOf(result: McmcResult, f: (draw: Float64Array) => number): Float64Array[] {
  const { numChains, numSamples, dim, samples } = result;
  return Array.from({ length: numChains }, (_, c) =>
    Float64Array.from({ length: numSamples }, (_, s) => f(samples.subarray((c * numSamples + s) * dim, (c * numSamples + s + 1) * dim))),
  );
}

/** Checks E[f] against `exact` within `k` Monte-Carlo standard errors sd/√ESS. */
function expectWithinMcse(result: McmcResult, f: (draw: Float64Array) => number, exact: number, k = 4): void {
  const estimate = monteCarloEstimate(chainsOf(result, f));
  expect(estimate.effectiveSampleSize).toBeGreaterThan(100);
  expect(Math.abs(estimate.mean - exact)).toBeLessThan(k * estimate.standardError);
}

function checkGaussianMoments(result: McmcResult): void {
  for (let i = 0; i < 2; i++) {
    const m = MEAN[i] as number;
    expectWithinMcse(result, (x) => x[i] as number, m);
    // Var xᵢ = E[(xᵢ − mᵢ)²], with the exact mean, so it is a plain expectation.
    expectWithinMcse(result, (x) => ((x[i] as number) - m) ** 2, (COV[i] as number[])[i] as number);
  }
  expectWithinMcse(result, (x) => ((x[0] as number) - 1) * ((x[1] as number) + 1), 0.9);
}

const code = errorCodeOf;

describe("MALA", () => {
  it("recovers the mean and covariance of a correlated 2-D Gaussian within a few MCSE", () => {
    const result = runMala({ target: gaussian(), tf, random: RandomStream.fromSeed(1), numChains: 16, warmupSteps: 300, numSamples: 400 });
    // Dual averaging steers the warm-up acceptance to the target; the kept draws use the averaged step.
    expect(Math.abs(result.warmupAcceptanceRate - 0.574)).toBeLessThan(0.02);
    expect(Math.abs(result.acceptanceRate - 0.574)).toBeLessThan(0.1);
    expect(result.stepSize).toBeGreaterThan(0);
    expect(result.effectiveSampleSize.length).toBe(2);
    expect(result.samples.length).toBe(16 * 400 * 2);
    expect(result.nonFiniteProposals).toBe(0);
    result.potentialScaleReduction.forEach((r) => expect(r).toBeLessThan(1.05));
    checkGaussianMoments(result);
  });

  it("samples x | y of a joint target with each chain's condition held fixed", () => {
    const target = registries.target.create("joint-gaussian");
    const facts = target.conditional as NonNullable<SamplingTarget["conditional"]>;
    const y = 0.8;
    const chains = 12;
    const initialPoints = new Float64Array(chains * 3);
    for (let c = 0; c < chains; c++) initialPoints[c * 3 + 2] = y;
    const result = runMala({ target, tf, random: RandomStream.fromSeed(2), initialPoints, warmupSteps: 200, numSamples: 300 });
    for (let c = 0; c < chains; c++) expect(result.finalPoints[c * 3 + 2]).toBe(y);
    const exact = facts.conditionalMoments(Float64Array.of(y));
    expectWithinMcse(result, (x) => x[0] as number, exact.mean[0] as number);
    expectWithinMcse(result, (x) => x[1] as number, exact.mean[1] as number);
  });

  it("is reproducible from its seed", () => {
    const run = () => runMala({ target: gaussian(), tf, random: RandomStream.fromSeed("same"), numChains: 3, warmupSteps: 20, numSamples: 10 });
    const a = run();
    const b = run();
    expect(Array.from(a.samples)).toEqual(Array.from(b.samples));
    expect(a.stepSize).toBe(b.stepSize);
  });

  it("holds a constant number of tensors over a long chain", () => {
    const target = registries.target.create("gmm2-reference");
    const before = tf.memory().numTensors;
    runMala({ target, tf, random: RandomStream.fromSeed(4), numChains: 4, warmupSteps: 500, numSamples: 500 });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("HMC", () => {
  it("recovers the mean and covariance of a correlated 2-D Gaussian within a few MCSE", () => {
    const result = runHmc({
      target: gaussian(),
      tf,
      random: RandomStream.fromSeed(5),
      numChains: 16,
      warmupSteps: 150,
      numSamples: 200,
      // L·ε ≈ 3 stays clear of the half period π·1.6 of the major axis, where HMC turns
      // antithetic: x superefficient but x² nearly stuck.
      leapfrogSteps: 3,
    });
    expect(Math.abs(result.warmupAcceptanceRate - 0.65)).toBeLessThan(0.03);
    // ε̄ is below the iterates' typical value, so the kept draws accept more often than 0.65.
    expect(result.acceptanceRate).toBeGreaterThan(0.6);
    expect(result.acceptanceRate).toBeLessThan(0.95);
    expect(result.gradientEvaluations).toBe(16 * (1 + 3 * 350));
    checkGaussianMoments(result);
  });

  it("holds a constant number of tensors over a long chain", () => {
    const target = registries.target.create("banana");
    const before = tf.memory().numTensors;
    runHmc({ target, tf, random: RandomStream.fromSeed(6), numChains: 4, warmupSteps: 100, numSamples: 100, leapfrogSteps: 5 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it("rejects trajectories into non-finite energy instead of passing NaN on", () => {
    // A huge fixed step on the funnel overflows e^{−x₀}: those proposals must be rejected.
    const target = registries.target.create("funnel");
    const result = runHmc({
      target,
      tf,
      random: RandomStream.fromSeed(7),
      numChains: 8,
      warmupSteps: 0,
      numSamples: 20,
      initialStepSize: 5,
      adaptStepSize: false,
      leapfrogSteps: 10,
    });
    expect(result.nonFiniteProposals).toBeGreaterThan(0);
    expect(result.samples.every((v) => Number.isFinite(v))).toBe(true);
    expect(result.logDensities.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe("MCMC argument checks", () => {
  it("names bad starting points and options", () => {
    const target = gaussian();
    const random = RandomStream.fromSeed(0);
    expect(code(() => runMala({ target, tf, random, initialPoints: new Float64Array(5) }))).toBe(ErrorCode.DimensionMismatch);
    expect(code(() => runMala({ target, tf, random, initialPoints: Float64Array.of(0, Number.NaN) }))).toBe(ErrorCode.NonFinite);
    expect(code(() => runMala({ target, tf, random, numSamples: 0 }))).toBe(ErrorCode.InvalidArgument);
    expect(code(() => runHmc({ target, tf, random, leapfrogSteps: 0 }))).toBe(ErrorCode.InvalidArgument);
    expect(code(() => runMala({ target, tf, random, targetAcceptance: 1.5 }))).toBe(ErrorCode.InvalidArgument);
    expect(code(() => runMala({ target: registries.target.create("joint-gaussian"), tf, random }))).toBe(ErrorCode.InvalidArgument);
  });
});
