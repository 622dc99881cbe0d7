import { describe, expect, it } from "vitest";
import { ErrorCode, MinevoError, RandomStream, registries, type SamplingTarget } from "@minevo/core";
import { evaluateRows, gridLogIntegral, sampleMoments, tf } from "../test-support/tensorflow.js";
import "../index.js";
import { createManyWellTarget } from "./many-well.js";
import { errorCodeOf } from "../test-support/error-code.js";

// Quadrature: the rectangle rule on a box where the integrand has decayed below 1e-20 is
// spectrally accurate for these smooth integrands (its error for a Gaussian of width σ is
// ~exp(−2π²σ²/h²)), so steps of a fraction of the narrowest width suffice.

// Independent float64 formulas, written from the papers' definitions (not from the targets' code).
const LOG_2PI = Math.log(2 * Math.PI);

function logNormal2(x: readonly number[], m: readonly number[], s: readonly number[][]): number {
  const [a, b] = s[0] as [number, number];
  const [, d] = s[1] as [number, number];
  const det = a * d - b * b;
  const r0 = (x[0] as number) - (m[0] as number);
  const r1 = (x[1] as number) - (m[1] as number);
  const quad = (d * r0 * r0 - 2 * b * r0 * r1 + a * r1 * r1) / det;
  return -LOG_2PI - 0.5 * Math.log(det) - 0.5 * quad;
}

function logSumExp(values: number[]): number {
  const peak = Math.max(...values);
  return peak + Math.log(values.reduce((s, v) => s + Math.exp(v - peak), 0));
}

const reference = (x: readonly number[]) =>
  logSumExp([
    Math.log(0.3) + logNormal2(x, [-2, 0], [[0.5, 0], [0, 0.5]]),
    Math.log(0.7) + logNormal2(x, [2, 1], [[1, 0.3], [0.3, 0.6]]),
  ]);

const grid25 = (x: readonly number[]) => {
  const terms: number[] = [];
  for (const a of [-4, -2, 0, 2, 4]) for (const b of [-4, -2, 0, 2, 4]) terms.push(Math.log(1 / 25) + logNormal2(x, [a, b], [[0.09, 0], [0, 0.09]]));
  return logSumExp(terms);
};

const banana = (x: readonly number[]) => {
  const [x1, x2] = x as [number, number];
  return -(x1 * x1) / 200 - 0.5 * (x2 + 0.1 * x1 * x1 - 10) ** 2;
};

const funnel = (x: readonly number[]) => {
  const x0 = x[0] as number;
  let s = -(x0 * x0) / 18 - 0.5 * Math.log(2 * Math.PI * 9);
  for (let i = 1; i < x.length; i++) s += -0.5 * LOG_2PI - 0.5 * x0 - 0.5 * (x[i] as number) ** 2 * Math.exp(-x0);
  return s;
};

const manyWell = (x: readonly number[]) => {
  let s = 0;
  for (let i = 0; i < x.length; i += 2) {
    const a = x[i] as number;
    const c = x[i + 1] as number;
    s += -(a ** 4) + 6 * a * a + 0.5 * a - 0.5 * c * c;
  }
  return s;
};

// joint-gaussian defaults: mean (0.5, −1, 1), covariance below; log N by a 3×3 cofactor inverse.
const JM = [0.5, -1, 1];
const JS = [
  [1, 0.3, 0.5],
  [0.3, 0.8, -0.4],
  [0.5, -0.4, 1.5],
];
const jointGaussian = (z: readonly number[]) => {
  const s = JS.map((r) => [...r]) as number[][];
  const at = (i: number, j: number) => (s[i] as number[])[j] as number;
  const cof = (i: number, j: number) => {
    const r = [0, 1, 2].filter((k) => k !== i);
    const c = [0, 1, 2].filter((k) => k !== j);
    const minor = at(r[0] as number, c[0] as number) * at(r[1] as number, c[1] as number) - at(r[0] as number, c[1] as number) * at(r[1] as number, c[0] as number);
    return (i + j) % 2 === 0 ? minor : -minor;
  };
  const det = at(0, 0) * cof(0, 0) + at(0, 1) * cof(0, 1) + at(0, 2) * cof(0, 2);
  let quad = 0;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) quad += ((z[i] as number) - (JM[i] as number)) * (cof(j, i) / det) * ((z[j] as number) - (JM[j] as number));
  return -1.5 * LOG_2PI - 0.5 * Math.log(det) - 0.5 * quad;
};

interface Case {
  readonly target: SamplingTarget;
  readonly formula: (x: readonly number[]) => number;
  readonly points: number[][];
}

const rng = RandomStream.fromSeed("target-points");
const randomPoints = (count: number, width: number, scale: number) =>
  Array.from({ length: count }, () => Array.from({ length: width }, () => scale * rng.normal()));

