/**
 * The reverse-flow sampler against exact answers.
 *
 * A Gaussian N(m, diag σ²) under OU stays Gaussian, ρ_t = N(e^{−t}m, diag(e^{−2t}σ² + 1 − e^{−2t})),
 * and its probability flow maps each coordinate affinely, x_t = μ_t + (s_t/σ)(x₀ − m). Pushing
 * z ~ N(0, I) back from T therefore gives q₀ = N(m − (σ/s_T)μ_T, diag(σ/s_T)²) exactly: the samples
 * and their log q₀ are known in closed form, and a wrong sign of the divergence integral would be
 * off by 2 Σ log(σᵢ/s_T,ᵢ).
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { RandomStream, expectNoTensorLeak, registries, type Network, type SamplingTarget } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import { tf } from "../test-support/tensorflow.js";
import { quickGaussianRecipe } from "../test-support/quick-recipe.js";
import "../index.js";
import { integrateReverseFlow, latentDraws, sampleByReverseFlow, standardNormalLogDensity, thetaFromDenseOutput, type ModelDerivatives } from "./reverse-flow.js";
import { runOuSampler } from "./ou-sampler.js";
import { flowConsistency } from "./fit-and-forward.js";
import type { OuSamplerCheckpoint } from "./checkpoint.js";
import { malaPoints } from "./mala-points.js";
import { firstCheckpoint, meanOfRows } from "../test-support/first-checkpoint.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** The exact OU evolution of N(m, diag σ²): mean, variances, and the closed-form push-forward of N(0, I) from T. */
function gaussianFlow(mean: readonly number[], sigma: readonly number[]) {
  const d = mean.length;
  const variance = (t: number, i: number) => Math.exp(-2 * t) * (sigma[i] as number) ** 2 + 1 - Math.exp(-2 * t);
  const meanAt = (t: number, i: number) => Math.exp(-t) * (mean[i] as number);
  /** ∇ log ρ_t and Δ log ρ_t (+ the log-ratio shift x and d when `shift` = 1). */
  const derivatives =
    (shift: 0 | 1): ModelDerivatives =>
    async (t, points, count) => {
      const gradient = new Float64Array(count * d);
      const laplacian = new Float64Array(count);
      for (let j = 0; j < count; j++) {
        let lap = shift * d;
        for (let i = 0; i < d; i++) {
          const x = points[j * d + i] as number;
          gradient[j * d + i] = -(x - meanAt(t, i)) / variance(t, i) + shift * x;
          lap -= 1 / variance(t, i);
        }
        laplacian[j] = lap;
      }
      return { gradient, laplacian };
    };
  /** The exact x₀ and log q₀(x₀) for latent draws z at T. */
  const pushForward = (z: Float64Array, T: number) => {
    const count = z.length / d;
    const x0 = new Float64Array(z.length);
    const logQ = new Float64Array(count);
    for (let j = 0; j < count; j++) {
      let lq = 0;
      for (let i = 0; i < d; i++) {
        const scale = (sigma[i] as number) / Math.sqrt(variance(T, i));
        const centre = (mean[i] as number) - scale * meanAt(T, i);
        const x = centre + scale * (z[j * d + i] as number);
        x0[j * d + i] = x;
        lq += -0.5 * Math.log(2 * Math.PI * scale * scale) - (0.5 * (x - centre) ** 2) / (scale * scale);
      }
      logQ[j] = lq;
    }
    return { x0, logQ };
  };
  return { derivatives, pushForward, variance };
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs((a[k] as number) - (b[k] as number)));
  return m;
}

