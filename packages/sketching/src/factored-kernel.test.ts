import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { ErrorCode, RandomStream, gramOfRows, isMinevoError, registries, type JacobianOperator, type RowMajor, type SketchStrategy } from "@minevo/core";
import { beforeAll, describe, expect, it } from "vitest";
import { denseJacobianOperator, hasHostFactors, kernelFromFactors, transposeTimesFromFactors, type HostFactorBlock } from "./index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

const N = 30;

function factor(random: RandomStream, rows: number, cols: number): RowMajor {
  return { rows, cols, data: Float32Array.from(random.normals(rows * cols)) };
}

/** A layered Jacobian's blocks: a weight block h⊗δ, its bias columns δ (the same object), output columns, a second weight block. */
function layeredBlocks(seed: string): HostFactorBlock[] {
  const random = RandomStream.fromSeed(seed);
  const h0 = factor(random, N, 3);
  const delta0 = factor(random, N, 5);
  const h1 = factor(random, N, 5);
  const delta1 = factor(random, N, 4);
  return [
    { kind: "outer", left: h0, right: delta0 },
    { kind: "columns", columns: delta0 },
    { kind: "outer", left: h1, right: delta1 },
    { kind: "columns", columns: delta1 },
    { kind: "columns", columns: factor(random, N, 2) },
  ];
}

/** J (N×p) in float64 with exact products of the float32 factors. */
function denseOf(blocks: readonly HostFactorBlock[]): { rows: number; cols: number; data: Float64Array } {
  const widths = blocks.map((b) => (b.kind === "outer" ? b.left.cols * b.right.cols : b.columns.cols));
  const p = widths.reduce((s, w) => s + w, 0);
  const data = new Float64Array(N * p);
  let offset = 0;
  blocks.forEach((block, k) => {
    for (let m = 0; m < N; m++) {
      if (block.kind === "columns") {
        for (let j = 0; j < block.columns.cols; j++) data[m * p + offset + j] = block.columns.data[m * block.columns.cols + j] as number;
      } else {
        const a = block.left.cols;
        const b = block.right.cols;
        for (let i = 0; i < a; i++) {
          for (let j = 0; j < b; j++) data[m * p + offset + i * b + j] = (block.left.data[m * a + i] as number) * (block.right.data[m * b + j] as number);
        }
      }
    }
    offset += widths[k] as number;
  });
  return { rows: N, cols: p, data };
}

function maxRelative(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    difference = Math.max(difference, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  return difference / scale;
}

/** The dense operator of J plus the factors: what a factored network's Jacobian offers. */
function factoredOperator(blocks: readonly HostFactorBlock[]): JacobianOperator & { readFactors(): Promise<readonly HostFactorBlock[]> } {
  const inner = denseJacobianOperator(tf, denseOf(blocks));
  return {
    numPoints: inner.numPoints,
    numParameters: inner.numParameters,
    dense: () => inner.dense(),
    times: (v) => inner.times(v),
    transposeTimes: (omega) => inner.transposeTimes(omega),
    dispose: () => inner.dispose(),
    readFactors: async () => blocks,
  };
}

describe("the dense kernel from Jacobian factors", () => {
  it("K = Σ (LLᵀ)∘(RRᵀ) + Σ CCᵀ equals JJᵀ of the exact-product J to float64 rounding", () => {
    const blocks = layeredBlocks("kernel");
    const j = denseOf(blocks);
    const expected = gramOfRows(j);
    const kernel = kernelFromFactors(blocks, N);
    expect(kernel.rows).toBe(N);
    expect(maxRelative(kernel.data, expected.data)).toBeLessThan(1e-13);
  });

  it("Jᵀc from the factors equals the dense product in J's column order", () => {
    const blocks = layeredBlocks("transpose");
    const j = denseOf(blocks);
    const c = Float64Array.from(RandomStream.fromSeed("c").normals(N));
    const expected = new Float64Array(j.cols);
    for (let m = 0; m < N; m++) for (let k = 0; k < j.cols; k++) expected[k] = (expected[k] as number) + (c[m] as number) * (j.data[m * j.cols + k] as number);
    expect(maxRelative(transposeTimesFromFactors(blocks, c, j.cols), expected)).toBeLessThan(1e-13);
  });

  it("the dense strategy takes the factored route when offered, with the same θ̇ as through dense J", async () => {
    const blocks = layeredBlocks("strategy");
    const factored = factoredOperator(blocks);
    const plain = denseJacobianOperator(tf, denseOf(blocks));
    expect(hasHostFactors(factored)).toBe(true);
    expect(hasHostFactors(plain)).toBe(false);
    const f = Float64Array.from(RandomStream.fromSeed("f").normals(N));
    const strategy = registries.sketch.create("dense", { regularisation: { kind: "relative-trace", epsilon: 1e-3 } }) as SketchStrategy;
    strategy.prepare({ numPoints: N, numParameters: factored.numParameters, random: RandomStream.fromSeed("s"), tf });
    const viaFactors = await strategy.solve({ jacobian: factored, rhs: f });
    const viaDense = await strategy.solve({ jacobian: plain, rhs: f });
    // J through the tensor path is rounded to float32 entries; the factored K uses exact products.
    expect(maxRelative(viaFactors.thetaDot, viaDense.thetaDot)).toBeLessThan(1e-4);
    expect(viaFactors.kernelTrace / viaDense.kernelTrace).toBeCloseTo(1, 6);
    expect(viaFactors.effectiveRank).toBeCloseTo(viaDense.effectiveRank, 4);
    strategy.dispose();
    factored.dispose();
    plain.dispose();
  });

  it("refuses factors that do not span p parameters", async () => {
    const blocks = layeredBlocks("mismatch");
    const operator = factoredOperator(blocks);
    const short = { ...operator, readFactors: async () => blocks.slice(0, 2) };
    const strategy = registries.sketch.create("dense", {}) as SketchStrategy;
    strategy.prepare({ numPoints: N, numParameters: operator.numParameters, random: RandomStream.fromSeed("s"), tf });
    const failure = await strategy.solve({ jacobian: short, rhs: new Float64Array(N).fill(1) }).catch((error: unknown) => error);
    expect(isMinevoError(failure, ErrorCode.DimensionMismatch)).toBe(true);
    expect(String((failure as Error).message)).toMatch(/span \d+ parameters, expected p = \d+/);
    strategy.dispose();
    operator.dispose();
  });
});