const cases: Case[] = [
  { target: registries.target.create("gmm2-reference"), formula: reference, points: randomPoints(6, 2, 2) },
  { target: registries.target.create("gmm25"), formula: grid25, points: [[0, 0], [2.1, -3.9], [1, 1], [-4.2, 4.1], [0.3, -2]] },
  { target: registries.target.create("banana"), formula: banana, points: [[0, 10], [5, 7], [-12, -4], [3, 9.5]] },
  {
    target: registries.target.create("banana", { dim: 3 }),
    formula: (x) => banana(x) - 0.5 * (x[2] as number) ** 2,
    points: [[0, 10, 1], [5, 7, -2]],
  },
  { target: registries.target.create("funnel"), formula: funnel, points: [[0, ...randomPoints(1, 9, 1)[0]!], [-2, ...randomPoints(1, 9, 0.3)[0]!], [2.5, ...randomPoints(1, 9, 3)[0]!]] },
  { target: registries.target.create("many-well"), formula: manyWell, points: randomPoints(4, 32, 1.5) },
  { target: registries.target.create("joint-gaussian"), formula: jointGaussian, points: randomPoints(5, 3, 1.5) },
  {
    target: registries.target.create("gmm", {
      weights: [0.5, 1.5],
      means: [[1, -1], [-1, 2]],
      covariances: [[[1, 0.4], [0.4, 0.5]], [[0.3, -0.1], [-0.1, 2]]],
    }),
    formula: (x) => logSumExp([Math.log(0.5) + logNormal2(x, [1, -1], [[1, 0.4], [0.4, 0.5]]), Math.log(1.5) + logNormal2(x, [-1, 2], [[0.3, -0.1], [-0.1, 2]])]),
    points: randomPoints(5, 2, 2),
  },
  {
    target: registries.target.create("gaussian", { mean: [1, -1], diagonal: [2, 0.5] }),
    formula: (x) => logNormal2(x, [1, -1], [[2, 0], [0, 0.5]]),
    points: randomPoints(5, 2, 2),
  },
];

const code = errorCodeOf;