describe("integrateReverseFlow on an exact Gaussian flow", () => {
  const mean = [1.5, -0.5];
  const sigma = [0.5, 1.6];
  const T = 3;
  const exact = gaussianFlow(mean, sigma);
  const latent = RandomStream.fromSeed(11).normals(200 * 2);
  const { x0, logQ } = exact.pushForward(latent, T);

  for (const [form, shift] of [
    ["log-density", 0],
    ["log-ratio", 1],
  ] as const) {
    it(`gives the exact samples and log q₀ (${form} form)`, async () => {
      const flow = await integrateReverseFlow({
        derivatives: exact.derivatives(shift),
        dim: 2,
        horizon: T,
        latent,
        form,
        integratorOptions: { rtol: 1e-9, atol: 1e-9 },
      });
      expect(maxAbsDifference(flow.samples, x0)).toBeLessThan(1e-6);
      expect(maxAbsDifference(flow.logDensity, logQ)).toBeLessThan(1e-6);
      // The divergence integral on its own: log q₀(x₀) − log φ(z) = −Σᵢ log(σᵢ/s_T,ᵢ), the same for
      // every sample (an affine map), and positive overall here since the flow contracts to σ.
      const expected = -Math.log(sigma[0]! / Math.sqrt(exact.variance(T, 0))) - Math.log(sigma[1]! / Math.sqrt(exact.variance(T, 1)));
      expect(maxAbsDifference(flow.divergenceIntegral, new Float64Array(200).fill(expected))).toBeLessThan(1e-6);
      const logPhi = standardNormalLogDensity(latent, 2);
      for (let j = 0; j < 200; j += 37) expect(flow.logDensity[j]!).toBeCloseTo(logPhi[j]! + expected, 6);
    });
  }

  it("rejects latent draws of the wrong width, non-finite draws and a mismatched latent log-density", async () => {
    const base = { derivatives: exact.derivatives(0), dim: 2, horizon: T };
    await expect(integrateReverseFlow({ ...base, latent: new Float64Array(5) })).rejects.toThrow(/not a positive multiple of d = 2/);
    await expect(integrateReverseFlow({ ...base, latent: Float64Array.from([0, Number.NaN]) })).rejects.toThrow(/NaN/);
    await expect(integrateReverseFlow({ ...base, latent: Float64Array.from([0, 1, 2, 3]), latentLogDensity: Float64Array.from([0]) })).rejects.toThrow(/latentLogDensity has 1 entries for 2 latent draws/);
    await expect(integrateReverseFlow({ ...base, latent: Float64Array.from([0, 1, 2, 3]), latentLogDensity: Float64Array.from([0, Number.NaN]) })).rejects.toThrow(/latentLogDensity of latent draw 1 is NaN/);
  });

  it("reports a right-hand side that turns non-finite instead of returning garbage", async () => {
    const broken: ModelDerivatives = async (t, points, count) => {
      const out = await exact.derivatives(0)(t, points, count);
      return t < 1 ? { gradient: Array.from(out.gradient, () => Number.NaN), laplacian: out.laplacian } : out;
    };
    await expect(integrateReverseFlow({ derivatives: broken, dim: 2, horizon: T, latent })).rejects.toMatchObject({ code: "MINEVO_NONFINITE" });
  });
});

