/**
 * The defensive floor: log(π̃ + c·φ_s) against quadrature and finite differences, and the sampler
 * with `defensive` — log Ẑ still exact (the weights are against π̃), the ESS lowered by about the
 * floor's share, its options checked.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { registries, type SamplingTarget } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import { tf } from "../test-support/tensorflow.js";
import { quickGaussianRecipe } from "../test-support/quick-recipe.js";
import "../index.js";
import { defensiveValues } from "./defensive.js";
import type { OuSamplerCheckpoint } from "./checkpoint.js";
import { refineOuSampler, runOuSampler, type OuSamplerResult } from "./ou-sampler.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("defensiveValues", () => {
  // π̃(x) = e³·N(x; 2, 0.3²) in d = 1, so Z = e³.
  const logZ = 3;
  const logTarget = (x: number) => logZ - 0.5 * Math.log(2 * Math.PI * 0.09) - (x - 2) ** 2 / 0.18;
  const scoreOf = (x: number) => -(x - 2) / 0.09;
  const floor = { weight: 0.1, scale: 2, logZ };
  const at = (xs: number[]) => defensiveValues(Float64Array.from(xs), 1, Float64Array.from(xs, logTarget), Float64Array.from(xs, scoreOf), floor);

  it("integrates to Ẑ/(1 − w): the initial density is the mixture (1 − w)π + w·N(0, s²)", () => {
    const h = 1e-3;
    const xs = Array.from({ length: 40001 }, (_, k) => -20 + k * h);
    const { logDensity } = at(xs);
    let integral = 0;
    logDensity.forEach((v, k) => (integral += (k === 0 || k === xs.length - 1 ? 0.5 : 1) * h * Math.exp(v)));
    expect(Math.abs(Math.log(integral) - (logZ - Math.log(1 - floor.weight)))).toBeLessThan(1e-9);
  });

  it("is log π̃ where π has its mass, the floor far out, and its gradient the values' derivative", () => {
    const { logDensity, score } = at([2, 12, -0.5, 0.8]);
    const floorAt = (x: number) => logZ + Math.log(0.1 / 0.9) - 0.5 * Math.log(2 * Math.PI * 4) - x * x / 8;
    // At π's mode the floor is e^{−4.6} of π̃: it adds 0.010 to the log.
    expect(Math.abs(logDensity[0]! - logTarget(2) - Math.log1p(Math.exp(floorAt(2) - logTarget(2))))).toBeLessThan(1e-12);
    expect(logDensity[0]! - logTarget(2)).toBeLessThan(0.011);
    expect(Math.abs(logDensity[1]! - floorAt(12))).toBeLessThan(1e-12);
    const h = 1e-6;
    for (const [k, x] of [[2, -0.5], [3, 0.8]] as const) {
      const derivative = (at([x + h]).logDensity[0]! - at([x - h]).logDensity[0]!) / (2 * h);
      expect(Math.abs(score[k]! - derivative)).toBeLessThan(1e-6 * Math.max(1, Math.abs(derivative)));
    }
    // Where π̃ = 0 (log −∞, its score undefined) the floor alone.
    const outside = defensiveValues(Float64Array.of(1), 1, Float64Array.of(Number.NEGATIVE_INFINITY), Float64Array.of(Number.NaN), floor);
    expect(outside.logDensity[0]).toBeCloseTo(floorAt(1), 12);
    expect(outside.score[0]).toBeCloseTo(-1 / 4, 12);
  });
});

describe("runOuSampler defensive", () => {
  const target = registries.target.create("gaussian", { mean: [1, -1], covariance: [[0.5, 0.1], [0.1, 0.8]] }) as SamplingTarget;
  const base = {
    tf,
    target,
    ...quickGaussianRecipe,
    numSamples: 2000,
    seed: 6,
  } as const;
  const networkOptions = { ...base.networkOptions, hiddenWidths: [16, 16] };
  let first: OuSamplerResult;

  it("samples from the mixture and weights against π̃: log Ẑ unbiased, ESS lowered by about the floor's share", { timeout: 300_000 }, async () => {
    // The initial density is now a mixture whose log has a bend where floor and target cross: an
    // [8] MLP carries it so poorly that the forward run broke down at t ≈ 0.19; [16, 16] carries it.
    const result = await runOuSampler({ ...base, networkOptions, pointSource: { kind: "smc", movesPerStage: 10 }, defensive: { weight: 0.1, scale: 3 } });
    first = result;
    expect(Math.abs(result.logZ)).toBeLessThan(0.05);
    // A proposal (1 − w)π + w·N(0, 9I) has ESS/M = 1/E_q[(π/q)²], a little above 1 − w = 0.9
    // (where the floor adds to π the ratio π/q is below 1/(1 − w)).
    expect(result.essFraction).toBeGreaterThan(0.75);
    expect(result.essFraction).toBeLessThan(0.97);
    // The draws that fell in the floor's far part carry little weight; some exist.
    let far = 0;
    for (let j = 0; j < 2000; j++) if (Math.hypot(result.samples[2 * j]! - 1, result.samples[2 * j + 1]! + 1) > 4) far++;
    expect(far).toBeGreaterThan(20);
  });

  it("refines with the floor at the first pass's log Ẑ (the refined pass draws no SMC)", { timeout: 300_000 }, async () => {
    // Only the settings are checked here (the run stops at its first checkpoint): with this quick
    // recipe the refined pass's forward run broke down at t ≈ 0.48 (the stall watchdog reported it).
    const controller = new AbortController();
    let saved: OuSamplerCheckpoint | undefined;
    const outcome = refineOuSampler(first, {
      ...base,
      networkOptions,
      defensive: { weight: 0.1, scale: 3 },
      signal: controller.signal,
      checkpoint: { everySteps: 1000, save: (c) => void ((saved = c), controller.abort()) },
    });
    await expect(outcome).rejects.toMatchObject({ code: "MINEVO_ABORTED" });
    expect(saved!.settings["defensive"]).toEqual({ weight: 0.1, scale: 3, logZ: first.logZ });
  });

  it("with too small a network the forward run breaks down, and the stall is reported instead of crept through", { timeout: 300_000 }, async () => {
    // The [8] MLP: max|f| rose from 3·10⁴ to 10¹³ at t ≈ 0.193 while the integrator went on
    // accepting steps of ~10⁻⁹ (before the stall watchdog, for as long as one let it run).
    const error = await runOuSampler({ ...base, pointSource: { kind: "smc", movesPerStage: 10 }, defensive: { weight: 0.1, scale: 3 } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "MINEVO_STEP_SIZE_COLLAPSE" });
    expect((error as Error).message).toMatch(/the forward evolution stalled at t = 0\.19\d* of 5: 100 accepted steps in a row shorter than 5\.0e-6/);
    // The message names the farthest collocation point against its start.
    expect((error as Error).message).toMatch(/the farthest collocation point has \|x_k\| = [\d.e+]+ \([\d.e+]+ at t = 0/);
    expect((error as { details: { maxAbsPoint: number } }).details.maxAbsPoint).toBeGreaterThan(0);
  });

  it("needs a log Z for the floor's height, and checks its options", async () => {
    await expect(runOuSampler({ ...base, defensive: true })).rejects.toThrow(/defensive needs an estimate of log Z .*pointSource "smc" \(at temperature 1\) or standardize/);
    await expect(runOuSampler({ ...base, defensive: 1.5 })).rejects.toThrow(/defensive.weight must be in \(0, 1\).*got 1.5/);
    await expect(runOuSampler({ ...base, defensive: { weight: 0.1, scale: 0 } })).rejects.toThrow(/defensive.scale must be a finite positive number, got 0/);
    await expect(runOuSampler({ ...base, defensive: { logZ: Number.NaN } })).rejects.toThrow(/defensive.logZ must be a finite number, got NaN/);
    await expect(runOuSampler({ ...base, defensive: { logZ: 0 }, initialCondition: { value: () => 0 } })).rejects.toThrow(/defensive puts a floor .* initialCondition/);
  });
});
