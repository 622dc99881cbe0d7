import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { ErrorCode, RandomStream, isMinevoError, registries, type DenseMatrix, type SketchStrategy } from "@minevo/core";
import { beforeAll, describe, expect, it } from "vitest";
import { denseJacobianOperator } from "./index.js";
import {
  apply,
  exactRidge,
  frobeniusSquared,
  lowRankJacobian,
  minimalNormSolution,
  randomMatrix,
  relativeDifference,
  roundToFloat32,
} from "./test-support/problems.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

const N = 40;
const P = 60;
const RANK = 5;
const SKETCH_SIZE = 12;

/** A strategy choice as JSON config would give it (checked by the registry at run time). */
type Choice = { readonly name: string; readonly options?: object };

function prepared(choice: Choice, seed: number | string = "run", numPoints = N, numParameters = P): SketchStrategy {
  const strategy = registries.sketch.resolve(choice).create() as SketchStrategy;
  strategy.prepare({ numPoints, numParameters, random: RandomStream.fromSeed(seed).derive("sketch"), tf });
  return strategy;
}

async function solveWith(strategy: SketchStrategy, j: DenseMatrix, f: Float64Array) {
  const jacobian = denseJacobianOperator(tf, j);
  try {
    return await strategy.solve({ jacobian, rhs: f });
  } finally {
    jacobian.dispose();
  }
}

const fixedSketches = ["gaussian", "srft", "dct"] as const;
const smoothStrategies: Choice[] = [
  { name: "dense" },
  { name: "gaussian", options: { sketchSize: SKETCH_SIZE } },
  { name: "srft", options: { sketchSize: SKETCH_SIZE } },
  { name: "dct", options: { sketchSize: SKETCH_SIZE } },
  { name: "nystrom", options: { sketchSize: SKETCH_SIZE } },
  { name: "nystrom", options: { sketchSize: SKETCH_SIZE, omega: "dct" } },
];

describe("registration", () => {
  it("registers every strategy under its name, with typed options", async () => {
    const { builtinSketches } = await import("./index.js");
    expect(registries.sketch.names()).toEqual(expect.arrayContaining(["dense", "gaussian", "srft", "dct", "nystrom", "column"]));
    for (const definition of builtinSketches) registries.sketch.register(definition); // no-op
    const strategy = registries.sketch.create("gaussian", { sketchSize: 7, regularisation: { kind: "absolute", lambda: 2 } });
    expect(strategy.options).toEqual({ sketchSize: 7, regularisation: { kind: "absolute", lambda: 2 } });
    expect(registries.sketch.create("dense").options.regularisation).toEqual({ kind: "relative-trace", epsilon: 1e-6 });
    // The map augmentation types each name's options: a wrong type fails to compile, and at run time.
    // @ts-expect-error sketchSize is a number
    expect(() => registries.sketch.create("gaussian", { sketchSize: "12" })).toThrowError(/sketchSize/);
    // @ts-expect-error column needs numColumns
    expect(() => registries.sketch.create("column", {})).toThrowError(/numColumns/);
  });

  it("rejects bad options with INVALID_OPTIONS naming the field", () => {
    for (const [name, options, field] of [
      ["gaussian", { sketchSize: 0 }, "sketchSize"],
      ["srft", { sketchSize: 2.5 }, "sketchSize"],
      ["nystrom", { regularisation: { kind: "relative-trace", epsilon: -1 } }, "regularisation"],
      ["column", {}, "numColumns"],
      ["dense", { gramPrecision: "float16" }, "gramPrecision"],
      ["dense", { sketchSize: 10 }, ""],
    ] as const) {
      try {
        registries.sketch.configure(name, options);
        expect.unreachable(`${name} accepted ${JSON.stringify(options)}`);
      } catch (error) {
        expect(isMinevoError(error, ErrorCode.InvalidOptions)).toBe(true);
        if (field) expect(String(error)).toContain(field);
      }
    }
  });
});

