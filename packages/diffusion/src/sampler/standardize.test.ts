/**
 * The sampler's `standardize` option: a pilot on the formula sets z = (x − m)/s, the run evolves
 * the target in z, and every point and density of the result comes back in x (the weights and
 * log Ẑ are coordinate-free); the map travels in the checkpoint, so a resumed run draws no pilot
 * and reproduces the uninterrupted one. Also the progress events of the stages before the fit
 * (pilot, point source) and an abort during them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { RandomStream, registries, type SamplingTarget } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import { tf } from "../test-support/tensorflow.js";
import { quickGaussianRecipe } from "../test-support/quick-recipe.js";
import "../index.js";
import type { OuSamplerCheckpoint } from "./checkpoint.js";
import { refineOuSampler, runOuSampler, type OuSamplerOptions, type OuSamplerProgress, type OuSamplerResult } from "./ou-sampler.js";
import { standardizingPilot } from "./standardize.js";
import { firstCheckpoint } from "../test-support/first-checkpoint.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

// A Gaussian far from unit scale: mean (30, −50), standard deviations 10 and 20, correlation 0.5.
const mean = [30, -50];
const covariance = [
  [100, 100],
  [100, 400],
];
const target = registries.target.create("gaussian", { mean, covariance }) as SamplingTarget;

/** Small and quick: in z the target is a unit-scale Gaussian, which the quadratic term carries. */
const base = {
  tf,
  target,
  ...quickGaussianRecipe,
  numSamples: 1000,
  recordPathSteps: 5,
  standardize: { particles: 400, reference: 60 },
  seed: 5,
} as const satisfies OuSamplerOptions<"mlp", "dense">;

function weightedMean(result: OuSamplerResult, k: number): number {
  let sum = 0;
  result.normalisedWeights.forEach((w, j) => (sum += w * result.samples[2 * j + k]!));
  return sum;
}

let reference: OuSamplerResult;
const referenceStages = new Set<string>();

beforeAll(async () => {
  reference = await runOuSampler({ ...base, onProgress: (p) => referenceStages.add(p.stage === "points" ? `points:${p.source}` : p.stage) });
}, 300_000);

