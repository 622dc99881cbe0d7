/**
 * The blurred initial condition (`smoothing`) against exact answers: a Gaussian N(m, S) convolved
 * with N(0, s²I) is N(m, S + s²I) with the same normaliser, so both the blurred log-density and
 * the law the sampler draws from before reweighting are known in closed form.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { RandomStream, expectNoTensorLeak, registries, type SamplingTarget } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import { tf } from "../test-support/tensorflow.js";
import "../index.js";
import { resolveSmoothing, smoothedTarget } from "./smoothing.js";
import { blurPosterior, laplaceSmoothedTarget } from "./laplace.js";
import { runOuSampler } from "./ou-sampler.js";

const mean = [1, -0.5];
const variances = [0.5, 2];
const gaussian = () => registries.target.configure("gaussian", { mean, diagonal: variances }).create() as SamplingTarget;

/** log N(x; m, diag(v + s²)) and its score. */
function blurredGaussian(x: readonly number[], s: number): { value: number; score: number[] } {
  let value = 0;
  const score: number[] = [];
  x.forEach((xi, i) => {
    const v = (variances[i] as number) + s * s;
    const r = xi - (mean[i] as number);
    value += -0.5 * (r * r) / v - 0.5 * Math.log(2 * Math.PI * v);
    score.push(-r / v);
  });
  return { value, score };
}

/** Points where the blurred Gaussian is checked: its mode, the origin, and two points 1–2σ out. */
const rows = [
  [1, -0.5],
  [0, 0],
  [2.2, 1.5],
  [-0.8, -3],
];

describe("smoothedTarget", () => {
  it("estimates log(π̃ ∗ N(0, s²I)) and its score of a Gaussian, and leaves no tensor behind", async () => {
    const s = 0.6;
    const points = Float64Array.from(rows.flat());
    const out = await expectNoTensorLeak(tf, "smoothedTarget", () => smoothedTarget(tf, gaussian(), points, { scale: s, draws: 512 }, RandomStream.fromSeed(4)));
    rows.forEach((x, j) => {
      const exact = blurredGaussian(x, s);
      // Monte Carlo over 512 fixed draws: log π̃(x − s z) varies by about s·|∇log π̃| ≲ 2 here
      // (measured: errors 0.003–0.05 in the value, ≤ 0.12 in the score, the largest 2.5σ out).
      expect(Math.abs((out.logDensity[j] as number) - exact.value)).toBeLessThan(0.08);
      for (let i = 0; i < 2; i++) expect(Math.abs((out.score[j * 2 + i] as number) - (exact.score[i] as number))).toBeLessThan(0.2);
      expect(out.effectiveDraws[j]).toBeGreaterThan(50);
      expect(out.effectiveDraws[j]).toBeLessThanOrEqual(512 + 1e-9);
    });
    // Without the blur the value differs by far more than the tolerance: the test can fail.
    expect(Math.abs(blurredGaussian(rows[2]!, 0).value - blurredGaussian(rows[2]!, s).value)).toBeGreaterThan(0.3);
    // The same seed gives the same function (fixed draws); another gives another estimate.
    const again = await smoothedTarget(tf, gaussian(), points, { scale: s, draws: 512 }, RandomStream.fromSeed(4));
    expect(Array.from(again.logDensity)).toEqual(Array.from(out.logDensity));
  });

  it("refuses a target whose log-density or score is NaN where the blur reaches, and leaves no tensor behind", async () => {
    const base = gaussian();
    // log π̃ is NaN for x₀ > 3; the fit point 2.9 reaches there through the blur.
    const broken: SamplingTarget = {
      ...base,
      scoreAndLogDensity: (points, tf_) => {
        const [logDensity, score] = tf_.tidy(() => {
          const clean = base.scoreAndLogDensity(points, tf_);
          const mask = tf_.greater(tf_.reshape(tf_.slice(points, [0, 0], [-1, 1]), [-1]), 3);
          return [tf_.where(mask, tf_.fill(clean.logDensity.shape, Number.NaN), clean.logDensity), clean.score];
        });
        return { logDensity: logDensity as Tensor1D, score: score as Tensor2D };
      },
    };
    await expectNoTensorLeak(tf, "smoothedTarget (refused)", () =>
      expect(smoothedTarget(tf, broken, Float64Array.of(2.9, 0), { scale: 0.5, draws: 64 }, RandomStream.fromSeed(1))).rejects.toThrow(/is NaN at a blurred copy of the fit point \[2.9,0\]/),
    );
  });

  it("checks its options: a positive finite scale and an even number of draws", () => {
    expect(resolveSmoothing(undefined)).toBeUndefined();
    expect(resolveSmoothing(0.5)).toEqual({ scale: 0.5, draws: 256 });
    expect(resolveSmoothing({ scale: 0.2, draws: 64 })).toEqual({ scale: 0.2, draws: 64 });
    expect(() => resolveSmoothing(0)).toThrow(/smoothing.scale must be a finite number > 0.*got 0/);
    expect(() => resolveSmoothing(Number.NaN)).toThrow(/smoothing.scale/);
    expect(() => resolveSmoothing({ scale: 0.5, draws: 3 })).toThrow(/smoothing.draws must be an even integer ≥ 2.*got 3/);
    expect(() => resolveSmoothing("wide")).toThrow(/smoothing must be a blur scale s > 0 or \{ scale, draws, method \}, got "wide"/);
    expect(() => resolveSmoothing({ scale: 0.5, method: "exact" })).toThrow(/smoothing.method must be "draws" or "laplace", got "exact"/);
    expect(resolveSmoothing({ scale: 0.5, method: "laplace" })).toEqual({ scale: 0.5, draws: 16, method: "laplace" });
    // The default method is not named, so the settings of earlier runs (and their checkpoints) stay as they were.
    expect(resolveSmoothing({ scale: 0.5, method: "draws" })).toEqual({ scale: 0.5, draws: 256 });
  });
});