describe("accuracy against exact float64 solutions", () => {
  const random = RandomStream.fromSeed("accuracy");
  const { jacobian: lowRank, rowFactor } = lowRankJacobian(N, P, RANK, random);
  const x = random.normals(P);
  const consistentRhs = apply(lowRank, x); // f in the range of J
  const generalRhs = random.normals(N); // f not in the range of J
  const fullRank = roundToFloat32(randomMatrix(N, P, random));

  it("dense equals the float64 ridge step Jᵀ(JJᵀ + λI)⁻¹f with λ = ε·‖J‖²_F/N", async () => {
    for (const epsilon of [1e-6, 1e-2]) {
      const strategy = prepared({ name: "dense", options: { regularisation: { kind: "relative-trace", epsilon } } });
      const result = await solveWith(strategy, fullRank, generalRhs);
      const lambda = (epsilon * frobeniusSquared(fullRank)) / N;
      expect(result.lambda).toBeCloseTo(lambda, 12);
      expect(result.kernelTrace / frobeniusSquared(fullRank)).toBeCloseTo(1, 12);
      expect(relativeDifference(result.thetaDot, exactRidge(fullRank, generalRhs, lambda))).toBeLessThan(1e-9);
      expect(result.systemSize).toBe(N);
      strategy.dispose();
    }
  });

  it("dense with a float32 kernel agrees with float64 at a moderate λ", async () => {
    const strategy = prepared({ name: "dense", options: { gramPrecision: "float32", regularisation: { kind: "relative-trace", epsilon: 1e-2 } } });
    const result = await solveWith(strategy, fullRank, generalRhs);
    expect(relativeDifference(result.thetaDot, exactRidge(fullRank, generalRhs, result.lambda))).toBeLessThan(1e-4);
  });

  it.each(smoothStrategies)("%j: rank J ≤ n and f in range(J) gives the minimal-norm (unsketched) θ̇ as λ → 0", async (choice) => {
    const options = { ...choice.options, regularisation: { kind: "relative-trace", epsilon: 1e-10 } };
    const strategy = prepared({ name: choice.name, options } as Choice);
    const result = await solveWith(strategy, lowRank, consistentRhs);
    const exact = minimalNormSolution(rowFactor, x);
    expect(relativeDifference(result.thetaDot, exact)).toBeLessThan(1e-4);
    // The kernel it sees has exactly RANK non-negligible eigenvalues.
    expect(Math.abs(result.effectiveRank - RANK)).toBeLessThan(1e-2);
    strategy.dispose();
  });

  it.each(fixedSketches)("%s: rank J ≤ n equals the dense answer (dense strategy, same tiny λ) for f in range(J)", async (name) => {
    const sketch = prepared({ name, options: { sketchSize: SKETCH_SIZE, regularisation: { kind: "relative-trace", epsilon: 1e-10 } } });
    const dense = prepared({ name: "dense", options: { regularisation: { kind: "relative-trace", epsilon: 1e-10 } } });
    const a = await solveWith(sketch, lowRank, consistentRhs);
    const b = await solveWith(dense, lowRank, consistentRhs);
    expect(relativeDifference(a.thetaDot, b.thetaDot)).toBeLessThan(1e-4);
    expect(a.systemSize).toBe(SKETCH_SIZE);
  });

  it("nystrom: rank J ≤ n equals the exact ridge step for ANY f and λ (tr K̂ = tr K, so λ matches dense)", async () => {
    for (const epsilon of [1e-6, 1e-2]) {
      const strategy = prepared({ name: "nystrom", options: { sketchSize: SKETCH_SIZE, regularisation: { kind: "relative-trace", epsilon } } });
      const result = await solveWith(strategy, lowRank, generalRhs);
      const lambda = (epsilon * frobeniusSquared(lowRank)) / N;
      expect(result.lambda / lambda).toBeCloseTo(1, 5);
      expect(relativeDifference(result.thetaDot, exactRidge(lowRank, generalRhs, lambda))).toBeLessThan(1e-4);
      // Z's float32 noise directions beyond rank J are shrunk, not dropped: they add nothing to r_λ.
      expect(result.systemSize).toBe(SKETCH_SIZE);
      expect(result.effectiveRank).toBeLessThan(RANK + 1e-3);
    }
  });

  it("a fixed Gaussian sketch with rank J > n is a genuine approximation (differs from dense), and r_λ ≤ n", async () => {
    const sketch = prepared({ name: "gaussian", options: { sketchSize: SKETCH_SIZE } });
    const dense = prepared({ name: "dense" });
    const a = await solveWith(sketch, fullRank, generalRhs);
    const b = await solveWith(dense, fullRank, generalRhs);
    expect(relativeDifference(a.thetaDot, b.thetaDot)).toBeGreaterThan(0.1);
    expect(a.effectiveRank).toBeLessThanOrEqual(SKETCH_SIZE);
    expect(a.effectiveRank).toBeGreaterThan(SKETCH_SIZE - 1);
    expect(b.effectiveRank).toBeGreaterThan(N - 1);
  });

  it("gaussian: λ = ε·tr(ZᵀZ)/n with Z = JᵀΩ for the drawn Ω", async () => {
    const strategy = prepared({ name: "gaussian", options: { sketchSize: SKETCH_SIZE, regularisation: { kind: "relative-trace", epsilon: 1e-3 } } });
    const result = await solveWith(strategy, fullRank, generalRhs);
    const omega = (strategy as unknown as { omega: { values: Float64Array } }).omega.values;
    // tr(ZᵀZ) = ‖JᵀΩ‖²_F in float64 from the same float32 data.
    let traceZtZ = 0;
    for (let c = 0; c < SKETCH_SIZE; c++)
      for (let k = 0; k < P; k++) {
        let z = 0;
        for (let i = 0; i < N; i++) z += (fullRank.data[i * P + k] as number) * (omega[i * SKETCH_SIZE + c] as number);
        traceZtZ += z * z;
      }
    expect(result.lambda / ((1e-3 * traceZtZ) / SKETCH_SIZE)).toBeCloseTo(1, 5);
    // And tr K is estimated within sampling error: E tr(ZᵀZ)·N/n = tr K.
    expect(Math.abs(result.kernelTrace / frobeniusSquared(fullRank) - 1)).toBeLessThan(0.5);
  });

  it("absolute λ is used as given; truncated SVD keeps exactly rank J directions", async () => {
    const absolute = prepared({ name: "srft", options: { sketchSize: SKETCH_SIZE, regularisation: { kind: "absolute", lambda: 0.25 } } });
    expect((await solveWith(absolute, fullRank, generalRhs)).lambda).toBe(0.25);
    for (const name of ["dense", "gaussian", "nystrom"] as const) {
      const options = { regularisation: { kind: "truncated-svd", relativeCutoff: 1e-3 }, ...(name === "dense" ? {} : { sketchSize: SKETCH_SIZE }) };
      const truncated = prepared({ name, options } as Choice);
      const result = await solveWith(truncated, lowRank, consistentRhs);
      expect(result.effectiveRank).toBe(RANK);
      expect(result.lambda).toBe(0);
      expect(relativeDifference(result.thetaDot, minimalNormSolution(rowFactor, x))).toBeLessThan(1e-4);
    }
  });
});

