import { describe, expect, it } from "vitest";
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { ErrorCode, MinevoError, type TensorFlow } from "@minevo/core";
import { evaluateRows, tf } from "../test-support/tensorflow.js";
import { userTarget } from "./user-target.js";

function thrown(body: () => unknown): MinevoError {
  try {
    body();
  } catch (error) {
    if (error instanceof MinevoError) return error;
    throw error;
  }
  throw new Error("expected a MinevoError");
}

// A banana written by a user: log π̃ = −x₁²/200 − ½(x₂ + 0.1x₁² − 10)².
const bananaLogDensity = (x: Tensor2D, t: TensorFlow): Tensor1D => {
  const x1 = t.slice(x, [0, 0], [-1, 1]);
  const x2 = t.slice(x, [0, 1], [-1, 1]);
  const u = t.sub(t.add(x2, t.mul(0.1, t.square(x1))), 10);
  return t.reshape(t.neg(t.add(t.div(t.square(x1), 200), t.mul(0.5, t.square(u)))), [-1]) as Tensor1D;
};

describe("userTarget", () => {
  it("scores by autodiff agree with the closed form", () => {
    const target = userTarget({ dim: 2, logDensity: bananaLogDensity, name: "my-banana" });
    const rows = [
      [0, 10],
      [5, 7],
      [-12, -4],
    ];
    const { logDensity, score } = evaluateRows(target, rows);
    rows.forEach(([x1 = 0, x2 = 0], i) => {
      const u = x2 + 0.1 * x1 * x1 - 10;
      expect(logDensity[i]).toBeCloseTo(-(x1 * x1) / 200 - 0.5 * u * u, 3);
      expect(score[2 * i]).toBeCloseTo(-x1 / 100 - 0.2 * x1 * u, 3);
      expect(score[2 * i + 1]).toBeCloseTo(-u, 3);
    });
  });

  it("a joint target's score is the gradient in x only", () => {
    // log π̃(x, y) = −½(x − y)² − y²: ∇ₓ = −(x − y).
    const target = userTarget({
      dim: 1,
      conditionDim: 1,
      logDensity: (p, t) => {
        const x = t.slice(p, [0, 0], [-1, 1]);
        const y = t.slice(p, [0, 1], [-1, 1]);
        return t.reshape(t.sub(t.mul(-0.5, t.square(t.sub(x, y))), t.square(y)), [-1]) as Tensor1D;
      },
    });
    expect(target.conditionDim).toBe(1);
    const { score } = evaluateRows(target, [
      [1, 3],
      [-2, 0.5],
    ]);
    expect(Array.from(score)).toEqual([2, 2.5]);
  });

  it("keeps no tensors over many evaluations", () => {
    const target = userTarget({ dim: 2, logDensity: bananaLogDensity });
    const points = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      const { logDensity, score } = target.scoreAndLogDensity(points, tf);
      const only = target.logDensity(points, tf);
      tf.dispose([logDensity, score, only]);
    }
    expect(tf.memory().numTensors).toBe(before);
    points.dispose();
  });

  it("rejects a wrong output shape, naming the function and both shapes", () => {
    const target = userTarget({ dim: 2, name: "keepdims", logDensity: (x, t) => t.sum(t.square(x), 1, true) as unknown as Tensor1D });
    const points = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const before = tf.memory().numTensors;
    for (const call of [() => target.logDensity(points, tf), () => target.scoreAndLogDensity(points, tf)]) {
      const error = thrown(call);
      expect(error.code).toBe(ErrorCode.DimensionMismatch);
      expect(error.message).toContain('logDensity of target "keepdims"');
      expect(error.message).toContain("[3, 1]");
      expect(error.message).toContain("[3]");
    }
    expect(tf.memory().numTensors).toBe(before);
    const notATensor = userTarget({ dim: 2, logDensity: () => 0 as unknown as Tensor1D });
    for (const call of [() => notATensor.logDensity(points, tf), () => notATensor.scoreAndLogDensity(points, tf)]) {
      const error = thrown(call);
      expect(error.code).toBe(ErrorCode.DimensionMismatch);
      expect(error.message).toContain("must return a tensor of shape [3], got 0");
    }
    expect(tf.memory().numTensors).toBe(before);
    points.dispose();
  });

  it("rejects points of the wrong dimension", () => {
    const target = userTarget({ dim: 3, logDensity: (x, t) => t.sum(x, 1) as Tensor1D });
    const points = tf.tensor2d([[1, 2]]);
    const error = thrown(() => target.logDensity(points, tf));
    points.dispose();
    expect(error.code).toBe(ErrorCode.DimensionMismatch);
    expect(error.message).toContain("[M, 3]");
    expect(error.message).toContain("[1, 2]");
  });

  it("rejects a non-finite value, quoting the first bad point", () => {
    // log of a coordinate: NaN for x₁ < 0, −∞ at 0.
    const target = userTarget({ dim: 2, name: "log-x", logDensity: (x, t) => t.reshape(t.log(t.slice(x, [0, 0], [-1, 1])), [-1]) as Tensor1D });
    const points = tf.tensor2d([
      [1, 2],
      [-0.5, 7],
      [0, 1],
    ]);
    const before = tf.memory().numTensors;
    for (const call of [() => target.logDensity(points, tf), () => target.scoreAndLogDensity(points, tf)]) {
      const error = thrown(call);
      expect(error.code).toBe(ErrorCode.NonFinite);
      expect(error.message).toContain('logDensity of target "log-x"');
      expect(error.message).toContain("point 1 = [-0.5,7]");
      expect(error.details["index"]).toBe(1);
    }
    expect(tf.memory().numTensors).toBe(before);
    points.dispose();
  });

  it("explains a missing gradient instead of passing TensorFlow.js's message on", () => {
    // Take the Log gradient away for the duration of the test, then restore it.
    const config = tf.getGradient("Log");
    if (config === undefined) throw new Error("the Log gradient should be registered in tests");
    tf.unregisterGradient("Log");
    try {
      const target = userTarget({ dim: 1, logDensity: (x, t) => t.reshape(t.log(t.add(t.square(x), 1)), [-1]) as Tensor1D });
      const points = tf.tensor2d([[1]]);
      const error = thrown(() => target.scoreAndLogDensity(points, tf));
      points.dispose();
      expect(error.code).toBe(ErrorCode.BackendUnavailable);
      expect(error.message).toContain("register_all_gradients");
    } finally {
      tf.registerGradient(config);
    }
  });

  it("gives a zero score where the formula ignores x, and skips checks when asked", () => {
    const points = tf.tensor2d([[1], [2]]);
    const before = tf.memory().numTensors;
    const constant = userTarget({ dim: 1, logDensity: (_x, t) => t.fill([2], -3) as Tensor1D });
    const { logDensity, score } = constant.scoreAndLogDensity(points, tf);
    expect(Array.from(logDensity.dataSync())).toEqual([-3, -3]);
    expect(Array.from(score.dataSync())).toEqual([0, 0]);
    tf.dispose([logDensity, score]);
    expect(tf.memory().numTensors).toBe(before);
    // validate: false hands a NaN back unchecked (the caller asked for no read-back).
    const unchecked = userTarget({ dim: 1, validate: false, logDensity: (x, t) => t.reshape(t.log(t.sub(x, 1.5)), [-1]) as Tensor1D });
    const lp = unchecked.logDensity(points, tf);
    expect(Number.isNaN(lp.dataSync()[0])).toBe(true);
    lp.dispose();
    points.dispose();
  });

  it("rejects invalid specifications", () => {
    expect(thrown(() => userTarget({ dim: 0, logDensity: (x, t) => t.sum(x, 1) as Tensor1D })).code).toBe(ErrorCode.InvalidArgument);
    expect(thrown(() => userTarget({ dim: 2, conditionDim: 1.5, logDensity: (x, t) => t.sum(x, 1) as Tensor1D })).code).toBe(ErrorCode.InvalidArgument);
  });
});