describe("laplaceSmoothedTarget", () => {
  it("is exact for a Gaussian with two draws, and leaves no tensor behind", async () => {
    const s = 0.6;
    const points = Float64Array.from(rows.flat());
    const out = await expectNoTensorLeak(tf, "laplaceSmoothedTarget", () => laplaceSmoothedTarget(tf, gaussian(), points, { scale: s, draws: 2 }, RandomStream.fromSeed(4)));
    rows.forEach((x, j) => {
      const exact = blurredGaussian(x, s);
      // float32 target values and a central-difference Hessian: 1e-4 (smoothedTarget's 512 draws: 0.05).
      expect(out.logDensity[j]).toBeCloseTo(exact.value, 4);
      for (let i = 0; i < 2; i++) expect(out.score[j * 2 + i]).toBeCloseTo(exact.score[i] as number, 4);
      expect(out.effectiveDraws[j]).toBeCloseTo(2, 6);
    });
    expect(out.unconverged).toBe(0);
    // In Newton batches of 3 points (as in high dimension, where the batch bounds memory): the same numbers.
    const blocked = await laplaceSmoothedTarget(tf, gaussian(), points, { scale: s, draws: 2 }, RandomStream.fromSeed(4), 3);
    expect(Array.from(blocked.logDensity)).toEqual(Array.from(out.logDensity));
    expect(Array.from(blocked.score)).toEqual(Array.from(out.score));
  });

  it("finds the posterior mode (S⁻¹m + x/s²)/(S⁻¹ + 1/s²) and precision S⁻¹ + I/s²", async () => {
    const s = 0.3;
    const x = Float64Array.from([3, 2]);
    const posterior = await blurPosterior(tf, gaussian(), x, s);
    for (let i = 0; i < 2; i++) {
      const precision = 1 / (variances[i] as number) + 1 / (s * s);
      expect(posterior.mode[i]).toBeCloseTo(((mean[i] as number) / (variances[i] as number) + (x[i] as number) / (s * s)) / precision, 5);
      // root = A^{−1/2}: its row norms are the posterior standard deviations (A is diagonal here).
      const sd = Math.hypot(posterior.root[i * 2] as number, posterior.root[i * 2 + 1] as number);
      expect(sd).toBeCloseTo(1 / Math.sqrt(precision), 4);
    }
  });

  it("refuses a bad scale and points of the wrong dimension", async () => {
    await expect(blurPosterior(tf, gaussian(), Float64Array.from([1, 2, 3]), 0.5)).rejects.toThrow(/not a whole number of points of dimension 2/);
    await expect(blurPosterior(tf, gaussian(), Float64Array.from([1, 2]), 0)).rejects.toThrow(/blur scale must be a finite number > 0, got 0/);
    await expect(blurPosterior(tf, gaussian(), Float64Array.from([1, 2]), 0.5, { maxIterations: -1 })).rejects.toThrow(/maxIterations must be a non-negative integer, got -1/);
  });
});