describe("smoothness: θ̇ is a deterministic, continuous function of (J, f)", () => {
  const random = RandomStream.fromSeed("smoothness");
  const j = roundToFloat32(randomMatrix(N, P, random));
  const f = random.normals(N);
  const dj = randomMatrix(N, P, random);
  const df = random.normals(N);

  it.each(smoothStrategies)("%j: the same state gives bitwise the same θ̇, also after re-creating from the seed or the saved state", async (choice) => {
    const strategy = prepared(choice, 7);
    expect(strategy.smooth).toBe(true);
    const first = await solveWith(strategy, j, f);
    const second = await solveWith(strategy, j, f);
    expect(second.thetaDot).toEqual(first.thetaDot);
    const again = prepared(choice, 7);
    expect((await solveWith(again, j, f)).thetaDot).toEqual(first.thetaDot);
    const restored = registries.sketch.resolve(choice).create() as SketchStrategy;
    restored.prepare({ numPoints: N, numParameters: P, random: RandomStream.fromState(strategy.getState().random), tf });
    expect((await solveWith(restored, j, f)).thetaDot).toEqual(first.thetaDot);
    for (const s of [strategy, again, restored]) s.dispose();
  });

  it.each(smoothStrategies.filter((c) => c.name !== "dense"))("%j: another seed draws another Ω", async (choice) => {
    const a = await solveWith(prepared(choice, 7), j, f);
    const b = await solveWith(prepared(choice, 8), j, f);
    expect(relativeDifference(a.thetaDot, b.thetaDot)).toBeGreaterThan(1e-3);
  });

  it.each(smoothStrategies)("%j: a perturbation of size δ changes θ̇ by O(δ), linearly", async (choice) => {
    const options = { ...choice.options, regularisation: { kind: "relative-trace", epsilon: 1e-2 } };
    const strategy = prepared({ name: choice.name, options } as Choice, 3);
    const base = (await solveWith(strategy, j, f)).thetaDot;
    const change = async (delta: number) => {
      const jd = roundToFloat32({ rows: N, cols: P, data: j.data.map((v, i) => v + delta * (dj.data[i] as number)) });
      const fd = f.map((v, i) => v + delta * (df[i] as number));
      return relativeDifference((await solveWith(strategy, jd, fd)).thetaDot, base);
    };
    const large = await change(1e-3);
    const small = await change(5e-4);
    expect(large).toBeGreaterThan(0);
    expect(large).toBeLessThan(1e-3 * 50);
    // First-order: halving δ halves the change (float32 rounding of J sits far below 5e-4).
    expect(large / small).toBeGreaterThan(1.8);
    expect(large / small).toBeLessThan(2.2);
  });
});

