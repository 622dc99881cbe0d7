/**
 * The refinement pass (issue 5.4): given collocation points are used as they are, and a second
 * pass on the first pass's resampled draws (mixed with broad points) lifts a weak first pass.
 *
 * The weak first pass: collocation points from N(0, 1²I) and fit points from N(0, 1.5²I) on the
 * reference mixture, whose right mode sits at (2, 1) with the left at (−2, 0) — the points barely
 * reach the modes, so the fitted u_θ(0) is wrong where π has its mass and ESS/M is ~0.01. The
 * first pass's draws, weighted poorly as they are, still land on the modes; collocating there
 * gives the second pass what the first lacked.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, isMinevoError, type MinevoError } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import { tf } from "../test-support/tensorflow.js";
import "../index.js";
import { refineOuSampler, runOuSampler, type OuSamplerOptions } from "./ou-sampler.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const weak = {
  tf,
  target: "gmm2-reference",
  network: "mlp",
  networkOptions: { inputDim: 2, hiddenWidths: [16], activation: "tanh", inputLengthScale: 2, quadratic: { form: "symmetric", learnable: true, initial: 0 } },
  sketch: "gaussian",
  sketchOptions: { sketchSize: 40, regularisation: { kind: "relative-trace", epsilon: 1e-6 } },
  numPoints: 80,
  numExtraFitPoints: 80,
  pointScale: 1,
  fitPointScale: 1.5,
  fitIterations: 20,
  numSamples: 300,
  horizon: 4,
  seed: 1,
  recordPathSteps: 0,
} as const satisfies OuSamplerOptions<"mlp", "gaussian">;

async function rejection(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  throw new Error("expected the run to fail");
}

describe("refineOuSampler", () => {
  it("lifts a weak first pass: ESS/M from below 0.3 to above 0.9, with log Ẑ near log Z = 0", { timeout: 180_000 }, async () => {
    // The weak pass's terminal model is far from N(0, I) (terminal spread 1.24: its fit is poor
    // where π has mass), above a strict terminal check but under the default bound of 10.
    await expect(runOuSampler({ ...weak, numSamples: 10, maxTerminalSpread: 1 })).rejects.toSatisfy(
      (e: unknown) => isMinevoError(e, ErrorCode.ModelBlowUp) && ((e as MinevoError).details.spread as number) > 1 && /maxTerminalSpread = 1;/.test((e as Error).message),
    );
    // Its reverse flow throws most draws far out, where the model's ℓ_θ(0) and the flow's log q₀
    // disagree by 10⁴ and more: the default refuses it as a blow-up ...
    await expect(runOuSampler(weak)).rejects.toSatisfy(
      (e: unknown) => isMinevoError(e, ErrorCode.ModelBlowUp) && ((e as MinevoError).details.rms as number) > 1000 && /maxFlowInconsistency = 10\)/.test((e as Error).message),
    );
    // ... and with the check off its few good draws still seed the refinement.
    const first = await runOuSampler({ ...weak, maxFlowInconsistency: Number.POSITIVE_INFINITY });
    expect(first.terminalSpread).toBeGreaterThan(1);
    expect(first.flowInconsistency).toBeGreaterThan(1000);
    const refined = await refineOuSampler(first, weak);
    expect(refined.terminalSpread).toBeLessThan(0.2);
    expect(refined.flowInconsistency).toBeLessThan(1);
    // Measured: 0.012 → 0.98 (M = 300).
    expect(first.essFraction).toBeLessThan(0.3);
    expect(refined.essFraction).toBeGreaterThan(0.9);
    expect(refined.essFraction).toBeGreaterThan(first.essFraction + 0.5);
    expect(Math.abs(refined.logZ)).toBeLessThan(0.05);
    // The refined collocation points: half reused draws near the modes, half broad N(0, 1²I).
    const X = refined.collocationPoints;
    expect(X.length).toBe(80 * 2);
    const nearRightMode = (i: number) => Math.hypot(X[2 * i]! - 2, X[2 * i + 1]! - 1) < 1.5;
    const reused = Array.from({ length: 40 }, (_, i) => nearRightMode(i)).filter(Boolean).length;
    const broad = Array.from({ length: 40 }, (_, i) => nearRightMode(40 + i)).filter(Boolean).length;
    expect(reused).toBeGreaterThan(broad);
  });

  it("uses given collocation and fit points as they are, and checks them", async () => {
    const X = Float64Array.from({ length: 50 * 2 }, (_, k) => Math.sin(k) * 2);
    const { numPoints: _numPoints, ...withoutCount } = weak;
    const given = await runOuSampler({ ...withoutCount, collocationPoints: X, extraFitPoints: new Float64Array(0), numSamples: 50, fitIterations: 5, maxFlowInconsistency: Number.POSITIVE_INFINITY });
    expect(Array.from(given.collocationPoints)).toEqual(Array.from(X));
    expect(given.fit.iterations).toBeLessThanOrEqual(5);
    const bad = [
      runOuSampler({ ...weak, collocationPoints: new Float64Array(7) }),
      runOuSampler({ ...weak, numPoints: 10, collocationPoints: X }),
      runOuSampler({ ...weak, collocationPoints: Float64Array.of(0, Number.NaN) }),
      runOuSampler({ ...weak, maxFlowInconsistency: 0 }),
    ];
    const errors = await Promise.all(bad.map(rejection));
    expect(isMinevoError(errors[0], ErrorCode.DimensionMismatch) && /collocationPoints must be a Float64Array of k×d/.test((errors[0] as Error).message)).toBe(true);
    expect((errors[1] as Error).message).toMatch(/numPoints = 10 but collocationPoints holds 50 points/);
    expect(isMinevoError(errors[2], ErrorCode.NonFinite)).toBe(true);
    expect((errors[3] as Error).message).toMatch(/maxFlowInconsistency must be a positive number \(Infinity turns the check off\), got 0/);
    await expect(refineOuSampler(given, { ...weak, broadFraction: 1.5 })).rejects.toThrow(/broadFraction must lie in \[0, 1\], got 1.5/);
  });
});