describe("runOuSampler with smoothing", () => {
  const common = {
    tf,
    target: gaussian(),
    numPoints: 200,
    numExtraFitPoints: 200,
    numSamples: 2000,
    fitIterations: 40,
    horizon: 4,
    pointSource: "mala" as const,
    network: "mlp" as const,
    networkOptions: { inputDim: 2, hiddenWidths: [8], inputLengthScale: 2, quadratic: { form: "symmetric" as const, learnable: true, initial: 0 } },
    sketch: "dense" as const,
    sketchOptions: { regularisation: { kind: "relative-trace" as const, epsilon: 1e-6 } },
    seed: 2,
  };

  it("draws from the blurred target and the weights remove the blur", { timeout: 180_000 }, async () => {
    const s = 0.7;
    await expect(runOuSampler({ ...common, smoothing: -1 })).rejects.toThrow(/smoothing.scale must be a finite number > 0/);
    await expect(runOuSampler({ ...common, smoothing: s, initialCondition: { value: () => 0 } })).rejects.toThrow(/give one of the two/);
    const result = await runOuSampler({ ...common, smoothing: { scale: s, draws: 128 } });
    expect(result.smoothing?.scale).toBe(s);
    expect(result.smoothing?.draws).toBe(128);
    expect(result.smoothing?.medianEffectiveDraws).toBeGreaterThan(20);
    // Unweighted, the draws follow the model of N(m, S + s²I): their variance is S's plus s², up
    // to the model's error in the tails, where the blurred values rest on few draws (measured:
    // 1.17 against 0.99 and 0.5 unblurred in x₁) — much nearer the blurred law than the target.
    const d = 2;
    const m = result.samples.length / d;
    for (let i = 0; i < d; i++) {
      let sum = 0;
      let squares = 0;
      for (let j = 0; j < m; j++) sum += result.samples[j * d + i] as number;
      const mu = sum / m;
      for (let j = 0; j < m; j++) squares += ((result.samples[j * d + i] as number) - mu) ** 2;
      const variance = squares / (m - 1);
      const blurred = (variances[i] as number) + s * s;
      expect(Math.abs(variance - blurred)).toBeLessThan(0.4 * Math.abs(variance - (variances[i] as number)));
    }
    // Weighted, they are draws of the target itself: log Ẑ = 0, the weighted mean and variance exact.
    expect(Math.abs(result.logZ)).toBeLessThan(0.03);
    for (let i = 0; i < d; i++) {
      let mu = 0;
      for (let j = 0; j < m; j++) mu += (result.normalisedWeights[j] as number) * (result.samples[j * d + i] as number);
      let variance = 0;
      for (let j = 0; j < m; j++) variance += (result.normalisedWeights[j] as number) * ((result.samples[j * d + i] as number) - mu) ** 2;
      expect(Math.abs(mu - (mean[i] as number))).toBeLessThan(0.1);
      expect(Math.abs(variance / (variances[i] as number) - 1)).toBeLessThan(0.12);
    }
    // The blur costs ESS (the proposal is wider than π) but not much at this s.
    expect(result.essFraction).toBeGreaterThan(0.5);
    expect(result.essFraction).toBeLessThan(0.99);
  });

  it('with method "laplace" carries each draw back to a draw of the target and weights the pair', { timeout: 180_000 }, async () => {
    const s = 0.7;
    const result = await runOuSampler({ ...common, smoothing: { scale: s, method: "laplace" } });
    expect(result.smoothing?.method).toBe("laplace");
    expect(result.smoothing?.draws).toBe(16);
    // The posterior of a Gaussian is Gaussian: every fit value rests on equal weights.
    expect(result.smoothing?.minEffectiveDraws).toBeCloseTo(16, 3);
    expect(result.smoothing?.newton?.fit?.unconverged).toBe(0);
    expect(result.smoothing?.newton?.draws?.unconverged).toBe(0);
    const d = 2;
    const m = result.samples.length / d;
    const moments = (points: Float64Array, weights?: Float64Array) =>
      [0, 1].map((i) => {
        const w = (j: number) => (weights === undefined ? 1 / m : (weights[j] as number));
        let mu = 0;
        for (let j = 0; j < m; j++) mu += w(j) * (points[j * d + i] as number);
        let variance = 0;
        for (let j = 0; j < m; j++) variance += w(j) * ((points[j * d + i] as number) - mu) ** 2;
        return { mu, variance };
      });
    // The reverse flow's draws x follow the model of N(m, S + s²I); the draws y carried back from
    // them follow N(m, S) even unweighted (the model being near π_s), and weighted exactly.
    const blurred = moments(result.blurredSamples!);
    const carried = moments(result.samples);
    const weighted = moments(result.samples, result.normalisedWeights);
    for (let i = 0; i < d; i++) {
      const v = variances[i] as number;
      expect(Math.abs(blurred[i]!.variance - (v + s * s))).toBeLessThan(0.4 * s * s);
      expect(Math.abs(carried[i]!.variance / v - 1)).toBeLessThan(0.12);
      expect(Math.abs(weighted[i]!.variance / v - 1)).toBeLessThan(0.12);
      expect(Math.abs(weighted[i]!.mu - (mean[i] as number))).toBeLessThan(0.1);
    }
    expect(Math.abs(result.logZ)).toBeLessThan(0.03);
    // log w = log π̃(y) − log q at every draw, q the extended proposal's density.
    for (let j = 0; j < m; j += 97) expect(result.logWeights[j]).toBeCloseTo((result.logTargetDensity[j] as number) - (result.logProposalDensity[j] as number), 10);
    // The pair's weight is π_s(x)/q₀(x) up to g's error, which is nil here: measured ESS/M 0.9996
    // (the plain weights π̃(x)/q₀(x) of the test above stay below 0.99).
    expect(result.essFraction).toBeGreaterThan(0.99);
  });
});