describe("column (per-step random parameter subsets)", () => {
  const random = RandomStream.fromSeed("column");
  const j = roundToFloat32(randomMatrix(N, P, random));
  const f = random.normals(N);
  const k = 15;

  it("moves exactly k parameters, by the float64 ridge step on those columns", async () => {
    const strategy = prepared({ name: "column", options: { numColumns: k, regularisation: { kind: "relative-trace", epsilon: 1e-3 } } });
    expect(strategy.smooth).toBe(false);
    const result = await solveWith(strategy, j, f);
    const columns = [...result.thetaDot.keys()].filter((i) => result.thetaDot[i] !== 0);
    expect(columns.length).toBe(k);
    const jS = { rows: N, cols: k, data: new Float64Array(N * k) };
    for (let i = 0; i < N; i++) columns.forEach((c, m) => (jS.data[i * k + m] = j.data[i * P + c] as number));
    const lambda = (1e-3 * frobeniusSquared(jS)) / N;
    expect(result.lambda / lambda).toBeCloseTo(1, 10);
    const exact = exactRidge(jS, f, lambda);
    expect(relativeDifference(columns.map((c) => result.thetaDot[c] as number), exact)).toBeLessThan(1e-5);
    expect(result.systemSize).toBe(k);
  });

  it("redraws the subset every call (non-smooth), reproducibly from the seed and from getState()", async () => {
    const a = prepared({ name: "column", options: { numColumns: k } }, 5);
    const b = prepared({ name: "column", options: { numColumns: k } }, 5);
    const first = await solveWith(a, j, f);
    const saved = a.getState();
    const second = await solveWith(a, j, f);
    expect(second.thetaDot).not.toEqual(first.thetaDot);
    expect((await solveWith(b, j, f)).thetaDot).toEqual(first.thetaDot);
    expect((await solveWith(b, j, f)).thetaDot).toEqual(second.thetaDot);
    const resumed = registries.sketch.create("column", { numColumns: k });
    resumed.prepare({ numPoints: N, numParameters: P, random: RandomStream.fromState(saved.random), tf });
    expect((await solveWith(resumed, j, f)).thetaDot).toEqual(second.thetaDot);
  });

  it("refuses numColumns > p", () => {
    expect(() => prepared({ name: "column", options: { numColumns: P + 1 } })).toThrowError(/numColumns = 61 exceeds the number of parameters p = 60/);
  });
});