describe("runOuSampler standardize", () => {
  it("samples a target far from unit scale through z = (x − m)/s and returns everything in x", async () => {
    const map = reference.standardization!;
    // The pilot's mean and standard deviation (400 particles): near π's.
    for (let k = 0; k < 2; k++) {
      expect(Math.abs(map.shift[k]! - mean[k]!)).toBeLessThan(0.3 * Math.sqrt(covariance[k]![k]!));
      expect(Math.abs(map.scale[k]! / Math.sqrt(covariance[k]![k]!) - 1)).toBeLessThan(0.2);
    }
    expect(map.pilot!.stages).toBeGreaterThan(0);
    expect(referenceStages.has("points:standardize")).toBe(true);
    // The registered Gaussian is normalised (log Z = 0).
    expect(Math.abs(reference.logZ)).toBeLessThan(0.05);
    expect(reference.essFraction).toBeGreaterThan(0.9);
    for (let k = 0; k < 2; k++) expect(Math.abs(weightedMean(reference, k) - mean[k]!)).toBeLessThan(0.1 * Math.sqrt(covariance[k]![k]!));
    // Densities in x: log π̃ at the draws is the target's own, and log q₀ is on the same footing.
    const x = tf.tensor2d(Float32Array.from(reference.samples.subarray(0, 20)), [10, 2]);
    const direct = Float64Array.from((await target.logDensity(x, tf).data()) as Float32Array);
    x.dispose();
    for (let j = 0; j < 10; j++) {
      expect(Math.abs(reference.logTargetDensity[j]! - direct[j]!)).toBeLessThan(1e-4);
      // Both shifted by the same log-Jacobian Σ log sᵢ: their difference is the weight, to rounding.
      expect(Math.abs(reference.logWeights[j]! - (reference.logTargetDensity[j]! - reference.logProposalDensity[j]!))).toBeLessThan(1e-12);
    }
    // Points in x: the collocation points (broad in z) sit around the shift, as do their paths at t = 0.
    const n = reference.collocationPoints.length / 2;
    let first = 0;
    for (let j = 0; j < n; j++) first += reference.collocationPoints[2 * j]! / n;
    expect(Math.abs(first - map.shift[0]!)).toBeLessThan(0.5 * map.scale[0]!);
    expect(Array.from(reference.pointPaths.points.subarray(0, 2 * n))).toEqual(Array.from(reference.collocationPoints));
    expect(reference.resampled.length).toBe(reference.samples.length);
  });

  it("is what makes the quick recipe work there: without it the same run is far off", async () => {
    // Measured: log Ẑ −8.8, ESS/M 0.012 (the broad points N(0, 4I) in x miss π's mass at (30, −50)).
    const control = await runOuSampler({ ...base, standardize: false, maxFlowInconsistency: Number.POSITIVE_INFINITY, maxTerminalSpread: Number.POSITIVE_INFINITY });
    expect(Math.abs(control.logZ)).toBeGreaterThan(1);
    expect(control.essFraction).toBeLessThan(0.1);
  }, 300_000);

  it("records the map in the checkpoint, and a resumed run draws no pilot and gives the same draws", async () => {
    let saved: OuSamplerCheckpoint | undefined;
    const controller = new AbortController();
    await expect(
      runOuSampler({
        ...base,
        signal: controller.signal,
        checkpoint: {
          everySteps: 5,
          save: (checkpoint) => {
            saved = checkpoint;
            if (checkpoint.phase === "forward") controller.abort();
          },
        },
      }),
    ).rejects.toMatchObject({ code: "MINEVO_ABORTED" });
    const settings = saved!.settings["standardize"] as { shift: number[]; scale: number[]; particles: number; reference: number };
    expect(settings).toEqual({ particles: 400, reference: 60, shift: Array.from(reference.standardization!.shift), scale: Array.from(reference.standardization!.scale) });
    const stages = new Set<string>();
    const resumed = await runOuSampler({ ...base, resume: saved!, onProgress: (p) => stages.add(p.stage) });
    expect(stages.has("points")).toBe(false);
    expect(resumed.standardization!.pilot).toBeUndefined();
    expect(Array.from(resumed.samples)).toEqual(Array.from(reference.samples));
    expect(Object.is(resumed.logZ, reference.logZ)).toBe(true);
    // Other pilot options are another run.
    await expect(runOuSampler({ ...base, standardize: { particles: 300, reference: 60 }, resume: saved! })).rejects.toThrow(/other options — standardize/);
  });

  it("takes a given map, and the refinement pass keeps the first pass's coordinates", async () => {
    const pilot = standardizingPilot({ tf, target, random: RandomStream.fromSeed(5).derive("standardize-pilot"), particles: 400, reference: 60 });
    // The pilot the sampler draws is the same function of the seed.
    expect(Array.from(pilot.map.shift)).toEqual(Array.from(reference.standardization!.shift));
    const given = await firstCheckpoint({ ...base, standardize: { map: pilot.map } });
    expect(given.settings["standardize"]).toEqual({ shift: Array.from(pilot.map.shift), scale: Array.from(pilot.map.scale) });
    const refined = await refineOuSampler(reference, { ...base, fitIterations: 20 });
    expect(Array.from(refined.standardization!.shift)).toEqual(Array.from(reference.standardization!.shift));
    expect(refined.standardization!.pilot).toBeUndefined();
    expect(Math.abs(refined.logZ)).toBeLessThan(0.05);
    // Half the refined points are broad in z: around the shift in x, not around 0.
    const n = refined.collocationPoints.length / 2;
    let second = 0;
    for (let j = Math.ceil(n / 2); j < n; j++) second += refined.collocationPoints[2 * j + 1]! / (n - Math.ceil(n / 2));
    expect(Math.abs(second - mean[1]!)).toBeLessThan(20);
  }, 300_000);

  it("rejects bad options, naming them", async () => {
    await expect(runOuSampler({ ...base, standardize: { particles: 1 } })).rejects.toThrow(/standardize.particles must be at least 2, got 1/);
    await expect(runOuSampler({ ...base, standardize: { reference: -2 } })).rejects.toThrow(/standardize.reference must be a positive number, got -2/);
    await expect(runOuSampler({ ...base, standardize: "yes" as never })).rejects.toThrow(/standardize must be true, false or/);
    await expect(runOuSampler({ ...base, standardize: { map: { shift: Float64Array.of(0), scale: Float64Array.of(1) } } })).rejects.toThrow(/shift and scale need d = 2 values each/);
    await expect(runOuSampler({ ...base, initialCondition: { value: () => 0 } })).rejects.toThrow(/standardize fits the target in z .* initialCondition/);
    const { standardization: _map, ...unstandardized } = reference;
    await expect(refineOuSampler(unstandardized, base)).rejects.toThrow(/refineOuSampler with standardize needs a first pass that was standardised/);
  });
});

describe("runOuSampler progress before the fit", () => {
  const quick = { ...base, standardize: false, target: "gaussian", targetOptions: { mean: [1, -1], covariance: [[0.5, 0], [0, 2]] }, fitIterations: 2 } as const;

  it("reports every MALA move of the point chains and every SMC stage", async () => {
    const events: OuSamplerProgress[] = [];
    await firstCheckpoint({ ...quick, pointSource: { kind: "mala", steps: 40, restartBelow: Number.POSITIVE_INFINITY }, onProgress: (p) => events.push(p) });
    const moves = events.flatMap((p) => (p.stage === "points" && p.source === "mala" ? [p.move] : []));
    // runMala's 40 warm-up moves and its 4 kept ones, in order.
    expect(moves).toEqual(Array.from({ length: 44 }, (_, k) => k + 1));
    expect(events.findIndex((p) => p.stage === "fit")).toBe(44);
    const stages: number[] = [];
    await firstCheckpoint({ ...quick, pointSource: { kind: "smc", movesPerStage: 5 }, onProgress: (p) => p.stage === "points" && p.source === "smc" && stages.push(p.beta) });
    expect(stages.length).toBeGreaterThan(0);
    expect(stages[stages.length - 1]).toBe(1);
  });

  it("stops on the signal while drawing the points, saying that no checkpoint exists yet", async () => {
    const controller = new AbortController();
    let saves = 0;
    const error = await runOuSampler({
      ...quick,
      pointSource: { kind: "mala", steps: 400 },
      signal: controller.signal,
      checkpoint: { everySteps: 5, save: () => void saves++ },
      onProgress: (p) => p.stage === "points" && p.source === "mala" && p.move === 10 && controller.abort(),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "MINEVO_ABORTED" });
    expect((error as Error).message).toMatch(/aborted while drawing the collocation points, before the fit; no checkpoint was saved/);
    expect(saves).toBe(0);
  });
});
