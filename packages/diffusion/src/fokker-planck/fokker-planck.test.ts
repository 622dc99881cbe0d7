import { describe, expect, it } from "vitest";
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { ErrorCode, RandomStream, isMinevoError, registries, type EvolutionEquation } from "@minevo/core";
import { tf } from "../test-support/tensorflow.js";
import { createFokkerPlanckEquation, createOrnsteinUhlenbeckEquation, exactOuMixture, referenceMixture } from "../index.js";

const threeComponents = {
  weights: [0.2, 0.5, 0.3],
  means: [[-2, 1], [1.5, 0.5], [0, -2]],
  covariances: [[0.6, 0.2, 0.2, 0.4], [1, -0.3, -0.3, 0.5], [0.3, 0, 0, 0.8]],
};

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i] as number));
  return m;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Runs an equation on exact u, ∇u, Δu (float64 → float32 tensors) and returns f, Ẋ and the log-density rate. */
function runEquation(equation: EvolutionEquation, t: number, x: Float64Array, d: number, u: Float64Array, grad: Float64Array, lap: Float64Array) {
  const n = u.length;
  let out: { rhs: Float64Array; velocity: Float64Array; logDensityRate: Float64Array | undefined } | undefined;
  tf.tidy(() => {
    const input = {
      tf,
      t,
      inputDim: d,
      conditionDim: 0,
      points: tf.tensor2d(Float32Array.from(x), [n, d]) as Tensor2D,
      value: tf.tensor1d(Float32Array.from(u)) as Tensor1D,
      gradient: tf.tensor2d(Float32Array.from(grad), [n, d]) as Tensor2D,
      laplacian: tf.tensor1d(Float32Array.from(lap)) as Tensor1D,
      extra: {},
    };
    out = {
      rhs: Float64Array.from(equation.rhs(input).dataSync()),
      velocity: Float64Array.from(equation.pointVelocity!(input).dataSync()),
      logDensityRate: equation.extraStateRates ? Float64Array.from(equation.extraStateRates(input)["logDensity"]!.dataSync()) : undefined,
    };
  });
  if (out === undefined) throw new Error("the equation produced nothing");
  return out;
}

describe("the exact OU solution from a Gaussian mixture", () => {
  const exact = exactOuMixture(threeComponents);

  it("has a score and Laplacian that match finite differences of its log-density", () => {
    const x = exact.sample(0.4, RandomStream.fromSeed(1), 20);
    const { score, laplacian } = exact.evaluate(0.4, x);
    const h = 1e-4;
    for (let n = 0; n < 20; n++) {
      let lap = 0;
      for (let i = 0; i < 2; i++) {
        const plus = Float64Array.from(x.subarray(2 * n, 2 * n + 2));
        const minus = Float64Array.from(plus);
        plus[i] = (plus[i] as number) + h;
        minus[i] = (minus[i] as number) - h;
        const lp = exact.evaluate(0.4, plus).logDensity[0] as number;
        const lm = exact.evaluate(0.4, minus).logDensity[0] as number;
        const l0 = exact.evaluate(0.4, x.subarray(2 * n, 2 * n + 2)).logDensity[0] as number;
        expect((lp - lm) / (2 * h)).toBeCloseTo(score[2 * n + i] as number, 6);
        lap += (lp - 2 * l0 + lm) / (h * h);
      }
      expect(lap).toBeCloseTo(laplacian[n] as number, 4);
    }
  });

  it("draws samples with the exact mean e^{−t} Σ w m and is normalised", () => {
    const t = 0.3;
    const draws = exact.sample(t, RandomStream.fromSeed(2), 40_000);
    const mean = [0, 0];
    for (let n = 0; n < 40_000; n++) for (let i = 0; i < 2; i++) mean[i]! += (draws[2 * n + i] as number) / 40_000;
    const expected = [0, 1].map((i) => Math.exp(-t) * threeComponents.weights.reduce((s, w, k) => s + w * threeComponents.means[k]![i]!, 0));
    expect(mean[0]).toBeCloseTo(expected[0]!, 1);
    expect(mean[1]).toBeCloseTo(expected[1]!, 1);
    // ∫ρ = 1: rectangle rule on a wide grid.
    let sum = 0;
    const step = 0.05;
    const grid: number[] = [];
    for (let a = -9; a <= 9; a += step) for (let b = -9; b <= 9; b += step) grid.push(a, b);
    for (const l of exact.evaluate(t, Float64Array.from(grid)).logDensity) sum += Math.exp(l) * step * step;
    expect(sum).toBeCloseTo(1, 6);
  });
});

