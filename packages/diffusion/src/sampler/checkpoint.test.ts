/**
 * Resumable sampler runs: a run interrupted (by a throwing `save`, or by its AbortSignal) and
 * resumed from the decoded checkpoint bytes gives bitwise the same samples, log-weights, ESS and
 * log Ẑ as the uninterrupted run with the same seed — mid-forward, at the fit→forward boundary,
 * after the forward run and during the reverse flow. Corrupt files and other options are refused.
 * Also: the richer progress events, the recorded paths, and the recipe for drawing u_θ(t).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, RandomStream, expectNoTensorLeak, isMinevoError, registries, type Network } from "@minevo/core";
import { encodeCheckpointTree } from "@minevo/evolution";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import { tf } from "../test-support/tensorflow.js";
import "../index.js";
import { decodeCheckpoint, encodeCheckpoint, type OuSamplerCheckpoint } from "./checkpoint.js";
import { runOuSampler, type OuSamplerForwardProgress, type OuSamplerOptions, type OuSamplerResult } from "./ou-sampler.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** A small, quick run (~55 forward steps): the numbers need not be good, only reproducible. */
const base = {
  tf,
  target: "gmm2-reference",
  network: "mlp",
  networkOptions: { inputDim: 2, hiddenWidths: [12], activation: "tanh", inputLengthScale: 2, quadratic: { form: "symmetric", learnable: true, initial: 0 } },
  sketch: "gaussian",
  sketchOptions: { sketchSize: 30, regularisation: { kind: "relative-trace", epsilon: 1e-6 } },
  numPoints: 120,
  numExtraFitPoints: 120,
  fitIterations: 15,
  numSamples: 200,
  horizon: 4,
  seed: 3,
  recordPathSteps: 9,
} as const satisfies OuSamplerOptions<"mlp", "gaussian">;

/** Bitwise equality, entry by entry (Object.is: −0 ≠ 0). */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function expectSameRun(resumed: OuSamplerResult, reference: OuSamplerResult): void {
  expect(Object.is(resumed.logZ, reference.logZ)).toBe(true);
  expect(Object.is(resumed.ess, reference.ess)).toBe(true);
  expect(Object.is(resumed.logZForward, reference.logZForward)).toBe(true);
  expect(sameBits(resumed.samples, reference.samples)).toBe(true);
  expect(sameBits(resumed.logWeights, reference.logWeights)).toBe(true);
  expect(sameBits(resumed.resampled, reference.resampled)).toBe(true);
  expect(resumed.chain.indices).toEqual(reference.chain.indices);
  expect(resumed.forward).toEqual(reference.forward);
  expect(resumed.diagnostics).toEqual(reference.diagnostics);
  expect(sameBits(resumed.pointPaths.points, reference.pointPaths.points)).toBe(true);
  expect(sameBits(resumed.parameterPath.parameters, reference.parameterPath.parameters)).toBe(true);
  expect(sameBits(resumed.fit.parameters, reference.fit.parameters)).toBe(true);
}

async function rejection(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  throw new Error("expected the run to fail");
}

let reference: OuSamplerResult;
const forwardEvents: OuSamplerForwardProgress[] = [];

beforeAll(async () => {
  reference = await runOuSampler({ ...base, onProgress: (p) => p.stage === "forward" && forwardEvents.push(p) });
  expect(reference.forward.status).toBe("success");
  expect(reference.forward.acceptedSteps).toBeGreaterThan(30);
}, 300_000);