describe("sampleByReverseFlow through a network", () => {
  // An MLP whose output weights are zero is its quadratic term plus a constant: with P(t) =
  // diag(1/s_t²) it represents the exact log ρ_t of N(0, diag σ²) (up to a constant).
  const sigma = [0.6, 1.4];
  const T = 2.5;
  const exact = gaussianFlow([0, 0], sigma);
  const network = registries.network.create("mlp", {
    inputDim: 2,
    hiddenWidths: [8],
    quadratic: { form: "symmetric", learnable: true, initial: 0 },
  }) as Network;
  const base = network.initialParameters(RandomStream.fromSeed(3));
  const block = (name: string) => network.parameterLayout.find((b) => b.name === name)!;
  const parameters = (t: number): Float64Array => {
    const theta = Float64Array.from(base);
    const output = block("output.weight");
    theta.fill(0, output.offset, output.offset + output.size);
    const q = block("quadratic").offset;
    // Symmetric form: the upper triangle (P₁₁, P₁₂, P₂₂).
    theta[q] = 1 / exact.variance(t, 0);
    theta[q + 1] = 0;
    theta[q + 2] = 1 / exact.variance(t, 1);
    return theta;
  };

  it("matches the exact push-forward and leaves no tensor behind", async () => {
    const random = RandomStream.fromSeed(5);
    const flow = await expectNoTensorLeak(tf, "sampleByReverseFlow", () =>
      sampleByReverseFlow({ tf, network, parameters, count: 300, random, horizon: T, integratorOptions: { rtol: 1e-7, atol: 1e-7 } }),
    );
    // Same seed → same latent draws.
    expect(Array.from(flow.latent)).toEqual(Array.from(RandomStream.fromSeed(5).normals(600)));
    const { x0, logQ } = exact.pushForward(flow.latent, T);
    // The network is float32: ∇u and Δu carry ~1e-7 relative rounding.
    expect(maxAbsDifference(flow.samples, x0)).toBeLessThan(1e-4);
    expect(maxAbsDifference(flow.logDensity, logQ)).toBeLessThan(1e-4);
    // The tensor count stays constant across repeated runs too.
    const before = tf.memory().numTensors;
    await sampleByReverseFlow({ tf, network, parameters, count: 50, random, horizon: T });
    await sampleByReverseFlow({ tf, network, parameters, count: 50, random, horizon: T });
    expect(tf.memory().numTensors).toBe(before);
  });
  it("with a defensive latent mixture: the same flow, the mixture's exact push-forward density", async () => {
    const mixture = { scale: 2, weight: 0.3 };
    const flow = await sampleByReverseFlow({ tf, network, parameters, count: 400, random: RandomStream.fromSeed(5), horizon: T, latentMixture: mixture, integratorOptions: { rtol: 1e-7, atol: 1e-7 } });
    // The draws are the plain N(0, I) ones, a share of the rows scaled by 2.
    const plain = RandomStream.fromSeed(5).normals(800);
    let wide = 0;
    for (let j = 0; j < 400; j++) {
      const ratio = flow.latent[2 * j]! / plain[2 * j]!;
      expect(flow.latent[2 * j + 1]! / plain[2 * j + 1]!).toBeCloseTo(ratio, 12);
      expect([1, 2]).toContain(ratio);
      expect(flow.wide![j]).toBe(ratio === 2 ? 1 : 0);
      if (ratio === 2) wide++;
    }
    // 0.3 · 400 = 120 expected, binomial standard deviation 9.2.
    expect(Math.abs(wide - 120)).toBeLessThan(4 * 9.2);
    // The map z ↦ x₀ is the exact affine one for every row, and log q₀(x₀) is the mixture's
    // log-density at z minus the map's log-determinant (closed form, independent of latentDraws).
    const { x0, logQ } = exact.pushForward(flow.latent, T);
    const logPhi = standardNormalLogDensity(flow.latent, 2);
    expect(maxAbsDifference(flow.samples, x0)).toBeLessThan(1e-4);
    for (let j = 0; j < 400; j++) {
      const r2 = flow.latent[2 * j]! ** 2 + flow.latent[2 * j + 1]! ** 2;
      const mixtureDensity = (0.7 * Math.exp(-r2 / 2) + (0.3 / 4) * Math.exp(-r2 / 8)) / (2 * Math.PI);
      expect(flow.logDensity[j]!).toBeCloseTo(logQ[j]! - logPhi[j]! + Math.log(mixtureDensity), 4);
    }
  });

  it("refuses a malformed latent mixture, naming the value", async () => {
    const common = { tf, network, parameters, count: 10, random: RandomStream.fromSeed(1), horizon: T };
    await expect(sampleByReverseFlow({ ...common, latentMixture: { scale: 1, weight: 0.2 } })).rejects.toThrow(/latentMixture.scale must be a finite number > 1.*got 1/);
    await expect(sampleByReverseFlow({ ...common, latentMixture: { scale: 2, weight: 1 } })).rejects.toThrow(/latentMixture.weight must be a number in \(0, 1\).*got 1/);
    await expect(sampleByReverseFlow({ ...common, latentMixture: { scale: Number.NaN, weight: 0.2 } })).rejects.toThrow(/got NaN/);
    // latentDraws without a mixture: the N(0, I) draws and their log-density.
    const plain = latentDraws(RandomStream.fromSeed(1), 4, 3);
    expect(Array.from(plain.latent)).toEqual(Array.from(RandomStream.fromSeed(1).normals(12)));
    expect(Array.from(plain.logDensity)).toEqual(Array.from(standardNormalLogDensity(plain.latent, 3)));
  });
});

