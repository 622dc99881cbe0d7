/**
 * The MNE vector field on its own: θ̇ solves the sketched least-squares problem J θ̇ ≈ f, Ẋ and
 * the extra rates come from the equation, fixed conditioning columns never move, and an
 * equation returning the wrong shapes is named in the error.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { RandomStream, registries, type EquationInput, type EvolutionEquation } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import { MneVectorField } from "./index.js";
import { gaussianParameters, quadraticNetwork } from "./test-support/quadratic-network.js";
import { ouLogDensityEquation } from "./test-support/ou-log-density.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function denseSketch(numPoints: number, numParameters: number) {
  const sketch = registries.sketch.create("dense", { regularisation: { kind: "truncated-svd", relativeCutoff: 1e-6 } });
  sketch.prepare({ numPoints, numParameters, random: RandomStream.fromSeed(1), tf });
  return sketch;
}

describe("MneVectorField", () => {
  it("gives the exact OU rates for a Gaussian: θ̇ from the sketch, Ẋ = −x − ∇ℓ, d/dt ℓ(x_t) = d + Δℓ", async () => {
    const d = 2;
    const numPoints = 30;
    const network = quadraticNetwork(d);
    const points = RandomStream.fromSeed(2).normals(numPoints * d);
    // ℓ = log N(0, s²I): P = I/s², b = 0, c = −log(2πs²). Under OU s² → e^{−2t}s² + 1 − e^{−2t},
    // so at t = 0: d(s²)/dt = 2(1 − s²), d(1/s²)/dt = −2(1 − s²)/s⁴, dc/dt = −2(1 − s²)/s².
    const s2 = 2;
    const theta = gaussianParameters([0, 0], [
      [s2, 0],
      [0, s2],
    ]);
    const field = new MneVectorField({ tf, network, sketch: denseSketch(numPoints, network.numParameters), equation: ouLogDensityEquation(), points });
    const state = field.initialState(theta, points, { logDensity: new Float64Array(numPoints) });
    const rate = await field.evaluate(0, state);
    const precisionRate = (-2 * (1 - s2)) / (s2 * s2);
    expect(rate.theta[3]).toBeCloseTo(precisionRate, 5);
    expect(rate.theta[5]).toBeCloseTo(precisionRate, 5);
    expect(rate.theta[4]).toBeCloseTo(0, 5);
    expect(rate.theta[1]).toBeCloseTo(0, 5);
    expect(rate.theta[0]).toBeCloseTo((-2 * (1 - s2)) / s2, 5);
    // Ẋ = −x − ∇ℓ = −x + x/s², and d/dt ℓ(x_t) = d + Δℓ = d − d/s².
    for (let i = 0; i < numPoints * d; i++) expect(rate.points![i]).toBeCloseTo(-(points[i] as number) * (1 - 1 / s2), 5);
    for (let i = 0; i < numPoints; i++) expect(rate.extra!.logDensity![i]).toBeCloseTo(d - d / s2, 5);
    expect(field.lastDiagnostics?.finite).toBe(true);
    expect(field.evaluations).toBe(1);
    field.dispose();
  });

  it("keeps fixed points (and the conditioning columns) out of the state, and never moves them", async () => {
    const network = registries.network.create("mlp", { inputDim: 1, conditionDim: 1, hiddenWidths: [4] });
    const equation = registries.equation.create("advection", { velocity: [1], movePoints: true });
    const points = Float64Array.from([0, 10, 1, 20, 2, 30]);
    const field = new MneVectorField({ tf, network, sketch: denseSketch(3, network.numParameters), equation, points });
    const state = field.initialState(network.initialParameters(RandomStream.fromSeed(1)), points);
    expect(Array.from(state.points!)).toEqual([0, 1, 2]);
    const rate = await field.evaluate(0, state);
    expect(Array.from(rate.points!)).toEqual([1, 1, 1]);
    expect(Array.from(field.pointsOf({ ...state, points: Float64Array.from([5, 6, 7]) }, points))).toEqual([5, 10, 6, 20, 7, 30]);
    field.dispose();

    const fixed = new MneVectorField({ tf, network, sketch: denseSketch(3, network.numParameters), equation: registries.equation.create("heat", {}), points });
    expect(fixed.movesPoints).toBe(false);
    expect(fixed.initialState(network.initialParameters(RandomStream.fromSeed(1)), points).points).toBeUndefined();
    fixed.dispose();
  });

  it("names an equation that returns the wrong shape, and one that forgets its extra rates", async () => {
    const network = quadraticNetwork(1);
    const points = Float64Array.from([0, 1, 2]);
    const column: EvolutionEquation = {
      name: "column",
      requirements: { gradient: false, laplacian: false },
      extraState: [],
      rhs: (input: EquationInput) => input.tf.reshape(input.value, [-1, 1]) as never,
    };
    const field = new MneVectorField({ tf, network, sketch: denseSketch(3, 3), equation: column, points });
    const before = tf.memory().numTensors;
    await expect(field.evaluate(0, field.initialState(new Float64Array(3), points))).rejects.toThrow(/"column" rhs returned shape \[3,1\]; expected \[3\]/);
    expect(tf.memory().numTensors).toBe(before);
    field.dispose();
    const forgetful: EvolutionEquation = { ...column, rhs: (input) => input.tf.clone(input.value), extraState: ["mass"] };
    expect(() => new MneVectorField({ tf, network, sketch: denseSketch(3, 3), equation: forgetful, points })).toThrow(/declares extra state \["mass"\] but no extraStateRates/);
  });
});
