/**
 * The blur's Laplace posterior on Neal's funnel: the blurred density is a 1-D integral over x₀,
 * and draws x of it carried back by `denoiseByLaplace` must reweight to π (Var[x₀] = 9) where the
 * plain weights π̃(x)/π_s(x) lose the neck. (Its exactness for a Gaussian, whose posterior is
 * Gaussian too, is tested beside `smoothedTarget` in smoothing.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { RandomStream, expectNoTensorLeak, registries, type SamplingTarget } from "@minevo/core";
import { tf } from "../test-support/tensorflow.js";
import "../index.js";
import { denoiseByLaplace } from "./laplace.js";

describe("denoiseByLaplace on Neal's funnel", () => {
  const d = 10;
  const s = 0.2;
  /** log π_s(x) = log ∫ N(x₀; y₀, s²) N(y₀; 0, 9) Πᵢ N(xᵢ; 0, e^{y₀} + s²) dy₀ by the trapezoid rule. */
  function logBlurredFunnel(x: Float64Array): number {
    let r2 = 0;
    for (let i = 1; i < d; i++) r2 += (x[i] as number) ** 2;
    const nodes = 4001;
    const lo = -30;
    const step = 60 / (nodes - 1);
    const terms = new Float64Array(nodes);
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < nodes; k++) {
      const y0 = lo + k * step;
      const v = Math.exp(y0) + s * s;
      const term =
        -0.5 * ((x[0] as number) - y0) ** 2 / (s * s) - 0.5 * Math.log(2 * Math.PI * s * s) - (y0 * y0) / 18 - 0.5 * Math.log(2 * Math.PI * 9) - ((d - 1) / 2) * Math.log(2 * Math.PI * v) - (0.5 * r2) / v;
      terms[k] = term;
      max = Math.max(max, term);
    }
    let sum = 0;
    for (let k = 0; k < nodes; k++) sum += Math.exp((terms[k] as number) - max);
    return max + Math.log(sum * step);
  }

  it("reweights exact draws of π ∗ N(0, s²I) to π, where π̃(x)/π_s(x) loses the neck", async () => {
    const target = registries.target.configure("funnel", { dim: d }).create() as SamplingTarget;
    const random = RandomStream.fromSeed(11);
    const m = 2000;
    const x = target.sample!(random.derive("exact"), m);
    const blur = random.derive("blur").fillNormal(new Float64Array(m * d), 0, s);
    for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) + (blur[i] as number);
    const logBlurred = Float64Array.from({ length: m }, (_, j) => logBlurredFunnel(x.subarray(j * d, (j + 1) * d)));
    const out = await expectNoTensorLeak(tf, "denoiseByLaplace", () => denoiseByLaplace(tf, target, x, s, random.derive("denoise")));
    const summarise = (logW: Float64Array, points: Float64Array) => {
      const max = Math.max(...logW);
      const w = Array.from(logW, (v) => Math.exp(v - max));
      const total = w.reduce((a, b) => a + b, 0);
      const ess = total ** 2 / w.reduce((a, b) => a + b * b, 0) / m;
      let mean0 = 0;
      w.forEach((wj, j) => (mean0 += (wj / total) * (points[j * d] as number)));
      let var0 = 0;
      w.forEach((wj, j) => (var0 += (wj / total) * ((points[j * d] as number) - mean0) ** 2));
      return { ess, var0, logZ: max + Math.log(total / m) };
    };
    const denoised = summarise(
      Float64Array.from({ length: m }, (_, j) => (out.logTargetDensity[j] as number) + (out.logCorrection[j] as number) - (logBlurred[j] as number)),
      out.samples,
    );
    // Measured at seed 11: ESS/M 0.93, Var[x₀] 8.83 (its standard error about 0.3), log Ẑ −0.006;
    // the tolerances allow about 3 standard errors.
    // The figures docs/design.md quotes, printed so that this file reproduces them.
    console.info(`funnel, s = ${s}, exact draws of π_s: carried back ESS/M ${denoised.ess.toFixed(3)}, Var[x₀] ${denoised.var0.toFixed(3)}, log Ẑ ${denoised.logZ.toFixed(4)}`);
    expect(denoised.ess).toBeGreaterThan(0.5);
    expect(Math.abs(denoised.var0 / 9 - 1)).toBeLessThan(0.1);
    expect(Math.abs(denoised.logZ)).toBeLessThan(0.05);
    expect(out.unconverged).toBe(0);
    // Without the denoiser (weights π̃(x)/π_s(x)) the rare blurred draws that land in the neck at its
    // own scale would have to carry its weight: the variance is lost (the criterion of issue 5.7).
    const { logDensity } = await (async () => {
      const t = tf.tensor2d(Float32Array.from(x), [m, d]);
      try {
        const v = target.logDensity(t, tf);
        try {
          return { logDensity: Float64Array.from((await v.data()) as Float32Array) };
        } finally {
          v.dispose();
        }
      } finally {
        t.dispose();
      }
    })();
    const plain = summarise(
      Float64Array.from({ length: m }, (_, j) => (logDensity[j] as number) - (logBlurred[j] as number)),
      x,
    );
    // Measured: ESS/M 0.46 but Var[x₀] 7.28 — the neck's draws x are spread at s, not at π's e^{x₀/2}.
    console.info(`funnel, s = ${s}, the same draws weighted π̃(x)/π_s(x): ESS/M ${plain.ess.toFixed(3)}, Var[x₀] ${plain.var0.toFixed(3)}`);
    expect(Math.abs(plain.var0 / 9 - 1)).toBeGreaterThan(0.15);
  }, 120_000);
});