describe("runOuSampler observability", () => {
  it("reports every forward step with its diagnostics and a copy of X(t)", () => {
    expect(forwardEvents.length).toBe(reference.forward.acceptedSteps);
    forwardEvents.forEach((e, i) => {
      expect(e.acceptedSteps).toBe(i + 1);
      expect(e.points.length).toBe(base.numPoints * 2);
      expect(Number.isFinite(e.effectiveRank) && e.effectiveRank > 0 && e.effectiveRank <= 30).toBe(true);
      expect(e.maxAbsRhs).toBeGreaterThan(0);
      expect(e.thetaDotNorm).toBeGreaterThan(0);
      expect(e.maxAbsPoint).toBe(e.points.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
    });
    expect(forwardEvents.at(-1)!.t).toBe(base.horizon);
    expect(forwardEvents.at(-1)!.rejectedSteps).toBe(reference.forward.rejectedSteps);
    // Each event has its own copy: X(t) moves along the probability flow, and the early copies
    // were not overwritten by later steps.
    expect(sameBits(forwardEvents.at(-1)!.points, forwardEvents[0]!.points)).toBe(false);
    expect(sameBits(forwardEvents[0]!.points, reference.collocationPoints)).toBe(false);
    const step = (a: Float64Array, b: Float64Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));
    // The first step is short: X moved a little from X(0), much less than over the whole run.
    expect(step(forwardEvents[0]!.points, reference.collocationPoints)).toBeLessThan(step(forwardEvents.at(-1)!.points, reference.collocationPoints));
    expect(reference.diagnostics.forwardSteps.map((s) => s.t)).toEqual(forwardEvents.map((e) => e.t));
    expect(reference.diagnostics.samplerSteps).toHaveLength(reference.sampler.acceptedSteps);
    expect(reference.diagnostics.samplerSteps.at(-1)!.t).toBe(0);
  });

  it("records the point and parameter paths at evenly spaced times", () => {
    const { times, points } = reference.pointPaths;
    expect(Array.from(times)).toEqual(Array.from({ length: 9 }, (_, k) => (k === 8 ? 4 : (k * 4) / 8)));
    expect(points.length).toBe(9 * base.numPoints * 2);
    expect(sameBits(points.subarray(0, base.numPoints * 2), reference.collocationPoints)).toBe(true);
    const p = reference.fit.parameters.length;
    expect(reference.parameterPath.parameters.length).toBe(9 * p);
    expect(sameBits(reference.parameterPath.parameters.subarray(0, p), reference.fit.parameters)).toBe(true);
    // The last recorded X(T) is the forward event's X(T).
    expect(sameBits(points.subarray(8 * base.numPoints * 2), forwardEvents.at(-1)!.points)).toBe(true);
  });

  it("lets a caller evaluate u_θ(t) from the result alone: the rebuilt network at θ(T) reproduces logZForward", async () => {
    const network = registries.network.create(reference.network.name as "mlp", reference.network.options as never) as Network;
    const p = network.numParameters;
    const thetaT = reference.parameterPath.parameters.slice(8 * p, 9 * p);
    const probe = RandomStream.fromSeed(base.seed).derive("log-z-probe").normals(2000 * 2);
    const x = tf.tensor2d(Float32Array.from(probe), [2000, 2]);
    const evaluation = network.evaluate(tf, thetaT, x, { value: true });
    const values = await evaluation.value!.data();
    evaluation.dispose();
    x.dispose();
    let logZ = 0;
    for (let j = 0; j < 2000; j++) logZ += ((values[j] as number) + 0.5 * (probe[2 * j]! ** 2 + probe[2 * j + 1]! ** 2) + Math.log(2 * Math.PI)) / 2000;
    expect(Math.abs(logZ - reference.logZForward)).toBeLessThan(1e-9);
  });
});

