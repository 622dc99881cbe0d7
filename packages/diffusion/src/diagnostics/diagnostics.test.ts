import { describe, expect, it } from "vitest";
import { ErrorCode, RandomStream } from "@minevo/core";
import { chainPotentialScaleReduction, monteCarloEstimate, splitPotentialScaleReduction } from "./convergence.js";
import { chainEffectiveSampleSize, seriesEffectiveSampleSize } from "./effective-sample-size.js";
import { importanceWeights, logSumExp } from "./importance-weights.js";
import { independenceMetropolisHastings } from "./independence-metropolis.js";
import { systematicResample } from "./resampling.js";
import { energyDistance, maximumMeanDiscrepancy, medianPairwiseDistance } from "./two-sample.js";
import { errorCodeOf } from "../test-support/error-code.js";


const code = errorCodeOf;

describe("importance weights", () => {
  it("w = (1, 2, 3, 4): w̄ = w/10, ESS = 100/30, log Ẑ = log 2.5", () => {
    const result = importanceWeights([1, 2, 3, 4].map(Math.log));
    expect(Array.from(result.normalisedWeights).map((w) => Number(w.toFixed(12)))).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect(result.effectiveSampleSize).toBeCloseTo(100 / 30, 12);
    expect(result.relativeEffectiveSampleSize).toBeCloseTo(100 / 120, 12);
    expect(result.logMeanWeight).toBeCloseTo(Math.log(2.5), 12);
    expect(result.logSumWeights).toBeCloseTo(Math.log(10), 12);
  });

  it("is exact for log-weights far beyond the float64 exponent range", () => {
    const result = importanceWeights([1, 2, 3, 4].map((w) => 5000 + Math.log(w)));
    expect(result.effectiveSampleSize).toBeCloseTo(100 / 30, 10);
    expect(result.logMeanWeight).toBeCloseTo(5000 + Math.log(2.5), 10);
  });

  it("gives −∞ log-weights zero weight and rejects NaN, +∞ and all −∞", () => {
    const result = importanceWeights([0, -Infinity, 0]);
    expect(Array.from(result.normalisedWeights)).toEqual([0.5, 0, 0.5]);
    expect(result.effectiveSampleSize).toBeCloseTo(2, 12);
    expect(code(() => importanceWeights([0, Number.NaN]))).toBe(ErrorCode.NonFinite);
    expect(code(() => importanceWeights([0, Infinity]))).toBe(ErrorCode.NonFinite);
    expect(code(() => importanceWeights([-Infinity, -Infinity]))).toBe(ErrorCode.NonFinite);
    expect(logSumExp([-Infinity])).toBe(-Infinity);
  });

  it("estimates log Z of a shifted Gaussian from exact proposal draws", () => {
    // π̃ = 3·N(1, 1), q = N(0, 1): log w = log 3 + x − ½, so Ẑ → 3.
    const random = RandomStream.fromSeed("is");
    const logWeights = Array.from({ length: 20_000 }, () => Math.log(3) + random.normal() - 0.5);
    const result = importanceWeights(logWeights);
    // Var(w/3) = e − 1, so the standard error of Ẑ/3 is √((e−1)/n).
    expect(Math.abs(Math.exp(result.logMeanWeight) / 3 - 1)).toBeLessThan(5 * Math.sqrt((Math.E - 1) / 20_000));
    // ESS/n → 1/E_q[(w/Z)²] = e^{−1}.
    expect(Math.abs(result.relativeEffectiveSampleSize - Math.exp(-1))).toBeLessThan(0.02);
  });
});

describe("systematic resampling", () => {
  it("draws each index ⌊m w̄⌋ or ⌈m w̄⌉ times: exactly (1, 2, 3, 4) for m = 10", () => {
    for (const seed of [1, 2, 3]) {
      const indices = systematicResample([0.1, 0.2, 0.3, 0.4].map(Math.log), RandomStream.fromSeed(seed), 10);
      const counts = [0, 0, 0, 0];
      indices.forEach((j) => (counts[j] = (counts[j] as number) + 1));
      expect(counts).toEqual([1, 2, 3, 4]);
    }
  });

  it("keeps the index order, never picks zero weight, and is unbiased", () => {
    const logWeights = [Math.log(0.25), -Infinity, Math.log(0.6), Math.log(0.15)];
    const totals = [0, 0, 0, 0];
    const random = RandomStream.fromSeed("resample");
    for (let r = 0; r < 2000; r++) {
      const indices = systematicResample(logWeights, random, 3);
      for (let k = 1; k < indices.length; k++) expect(indices[k]).toBeGreaterThanOrEqual(indices[k - 1] as number);
      indices.forEach((j) => (totals[j] = (totals[j] as number) + 1));
    }
    expect(totals[1]).toBe(0);
    [0.25, 0, 0.6, 0.15].forEach((w, j) => expect(Math.abs((totals[j] as number) / 6000 - w)).toBeLessThan(0.015));
  });
});