describe("runOuSampler options", () => {
  it("rejects a bad sample count, an unknown target and a forward solve without dense output", async () => {
    await expect(runOuSampler({ tf, target: "gmm2-reference", numSamples: 0 })).rejects.toThrow(/numSamples must be a positive integer, got 0/);
    await expect(runOuSampler({ tf, target: "no-such-target" })).rejects.toMatchObject({ code: "MINEVO_UNKNOWN_PLUGIN" });
    expect(() => thetaFromDenseOutput({})).toThrow(/no dense output/);
  });

  it("fits the target's score too with fitGradients, and refuses a non-boolean", { timeout: 120_000 }, async () => {
    await expect(runOuSampler({ tf, target: "gmm2-reference", fitGradients: "yes" as never })).rejects.toThrow(/fitGradients must be true or false, got "yes"/);
    // The fit alone: the run stops after its fit-complete checkpoint.
    const fitReport = async (fitGradients: boolean) => {
      const saved = await firstCheckpoint({
        tf,
        target: "gmm2-reference",
        network: "mlp",
        networkOptions: { inputDim: 2, hiddenWidths: [32], inputLengthScale: 2, quadratic: { form: "symmetric", learnable: true, initial: 0 } },
        numPoints: 200,
        numExtraFitPoints: 200,
        fitIterations: 40,
        fitGradients,
        seed: 3,
      });
      expect(saved.phase).toBe("fit-complete");
      return saved;
    };
    const values = await fitReport(false);
    const gradients = await fitReport(true);
    // Both fits report the score's relative RMS error at the collocation points; fitting it lowers it.
    const valuesOnly = values.fit.gradientRelativeRms!;
    const withGradients = gradients.fit.gradientRelativeRms!;
    // Measured: 4.5e-2 fitting values only, 1.0e-2 fitting the score too.
    expect(withGradients).toBeLessThan(0.4 * valuesOnly);
    // The option is part of the run's identity: a resume with the other value is refused.
    expect(gradients.settings["fitGradients"]).toBe(true);
    expect(values.settings["fitGradients"]).toBeUndefined();
    expect(gradients.fingerprint).not.toBe(values.fingerprint);
  });
});

