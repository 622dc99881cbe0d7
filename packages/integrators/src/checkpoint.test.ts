/**
 * Snapshots and resumption: a stepper restored from a snapshot, and a solve resumed from a
 * checkpoint, continue with bitwise the same steps, states and dense output as the uninterrupted
 * run; a signal stops a solve after the current step with a checkpoint; mismatched snapshots are
 * refused.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, isMinevoError, type IntegrationProblem, type SolveSnapshot, type StepperSnapshot } from "@minevo/core";
import { asResumable, bosh3, dop853, dopri5, rk4, saveAt, saveDense, saveSteps, tsit5 } from "./index.js";
import { arenstorf, dampedRotation } from "./test-support/problems.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const orbit: IntegrationProblem<Float64Array> = { rhs: arenstorf.rhs, t0: 0, t1: arenstorf.period / 2, y0: arenstorf.y0 };

const methods = [
  ["dopri5", dopri5.with({ rtol: 1e-8, atol: 1e-8 })],
  ["tsit5", tsit5.with({ rtol: 1e-8, atol: 1e-8 })],
  ["bosh3", bosh3.with({ rtol: 1e-6, atol: 1e-6 })],
  ["dop853", dop853.with({ rtol: 1e-9, atol: 1e-9, controller: { kind: "pi", beta1: 0.7, beta2: -0.4 } })],
  ["rk4", rk4.with({ steps: 400 })],
] as const;

/** Bitwise equality of two float64 vectors (Object.is per entry: −0 ≠ 0, NaN = NaN). */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe("stepper snapshots", () => {
  for (const [name, configured] of methods) {
    it(`${name}: a stepper restored mid-run continues with bitwise the same steps`, async () => {
      const integrator = asResumable(configured.create());
      const reference = integrator.createStepper(orbit);
      await reference.init();
      const ts: number[] = [];
      const ys: Float64Array[] = [];
      while (!reference.done) {
        await reference.step();
        ts.push(reference.t);
        ys.push(reference.state());
      }
      expect(reference.status).toBe("success");
      expect(ts.length).toBeGreaterThan(30);

      const k = Math.floor(ts.length / 3);
      const first = integrator.createStepper(orbit);
      await first.init();
      for (let i = 0; i < k; i++) await first.step();
      const snapshot: StepperSnapshot<Float64Array> = first.snapshot();
      // The snapshot is a copy: stepping on and disposing the original leaves it intact.
      const yAtSnapshot = Float64Array.from(snapshot.y);
      await first.step();
      first.dispose();
      expect(sameBits(snapshot.y, yAtSnapshot)).toBe(true);

      // Through structured cloning (what a worker or a file round trip does to plain data).
      const restored = integrator.restoreStepper(orbit, structuredClone(snapshot));
      expect(restored.t).toBe(ts[k - 1]);
      await restored.init();
      for (let i = k; i < ts.length; i++) {
        await restored.step();
        expect(restored.t).toBe(ts[i]);
        expect(sameBits(restored.state(), ys[i] as Float64Array)).toBe(true);
      }
      expect(restored.done).toBe(true);
      expect(restored.stats).toEqual(reference.stats);
      reference.dispose();
      restored.dispose();
    });
  }

  it("refuses a snapshot of another method or interval, or a malformed one", async () => {
    const stepper = asResumable(dopri5.with({}).create()).createStepper(orbit);
    await stepper.init();
    await stepper.step();
    const snapshot = stepper.snapshot();
    const other = asResumable(tsit5.with({}).create());
    expect(() => other.restoreStepper(orbit, snapshot)).toThrow(/method "dopri5"; it cannot continue with "tsit5"/);
    const dopri = asResumable(dopri5.with({}).create());
    expect(() => dopri.restoreStepper({ ...orbit, t1: 1 }, snapshot)).toThrow(/resume with the same t0 and t1/);
    const broken = { ...snapshot, h: Number.NaN };
    try {
      dopri.restoreStepper(orbit, broken);
      expect.unreachable();
    } catch (error) {
      expect(isMinevoError(error, ErrorCode.InvalidState)).toBe(true);
      expect((error as Error).message).toMatch(/malformed stepper snapshot/);
    }
    stepper.dispose();
  });
});

