/**
 * Tempered-SMC collocation points: they land where π̃ has its mass, the stages' weights estimate
 * log Z, they reach a funnel's ends better than local chains, and the sampler takes them as its
 * `pointSource`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { RandomStream, expectNoTensorLeak, registries, type SamplingTarget } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import { tf } from "../test-support/tensorflow.js";
import "../index.js";
import { userTarget } from "../targets/user-target.js";
import { malaPoints } from "./mala-points.js";
import { smcPoints } from "./smc-points.js";
import { runOuSampler, type SmcPointSource } from "./ou-sampler.js";
import { firstCheckpoint, meanOfRows } from "../test-support/first-checkpoint.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** x₀'s empirical quantile at p over count×d points. */
function quantileOfFirst(points: Float64Array, d: number, p: number): number {
  const count = points.length / d;
  const x0 = Array.from({ length: count }, (_, j) => points[j * d]!).sort((a, b) => a - b);
  return x0[Math.floor(p * (count - 1))]!;
}

/** The first checkpoint of a small sampler run whose points come from the SMC (reference 6, 10 moves) with these options. */
function smcCheckpoint(target: SamplingTarget, pointSource: Omit<SmcPointSource, "kind">) {
  return firstCheckpoint({
    tf,
    target,
    network: "mlp",
    networkOptions: { inputDim: 2, hiddenWidths: [8], inputLengthScale: 2, quadratic: { form: "symmetric", learnable: true, initial: 0 } },
    numPoints: 300,
    numExtraFitPoints: 100,
    fitIterations: 3,
    pointSource: { kind: "smc", reference: 6, movesPerStage: 10, ...pointSource },
    seed: 4,
  });
}