describe("independence Metropolis–Hastings", () => {
  it("accepts every proposal of equal weight and never one of zero weight", () => {
    const equal = independenceMetropolisHastings([0, 0, 0, 0], RandomStream.fromSeed(1));
    expect(Array.from(equal.indices)).toEqual([0, 1, 2, 3]);
    expect(equal.acceptanceRate).toBe(1);
    const zero = independenceMetropolisHastings([0, -Infinity, -Infinity], RandomStream.fromSeed(1));
    expect(Array.from(zero.indices)).toEqual([0, 0, 0]);
    expect(zero.acceptanceRate).toBe(0);
    expect(Array.from(independenceMetropolisHastings([-Infinity, 0, 0], RandomStream.fromSeed(1)).indices)).toEqual([1, 1, 2]);
  });

  it("turns N(0, 1) proposals into N(1, 1) states", () => {
    const random = RandomStream.fromSeed("imh");
    const draws = random.normals(20_000);
    const chain = independenceMetropolisHastings(Array.from(draws, (x) => x - 0.5), random);
    const states = Array.from(chain.indices, (j) => draws[j] as number);
    const mean = states.reduce((s, v) => s + v, 0) / states.length;
    const ess = seriesEffectiveSampleSize([Float64Array.from(states)]);
    expect(Math.abs(mean - 1)).toBeLessThan(4 / Math.sqrt(ess));
  });
});

describe("MCMC effective sample size", () => {
  it("one chain of four draws: the floor τ ≥ 1/log₁₀(n) decides (hand-computed)", () => {
    // x = (1, 0, 0, 0): ρ₁ = −5/12, so τ = −1 + 2(1 − 5/12) = 1/6 < 1/log₁₀ 4, and ESS = 4·log₁₀ 4.
    expect(seriesEffectiveSampleSize([Float64Array.of(1, 0, 0, 0)])).toBeCloseTo(4 * Math.log10(4), 12);
  });

  it("a slowly mixing AR(1) (φ = 0.99, truncation past the 64 direct lags: the FFT path) matches the lag-by-lag sums and (1 − φ)/(1 + φ)", () => {
    const random = RandomStream.fromSeed("ar1-slow");
    const phi = 0.99;
    const n = 30_000;
    const chains = Array.from({ length: 3 }, () => {
      const x = new Float64Array(n);
      let v = random.normal() / Math.sqrt(1 - phi * phi);
      for (let t = 0; t < n; t++) {
        v = phi * v + random.normal();
        x[t] = v;
      }
      return x;
    });
    // The estimator written out lag by lag, as the reference.
    const M = chains.length;
    const means = chains.map((c) => c.reduce((a, v) => a + v, 0) / n);
    const centred = chains.map((c, m) => c.map((v) => v - (means[m] as number)));
    const acov = (t: number) => centred.reduce((total, x) => {
      let s = 0;
      for (let k = 0; k + t < n; k++) s += (x[k] as number) * (x[k + t] as number);
      return total + s / n;
    }, 0) / M;
    const within = (acov(0) * n) / (n - 1);
    const grand = means.reduce((a, v) => a + v, 0) / M;
    const varPlus = ((n - 1) / n) * within + means.reduce((a, v) => a + (v - grand) ** 2, 0) / (M - 1);
    const rho = (t: number) => (t === 0 ? 1 : 1 - (within - acov(t)) / varPlus);
    let previous = rho(0) + rho(1);
    let sum = previous;
    let lastLag = 1;
    for (let k = 1; 2 * k + 1 < n; k++) {
      let pair = rho(2 * k) + rho(2 * k + 1);
      lastLag = 2 * k + 1;
      if (pair < 0) break;
      if (pair > previous) pair = previous;
      sum += pair;
      previous = pair;
    }
    expect(lastLag).toBeGreaterThan(64);
    const reference = (M * n) / Math.max(-1 + 2 * sum, 1 / Math.log10(M * n));
    const ess = seriesEffectiveSampleSize(chains);
    expect(Math.abs(ess / reference - 1)).toBeLessThan(1e-9);
    expect(Math.abs(ess / (M * n) / ((1 - phi) / (1 + phi)) - 1)).toBeLessThan(0.35);
  });

  it("AR(1) with φ = 0.6 has ESS/n ≈ (1 − φ)/(1 + φ) = 0.25", () => {
    const random = RandomStream.fromSeed("ar1");
    const chains = Array.from({ length: 4 }, () => {
      const x = new Float64Array(10_000);
      let v = random.normal() / Math.sqrt(1 - 0.36);
      for (let t = 0; t < x.length; t++) {
        v = 0.6 * v + random.normal();
        x[t] = v;
      }
      return x;
    });
    const ratio = seriesEffectiveSampleSize(chains) / 40_000;
    expect(Math.abs(ratio - 0.25)).toBeLessThan(0.025);
    // Independent draws: ESS ≈ n.
    const iid = [random.normals(10_000)];
    expect(Math.abs(seriesEffectiveSampleSize(iid) / 10_000 - 1)).toBeLessThan(0.1);
  });

  it("chains stuck in different places have a tiny ESS", () => {
    const random = RandomStream.fromSeed("stuck");
    const a = Float64Array.from(random.normals(500), (v) => 0.01 * v);
    const b = Float64Array.from(random.normals(500), (v) => 5 + 0.01 * v);
    expect(seriesEffectiveSampleSize([a, b])).toBeLessThan(10);
  });

  it("reads chain-major draws per coordinate", () => {
    const random = RandomStream.fromSeed("layout");
    // Coordinate 0 iid, coordinate 1 constant within each chain but different between chains.
    const draws = new Float64Array(2 * 200 * 2);
    for (let c = 0; c < 2; c++) {
      for (let t = 0; t < 200; t++) {
        draws[(c * 200 + t) * 2] = random.normal();
        draws[(c * 200 + t) * 2 + 1] = c;
      }
    }
    const ess = chainEffectiveSampleSize(draws, 2, 200, 2);
    expect(ess[0]).toBeGreaterThan(250);
    expect(ess[1]).toBeLessThan(5);
    expect(code(() => chainEffectiveSampleSize(draws, 2, 201, 2))).toBe(ErrorCode.DimensionMismatch);
    expect(code(() => seriesEffectiveSampleSize([Float64Array.of(1, 2, Number.NaN, 4)]))).toBe(ErrorCode.NonFinite);
  });
});

