import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, RandomStream, isMinevoError, registries, type Network } from "@minevo/core";
import { restoreNetwork } from "./index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

async function evaluateAll(network: Network, theta: Float64Array, points: tf.Tensor2D) {
  const evaluation = network.evaluate(tf, theta, points, { value: true, gradient: true, laplacian: true, jacobian: true });
  const dense = evaluation.jacobian!.dense();
  const result = {
    value: Array.from(await evaluation.value!.data()),
    gradient: Array.from(await evaluation.gradient!.data()),
    laplacian: Array.from(await evaluation.laplacian!.data()),
    jacobian: Array.from(await dense.data()),
  };
  dense.dispose();
  evaluation.dispose();
  return result;
}

describe("network JSON", () => {
  it("round-trips through JSON text to the same outputs (Fourier frequencies rebuilt from their seed)", async () => {
    const network = registries.network.create("mlp", {
      inputDim: 2,
      conditionDim: 1,
      hiddenWidths: [7, 7],
      activation: "swish",
      residual: true,
      fourierFeatures: { count: 3, scale: 2, seed: 5 },
      quadratic: { form: "diagonal", initial: 0.5 },
      gaussianEnvelope: { width: 3 },
      initialization: { weights: "he" },
    });
    const theta = network.initialParameters(RandomStream.fromSeed(9));
    const text = JSON.stringify(network.toJSON(theta));
    const restored = restoreNetwork(JSON.parse(text));
    expect(restored.network.numParameters).toBe(network.numParameters);
    expect(Array.from(restored.parameters)).toEqual(Array.from(theta));
    const points = tf.randomNormal([5, 3], 0, 1, "float32", 4) as tf.Tensor2D;
    expect(await evaluateAll(restored.network, restored.parameters, points)).toEqual(await evaluateAll(network, theta, points));
    points.dispose();
  });

  it("a different Fourier seed gives a different network (the check above can fail)", async () => {
    const base = { inputDim: 2, hiddenWidths: [4], fourierFeatures: { count: 3, seed: 1 } } as const;
    const a = registries.network.create("mlp", base);
    const b = registries.network.create("mlp", { ...base, fourierFeatures: { count: 3, seed: 2 } });
    const theta = a.initialParameters(RandomStream.fromSeed(0));
    const points = Float64Array.from([0.3, -0.7]);
    expect(a.referenceValues(theta, points, 1)[0]).not.toBe(b.referenceValues(theta, points, 1)[0]);
  });

  it("refuses JSON with the wrong number of parameters, a non-finite parameter, or no name", () => {
    const network = registries.network.create("mlp", { inputDim: 2, hiddenWidths: [3] });
    const json = network.toJSON(network.initialParameters(RandomStream.fromSeed(0)));
    const expectCode = (value: unknown, code: ErrorCode) => {
      let caught: unknown;
      try {
        restoreNetwork(value);
      } catch (error) {
        caught = error;
      }
      expect(isMinevoError(caught, code)).toBe(true);
    };
    expectCode({ ...json, parameters: json.parameters.slice(1) }, ErrorCode.DimensionMismatch);
    expectCode({ ...json, parameters: [Number.NaN, ...json.parameters.slice(1)] }, ErrorCode.NonFinite);
    expectCode({ options: json.options, parameters: json.parameters }, ErrorCode.InvalidState);
    expectCode({ ...json, name: "nope" }, ErrorCode.UnknownPlugin);
    expect(() => network.toJSON([1, 2])).toThrow(/length p/);
  });
});
