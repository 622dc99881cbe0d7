import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@minevo/diffusion";
import "@minevo/networks";
import { RandomStream, registries, type Network } from "@minevo/core";
import { beforeAll, describe, expect, it } from "vitest";
import { gridPoints, learnedLogDensityGrids, targetLogDensityGrid } from "./density-grid.js";
import { targetPresets } from "./presets.js";
import { createTarget } from "./targets.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const view = { xMin: -3, xMax: 5, yMin: -5, yMax: 3 };

describe("density grids", () => {
  it("puts the grid's values at cell centres, rows rising in y", () => {
    const grid = gridPoints({ xMin: 0, xMax: 4, yMin: -2, yMax: 2 }, 2);
    expect(Array.from(grid)).toEqual([1, -1, 3, -1, 1, 1, 3, 1]);
  });

  it("draws the target's log-density, shifted to peak 0, matching the exact Gaussian", async () => {
    const target = createTarget({ kind: "preset", id: "gaussian-correlated" });
    const resolution = 21;
    const grid = await targetLogDensityGrid(tf, target, view, resolution);
    const points = gridPoints(view, resolution);
    // N((1, −1), [[1, .8], [.8, 1]]): the quadratic form with the inverse covariance /(1 − .64).
    const exact = Array.from({ length: resolution * resolution }, (_, k) => {
      const u = (points[2 * k] as number) - 1;
      const v = (points[2 * k + 1] as number) + 1;
      return -(u * u - 1.6 * u * v + v * v) / (2 * 0.36);
    });
    const peak = Math.max(...exact);
    expect(Math.max(...grid.values)).toBe(0);
    exact.forEach((e, k) => expect(Math.abs((grid.values[k] as number) - (e - peak)), `cell ${k}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(e))));
  });

  it("evaluates u_θ(t) from the recorded parameter path, removing |x|²/2 in the log-ratio form", async () => {
    const options = { inputDim: 2, hiddenWidths: [8], activation: "tanh" as const };
    const network = registries.network.configure("mlp", options).create() as Network;
    const random = RandomStream.fromSeed(3);
    const thetas = [network.initialParameters(random.derive("a")), network.initialParameters(random.derive("b"))];
    const parameters = new Float64Array(2 * network.numParameters);
    thetas.forEach((theta, k) => parameters.set(theta, k * network.numParameters));
    const path = { network: { name: "mlp", options }, parameterPath: { times: Float64Array.from([0, 1]), parameters } };
    const resolution = 9;
    const points = gridPoints(view, resolution);
    const x = tf.tensor2d(points, [resolution * resolution, 2]);
    const before = tf.memory().numTensors;
    const density = await learnedLogDensityGrids(tf, { ...path, form: "log-density" }, view, resolution);
    const ratio = await learnedLogDensityGrids(tf, { ...path, form: "log-ratio" }, view, resolution);
    expect(tf.memory().numTensors).toBe(before);
    expect(density).toHaveLength(2);
    thetas.forEach((theta, k) => {
      const evaluation = network.evaluate(tf, theta, x, { value: true });
      const u = Array.from(evaluation.value!.dataSync());
      evaluation.dispose();
      const shifted = (values: number[]) => values.map((v) => v - Math.max(...values));
      const logDensity = shifted(u);
      const logRatio = shifted(u.map((v, m) => v - 0.5 * ((points[2 * m] as number) ** 2 + (points[2 * m + 1] as number) ** 2)));
      logDensity.forEach((want, m) => expect(density[k]!.values[m]).toBeCloseTo(want, 5));
      logRatio.forEach((want, m) => expect(ratio[k]!.values[m]).toBeCloseTo(want, 5));
    });
    x.dispose();
  });

  it("makes a 2-D target of every preset", () => {
    for (const preset of targetPresets) {
      const target = createTarget({ kind: "preset", id: preset.id });
      expect(target.dim, preset.id).toBe(2);
    }
  });
});