describe("collocation points from MALA on the formula", () => {
  it("malaPoints puts the points where π̃ has its mass, and restarts stuck chains", { timeout: 120_000 }, async () => {
    const gaussian = registries.target.create("gaussian", { mean: [3, -2], covariance: [[0.5, 0], [0, 0.2]] }) as SamplingTarget;
    const { points, restarted } = malaPoints({ tf, target: gaussian, random: RandomStream.fromSeed(5), count: 400, steps: 200 });
    expect(points.length).toBe(800);
    const mean = [0, 0];
    const variance = [0, 0];
    for (let j = 0; j < 400; j++) for (let i = 0; i < 2; i++) mean[i]! += points[2 * j + i]! / 400;
    for (let j = 0; j < 400; j++) for (let i = 0; i < 2; i++) variance[i]! += (points[2 * j + i]! - mean[i]!) ** 2 / 400;
    // Exact draws would be within 4 standard errors of the mean (0.14, 0.09) and 30 % of the variance.
    expect(Math.abs(mean[0]! - 3)).toBeLessThan(0.15);
    expect(Math.abs(mean[1]! + 2)).toBeLessThan(0.1);
    expect(Math.abs(variance[0]! / 0.5 - 1)).toBeLessThan(0.3);
    expect(Math.abs(variance[1]! / 0.2 - 1)).toBeLessThan(0.3);
    expect(restarted).toBe(0);

    // The banana from N(0, 8²I): one adapted step size leaves some chains stuck in the tails.
    const banana = registries.target.create("banana", {}) as SamplingTarget;
    const stuck = (restartBelow: number) => {
      const result = malaPoints({ tf, target: banana, random: RandomStream.fromSeed(6), count: 300, steps: 150, start: 8, restartBelow });
      const logDensity = tf.tidy(() => banana.logDensity(tf.tensor2d(Float32Array.from(result.points), [300, 2]), tf).dataSync());
      return { below: Array.from(logDensity).filter((v) => v < -20).length, restarted: result.restarted };
    };
    const plain = stuck(Number.POSITIVE_INFINITY);
    const restarting = stuck(12);
    // Measured: 40 of 300 points below log π̃ = −20 without restarts; 43 chains restarted, none below.
    expect(plain.below).toBeGreaterThan(0);
    expect(restarting.restarted).toBeGreaterThan(0);
    expect(restarting.below).toBeLessThan(plain.below);
    expect(() => malaPoints({ tf, target: gaussian, random: RandomStream.fromSeed(5), count: 0 })).toThrow(/count must be a positive integer, got 0/);

    // In d = 32 log π̃ spreads by √16 = 4 over π's own draws: chains already in the bulk stay put.
    // (A margin of 12 below the best chain would restart about one in five of them: P(χ²₃₂ > 38) ≈ 0.2.)
    const wide = registries.target.create("gaussian", { mean: new Array<number>(32).fill(0), covariance: Array.from({ length: 32 }, (_, i) => Array.from({ length: 32 }, (_, j) => (i === j ? 1 : 0))) }) as SamplingTarget;
    expect(malaPoints({ tf, target: wide, random: RandomStream.fromSeed(7), count: 400, steps: 20, start: 1 }).restarted).toBe(0);
  });

  it("malaPoints with per-chain step sizes reaches further into a funnel's neck, and still finds a Gaussian's mass", { timeout: 120_000 }, async () => {
    // Neal's funnel: the neck's scale e^{x₀/2} is 0.03 at x₀ = −7, the bulk's about 1, so one
    // step size is too large there; each chain's own step follows it in.
    const funnel = registries.target.create("funnel", {}) as SamplingTarget;
    const lowQuantile = (stepAdaptation: "global" | "per-chain") => {
      const { points, stepSize } = malaPoints({ tf, target: funnel, random: RandomStream.fromSeed(8), count: 400, steps: 300, start: 1, restartBelow: Number.POSITIVE_INFINITY, stepAdaptation });
      expect(Number.isFinite(stepSize) && stepSize > 0).toBe(true);
      const x0 = Array.from({ length: 400 }, (_, j) => points[10 * j]!).sort((a, b) => a - b);
      return x0[8]!; // the 2 % quantile (exact: −6.2)
    };
    const global = lowQuantile("global");
    const perChain = lowQuantile("per-chain");
    // Measured: −2.58 with one step for all chains, −3.90 with a step per chain.
    expect(perChain).toBeLessThan(global - 0.5);

    const gaussian = registries.target.create("gaussian", { mean: [3, -2], covariance: [[0.5, 0], [0, 0.2]] }) as SamplingTarget;
    const { points } = malaPoints({ tf, target: gaussian, random: RandomStream.fromSeed(5), count: 400, steps: 200, stepAdaptation: "per-chain" });
    for (const [i, m, v] of [[0, 3, 0.5], [1, -2, 0.2]] as const) {
      let mean = 0;
      let variance = 0;
      for (let j = 0; j < 400; j++) mean += points[2 * j + i]! / 400;
      for (let j = 0; j < 400; j++) variance += (points[2 * j + i]! - mean) ** 2 / 400;
      expect(Math.abs(mean - m)).toBeLessThan(4 * Math.sqrt(v / 400));
      expect(Math.abs(variance / v - 1)).toBeLessThan(0.3);
    }
    expect(() => malaPoints({ tf, target: gaussian, random: RandomStream.fromSeed(5), count: 4, stepAdaptation: "local" as never })).toThrow(/stepAdaptation must be "global" or "per-chain", got "local"/);
  });

  it("runOuSampler's pointSource \"mala\" draws 2/3 of the points from chains and the fit points around them", { timeout: 120_000 }, async () => {
    // A target far from the broad reference's centre: chain points sit at its mean, broad ones at 0.
    const target = registries.target.create("gaussian", { mean: [4, 4], covariance: [[0.3, 0], [0, 0.3]] }) as SamplingTarget;
    // The fit's target in float64, recording where the fit evaluates it.
    const fitPoints = new Set<string>();
    const logDensity = (x: Float64Array) => -((x[0]! - 4) ** 2 + (x[1]! - 4) ** 2) / 0.6 - Math.log(2 * Math.PI * 0.3);
    const saved = await firstCheckpoint({
      tf,
      target,
      initialCondition: {
        value: (x) => {
          fitPoints.add(Array.from(x).join(","));
          return logDensity(x);
        },
      },
      network: "mlp",
      networkOptions: { inputDim: 2, hiddenWidths: [8], inputLengthScale: 2, quadratic: { form: "symmetric", learnable: true, initial: 0 } },
      numPoints: 300,
      numExtraFitPoints: 100,
      fitIterations: 5,
      pointSource: { kind: "mala", steps: 100 },
      seed: 4,
    });
    const points = saved.collocationPoints;
    expect(Math.abs(meanOfRows(points, 0, 200) - 4)).toBeLessThan(0.2);
    expect(Math.abs(meanOfRows(points, 200, 300))).toBeLessThan(0.5);
    // Fit points: the 300 collocation points and 100 extra ones, all of the latter around chain
    // points: within 2 of the mean but for a few jittered ones (measured 298 of 400; with broad
    // N(0, 9I) extra fit points about 205 would be).
    expect(fitPoints.size).toBe(400);
    const near = [...fitPoints].map((key) => key.split(",").map(Number)).filter(([a, b]) => Math.hypot(a! - 4, b! - 4) < 2).length;
    expect(near).toBeGreaterThanOrEqual(290);
    expect(saved.settings["pointSource"]).toEqual({ kind: "mala", chains: 200, steps: 100, restartBelow: 13, fitJitter: 0.5 });
    await expect(runOuSampler({ tf, target, pointSource: "mala", collocationPoints: new Float64Array(20) })).rejects.toThrow(/give one of the two/);
    await expect(runOuSampler({ tf, target, pointSource: { kind: "mala", fraction: 1.5 } })).rejects.toThrow(/pointSource.fraction must be in \(0, 1\], got 1.5/);
    await expect(runOuSampler({ tf, target, pointSource: "chains" as never })).rejects.toThrow(/pointSource must be "broad", "mala"/);
    await expect(runOuSampler({ tf, target, pointSource: { kind: "mala", stepAdaptation: "local" as never } })).rejects.toThrow(/pointSource.stepAdaptation must be "global" or "per-chain", got "local"/);
  });
});

