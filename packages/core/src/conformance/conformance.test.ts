// The conformance suite must pass an honest backend and fail a wrong or leaking one; its float64
// reference helpers are checked on small hand-computed cases.
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import * as tfjs from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import type { TensorFlow } from "../backend.js";
import { RandomStream } from "../random.js";
import {
  backendConformanceCases,
  compare,
  conformanceSeed,
  createContext,
  runBackendConformance,
  runConformanceCase,
  type BackendConformanceCase,
  type Check,
} from "./index.js";
import * as ref from "./reference.js";

const tf = tfjs as unknown as TensorFlow;
const host = (shape: number[], values: number[]) => ref.hostArray(shape, Float64Array.from(values));
const caseNamed = (name: string): BackendConformanceCase => {
  const found = backendConformanceCases.find((c) => c.name.startsWith(name));
  if (found === undefined) throw new Error(`no case ${name}`);
  return found;
};

beforeAll(async () => {
  expect(await tf.setBackend("cpu")).toBe(true);
});

describe("float64 reference", () => {
  it("matMul with transposes and a broadcast batch", () => {
    const a = host([2, 2], [1, 2, 3, 4]);
    const b = host([2, 2], [5, 6, 7, 8]);
    expect([...ref.matMul(a, b).result.values]).toEqual([19, 22, 43, 50]);
    expect([...ref.matMul(a, b, true, false).result.values]).toEqual([26, 30, 38, 44]);
    expect([...ref.matMul(a, b, false, true).result.values]).toEqual([17, 23, 39, 53]);
    expect([...ref.matMul(a, b, true, true).result.values]).toEqual([23, 31, 34, 46]);
    expect([...ref.matMul(host([2, 2], [1, -2, 3, 4]), b).absoluteSum]).toEqual([19, 22, 43, 50]);
    const batched = ref.matMul(host([2, 1, 2], [1, 0, 0, 1]), host([1, 2, 1], [5, 7])).result;
    expect(batched.shape).toEqual([2, 1, 1]);
    expect([...batched.values]).toEqual([5, 7]);
  });

  it("broadcasting, reductions and layout operations", () => {
    const x = host([2, 3], [1, 2, 3, 4, 5, 6]);
    expect([...ref.zip(x, host([3], [10, 20, 30]), (p, q) => p + q).values]).toEqual([11, 22, 33, 14, 25, 36]);
    expect([...ref.zip(host([2, 1], [1, 2]), host([1, 3], [1, 2, 3]), (p, q) => p * q).values]).toEqual([1, 2, 3, 2, 4, 6]);
    expect(() => ref.broadcastShape([2, 3], [2])).toThrow(/do not broadcast/);
    expect([...ref.reduce(x, [0], 0, (s, v) => s + v).result.values]).toEqual([5, 7, 9]);
    expect(ref.reduce(x, [1], 0, (s, v) => s + v, true).result.shape).toEqual([2, 1]);
    expect([...ref.reduce(host([2], [-1, 2]), undefined, 0, (s, v) => s + v).absoluteSum]).toEqual([3]);
    expect([...ref.transpose(x).values]).toEqual([1, 4, 2, 5, 3, 6]);
    expect([...ref.concat([x, host([2, 1], [7, 8])], 1).values]).toEqual([1, 2, 3, 7, 4, 5, 6, 8]);
    expect([...ref.slice(x, [1, 1], [1, 2]).values]).toEqual([5, 6]);
    expect([...ref.gather(x, [2, 0, 0], 1).values]).toEqual([3, 1, 1, 6, 4, 4]);
    const stacked = ref.stack([host([2], [1, 2]), host([2], [3, 4])], 1);
    expect(stacked.shape).toEqual([2, 2]);
    expect([...stacked.values]).toEqual([1, 3, 2, 4]);
    expect(ref.softplus(800)).toBe(800);
    expect(ref.sigmoid(-800)).toBe(0);
  });
});