describe("runOuSampler checkpoints", () => {
  it("interrupted mid-forward by a failing save, resumed from the bytes: bitwise the same run, no tensor left", { timeout: 120_000 }, async () => {
    let bytes: Uint8Array | undefined;
    const phases: string[] = [];
    await expectNoTensorLeak(tf, "interrupted and resumed", async () => {
      const error = await rejection(
        runOuSampler({
          ...base,
          checkpoint: {
            everySteps: 6,
            save: (c) => {
              phases.push(c.phase);
              if (c.phase === "forward" && c.forward!.stepper.stats.acceptedSteps === 18) {
                bytes = encodeCheckpoint(c);
                throw new Error("disk full");
              }
            },
          },
        }),
      );
      expect((error as Error).message).toBe("disk full");
      expect(phases).toEqual(["fit-complete", "forward", "forward", "forward"]);
      const checkpoint = decodeCheckpoint(bytes!);
      expect(checkpoint.phase).toBe("forward");
      expect(checkpoint.forward!.segments).toHaveLength(18);
      expect(checkpoint.forwardSteps).toHaveLength(18);
      // The resume continues (it does not recompute): no fit, forward steps from the 19th on.
      const events: { stage: string; acceptedSteps?: number }[] = [];
      const resumed = await runOuSampler({ ...base, resume: checkpoint, onProgress: (p) => events.push(p) });
      expectSameRun(resumed, reference);
      expect(events.some((e) => e.stage === "fit")).toBe(false);
      const forward = events.filter((e) => e.stage === "forward");
      expect(forward.length).toBe(reference.forward.acceptedSteps - 18);
      expect(forward[0]!.acceptedSteps).toBe(19);
    });
  });

  it("aborted by its signal: finishes the step, saves it, throws Aborted; the resume is bitwise the same", { timeout: 120_000 }, async () => {
    const controller = new AbortController();
    const saved: OuSamplerCheckpoint[] = [];
    const error = await expectNoTensorLeak(tf, "an abort in the forward run", () =>
      rejection(
        runOuSampler({
          ...base,
          checkpoint: { everySteps: 1000, save: (c) => void saved.push(decodeCheckpoint(encodeCheckpoint(c))) },
          signal: controller.signal,
          onProgress: (p) => {
            if (p.stage === "forward" && p.acceptedSteps === 11) controller.abort();
          },
        }),
      ),
    );
    expect(isMinevoError(error, ErrorCode.Aborted)).toBe(true);
    expect((error as Error).message).toMatch(/aborted in the forward evolution at t = .* \(after 11 accepted steps\).*pass it as `resume`/);
    expect(saved.map((c) => c.phase)).toEqual(["fit-complete", "forward"]);
    expect(saved[1]!.forward!.stepper.stats.acceptedSteps).toBe(11);
    expectSameRun(await runOuSampler({ ...base, resume: saved[1]! }), reference);
  });

  it("resumes at the phase boundaries: after the fit, after the forward run, and from an abort in the reverse flow", { timeout: 120_000 }, async () => {
    let afterFit: Uint8Array | undefined;
    await rejection(
      runOuSampler({
        ...base,
        checkpoint: {
          everySteps: 1000,
          save: (c) => {
            afterFit = encodeCheckpoint(c);
            throw new Error("stop after the fit");
          },
        },
      }),
    );
    const fitCheckpoint = decodeCheckpoint(afterFit!);
    expect(fitCheckpoint.phase).toBe("fit-complete");
    expect(fitCheckpoint.forward).toBeNull();

    // Resume from the fit; abort in the reverse flow, which re-saves the forward-complete checkpoint.
    const controller = new AbortController();
    const saved: Uint8Array[] = [];
    const error = await rejection(
      runOuSampler({
        ...base,
        resume: fitCheckpoint,
        checkpoint: { everySteps: 1000, save: (c) => void saved.push(encodeCheckpoint(c)) },
        signal: controller.signal,
        onProgress: (p) => {
          if (p.stage === "sample" && p.acceptedSteps === 3) controller.abort();
        },
      }),
    );
    expect(isMinevoError(error, ErrorCode.Aborted)).toBe(true);
    expect((error as Error).message).toMatch(/in the reverse flow/);
    expect(saved.map((b) => decodeCheckpoint(b).phase)).toEqual(["forward-complete", "forward-complete"]);
    const forwardComplete = decodeCheckpoint(saved[1]!);
    expect(forwardComplete.forward!.stepper.status).toBe("success");
    const stages = new Set<string>();
    expectSameRun(await runOuSampler({ ...base, resume: forwardComplete, onProgress: (p) => stages.add(p.stage) }), reference);
    // From the completed forward run: only the reverse flow and the weights are computed.
    expect([...stages].sort()).toEqual(["sample", "weights"]);

    // A defensive latent law acts after the forward run: the same checkpoint resumes with it (it is
    // not in the settings), the forward run is the same, the draws and their densities are new.
    const defended = await runOuSampler({ ...base, resume: forwardComplete, defensiveLatent: { scale: 1.5, weight: 0.25 } });
    expect(defended.defensiveLatent).toEqual({ scale: 1.5, weight: 0.25 });
    expect(defended.forward).toEqual(reference.forward);
    expect(defended.diagnostics.forwardSteps).toEqual(reference.diagnostics.forwardSteps);
    expect(sameBits(defended.samples, reference.samples)).toBe(false);
  });

  it("an abort during the fit throws Aborted and saves nothing", async () => {
    const controller = new AbortController();
    const saved: unknown[] = [];
    const error = await expectNoTensorLeak(tf, "an abort in the fit", () =>
      rejection(
        runOuSampler({
          ...base,
          checkpoint: { everySteps: 5, save: (c) => void saved.push(c) },
          signal: controller.signal,
          onProgress: (p) => {
            if (p.stage === "fit" && p.iteration === 2) controller.abort();
          },
        }),
      ),
    );
    expect(isMinevoError(error, ErrorCode.Aborted)).toBe(true);
    expect((error as Error).message).toMatch(/during the initial fit, after LM iteration 2.*no checkpoint was saved/);
    expect(saved).toHaveLength(0);
  });
});