describe("convergence checks", () => {
  it("split R̂ of (1, 2, 3, 4) and (5, 6, 7, 8) is √(83/6) (hand-computed)", () => {
    // Halves (1,2) (3,4) (5,6) (7,8): W = 0.5, B/n = variance of (1.5, 3.5, 5.5, 7.5) = 20/3,
    // var⁺ = ½·0.5 + 20/3 = 83/12, R̂ = √(var⁺/W) = √(83/6).
    expect(splitPotentialScaleReduction([Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6, 7, 8)])).toBeCloseTo(Math.sqrt(83 / 6), 12);
  });

  it("is near 1 for mixed chains and flags a drifting chain", () => {
    const random = RandomStream.fromSeed("rhat");
    const mixed = Array.from({ length: 4 }, () => random.normals(1000));
    expect(Math.abs(splitPotentialScaleReduction(mixed) - 1)).toBeLessThan(0.01);
    const drifting = Float64Array.from(random.normals(1000), (v, t) => v + t / 200);
    expect(splitPotentialScaleReduction([drifting])).toBeGreaterThan(1.5);
    const draws = new Float64Array(4 * 1000);
    mixed.forEach((c, k) => draws.set(c, k * 1000));
    expect(chainPotentialScaleReduction(draws, 4, 1000, 1)[0]).toBe(splitPotentialScaleReduction(mixed));
  });

  it("the Monte-Carlo standard error of iid draws is sd/√n", () => {
    const random = RandomStream.fromSeed("mcse");
    const estimate = monteCarloEstimate([Float64Array.from(random.normals(10_000), (v) => 2 * v + 3)]);
    expect(Math.abs(estimate.mean - 3)).toBeLessThan(4 * 0.02);
    expect(Math.abs(estimate.standardError / 0.02 - 1)).toBeLessThan(0.1);
  });
});

describe("two-sample distances", () => {
  it("energy distance of {0, 1} and {3, 5} is 2·3.5 − 1 − 2 = 4", () => {
    expect(energyDistance(Float64Array.of(0, 1), Float64Array.of(3, 5), 1)).toBeCloseTo(4, 12);
  });

  it("MMD² of {0, 1} and {3, 5} with ℓ = 1 (hand-computed)", () => {
    const cross = (Math.exp(-4.5) + Math.exp(-12.5) + Math.exp(-2) + Math.exp(-8)) / 4;
    const expected = Math.exp(-0.5) + Math.exp(-2) - 2 * cross;
    const result = maximumMeanDiscrepancy(Float64Array.of(0, 1), Float64Array.of(3, 5), 1, 1);
    expect(result.mmdSquared).toBeCloseTo(expected, 12);
    expect(result.bandwidth).toBe(1);
    // Pooled {0, 1, 3, 5}: distances 1, 2, 2, 3, 4, 5, median 2.5.
    expect(medianPairwiseDistance(Float64Array.of(0, 1), Float64Array.of(3, 5), 1)).toBe(2.5);
  });

  it("tells samples of the same law from samples of different laws", () => {
    const random = RandomStream.fromSeed("two-sample");
    const a = random.normals(600);
    const b = random.normals(600);
    const shifted = Float64Array.from(random.normals(600), (v) => v + 0.5);
    expect(Math.abs(energyDistance(a, b, 2))).toBeLessThan(0.02);
    expect(energyDistance(a, shifted, 2)).toBeGreaterThan(0.1);
    expect(Math.abs(maximumMeanDiscrepancy(a, b, 2).mmdSquared)).toBeLessThan(0.01);
    expect(maximumMeanDiscrepancy(a, shifted, 2).mmdSquared).toBeGreaterThan(0.03);
    expect(code(() => energyDistance(Float64Array.of(1, 2, 3), Float64Array.of(1, 2), 2))).toBe(ErrorCode.DimensionMismatch);
  });
});