describe("built-in targets: log-density and score", () => {
  for (const { target, formula, points } of cases) {
    it(`${target.name}: log π̃ matches an independent float64 formula`, () => {
      const { logDensity } = evaluateRows(target, points);
      points.forEach((p, i) => {
        const exact = formula(p);
        expect(Math.abs((logDensity[i] as number) - exact)).toBeLessThan(2e-5 * Math.max(1, Math.abs(exact)));
      });
    });

    it(`${target.name}: ∇ₓ log π̃ matches central differences of the formula`, () => {
      const { score } = evaluateRows(target, points);
      const d = target.dim;
      const h = 1e-5;
      points.forEach((p, row) => {
        for (let i = 0; i < d; i++) {
          const plus = [...p];
          const minus = [...p];
          plus[i] = (plus[i] as number) + h;
          minus[i] = (minus[i] as number) - h;
          const fd = (formula(plus) - formula(minus)) / (2 * h);
          expect(Math.abs((score[row * d + i] as number) - fd)).toBeLessThan(1e-4 * Math.max(1, Math.abs(fd)));
        }
      });
    });
  }

  it("evaluation keeps no tensors and rejects points of the wrong width", () => {
    const target = registries.target.create("banana");
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) evaluateRows(target, [[1, 2]]);
    expect(tf.memory().numTensors).toBe(before);
    const bad = tf.tensor2d([[1, 2, 3]]);
    const error = (() => {
      try {
        target.logDensity(bad, tf);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    bad.dispose();
    expect(error).toBeInstanceOf(MinevoError);
    expect((error as MinevoError).code).toBe(ErrorCode.DimensionMismatch);
    expect((error as MinevoError).message).toContain("[1, 3]");
    expect((error as MinevoError).message).toContain("[M, 2]");
  });
});

describe("built-in targets: log Z by quadrature", () => {
  it("gmm2-reference and gmm25 are normalised", () => {
    const ref = registries.target.create("gmm2-reference");
    const logZ = gridLogIntegral(ref, { from: -9, to: 9, step: 0.1 }, { from: -8, to: 9, step: 0.1 }, (a, b) => [a, b]);
    expect(Math.abs(logZ - 0)).toBeLessThan(1e-4);
    expect(ref.logZ).toBe(0);
    const g25 = registries.target.create("gmm25");
    expect(Math.abs(gridLogIntegral(g25, { from: -6, to: 6, step: 0.06 }, { from: -6, to: 6, step: 0.06 }, (a, b) => [a, b]))).toBeLessThan(1e-4);
    expect(Math.abs(g25.logZ as number)).toBeLessThan(1e-12);
  });

  it("banana: log Z = ln(20π)", () => {
    const target = registries.target.create("banana");
    // Integrate x₂ on a grid that follows the ridge: x₂ = 10 − 0.1x₁² + v (a shift in x₂ at fixed
    // x₁, unit Jacobian), so a 16-wide window in v covers all the mass at every x₁.
    const logZ = gridLogIntegral(target, { from: -70, to: 70, step: 0.5 }, { from: -9, to: 9, step: 0.25 }, (a, v) => [a, 10 - 0.1 * a * a + v]);
    expect(Math.abs(logZ - Math.log(20 * Math.PI))).toBeLessThan(1e-4);
    expect(Math.abs((target.logZ as number) - Math.log(20 * Math.PI))).toBeLessThan(1e-12);
  });

  it("funnel: normalised (quadrature in d = 2, x₁ = e^{x₀/2} u)", () => {
    const target = registries.target.create("funnel", { dim: 2 });
    const logZ = gridLogIntegral(
      target,
      { from: -18, to: 18, step: 0.25 },
      { from: -9, to: 9, step: 0.25 },
      (x0, u) => [x0, Math.exp(x0 / 2) * u],
      (x0) => x0 / 2,
    );
    expect(Math.abs(logZ)).toBeLessThan(1e-4);
    expect(target.logZ).toBe(0);
  });

  it("many-well: log Z = 164.6957 and P(x₁ > 0) = 0.8443, per well by quadrature", () => {
    const target = registries.target.create("many-well");
    const slice = (a: number, c: number) => {
      const p = new Array<number>(32).fill(0);
      p[0] = a;
      p[1] = c;
      return p;
    };
    const a = { from: -4, to: 4, step: 0.02 };
    const c = { from: -9, to: 9, step: 0.25 };
    const logWell = gridLogIntegral(target, a, c, slice);
    const logRight = gridLogIntegral(target, a, c, slice, () => 0, (p) => ((p[0] as number) > 0 ? 1 : (p[0] as number) === 0 ? 0.5 : 0));
    expect(Math.abs(16 * logWell - 164.6957)).toBeLessThan(2e-3);
    expect(Math.abs(Math.exp(logRight - logWell) - 0.8443)).toBeLessThan(1e-4);
    const manyWell = createManyWellTarget({ dim: 32 });
    expect(Math.abs((manyWell.logZ as number) - 164.6957)).toBeLessThan(1e-4);
    expect(Math.abs(manyWell.wellPositiveProbability - 0.8443)).toBeLessThan(1e-4);
  });

  it("gaussian and gmm: log Z = 0 and log Σ wₖ", () => {
    const g = registries.target.create("gaussian", { mean: [1, -1], covariance: [[2, 0.9], [0.9, 1]] });
    expect(Math.abs(gridLogIntegral(g, { from: -9, to: 11, step: 0.1 }, { from: -9, to: 7, step: 0.1 }, (a, b) => [a, b]))).toBeLessThan(1e-4);
    const mix = cases.find((c) => c.target.name === "gmm")?.target as SamplingTarget;
    const logZ = gridLogIntegral(mix, { from: -8, to: 8, step: 0.08 }, { from: -10, to: 12, step: 0.08 }, (a, b) => [a, b]);
    expect(Math.abs(logZ - Math.log(2))).toBeLessThan(1e-4);
    expect(Math.abs((mix.logZ as number) - Math.log(2))).toBeLessThan(1e-12);
  });

  it("joint-gaussian: log Z(y) and E[x | y] by quadrature over x", () => {
    const target = registries.target.create("joint-gaussian");
    const facts = target.conditional;
    if (facts === undefined) throw new Error("joint-gaussian must carry conditional facts");
    for (const y of [0.7, -1.3]) {
      const box = { from: -7, to: 7, step: 0.08 };
      const logZy = gridLogIntegral(target, box, box, (a, b) => [a, b, y]);
      expect(Math.abs(logZy - facts.logMarginal(Float64Array.of(y)))).toBeLessThan(1e-4);
      // E[x₁ | y] = ∫ x₁ π̃ / ∫ π̃, with x₁ shifted by +10 so the weight stays positive.
      const logFirst = gridLogIntegral(target, box, box, (a, b) => [a, b, y], () => 0, (p) => (p[0] as number) + 10);
      const { mean, covariance } = facts.conditionalMoments(Float64Array.of(y));
      expect(Math.abs(Math.exp(logFirst - logZy) - 10 - (mean[0] as number))).toBeLessThan(1e-4);
      expect(covariance[0]).toBeGreaterThan(0);
    }
    // The marginal of y is N(1, 1.5): an independent check of logMarginal.
    expect(Math.abs(facts.logMarginal(Float64Array.of(0.7)) - (-0.5 * Math.log(2 * Math.PI * 1.5) - (0.3 * 0.3) / 3))).toBeLessThan(1e-12);
  });
});

describe("built-in targets: exact samplers", () => {
  const seedStream = RandomStream.fromSeed("exact-samples");
  for (const name of ["gmm2-reference", "gmm25", "banana", "funnel", "many-well", "gaussian"] as const) {
    it(`${name}: exact draws have the target's moments`, () => {
      const target: SamplingTarget = registries.target.create(name);
      const m = 20_000;
      const draws = (target.sample as NonNullable<SamplingTarget["sample"]>)(seedStream.derive(name), m);
      const d = target.dim;
      const { mean, covariance } = sampleMoments(draws, d);
      const moments = target.moments as NonNullable<SamplingTarget["moments"]>;
      for (let i = 0; i < d; i++) {
        const variance = moments.covariance[i * d + i] as number;
        // funnel: the xᵢ (i ≥ 1) have heavy tails (variance e^{4.5}, kurtosis huge): only the mean is checked loosely.
        const se = Math.sqrt(variance / m);
        expect(Math.abs((mean[i] as number) - (moments.mean[i] as number))).toBeLessThan(5 * se);
        if (name !== "funnel" || i === 0) {
          expect(Math.abs((covariance[i * d + i] as number) / variance - 1)).toBeLessThan(name === "banana" ? 0.1 : 0.05);
        }
      }
    });
  }

  it("many-well draws put 0.8443 of each well's mass at x₁ > 0", () => {
    const target = registries.target.create("many-well");
    const m = 4000;
    const draws = (target.sample as NonNullable<SamplingTarget["sample"]>)(RandomStream.fromSeed(3), m);
    let right = 0;
    for (let n = 0; n < m; n++) for (let w = 0; w < 16; w++) right += (draws[n * 32 + 2 * w] as number) > 0 ? 1 : 0;
    const p = right / (16 * m);
    expect(Math.abs(p - 0.8443)).toBeLessThan(5 * Math.sqrt((0.8443 * 0.1557) / (16 * m)));
  });

  it("joint-gaussian conditional draws have the exact conditional moments", () => {
    const target = registries.target.create("joint-gaussian");
    const facts = target.conditional as NonNullable<SamplingTarget["conditional"]>;
    const y = Float64Array.of(0.2);
    const draws = facts.sampleConditional(y, RandomStream.fromSeed(5), 20_000);
    const { mean, covariance } = sampleMoments(draws, 2);
    const exact = facts.conditionalMoments(y);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs((mean[i] as number) - (exact.mean[i] as number))).toBeLessThan(5 * Math.sqrt((exact.covariance[i * 3] as number) / 20_000 + 1e-12));
    }
    for (let k = 0; k < 4; k++) expect(Math.abs((covariance[k] as number) - (exact.covariance[k] as number))).toBeLessThan(0.03);
  });

  it("the same seed gives the same draws", () => {
    const target = registries.target.create("banana");
    const a = (target.sample as NonNullable<SamplingTarget["sample"]>)(RandomStream.fromSeed(11), 10);
    const b = (target.sample as NonNullable<SamplingTarget["sample"]>)(RandomStream.fromSeed(11), 10);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe("target options", () => {

  it("rejects bad options with errors that name the problem", () => {
    expect(code(() => registries.target.create("gaussian", { mean: [0, 0], covariance: [[1, 2], [2, 1]] }))).toBe(ErrorCode.NotPositiveDefinite);
    expect(code(() => registries.target.create("gaussian", { mean: [0, 0], diagonal: [1] }))).toBe(ErrorCode.DimensionMismatch);
    expect(code(() => registries.target.create("gmm", { weights: [1, 1], means: [[0, 0]] }))).toBe(ErrorCode.DimensionMismatch);
    expect(code(() => registries.target.create("many-well", { dim: 5 }))).toBe(ErrorCode.InvalidOptions);
    expect(code(() => registries.target.configure("banana", { bee: 0.1 }))).toBe(ErrorCode.InvalidOptions);
    expect(code(() => registries.target.create("joint-gaussian", { dim: 3 }))).toBe(ErrorCode.DimensionMismatch);
  });

  it("types each name's options and instance", () => {
    const manyWell = registries.target.create("many-well", { dim: 4 });
    expect(Math.abs(manyWell.wellPositiveProbability - 0.8443)).toBeLessThan(1e-4);
    expect(manyWell.dim).toBe(4);
    // @ts-expect-error -- "bee" is not an option of banana: a compile error as well as a run-time one
    expect(code(() => registries.target.create("banana", { bee: 1 }))).toBe(ErrorCode.InvalidOptions);
  });

  it("registers every built-in target", () => {
    for (const name of ["gaussian", "gmm", "gmm25", "gmm2-reference", "banana", "funnel", "many-well", "joint-gaussian"]) {
      expect(registries.target.has(name)).toBe(true);
    }
  });
});