describe("checkpoint files", () => {
  let bytes: Uint8Array;
  beforeAll(async () => {
    await rejection(
      runOuSampler({
        ...base,
        checkpoint: {
          everySteps: 1000,
          save: (c) => {
            bytes = encodeCheckpoint(c);
            throw new Error("stop");
          },
        },
      }),
    );
  }, 300_000);

  function corruptError(input: Uint8Array): MinevoErrorLike {
    try {
      decodeCheckpoint(input);
    } catch (error) {
      expect(isMinevoError(error, ErrorCode.CorruptCheckpoint)).toBe(true);
      return error as MinevoErrorLike;
    }
    throw new Error("expected decodeCheckpoint to throw");
  }
  type MinevoErrorLike = Error & { code: string };

  it("round-trips bit for bit", () => {
    const decoded = decodeCheckpoint(bytes);
    expect(sameBits(encodeCheckpoint(decoded), bytes)).toBe(true);
  });

  it("refuses a truncated, modified, padded, foreign or future-version file, saying which", () => {
    expect(corruptError(bytes.subarray(0, bytes.length - 9)).message).toMatch(/truncated: \d+ bytes of the \d+ its header announces/);
    expect(corruptError(bytes.subarray(0, 10)).message).toMatch(/truncated/);
    const flipped = Uint8Array.from(bytes);
    flipped[Math.floor(bytes.length * 0.8)]! ^= 0x10;
    expect(corruptError(flipped).message).toMatch(/checksum does not match.*modified/);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes);
    expect(corruptError(padded).message).toMatch(/3 bytes after its end/);
    expect(corruptError(new TextEncoder().encode('{"phase":"forward","this":"is JSON, not a checkpoint"}')).message).toMatch(/not a minevo checkpoint: it starts with .*phase.*, not "MINEVOCP"/);
    const future = Uint8Array.from(bytes);
    future[8] = 2;
    expect(corruptError(future).message).toMatch(/format version 2 is not supported/);
    expect(corruptError(encodeCheckpointTree("minevo/evolution-checkpoint", { version: 1 })).message).toMatch(/"minevo\/evolution-checkpoint" checkpoint, not a "minevo\/ou-sampler-checkpoint" one/);
    // Well-formed bytes around a malformed checkpoint.
    const decoded = decodeCheckpoint(bytes);
    expect(corruptError(encodeCheckpointTree("minevo/ou-sampler-checkpoint", { ...decoded, phase: "halfway" })).message).toMatch(/phase is "halfway"/);
  });

  it("refuses to resume with options that change the numbers, naming them", async () => {
    const checkpoint = decodeCheckpoint(bytes);
    const error = await rejection(runOuSampler({ ...base, numSamples: 201, seed: 4, resume: checkpoint }));
    expect(isMinevoError(error, ErrorCode.InvalidOptions)).toBe(true);
    expect((error as Error).message).toMatch(/numSamples \(checkpoint 200, now 201\); seed \(checkpoint 3, now 4\): resume with the options of the interrupted run/);
    // Options that do not change the numbers (how many path times are recorded) may differ.
    const resumed = await runOuSampler({ ...base, recordPathSteps: 2, resume: checkpoint });
    expect(Object.is(resumed.logZ, reference.logZ)).toBe(true);
    expect(resumed.pointPaths.times).toHaveLength(2);
  }, 300_000);
});
