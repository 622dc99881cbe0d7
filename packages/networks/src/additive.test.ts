import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, RandomStream, isMinevoError, registries } from "@minevo/core";
import { formatConformanceReport, runNetworkConformance } from "./conformance/index.js";
import { AdditiveNetwork, additiveOptionsSchema, restoreNetwork, type AdditiveOptionsInput } from "./index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const innerMlp = { name: "mlp", options: { hiddenWidths: [5, 4], quadratic: { form: "diagonal", initial: 0.3 }, quartic: { initial: 0.1 } } } as const;

async function expectConformance(options: AdditiveOptionsInput) {
  const network = registries.network.create("additive", options);
  const report = await runNetworkConformance(network, tf, { seed: 5 });
  if (!report.passed) console.log(formatConformanceReport(report));
  expect(report.referencePrecision).toBe("float64");
  expect(report.checks.filter((c) => !c.passed).map((c) => c.name)).toEqual([]);
  expect(report.checks).toHaveLength(12);
}

describe("additive network u(x) = Σ_b g_θ(x_b)", () => {
  it("passes the conformance suite: blocks of 2 in d = 6, blocks of 1, and conditioning inputs", async () => {
    await expectConformance({ inputDim: 6, blockSize: 2, inner: innerMlp });
    await expectConformance({ inputDim: 3, blockSize: 1, inner: { name: "mlp", options: { hiddenWidths: [4], activation: "softplus" } } });
    await expectConformance({ inputDim: 4, conditionDim: 1, blockSize: 2, inner: { name: "mlp", options: { hiddenWidths: [4], activation: "gelu" } } });
  });

  it("is the sum of the inner network over the blocks, with θ and p of the inner network", () => {
    const network = new AdditiveNetwork(additiveOptionsSchema.parse({ inputDim: 6, blockSize: 2, inner: innerMlp }));
    const inner = network.inner;
    expect(network.numBlocks).toBe(3);
    expect(network.numParameters).toBe(inner.numParameters);
    expect(network.parameterLayout).toEqual(inner.parameterLayout);
    const theta = network.initialParameters(RandomStream.fromSeed(1));
    const points = RandomStream.fromSeed(2).fillNormal(new Float64Array(4 * 6), 0, 1.5);
    const blockRows = new Float64Array(4 * 3 * 2);
    blockRows.set(points); // row-major: the block rows of point i are its coordinates in order
    const parts = inner.referenceValues!(theta, blockRows, 12);
    const sums = network.referenceValues!(theta, points, 4);
    for (let i = 0; i < 4; i++) expect(sums[i]).toBeCloseTo(parts[3 * i]! + parts[3 * i + 1]! + parts[3 * i + 2]!, 12);
    // The float32 evaluation agrees with the float64 reference, and its gradient is the inner gradient block by block.
    const pointsTensor = tf.tensor2d(Float32Array.from(points), [4, 6]);
    const rowsTensor = tf.tensor2d(Float32Array.from(blockRows), [12, 2]);
    const evaluation = network.evaluate(tf, theta, pointsTensor, { value: true, gradient: true });
    const innerEvaluation = inner.evaluate(tf, theta, rowsTensor, { gradient: true });
    const values = evaluation.value!.dataSync();
    for (let i = 0; i < 4; i++) expect(Math.abs(values[i]! - sums[i]!)).toBeLessThan(1e-5 * (1 + Math.abs(sums[i]!)));
    expect(Array.from(evaluation.gradient!.dataSync())).toEqual(Array.from(innerEvaluation.gradient!.dataSync()));
    evaluation.dispose();
    innerEvaluation.dispose();
    pointsTensor.dispose();
    rowsTensor.dispose();
  });

  it("refuses a block size that does not divide d, and an inner network of the wrong dimension", () => {
    expect(() => additiveOptionsSchema.parse({ inputDim: 5, blockSize: 2, inner: innerMlp })).toThrow(/blockSize 2 does not divide inputDim 5/);
    try {
      registries.network.create("additive", { inputDim: 6, blockSize: 2, inner: { name: "mlp", options: { inputDim: 3 } } });
      expect.unreachable();
    } catch (error) {
      expect(isMinevoError(error) && error.code === ErrorCode.InvalidOptions).toBe(true);
      expect((error as Error).message).toMatch(/inner "mlp" takes d = 3 .* blockSize = 2/);
    }
    expect(() => registries.network.create("additive", { inputDim: 4, blockSize: 2, inner: { name: "no-such-net" } })).toThrow(/unknown network "no-such-net"/);
  });

  it("round-trips through JSON, and its Jacobian operator is released after use", () => {
    const network = registries.network.create("additive", { inputDim: 4, blockSize: 2, inner: innerMlp });
    const theta = network.initialParameters(RandomStream.fromSeed(4));
    const restored = restoreNetwork(JSON.parse(JSON.stringify(network.toJSON(theta))));
    expect(restored.network.name).toBe("additive");
    expect(Array.from(restored.parameters)).toEqual(Array.from(theta));
    const points = tf.tensor2d(Float32Array.from(RandomStream.fromSeed(5).fillNormal(new Float64Array(8 * 4), 0, 1)), [8, 4]);
    const before = tf.memory().numTensors;
    for (let repeat = 0; repeat < 3; repeat++) {
      const a = network.evaluate(tf, theta, points, { value: true, jacobian: true, laplacian: true });
      const b = restored.network.evaluate(tf, restored.parameters, points, { value: true });
      expect(Array.from(b.value!.dataSync())).toEqual(Array.from(a.value!.dataSync()));
      const omega = tf.ones([8, 3]) as tf.Tensor2D;
      const v = tf.ones([network.numParameters, 2]) as tf.Tensor2D;
      a.jacobian!.transposeTimes(omega).dispose();
      a.jacobian!.times(v).dispose();
      omega.dispose();
      v.dispose();
      a.dispose();
      b.dispose();
      // An evaluation whose Jacobian is never used releases everything too.
      network.evaluate(tf, theta, points, { jacobian: true }).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    points.dispose();
  });
});
