import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, RandomStream, isMinevoError, registries } from "@minevo/core";
import { FactoredJacobian, type HostJacobianBlock } from "./index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** J (N×p) rebuilt from host factors: outer blocks entry by entry (float32 products), columns copied. */
function rebuild(blocks: readonly HostJacobianBlock[], n: number, p: number): Float32Array {
  const out = new Float32Array(n * p);
  let offset = 0;
  for (const block of blocks) {
    if (block.kind === "columns") {
      const { cols, data } = block.columns;
      for (let m = 0; m < n; m++) for (let j = 0; j < cols; j++) out[m * p + offset + j] = data[m * cols + j] as number;
      offset += cols;
    } else {
      const a = block.left.cols;
      const b = block.right.cols;
      for (let m = 0; m < n; m++) {
        for (let i = 0; i < a; i++) {
          for (let j = 0; j < b; j++) out[m * p + offset + i * b + j] = Math.fround((block.left.data[m * a + i] as number) * (block.right.data[m * b + j] as number));
        }
      }
      offset += a * b;
    }
  }
  return out;
}

describe("FactoredJacobian.readFactors", () => {
  it("hands the CPU factors that rebuild J in its column order, a shared factor as one object", async () => {
    const network = registries.network.create("mlp", { inputDim: 2, hiddenWidths: [6, 5], quadratic: {}, residual: false });
    const theta = tf.tensor1d(Float32Array.from(network.initialParameters(RandomStream.fromSeed(1))));
    const points = tf.randomNormal([9, 2], 0, 1, "float32", 2) as tf.Tensor2D;
    const evaluation = network.evaluate(tf, theta, points, { jacobian: true });
    const jacobian = evaluation.jacobian as FactoredJacobian;
    const blocks = await jacobian.readFactors();
    const dense = jacobian.dense();
    const expected = await dense.data();
    const rebuilt = rebuild(blocks, 9, network.numParameters);
    let difference = 0;
    for (let i = 0; i < expected.length; i++) difference = Math.max(difference, Math.abs((rebuilt[i] as number) - (expected[i] as number)));
    expect(difference).toBeLessThan(1e-6);
    // Each layer's δ is the right factor of its weight block and its bias columns: one host copy.
    const first = blocks[0]!;
    const second = blocks[1]!;
    expect(first.kind === "outer" && second.kind === "columns" && first.right === second.columns).toBe(true);
    tf.dispose([dense, theta, points]);
    evaluation.dispose();
    await expect(jacobian.readFactors()).rejects.toSatisfy((error: unknown) => isMinevoError(error, ErrorCode.InvalidArgument));
  });

  it("refuses non-finite factors", async () => {
    const left = tf.tensor2d([[1], [Number.NaN]]);
    const right = tf.tensor2d([[1], [2]]);
    const jacobian = new FactoredJacobian(tf, 2, [{ kind: "outer", left, right }]);
    await expect(jacobian.readFactors()).rejects.toSatisfy((error: unknown) => isMinevoError(error, ErrorCode.NonFinite));
    jacobian.dispose();
  });
});