describe("input errors", () => {
  const j = roundToFloat32(randomMatrix(N, P, RandomStream.fromSeed("errors")));
  const f = RandomStream.fromSeed("errors-f").normals(N);
  const all: Choice[] = [...smoothStrategies, { name: "column", options: { numColumns: 10 } }];

  async function codeOf(body: () => unknown): Promise<string | undefined> {
    try {
      await body();
    } catch (error) {
      return isMinevoError(error) ? error.code : `not a MinevoError: ${String(error)}`;
    }
    return undefined;
  }

  it.each(all)("%j: wrong rhs length, non-finite rhs, NaN in J, wrong J size, unprepared", async (choice) => {
    const strategy = prepared(choice);
    expect(await codeOf(() => solveWith(strategy, j, f.subarray(1)))).toBe(ErrorCode.DimensionMismatch);
    const bad = Float64Array.from(f);
    bad[3] = Number.NaN;
    expect(await codeOf(() => solveWith(strategy, j, bad))).toBe(ErrorCode.NonFinite);
    bad[3] = Number.POSITIVE_INFINITY;
    expect(await codeOf(() => solveWith(strategy, j, bad))).toBe(ErrorCode.NonFinite);
    const nanJ = { rows: N, cols: P, data: Float64Array.from(j.data) };
    nanJ.data[5] = Number.NaN;
    const nanOperator = denseJacobianOperator(tf, tf.tensor2d(Float32Array.from(nanJ.data), [N, P]) as never);
    expect(await codeOf(() => strategy.solve({ jacobian: nanOperator, rhs: f }))).toBe(ErrorCode.NonFinite);
    nanOperator.dispose();
    const small = roundToFloat32(randomMatrix(N, P - 1, RandomStream.fromSeed(1)));
    expect(await codeOf(() => solveWith(strategy, small, f))).toBe(ErrorCode.DimensionMismatch);
    strategy.dispose();
    expect(await codeOf(() => solveWith(strategy, j, f))).toBe(ErrorCode.InvalidState);
    expect(await codeOf(() => strategy.getState())).toBe(ErrorCode.InvalidState);
  });

  it("sketch size n > N is refused at prepare", async () => {
    for (const name of ["gaussian", "srft", "dct", "nystrom"] as const) {
      expect(await codeOf(() => prepared({ name, options: { sketchSize: N + 1 } }))).toBe(ErrorCode.InvalidArgument);
    }
  });

  it("J = 0 gives θ̇ = 0 (no parameter moves u), not an error", async () => {
    for (const choice of all) {
      const result = await solveWith(prepared(choice), { rows: N, cols: P, data: new Float64Array(N * P) }, f);
      expect(result.thetaDot.every((v) => v === 0)).toBe(true);
      expect(result.effectiveRank).toBe(0);
    }
  });
});

describe("tensor bookkeeping", () => {
  it.each([...smoothStrategies, { name: "column", options: { numColumns: 10 } }])("%j: many solves keep tf.memory().numTensors constant; dispose releases Ω", async (choice) => {
    const random = RandomStream.fromSeed("memory");
    const j = roundToFloat32(randomMatrix(N, P, random));
    const f = random.normals(N);
    const before = tf.memory().numTensors;
    const strategy = prepared(choice);
    const jacobian = denseJacobianOperator(tf, j);
    await strategy.solve({ jacobian, rhs: f });
    const during = tf.memory().numTensors;
    for (let i = 0; i < 25; i++) await strategy.solve({ jacobian, rhs: f });
    expect(tf.memory().numTensors).toBe(during);
    jacobian.dispose();
    strategy.dispose();
    strategy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