describe("smcPoints", () => {
  it("moves particles from the reference to an unnormalised Gaussian and estimates its log Z", { timeout: 120_000 }, async () => {
    // log π̃ = −(x − m)ᵀS⁻¹(x − m)/2 + 3, so log Z = 3 + log(2π √det S).
    const mean = [3, -2];
    const variance = [0.5, 0.2];
    const shift = 3;
    const target = userTarget({
      dim: 2,
      logDensity: (x, t) => t.tidy(() => t.add(t.mul(-0.5, t.sum(t.div(t.square(t.sub(x, t.tensor1d(mean))), t.tensor1d(variance)), 1)), shift)),
    });
    const exactLogZ = shift + Math.log(2 * Math.PI * Math.sqrt(variance[0]! * variance[1]!));
    const stages: number[] = [];
    const run = () => smcPoints({ tf, target, random: RandomStream.fromSeed(11), count: 800, start: 4, essFraction: 0.5, movesPerStage: 5, onStage: (s) => stages.push(s.beta) });
    const result = await expectNoTensorLeak(tf, "smcPoints", run);
    expect(result.points.length).toBe(1600);
    expect(result.betas[0]).toBe(0);
    expect(result.betas[result.betas.length - 1]).toBe(1);
    for (let k = 1; k < result.betas.length; k++) expect(result.betas[k]!).toBeGreaterThan(result.betas[k - 1]!);
    expect(stages).toEqual(Array.from(result.betas.subarray(1)));
    for (const [i, m, v] of [[0, mean[0]!, variance[0]!], [1, mean[1]!, variance[1]!]] as const) {
      let sum = 0;
      let squares = 0;
      for (let j = 0; j < 800; j++) sum += result.points[2 * j + i]! / 800;
      for (let j = 0; j < 800; j++) squares += (result.points[2 * j + i]! - sum) ** 2 / 800;
      // Resampled particles are correlated: allow twice the independent-draw error (4 standard errors).
      expect(Math.abs(sum - m)).toBeLessThan(8 * Math.sqrt(v / 800));
      expect(Math.abs(squares / v - 1)).toBeLessThan(0.25);
    }
    // Measured: log Ẑ − log Z = −0.03 (seed 11, 4 stages); the estimate's spread at 800 particles is a few 0.01.
    expect(Math.abs(result.logZ - exactLogZ)).toBeLessThan(0.1);
    expect(result.acceptance).toBeGreaterThan(0.3);
    // The same seed gives the same particles, bit for bit.
    expect(run().points).toEqual(result.points);
  });

  it("stops at a given temperature: the particles follow q̃^{1−β}π̃^β and log Ẑ is that density's", { timeout: 120_000 }, async () => {
    // π̃ = exp(−|x|²/(2σ²)), q̃ = exp(−|x|²/(2s²)): γ_β is N(0, v I) with 1/v = (1 − β)/s² + β/σ², ∫γ_β = 2πv.
    const sigma2 = 0.25;
    const s = 3;
    const beta = 0.4;
    const v = 1 / ((1 - beta) / (s * s) + beta / sigma2);
    const target = userTarget({ dim: 2, logDensity: (x, t) => t.tidy(() => t.mul(-0.5 / sigma2, t.sum(t.square(x), 1))) });
    const result = await expectNoTensorLeak(tf, "smcPoints at β = 0.4", () =>
      smcPoints({ tf, target, random: RandomStream.fromSeed(5), count: 800, start: s, essFraction: 0.5, movesPerStage: 5, temperature: beta }),
    );
    expect(result.betas[result.betas.length - 1]).toBe(beta);
    let squares = 0;
    for (let i = 0; i < 1600; i++) squares += result.points[i]! ** 2 / 1600;
    // v = 0.571 against π's 0.25: the variance tells the two apart by far more than its error (~10 %).
    expect(Math.abs(squares / v - 1)).toBeLessThan(0.15);
    expect(Math.abs(result.logZ - Math.log(2 * Math.PI * v))).toBeLessThan(0.1);
    expect(() => smcPoints({ tf, target, random: RandomStream.fromSeed(5), count: 10, temperature: 0 })).toThrow(/temperature must be a finite number > 0 \(the last β; 1 ends at π\), got 0/);
    expect(() => smcPoints({ tf, target, random: RandomStream.fromSeed(5), count: 10, temperature: Number.POSITIVE_INFINITY })).toThrow(/temperature must be a finite number > 0.*got Infinity/);

    // Past 1 the path goes on along π̃^β: at β = 3 that is N(0, σ²/3 I), ∫ π̃³ = 2πσ²/3.
    const sharp = smcPoints({ tf, target, random: RandomStream.fromSeed(6), count: 800, start: s, essFraction: 0.8, movesPerStage: 5, temperature: 3 });
    expect(sharp.betas[sharp.betas.length - 1]).toBe(3);
    expect(Array.from(sharp.betas)).toContain(1);
    let sharpSquares = 0;
    for (let i = 0; i < 1600; i++) sharpSquares += sharp.points[i]! ** 2 / 1600;
    expect(Math.abs(sharpSquares / (sigma2 / 3) - 1)).toBeLessThan(0.15);
    expect(Math.abs(sharp.logZ - Math.log((2 * Math.PI * sigma2) / 3))).toBeLessThan(0.1);
  });

  it("reaches both ends of Neal's funnel further than local MALA chains do", { timeout: 120_000 }, () => {
    const funnel = registries.target.create("funnel", {}) as SamplingTarget;
    const d = funnel.dim;
    const smc = smcPoints({ tf, target: funnel, random: RandomStream.fromSeed(12), count: 400, start: 6, movesPerStage: 30, essFraction: 0.95 });
    const mala = malaPoints({ tf, target: funnel, random: RandomStream.fromSeed(12), count: 400, steps: 300, start: 1, restartBelow: Number.POSITIVE_INFINITY });
    const ends = (points: Float64Array) => [quantileOfFirst(points, d, 0.02), quantileOfFirst(points, d, 0.98)] as const;
    const [smcLow, smcHigh] = ends(smc.points);
    const [malaLow, malaHigh] = ends(mala.points);
    // π: x₀ ~ N(0, 9), 2 % and 98 % quantiles ∓6.16. Measured: SMC [−3.65, 5.04], MALA [−2.56, 3.90].
    expect(smcLow).toBeLessThan(malaLow - 0.5);
    expect(smcHigh).toBeGreaterThan(malaHigh + 0.5);
    // The funnel is normalised (log Z = 0); measured log Ẑ = 0.002.
    expect(Math.abs(smc.logZ)).toBeLessThan(0.5);
  });

  it("rejects bad options and a log-density that turns NaN, naming them", () => {
    const gaussian = registries.target.create("gaussian", { mean: [0, 0], covariance: [[1, 0], [0, 1]] }) as SamplingTarget;
    const base = { tf, target: gaussian, random: RandomStream.fromSeed(1) };
    expect(() => smcPoints({ ...base, count: 1 })).toThrow(/count must be at least 2 particles, got 1/);
    expect(() => smcPoints({ ...base, count: 10, essFraction: 1 })).toThrow(/essFraction must be in \(0, 1\), got 1/);
    expect(() => smcPoints({ ...base, count: 10, start: -1 })).toThrow(/start must be a positive number, got -1/);
    expect(() => smcPoints({ ...base, count: 10, movesPerStage: 0.5 })).toThrow(/movesPerStage must be a positive integer, got 0.5/);
    expect(() => smcPoints({ ...base, count: 50, start: 20, maxStages: 2 })).toThrow(/reached only β = .* after 2 stages; raise maxStages/);
    const broken = userTarget({ dim: 2, validate: false, logDensity: (x, t) => t.tidy(() => t.add(t.mul(-0.5, t.sum(t.square(x), 1)), t.log(t.sub(2, t.reshape(t.slice(x, [0, 0], [-1, 1]), [-1]))))) });
    // log(2 − x₀) is NaN for x₀ > 2, where a reference of scale 3 puts a quarter of the particles.
    expect(() => smcPoints({ tf, target: broken, random: RandomStream.fromSeed(1), count: 200, start: 3 })).toThrow(/log π̃ − log q at the particles.*log-weight \d+ is NaN/);
    // π̃ = 0 for x₀ ≥ 2 (log π̃ = −∞ there, a quarter of the reference's particles): they drop out.
    const halfPlane = userTarget({ dim: 2, validate: false, logDensity: (x, t) => t.tidy(() => t.add(t.mul(-0.5, t.sum(t.square(x), 1)), t.log(t.relu(t.sub(2, t.reshape(t.slice(x, [0, 0], [-1, 1]), [-1])))))) });
    const kept = smcPoints({ tf, target: halfPlane, random: RandomStream.fromSeed(2), count: 200, start: 3 });
    expect(quantileOfFirst(kept.points, 2, 1)).toBeLessThan(2);
    expect(Number.isFinite(kept.logZ)).toBe(true);
    const nowhere = userTarget({ dim: 2, validate: false, logDensity: (x, t) => t.tidy(() => t.add(t.mul(0, t.sum(x, 1)), t.log(t.relu(t.sub(-50, t.reshape(t.slice(x, [0, 0], [-1, 1]), [-1])))))) });
    expect(() => smcPoints({ tf, target: nowhere, random: RandomStream.fromSeed(2), count: 50, start: 1 })).toThrow(/all 50 log-weights are −Infinity/);
    const joint = registries.target.create("joint-gaussian", {}) as SamplingTarget;
    expect(() => smcPoints({ tf, target: joint, random: RandomStream.fromSeed(1), count: 10 })).toThrow(/need a target without conditions/);
  });

  it("is runOuSampler's pointSource \"smc\": particles for the fraction, fit points around them, settings recorded", { timeout: 120_000 }, async () => {
    const target = registries.target.create("gaussian", { mean: [4, 4], covariance: [[0.3, 0], [0, 0.3]] }) as SamplingTarget;
    const checkpointWith = (temperature?: number) => smcCheckpoint(target, temperature !== undefined ? { temperature } : {});
    const saved = await checkpointWith();
    const points = saved.collocationPoints;
    // 200 particles at the target's mean (from a reference centred at 0), 100 broad points near 0.
    expect(Math.abs(meanOfRows(points, 0, 200) - 4)).toBeLessThan(0.2);
    expect(Math.abs(meanOfRows(points, 200, 300))).toBeLessThan(0.5);
    expect(saved.settings["pointSource"]).toEqual({ kind: "smc", chains: 200, reference: 6, movesPerStage: 10, essFraction: 0.95, fitJitter: 0.5 });
    await expect(runOuSampler({ tf, target, pointSource: { kind: "smc", essFraction: 0 } })).rejects.toThrow(/pointSource.essFraction must be in \(0, 1\), got 0/);
    await expect(runOuSampler({ tf, target, pointSource: { kind: "smc", reference: Number.NaN } })).rejects.toThrow(/pointSource.reference must be a positive number, got NaN/);
    await expect(runOuSampler({ tf, target, pointSource: "tempered" as never })).rejects.toThrow(/pointSource must be "broad", "mala", "smc"/);
    await expect(runOuSampler({ tf, target, pointSource: { kind: "smc", temperature: 2 } })).rejects.toThrow(/pointSource.temperature must be in \(0, 1\] \(the last SMC temperature; 1 ends at π\), got 2/);
    // Below β = 1 the particles' log Ẑ is not π's: the defensive floor needs its own.
    await expect(runOuSampler({ tf, target, pointSource: { kind: "smc", temperature: 0.5 }, defensive: 0.1 })).rejects.toThrow(/defensive needs an estimate of log Z/);
    const tempered = await checkpointWith(0.5);
    expect(tempered.settings["pointSource"]).toEqual({ kind: "smc", chains: 200, reference: 6, movesPerStage: 10, essFraction: 0.95, fitJitter: 0.5, temperature: 0.5 });
    // γ_½ of N((4, 4), 0.3I) against N(0, 36I) is centred at 4·(0.5/0.3)/(0.5/36 + 0.5/0.3) = 3.97 with variance ≈ 0.6: wider than π.
    let spread = 0;
    for (let j = 0; j < 200; j++) spread += (tempered.collocationPoints[2 * j]! - meanOfRows(tempered.collocationPoints, 0, 200)) ** 2 / 200;
    expect(spread).toBeGreaterThan(0.45);
  });

  it("pointSource \"smc\" with tailTemperature (and tailReference, sharpTemperature): the broad share becomes particles of π^β, settings recorded", { timeout: 120_000 }, async () => {
    const target = registries.target.create("gaussian", { mean: [4, 4], covariance: [[0.3, 0], [0, 0.3]] }) as SamplingTarget;
    const saved = await smcCheckpoint(target, { tailTemperature: 0.25 });
    const points = saved.collocationPoints;
    // 200 particles of π, then 100 of γ_¼ ∝ N(0, 36I)^¾ π^¼: centred at 4·(0.25/0.3)/(0.75/36 + 0.25/0.3) = 3.90, variance ≈ 1.17 — not broad points near 0.
    expect(Math.abs(meanOfRows(points, 0, 200) - 4)).toBeLessThan(0.2);
    const tailMean = meanOfRows(points, 200, 300);
    expect(Math.abs(tailMean - 3.9)).toBeLessThan(0.4);
    let spread = 0;
    for (let j = 200; j < 300; j++) spread += (points[2 * j]! - tailMean) ** 2 / 100;
    expect(spread).toBeGreaterThan(0.6);
    expect(saved.settings["pointSource"]).toEqual({ kind: "smc", chains: 200, reference: 6, movesPerStage: 10, essFraction: 0.95, fitJitter: 0.5, tailTemperature: 0.25 });
    // The tail SMC's own reference N(0, 1) (tailReference): γ_¼ ∝ N(0, I)^¾ π^¼ is centred at 4·(0.25/0.3)/(0.75 + 0.25/0.3) = 2.11.
    const narrow = await smcCheckpoint(target, { tailTemperature: 0.25, tailReference: 1 });
    expect(Math.abs(meanOfRows(narrow.collocationPoints, 200, 300) - 2.11)).toBeLessThan(0.3);
    expect(Math.abs(meanOfRows(narrow.collocationPoints, 0, 200) - 4)).toBeLessThan(0.2);
    expect(narrow.settings["pointSource"]).toMatchObject({ tailTemperature: 0.25, tailReference: 1 });
    // With sharpTemperature too, the rest is split: 50 particles of γ_¼, then 50 of π̃² = N((4, 4), 0.15I).
    const both = await smcCheckpoint(target, { tailTemperature: 0.25, sharpTemperature: 2 });
    expect(Math.abs(meanOfRows(both.collocationPoints, 200, 250) - 3.9)).toBeLessThan(0.4);
    const sharpMean = meanOfRows(both.collocationPoints, 250, 300);
    expect(Math.abs(sharpMean - 4)).toBeLessThan(0.2);
    let sharpSpread = 0;
    for (let j = 250; j < 300; j++) sharpSpread += (both.collocationPoints[2 * j]! - 4) ** 2 / 50;
    // 0.15 expected (π's 0.3); 50 draws: about ±0.03.
    expect(sharpSpread).toBeLessThan(0.22);
    expect(both.settings["pointSource"]).toMatchObject({ tailTemperature: 0.25, sharpTemperature: 2 });
    await expect(runOuSampler({ tf, target, pointSource: { kind: "smc", sharpTemperature: 1 } })).rejects.toThrow(/pointSource.sharpTemperature must be a finite number > 1 \(the sharpened particles' last SMC temperature\), got 1/);
    await expect(runOuSampler({ tf, target, numPoints: 100, pointSource: { kind: "smc", fraction: 0.97, tailTemperature: 0.5, sharpTemperature: 2 } })).rejects.toThrow(
      /pointSource.sharpTemperature needs at least 4 points \(2 for each extra SMC\) beside the 97 particles at β = 1/,
    );
    await expect(runOuSampler({ tf, target, pointSource: { kind: "smc", tailReference: 30 } })).rejects.toThrow(/pointSource.tailReference goes with pointSource.tailTemperature/);
    await expect(runOuSampler({ tf, target, pointSource: { kind: "smc", tailTemperature: 0.5, tailReference: -1 } })).rejects.toThrow(/pointSource.tailReference must be a positive number, got -1/);
    await expect(runOuSampler({ tf, target, pointSource: { kind: "smc", tailTemperature: 1 } })).rejects.toThrow(/pointSource.tailTemperature must be in \(0, 1\) \(the tail particles' last SMC temperature\), got 1/);
    await expect(runOuSampler({ tf, target, numPoints: 100, pointSource: { kind: "smc", fraction: 0.99, tailTemperature: 0.5 } })).rejects.toThrow(
      /pointSource.tailTemperature needs at least 2 points beside the 99 particles at β = 1 \(numPoints 100, fraction 0.99\): lower pointSource.fraction/,
    );
  });
  it("pointSource \"smc\" (and \"mala\") with fitJitterMaxDrop: fit points within each particle's local width, the same points where π is wide", { timeout: 120_000 }, async () => {
    /** log π̃ at every fit point, recorded through initialCondition (the fit evaluates it there once). */
    const fitValues = async (sigma: number, pointSource: Omit<SmcPointSource, "kind">, kind: "smc" | "mala" = "smc") => {
      const target = registries.target.create("gaussian", { mean: [0, 0], covariance: [[sigma ** 2, 0], [0, sigma ** 2]] }) as SamplingTarget;
      const logDensity = (x: Float64Array) => -(x[0]! ** 2 + x[1]! ** 2) / (2 * sigma ** 2) - Math.log(2 * Math.PI * sigma ** 2);
      const values: number[] = [];
      const points: number[][] = [];
      const saved = await firstCheckpoint({
        tf,
        target,
        initialCondition: { value: (x) => (values.push(logDensity(x)), points.push(Array.from(x)), logDensity(x)) },
        network: "mlp",
        networkOptions: { inputDim: 2, hiddenWidths: [8], inputLengthScale: 2, quadratic: { form: "symmetric", learnable: true, initial: 0 } },
        numPoints: 300,
        numExtraFitPoints: 100,
        fitIterations: 1,
        pointSource: kind === "smc" ? { kind: "smc", reference: 6, movesPerStage: 10, fraction: 1, ...pointSource } : { kind: "mala", steps: 50, fraction: 1, ...pointSource },
        seed: 4,
      });
      // The first 100 fit points are the jittered ones, then the 300 collocation points (the particles).
      return { extra: values.slice(0, 100), particles: values.slice(100, 400), points, settings: saved.settings };
    };
    // π = N(0, 0.05²I): a jitter of 0.5 moves log π̃ down by ~10²; with Δ = 5 no fit point lies more than 5 below its particle.
    const fixed = await fitValues(0.05, {});
    const local = await fitValues(0.05, { fitJitterMaxDrop: 5 });
    // Measured: the lowest jittered value −465 with the fixed jitter, −3.3 with Δ = 5; the lowest particle's −0.76.
    const lowest = Math.min(...local.particles);
    expect(Math.min(...fixed.extra)).toBeLessThan(lowest - 100);
    expect(Math.min(...local.extra)).toBeGreaterThanOrEqual(lowest - 5);
    expect(local.particles).toEqual(fixed.particles);
    expect(local.settings["pointSource"]).toEqual({ kind: "smc", chains: 300, reference: 6, movesPerStage: 10, essFraction: 0.95, fitJitter: 0.5, fitJitterMaxDrop: 5 });
    // π = N(0, 10²I): a jitter of 0.5 moves log π̃ by ~10⁻², so the jitter is the plain one, point for point.
    const wideFixed = await fitValues(10, {});
    const wideLocal = await fitValues(10, { fitJitterMaxDrop: 5 });
    expect(wideLocal.points).toEqual(wideFixed.points);
    // The same for the MALA source's chain points.
    const mala = await fitValues(0.05, { fitJitterMaxDrop: 5 }, "mala");
    expect(Math.min(...mala.extra)).toBeGreaterThanOrEqual(Math.min(...mala.particles) - 5);
    expect(mala.settings["pointSource"]).toMatchObject({ kind: "mala", fitJitterMaxDrop: 5 });
    const target = registries.target.create("gaussian", { mean: [0, 0], covariance: [[1, 0], [0, 1]] }) as SamplingTarget;
    await expect(runOuSampler({ tf, target, pointSource: { kind: "mala", fitJitterMaxDrop: -1 } })).rejects.toThrow(/pointSource.fitJitterMaxDrop must be a positive number, got -1/);
    await expect(runOuSampler({ tf, target, pointSource: { kind: "smc", fitJitterMaxDrop: 0 } })).rejects.toThrow(/pointSource.fitJitterMaxDrop must be a positive number, got 0/);
  });
});
