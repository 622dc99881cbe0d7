/**
 * Every kind of state: Float64Array, a tensor, and a record mixing both (MNE's
 * { theta, points, logDensity }); async right-hand sides; and no tensor leaks.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { registries } from "@minevo/core";
import "./index.js";
import { createIntegrator } from "./integrator.js";
import { adaptiveController } from "./controller.js";
import { dopri5Method } from "./methods/dopri5.js";
import { saveAt, saveDense, saveSteps } from "./save.js";
import { dampedRotation, maxAbsDifference } from "./test-support/problems.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

/** The damped rotation of test-support/problems.ts on a tensor of shape [2]. */
function tensorRotation(t: number, y: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(tf.mul(y, -t / 4), tf.mul(tf.reverse(y), tf.tensor1d([-1, 1]))));
}

async function values(tensor: tf.Tensor): Promise<Float64Array> {
  return Float64Array.from(await tensor.data());
}

describe("tensor states", () => {
  it("solves the damped rotation to float32 accuracy, async and sync", async () => {
    const y0 = tf.tensor1d([1, 0]);
    const integrator = registries.integrator.create("dopri5", { rtol: 1e-5, atol: 1e-6 });
    const result = await integrator.solve({ rhs: tensorRotation, t0: 0, t1: 2, y0 });
    expect(result.status).toBe("success");
    expect(maxAbsDifference(await values(result.y), dampedRotation.exact(2))).toBeLessThan(1e-4);
    const syncResult = integrator.solveSync({ rhs: tensorRotation, t0: 0, t1: 2, y0 });
    expect(maxAbsDifference(await values(syncResult.y), await values(result.y))).toBeLessThan(1e-6);
    expect(syncResult.stats).toEqual(result.stats);
    result.dispose();
    syncResult.dispose();
    expect(y0.isDisposed).toBe(false);
    y0.dispose();
  });

  it("holds the same number of live tensors after 1000 steps as after 10", async () => {
    const y0 = tf.tensor1d([1, 0]);
    const integrator = registries.integrator.create("dopri5", { rtol: 1e-5, atol: 1e-6, dtmax: 1e-3 });
    const before = tf.memory().numTensors;
    const stepper = integrator.createStepper({ rhs: tensorRotation, t0: 0, t1: 2, y0 });
    await stepper.init();
    for (let i = 0; i < 10; i++) await stepper.step();
    const after10 = tf.memory().numTensors;
    for (let i = 10; i < 1000; i++) await stepper.step();
    expect(stepper.stats.acceptedSteps).toBe(1000);
    expect(tf.memory().numTensors).toBe(after10);
    const snapshot = stepper.state();
    stepper.dispose();
    snapshot.dispose();
    expect(tf.memory().numTensors).toBe(before);
    y0.dispose();
  });

  it("releases every tensor of a result under each save policy", async () => {
    const y0 = tf.tensor1d([1, 0]);
    const integrator = registries.integrator.create("dop853", { rtol: 1e-5, atol: 1e-6 });
    const before = tf.memory().numTensors;
    for (const save of [saveSteps(), saveAt([0, 0.5, 1, 2]), saveDense()]) {
      const result = await integrator.solve({ rhs: tensorRotation, t0: 0, t1: 2, y0 }, { save });
      expect(result.status).toBe("success");
      if (save.kind === "times") {
        for (const [i, t] of result.ts.entries()) {
          expect(maxAbsDifference(await values(result.ys[i] as tf.Tensor), dampedRotation.exact(t))).toBeLessThan(1e-4);
        }
      }
      if (save.kind === "dense") {
        const mid = (result.interpolate as (t: number) => tf.Tensor)(1.234);
        expect(maxAbsDifference(await values(mid), dampedRotation.exact(1.234))).toBeLessThan(1e-4);
        mid.dispose();
      }
      result.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    y0.dispose();
  });

  it("gives per-component tolerances as a tensor of the state's shape", async () => {
    const y0 = tf.tensor1d([1, 0]);
    const loose = createIntegrator({ method: dopri5Method, controller: adaptiveController({ rtol: 0, atol: [1e-3, 1e-3] }) });
    const tight = createIntegrator({ method: dopri5Method, controller: adaptiveController({ rtol: 0, atol: [1e-3, 1e-7] }) });
    const a = await loose.solve({ rhs: tensorRotation, t0: 0, t1: 2, y0 });
    const b = await tight.solve({ rhs: tensorRotation, t0: 0, t1: 2, y0 });
    expect(b.stats.acceptedSteps).toBeGreaterThan(a.stats.acceptedSteps);
    a.dispose();
    b.dispose();
    y0.dispose();
  });
});

describe("structured states", () => {
  type MneState = { theta: Float64Array; points: tf.Tensor; logDensity: tf.Tensor };
  const d = 2;
  // θ' = −θ; points follow the OU probability flow x' = −x (D = 0 part), and the log-density
  // along the flow changes by −∇·v = d. Exact: θ e^{−t}, x e^{−t}, ℓ + d t.
  const rhs = async (_t: number, y: MneState): Promise<MneState> => {
    await Promise.resolve();
    return {
      theta: Float64Array.from(y.theta, (v) => -v),
      points: tf.neg(y.points),
      logDensity: tf.tidy(() => tf.fill(y.logDensity.shape, d)),
    };
  };

  it("integrates { theta, points, logDensity } with one RMS norm over all components", async () => {
    const y0: MneState = {
      theta: Float64Array.of(1, -2, 3),
      points: tf.tensor2d([
        [0.5, 1],
        [-1, 2],
        [3, -0.25],
      ]),
      logDensity: tf.tensor1d([-1, -2, -3]),
    };
    const before = tf.memory().numTensors;
    const integrator = registries.integrator.create("tsit5", {
      rtol: 1e-6,
      atol: { theta: 1e-9, points: 1e-6, logDensity: 1e-6 },
    });
    const result = await integrator.solve({ rhs, t0: 0, t1: 1.5, y0 }, { save: saveAt([0.5, 1.5]) });
    expect(result.status).toBe("success");
    const decay = Math.exp(-1.5);
    expect(maxAbsDifference(result.y.theta, [decay, -2 * decay, 3 * decay])).toBeLessThan(1e-7);
    expect(maxAbsDifference(await values(result.y.points), [0.5, 1, -1, 2, 3, -0.25].map((v) => v * decay))).toBeLessThan(1e-5);
    expect(maxAbsDifference(await values(result.y.logDensity), [-1 + 3, -2 + 3, -3 + 3])).toBeLessThan(1e-5);
    const half = result.ys[0] as MneState;
    expect(maxAbsDifference(half.theta, [1, -2, 3].map((v) => v * Math.exp(-0.5)))).toBeLessThan(1e-7);
    result.dispose();
    expect(tf.memory().numTensors).toBe(before);
    for (const t of [y0.points, y0.logDensity]) expect(t.isDisposed).toBe(false);
    y0.points.dispose();
    y0.logDensity.dispose();
  });

  it("rejects a right-hand side whose record lacks a key", async () => {
    const y0 = { theta: Float64Array.of(1), points: tf.tensor2d([[1, 2]]) };
    const integrator = registries.integrator.create("dopri5", {});
    const bad = (): typeof y0 => ({ theta: Float64Array.of(0) }) as unknown as typeof y0;
    await expect(integrator.solve({ rhs: bad, t0: 0, t1: 1, y0 })).rejects.toMatchObject({ code: "MINEVO_DIMENSION_MISMATCH" });
    y0.points.dispose();
  });
});

describe("Float64Array states with an async right-hand side", () => {
  it("gives the same steps and values as the sync path", async () => {
    const integrator = registries.integrator.create("dopri5", { rtol: 1e-9, atol: 1e-12 });
    const problem = { rhs: dampedRotation.rhs, t0: 0, t1: 2, y0: dampedRotation.y0 };
    const sync = integrator.solveSync(problem);
    const asyncResult = await integrator.solve({ ...problem, rhs: async (t: number, y: Float64Array) => dampedRotation.rhs(t, y) });
    expect(asyncResult.stats).toEqual(sync.stats);
    expect(Array.from(asyncResult.y)).toEqual(Array.from(sync.y));
    expect(maxAbsDifference(sync.y, dampedRotation.exact(2))).toBeLessThan(1e-8);
  });

  it("refuses an async right-hand side in solveSync with an explanation", () => {
    const integrator = registries.integrator.create("dopri5", {});
    expect(() => integrator.solveSync({ rhs: async (t: number, y: Float64Array) => dampedRotation.rhs(t, y), t0: 0, t1: 1, y0: dampedRotation.y0 })).toThrow(/Promise/);
  });
});