describe("flowConsistency", () => {
  it("measures u_θ(0) − log q₀ − log Z over all rows, or over the included ones", () => {
    // Log-density form (shift 0), d = 1: deviations 0.5, −0.5 and 3 (the last row excluded below).
    const modelValues = [1.5, 0.5, 4];
    const samples = Float64Array.from([0, 1, 2]);
    const logProposal = Float64Array.from([0, 0, 0]);
    const all = flowConsistency(modelValues, samples, logProposal, 1, 0, 1);
    expect(all.rms).toBeCloseTo(Math.sqrt((0.25 + 0.25 + 9) / 3), 12);
    expect(all.offset).toBeCloseTo(1, 12);
    const some = flowConsistency(modelValues, samples, logProposal, 1, 0, 1, Uint8Array.from([1, 1, 0]));
    expect(some.rms).toBeCloseTo(0.5, 12);
    expect(some.offset).toBeCloseTo(0, 12);
  });
});

describe("runOuSampler end to end", () => {
  for (const form of ["log-density", "log-ratio"] as const) {
    it(`samples an unnormalised 2-D Gaussian with ESS/M near 1 and the right log Z (${form} form)`, { timeout: 240_000 }, async () => {
      // π̃ = e^{c} N(m, S): log Z = c, known; the fit sees only the formula.
      const c = 1.3;
      const M = 2000;
      const gaussian = registries.target.create("gaussian", { mean: [0.8, -0.4], covariance: [[0.6, 0.2], [0.2, 1.3]] }) as SamplingTarget;
      const target: SamplingTarget = {
        ...gaussian,
        name: "shifted-gaussian",
        logZ: c,
        logDensity: (points: Tensor2D, tfn) => tfn.tidy(() => tfn.add(gaussian.logDensity(points, tfn), c)),
        scoreAndLogDensity: (points: Tensor2D, tfn) => {
          const { logDensity, score } = gaussian.scoreAndLogDensity(points, tfn);
          const shifted = tfn.add(logDensity, c);
          logDensity.dispose();
          return { logDensity: shifted as typeof logDensity, score };
        },
      };
      const stages = new Set<string>();
      let forwardComplete: OuSamplerCheckpoint | undefined;
      const result = await expectNoTensorLeak(tf, "runOuSampler", () =>
        runOuSampler({
          tf,
          target,
          form,
          checkpoint: { everySteps: 10_000, save: (checkpoint) => void (checkpoint.phase === "forward-complete" && (forwardComplete = checkpoint)) },
          // Small and quick: the target is quadratic, which the quadratic term carries alone.
          ...quickGaussianRecipe,
          horizon: 5,
          numSamples: M,
          seed: 2,
          onProgress: (p) => stages.add(p.stage),
        }),
      );
      expect([...stages].sort()).toEqual(["fit", "forward", "sample", "weights"]);
      expect(result.forward.status).toBe("success");
      expect(result.essFraction).toBeGreaterThan(0.98);
      expect(Math.abs(result.logZ - c)).toBeLessThan(0.01);
      // u_θ(T) + |x|²/2 + (d/2) log 2π ≈ log Z too, to within ρ_T's remaining e^{−T} distance from N(0, I).
      expect(Math.abs(result.logZForward - c)).toBeLessThan(0.05);
      // The terminal spread against its exact value: ρ_T = N(μ, C) with μ = e^{−T}m and
      // C = e^{−2T}S + (1 − e^{−2T})I, so r(x) = log ρ_T(x) + |x|²/2 = ½xᵀ(I − C⁻¹)x + (C⁻¹μ)ᵀx + const
      // and Var r = ½ tr((I − C⁻¹)²) + |C⁻¹μ|² over x ~ N(0, I) (measured 0.0060 and 0.0067 for 0.0060).
      const decay = Math.exp(-5);
      const cov = [0.6, 0.2, 0.2, 1.3].map((v, k) => decay * decay * v + (k === 0 || k === 3 ? 1 - decay * decay : 0));
      const det = cov[0]! * cov[3]! - cov[1]! * cov[2]!;
      const inv = [cov[3]! / det, -cov[1]! / det, -cov[2]! / det, cov[0]! / det];
      const a = [1 - inv[0]!, -inv[1]!, -inv[2]!, 1 - inv[3]!];
      const mu = [decay * 0.8, decay * -0.4];
      const b = [inv[0]! * mu[0]! + inv[1]! * mu[1]!, inv[2]! * mu[0]! + inv[3]! * mu[1]!];
      const exactSpread = Math.sqrt(0.5 * (a[0]! ** 2 + 2 * a[1]! ** 2 + a[3]! ** 2) + b[0]! ** 2 + b[1]! ** 2);
      expect(Math.abs(result.terminalSpread / exactSpread - 1)).toBeLessThan(0.25);
      // The forward run and the reverse flow agree per sample (measured 0.006–0.007).
      expect(result.flowInconsistency).toBeLessThan(0.05);
      // The weighted mean is the target's, within 4 standard errors √(Sᵢᵢ/M).
      const mean = [0, 0];
      for (let j = 0; j < M; j++) for (let i = 0; i < 2; i++) mean[i]! += result.normalisedWeights[j]! * result.samples[j * 2 + i]!;
      expect(Math.abs(mean[0]! - 0.8)).toBeLessThan(4 * Math.sqrt(0.6 / M));
      expect(Math.abs(mean[1]! + 0.4)).toBeLessThan(4 * Math.sqrt(1.3 / M));
      expect(result.resampled.length).toBe(2 * M);
      expect(result.chain.indices.length).toBe(M);
      expect(result.chain.acceptanceRate).toBeGreaterThan(0.8);

      // The same forward run sampled through a defensive latent mixture (a third of the draws from
      // N(0, 1.5²I) at T): still unbiased — log Ẑ and the weighted mean as tight — at a lower ESS,
      // and the flow-consistency check still compares u_θ(0) with the model's own N(0, I) push-forward.
      const defended = await runOuSampler({ tf, target, form, ...quickGaussianRecipe, horizon: 5, numSamples: M, seed: 2, resume: forwardComplete!, defensiveLatent: { scale: 1.5, weight: 1 / 3 } });
      expect(defended.forward).toEqual(result.forward);
      expect(Math.abs(defended.logZ - c)).toBeLessThan(0.01);
      expect(defended.essFraction).toBeGreaterThan(0.8);
      expect(defended.essFraction).toBeLessThan(result.essFraction);
      expect(defended.flowInconsistency).toBeLessThan(0.05);
      const defendedMean = [0, 0];
      for (let j = 0; j < M; j++) for (let i = 0; i < 2; i++) defendedMean[i]! += defended.normalisedWeights[j]! * defended.samples[j * 2 + i]!;
      expect(Math.abs(defendedMean[0]! - 0.8)).toBeLessThan(4 * Math.sqrt(0.6 / (defended.essFraction * M)));
      expect(Math.abs(defendedMean[1]! + 0.4)).toBeLessThan(4 * Math.sqrt(1.3 / (defended.essFraction * M)));
      // The proposal's tails are heavier: more draws beyond 3 standard deviations of π along x₂.
      const beyond = (samples: Float64Array) => Array.from({ length: M }, (_, j) => Math.abs(samples[2 * j + 1]! + 0.4) > 3 * Math.sqrt(1.3)).filter(Boolean).length;
      expect(beyond(defended.samples)).toBeGreaterThan(beyond(result.samples));
    });
  }
});