describe("compare", () => {
  const expected = host([2], [1, -2]);
  const observed = (values: number[], shape = [2]) => ({ shape, dtype: "float32", values });
  const expectation = (scale?: Check["scale"]) => ({ label: "x", expected, tolerance: { absolute: 0, relative: 1e-3 }, ...(scale ? { scale } : {}) });

  it("passes within tolerance and reports the worst entry's share of it", () => {
    const result = compare(expectation(), observed([1.0005, -2]));
    expect(result.passed).toBe(true);
    expect(result.worstRatio).toBeCloseTo(0.5, 6);
  });

  it("fails outside tolerance, naming the entry", () => {
    const result = compare(expectation(), observed([1, -2.01]));
    expect(result.passed).toBe(false);
    expect(result.message).toMatch(/1 of 2 entries outside tolerance; worst entry \[1\] is -2\.01/);
  });

  it("measures against the largest entry with scale 'max'", () => {
    expect(compare(expectation(), observed([1.0015, -2])).passed).toBe(false);
    expect(compare(expectation("max"), observed([1.0015, -2])).passed).toBe(true);
  });

  it("never passes NaN or a wrong shape", () => {
    expect(compare(expectation(), observed([Number.NaN, -2])).passed).toBe(false);
    expect(compare(expectation(), observed([1, -2], [1, 2])).message).toMatch(/shape is \[1, 2\], expected \[2\]/);
  });
});

describe("the suite", () => {
  it("has unique case names covering every group", () => {
    const names = backendConformanceCases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(backendConformanceCases.map((c) => c.group))).toEqual(
      new Set(["matmul", "elementwise", "broadcasting", "reduction", "layout", "selection", "gradient", "memory"]),
    );
  });

  it("draws the same inputs on every run", () => {
    const draw = () => createContext(tf, RandomStream.fromSeed(conformanceSeed).derive("add")).normal([3, 2]).values;
    expect([...draw()]).toEqual([...draw()]);
    expect([...draw()].every((v) => Math.fround(v) === v)).toBe(true);
  });

  it("passes every case on the TensorFlow.js cpu backend", async () => {
    const results = await runBackendConformance(tf);
    expect(results).toHaveLength(backendConformanceCases.length);
    const failed = results.filter((r) => !r.passed).map((r) => r.message);
    expect(failed).toEqual([]);
    expect(results.every((r) => r.backend === "cpu")).toBe(true);
  });

  it("fails a backend whose tanh is off by 1e-4 relative, in the tanh and gradient cases", async () => {
    const wrong = { ...tf, tanh: (x: tfjs.Tensor) => tf.tidy(() => tf.mul(tf.tanh(x), 1 + 1e-4)) } as unknown as TensorFlow;
    const tanh = await runConformanceCase(wrong, caseNamed("tanh"));
    expect(tanh.passed).toBe(false);
    expect(tanh.message).toMatch(/entries outside tolerance/);
    const gradient = await runConformanceCase(wrong, caseNamed("tf.grad: input gradient"));
    expect(gradient.passed).toBe(false);
    expect((await runConformanceCase(wrong, caseNamed("exp"))).passed).toBe(true);
  });

  it("fails a backend whose matMul ignores transposeB", async () => {
    const wrong = {
      ...tf,
      matMul: (a: tfjs.Tensor, b: tfjs.Tensor, transposeA = false) => tf.matMul(a, b, transposeA, false),
    } as unknown as TensorFlow;
    const result = await runConformanceCase(wrong, caseNamed("matMul A·Bᵀ"));
    expect(result.passed).toBe(false);
    expect(result.message).toMatch(/threw|outside tolerance|shape/);
    expect((await runConformanceCase(wrong, caseNamed("matMul A·B ("))).passed).toBe(true);
  });

  it("fails a case that leaks tensors, saying how many", async () => {
    const leaking = { ...tf, exp: (x: tfjs.Tensor) => (tf.keep(tf.add(x, 0)), tf.exp(x)) } as unknown as TensorFlow;
    const result = await runConformanceCase(leaking, caseNamed("exp"));
    expect(result.passed).toBe(false);
    expect(result.leakedTensors).toBe(1);
    expect(result.message).toMatch(/left 1 live tensors behind/);
  });

  it("reports a missing gradient with the import that registers them", async () => {
    const noGradients = {
      ...tf,
      grad: () => () => {
        throw new Error("gradient function not found for Tanh");
      },
    } as unknown as TensorFlow;
    const result = await runConformanceCase(noGradients, caseNamed("tf.grad: input gradient"));
    expect(result.passed).toBe(false);
    expect(result.message).toMatch(/register_all_gradients/);
  });
});