describe("resumable solves", () => {
  const integrator = asResumable(dopri5.with({ rtol: 1e-8, atol: 1e-8 }).create());

  /** Runs the solve, throwing out of `save` at the `stopAt`-th checkpoint; returns that snapshot. */
  async function interrupted(options: Parameters<typeof integrator.solve<Float64Array>>[1], everySteps: number, stopAt: number): Promise<SolveSnapshot<Float64Array>> {
    let count = 0;
    let kept: SolveSnapshot<Float64Array> | undefined;
    await expect(
      integrator.solve(orbit, {
        ...options,
        checkpoint: {
          everySteps,
          save: (snapshot) => {
            if (++count === stopAt) {
              kept = structuredClone(snapshot);
              throw new Error("interrupted");
            }
          },
        },
      }),
    ).rejects.toThrow("interrupted");
    expect(kept).toBeDefined();
    return kept as SolveSnapshot<Float64Array>;
  }

  it("a dense-output solve resumed from a checkpoint gives bitwise the same steps and dense output", async () => {
    const reference = await integrator.solve(orbit, { save: saveDense() });
    const snapshot = await interrupted({ save: saveDense() }, 7, 3);
    expect(snapshot.stepper.stats.acceptedSteps).toBe(21);
    expect(snapshot.segments).toHaveLength(21);
    const resumed = await integrator.solve(orbit, { save: saveDense(), resume: snapshot });
    expect(resumed.ts).toEqual(reference.ts);
    expect(resumed.stats).toEqual(reference.stats);
    expect(sameBits(resumed.y, reference.y)).toBe(true);
    // Inside restored segments and inside segments computed after the resume.
    for (let i = 0; i <= 200; i++) {
      const t = (i / 200) * orbit.t1;
      expect(sameBits(resumed.interpolate!(t), reference.interpolate!(t))).toBe(true);
    }
    reference.dispose();
    resumed.dispose();
  });

  it("resumes the steps and times save policies too", async () => {
    const times = Array.from({ length: 31 }, (_, i) => (i / 30) * orbit.t1);
    for (const save of [saveSteps(), saveAt(times)]) {
      const reference = await integrator.solve(orbit, { save });
      const snapshot = await interrupted({ save }, 5, 4);
      const resumed = await integrator.solve(orbit, { save, resume: snapshot });
      expect(resumed.ts).toEqual(reference.ts);
      expect(resumed.ys.length).toBe(reference.ys.length);
      resumed.ys.forEach((y, i) => expect(sameBits(y, reference.ys[i] as Float64Array)).toBe(true));
      // A snapshot of one policy does not resume another.
      await expect(integrator.solve(orbit, { save: saveDense(), resume: snapshot })).rejects.toThrow(/resume with the same policy/);
    }
  });

  it("stops on its signal after the current step, with a checkpoint of that step, and a finished snapshot resumes at once", async () => {
    const reference = await integrator.solve(orbit, { save: saveDense() });
    const controller = new AbortController();
    const saved: SolveSnapshot<Float64Array>[] = [];
    let caught: unknown;
    try {
      await integrator.solve(orbit, {
        save: saveDense(),
        onStep: (report) => {
          if (report.t > orbit.t1 / 2 && !controller.signal.aborted) controller.abort();
        },
        checkpoint: { everySteps: 1000, save: (s) => void saved.push(s) },
        signal: controller.signal,
      });
    } catch (error) {
      caught = error;
    }
    expect(isMinevoError(caught, ErrorCode.Aborted)).toBe(true);
    expect(saved).toHaveLength(1);
    const stoppedAt = saved[0]!.stepper.t;
    expect(stoppedAt).toBeGreaterThan(orbit.t1 / 2);
    // Exactly one step past the half-way point.
    expect(reference.ts.filter((t) => t > orbit.t1 / 2)[0]).toBe(stoppedAt);
    const finished: SolveSnapshot<Float64Array>[] = [];
    const resumed = await integrator.solve(orbit, { save: saveDense(), resume: saved[0]!, checkpoint: { everySteps: 1000, atEnd: true, save: (s) => void finished.push(s) } });
    expect(sameBits(resumed.y, reference.y)).toBe(true);
    expect(finished).toHaveLength(1);
    expect(finished[0]!.stepper.status).toBe("success");
    const again = await integrator.solve(orbit, { save: saveDense(), resume: finished[0]! });
    expect(again.stats).toEqual(reference.stats);
    expect(sameBits(again.interpolate!(1.2345), reference.interpolate!(1.2345))).toBe(true);
    for (const r of [reference, resumed, again]) r.dispose();
  });

  it("refuses a bad everySteps", async () => {
    await expect(integrator.solve(orbit, { checkpoint: { everySteps: 0, save: () => undefined } })).rejects.toSatisfy(
      (error: unknown) => isMinevoError(error, ErrorCode.InvalidOptions) && /everySteps must be a whole number ≥ 1, got 0/.test((error as Error).message),
    );
  });

  it("tensor states: a resumed solve matches and leaves no tensor behind", async () => {
    const rotation = (t: number, y: tf.Tensor): tf.Tensor => tf.tidy(() => tf.add(tf.mul(y, -t / 4), tf.mul(tf.reverse(y), tf.tensor1d([-1, 1]))));
    const before = tf.memory().numTensors;
    const y0 = tf.tensor1d(Array.from(dampedRotation.y0));
    const problem = { rhs: rotation, t0: 0, t1: 3, y0 };
    const reference = await integrator.solve(problem);
    let kept: SolveSnapshot<tf.Tensor> | undefined;
    await expect(
      integrator.solve(problem, {
        checkpoint: {
          everySteps: 4,
          save: (s) => {
            kept = s;
            throw new Error("stop");
          },
        },
      }),
    ).rejects.toThrow("stop");
    const snapshot = kept as SolveSnapshot<tf.Tensor>;
    const resumed = await integrator.solve(problem, { resume: snapshot });
    expect(Array.from(await resumed.y.data())).toEqual(Array.from(await reference.y.data()));
    expect(resumed.stats).toEqual(reference.stats);
    // The snapshot's tensors belong to the caller.
    tf.dispose([snapshot.stepper.y, snapshot.stepper.derivative as tf.Tensor]);
    reference.dispose();
    resumed.dispose();
    y0.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
