import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { ErrorCode, RandomStream, isMinevoError } from "@minevo/core";
import { beforeAll, describe, expect, it } from "vitest";
import { denseJacobianOperator } from "./dense-jacobian-operator.js";
import { matmul, randomMatrix, roundToFloat32, transposed } from "./test-support/problems.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("denseJacobianOperator", () => {
  it("computes J, JᵀΩ and JV as the float64 products of the float32 data (to float32 accuracy)", async () => {
    const random = RandomStream.fromSeed(1);
    const j = roundToFloat32(randomMatrix(7, 9, random));
    const omega = randomMatrix(7, 3, random);
    const v = randomMatrix(9, 2, random);
    const before = tf.memory().numTensors;
    const op = denseJacobianOperator(tf, j);
    expect([op.numPoints, op.numParameters]).toEqual([7, 9]);
    const omegaTensor = tf.tensor2d(Float32Array.from(omega.data), [7, 3]);
    const vTensor = tf.tensor2d(Float32Array.from(v.data), [9, 2]);
    const dense = op.dense();
    const jtOmega = op.transposeTimes(omegaTensor);
    const jv = op.times(vTensor);
    expect([...(await dense.data())]).toEqual([...j.data]);
    const close = (actual: ArrayLike<number>, expected: Float64Array) =>
      expected.forEach((e, i) => expect(Math.abs((actual[i] as number) - e)).toBeLessThan(1e-5 * (1 + Math.abs(e))));
    close(await jtOmega.data(), matmul(transposed(j), roundToFloat32(omega)).data);
    close(await jv.data(), matmul(j, roundToFloat32(v)).data);
    for (const t of [omegaTensor, vTensor, dense, jtOmega, jv]) t.dispose();
    op.dispose();
    op.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("leaves a caller's tensor alone, and refuses misshapen operands and use after dispose", () => {
    const jTensor = tf.ones([4, 5]) as tf.Tensor2D;
    const op = denseJacobianOperator(tf, jTensor);
    op.dispose();
    expect(jTensor.isDisposed).toBe(false);
    jTensor.dispose();
    const live = denseJacobianOperator(tf, roundToFloat32(randomMatrix(4, 5, RandomStream.fromSeed(2))));
    const wrong = tf.ones([5, 2]) as tf.Tensor2D;
    try {
      live.transposeTimes(wrong);
      expect.unreachable();
    } catch (error) {
      expect(isMinevoError(error, ErrorCode.DimensionMismatch)).toBe(true);
    }
    live.dispose();
    expect(() => live.dense()).toThrowError(/disposed/);
    wrong.dispose();
  });
});