describe("Ornstein–Uhlenbeck Fokker–Planck equation", () => {
  for (const { rate, diffusion } of [{ rate: 1, diffusion: 1 }, { rate: 0.5, diffusion: 2 }]) {
    const exact = exactOuMixture(threeComponents, { rate, diffusion });
    const t = 0.7;
    const x = exact.sample(t, RandomStream.fromSeed(3), 200);
    const now = exact.evaluate(t, x);
    const h = 1e-5;
    const dLogRhoDt = exact.evaluate(t + h, x).logDensity.map((v, i) => (v - (exact.evaluate(t - h, x).logDensity[i] as number)) / (2 * h));
    const velocity = x.map((xi, j) => -rate * xi - diffusion * (now.score[j] as number));
    const scale = maxAbs(dLogRhoDt);

    it(`log-density form gives ∂t log ρ, the probability flow and −∇·v (γ = ${rate}, D = ${diffusion})`, () => {
      const equation = createOrnsteinUhlenbeckEquation({ form: "log-density", rate, diffusion, trackLogDensity: true });
      const out = runEquation(equation, t, x, 2, now.logDensity, now.score, now.laplacian);
      expect(maxDiff(out.rhs, dLogRhoDt) / scale).toBeLessThan(1e-5);
      expect(maxDiff(out.velocity, velocity) / maxAbs(velocity)).toBeLessThan(1e-6);
      // d/dt log ρ(t, x_t) along the flow, by central differences in time along the path.
      const forward = exact.evaluate(t + h, x.map((xi, j) => xi + h * (velocity[j] as number))).logDensity;
      const backward = exact.evaluate(t - h, x.map((xi, j) => xi - h * (velocity[j] as number))).logDensity;
      const alongFlow = forward.map((v, i) => (v - (backward[i] as number)) / (2 * h));
      expect(maxDiff(out.logDensityRate!, alongFlow) / maxAbs(alongFlow)).toBeLessThan(1e-5);
    });

    it(`log-ratio form gives ∂t g for g = log ρ + γ|x|²/(2D) (γ = ${rate}, D = ${diffusion})`, () => {
      const equation = createOrnsteinUhlenbeckEquation({ form: "log-ratio", rate, diffusion, trackLogDensity: true });
      const shift = rate / diffusion;
      const g = now.logDensity.map((l, i) => l + 0.5 * shift * ((x[2 * i] as number) ** 2 + (x[2 * i + 1] as number) ** 2));
      const gradG = now.score.map((s, j) => s + shift * (x[j] as number));
      const lapG = now.laplacian.map((l) => l + 2 * shift);
      const out = runEquation(equation, t, x, 2, g, gradG, lapG);
      expect(maxDiff(out.rhs, dLogRhoDt) / scale).toBeLessThan(1e-5);
      expect(maxDiff(out.velocity, velocity) / maxAbs(velocity)).toBeLessThan(1e-5);
      const ld = createOrnsteinUhlenbeckEquation({ form: "log-density", rate, diffusion, trackLogDensity: true });
      const reference = runEquation(ld, t, x, 2, now.logDensity, now.score, now.laplacian);
      expect(maxDiff(out.logDensityRate!, reference.logDensityRate!) / maxAbs(reference.logDensityRate!)).toBeLessThan(1e-5);
    });
  }

  it("is stationary at the Gaussian N(0, (D/γ)I)", () => {
    const equation = createOrnsteinUhlenbeckEquation({ form: "log-density", rate: 2, diffusion: 0.5, trackLogDensity: false });
    const x = RandomStream.fromSeed(4).normals(20);
    const ratio = 2 / 0.5;
    const u = new Float64Array(10).map((_, i) => -0.5 * ratio * ((x[2 * i] as number) ** 2 + (x[2 * i + 1] as number) ** 2));
    const out = runEquation(equation, 0, x, 2, u, x.map((v) => -ratio * v), new Float64Array(10).fill(-2 * ratio));
    expect(maxAbs(out.rhs)).toBeLessThan(1e-5);
  });

  it("a general drift b = −x reproduces the OU equation", () => {
    const exact = exactOuMixture(referenceMixture);
    const x = exact.sample(0.5, RandomStream.fromSeed(5), 50);
    const now = exact.evaluate(0.5, x);
    const general = createFokkerPlanckEquation({
      drift: (tfx, _t, points) => ({ drift: tfx.neg(points), divergence: tfx.fill([points.shape[0]], -points.shape[1]) as Tensor1D }),
      diffusion: 1,
      trackLogDensity: true,
    });
    const ou = createOrnsteinUhlenbeckEquation({ form: "log-density", rate: 1, diffusion: 1, trackLogDensity: true });
    const a = runEquation(general, 0.5, x, 2, now.logDensity, now.score, now.laplacian);
    const b = runEquation(ou, 0.5, x, 2, now.logDensity, now.score, now.laplacian);
    expect(maxDiff(a.rhs, b.rhs)).toBeLessThan(1e-4);
    expect(maxDiff(a.velocity, b.velocity)).toBeLessThan(1e-5);
    expect(maxDiff(a.logDensityRate!, b.logDensityRate!)).toBeLessThan(1e-4);
  });

  it("rejects a drift of the wrong shape with a clear error", () => {
    const bad = createFokkerPlanckEquation({
      drift: (tfx, _t, points) => ({ drift: tfx.zeros([points.shape[0], 3]) as Tensor2D, divergence: tfx.zeros([points.shape[0]]) as Tensor1D }),
      diffusion: 1,
      trackLogDensity: false,
    });
    let error: unknown;
    try {
      runEquation(bad, 0, new Float64Array(4), 2, new Float64Array(2), new Float64Array(4), new Float64Array(2));
    } catch (e) {
      error = e;
    }
    expect(isMinevoError(error, ErrorCode.DimensionMismatch)).toBe(true);
    expect((error as Error).message).toContain("[2, 3]; expected [2, 2]");
  });

  it("is registered with typed options", () => {
    const equation = registries.equation.create("ornstein-uhlenbeck", { form: "log-ratio" });
    expect(equation.requirements).toEqual({ gradient: true, laplacian: true });
    expect(() => registries.equation.configure("ornstein-uhlenbeck", { rate: -1 })).toThrow(/field "rate"/);
    expect(() => registries.equation.configure("fokker-planck", { drift: "x" })).toThrow(/drift must be a function/);
  });
});
