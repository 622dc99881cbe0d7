/**
 * createSolver / evolve: composition by name, by value and by instance; typed options; the
 * failure statuses (a blow-up is a result with diagnostics, never a silent answer); progress,
 * saving, aborting; checkpoints and bitwise resumption; and a constant live-tensor count over a
 * long evolution.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, RandomStream, isMinevoError, registries, type EquationInput, type EvolutionEquation } from "@minevo/core";
import { mlp } from "@minevo/networks";
import { denseSketch } from "@minevo/sketching";
import { dopri5, rk4 } from "@minevo/integrators";
import "@minevo/integrators";
import {
  advection,
  createSolver,
  decodeEvolutionCheckpoint,
  encodeEvolutionCheckpoint,
  evolve,
  heat,
  type EvolutionCheckpoint,
  type EvolutionResult,
  type SolverOptions,
} from "./index.js";
import { gaussianParameters, quadraticNetwork } from "./test-support/quadratic-network.js";
import { ouLogDensityEquation } from "./test-support/ou-log-density.js";
import { cellCentres } from "./test-support/grids.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** A small OU-Gaussian run on the quadratic fixture: cheap, with moving points and extra state. */
function ouSetup(overrides: Partial<SolverOptions> = {}) {
  const d = 2;
  const numPoints = 40;
  const random = RandomStream.fromSeed(11);
  const points = random.normals(numPoints * d);
  const theta = gaussianParameters([0.5, 0], [
    [1, 0],
    [0, 2],
  ]);
  const network = quadraticNetwork(d);
  const extra = { logDensity: Array.from(network.referenceValues!(theta, points, numPoints)) };
  const options: SolverOptions = {
    tf,
    network,
    sketch: { name: "dense", options: { regularisation: { kind: "truncated-svd", relativeCutoff: 1e-5 } } },
    integrator: { name: "dopri5", options: { rtol: 1e-6, atol: 1e-6 } },
    equation: ouLogDensityEquation(),
    ...overrides,
  };
  return { options, initial: { parameters: theta, points, extra }, numPoints, d };
}

describe("createSolver", () => {
  it("registers heat and advection by name, with their option schemas", () => {
    expect(registries.equation.lookup("heat")).toBe(heat);
    expect(registries.equation.lookup("advection")).toBe(advection);
    expect(() => registries.equation.create("heat", { diffusivity: -1 })).toThrow(/diffusivity/);
  });

  it("composes by name with typed options, by { name, options }, by value and by instance alike", async () => {
    const networkOptions = { inputDim: 1, hiddenWidths: [4] };
    const byName = createSolver({
      tf,
      network: "mlp",
      networkOptions,
      sketch: "dense",
      integrator: "dopri5",
      integratorOptions: { rtol: 1e-5 },
      equation: "heat",
      equationOptions: { diffusivity: 0.5 },
    });
    const byValue = createSolver({
      tf,
      network: mlp.with(networkOptions),
      sketch: denseSketch.with({}),
      integrator: dopri5.with({ rtol: 1e-5 }),
      equation: heat.with({ diffusivity: 0.5 }),
    });
    const byInstance = createSolver({
      tf,
      network: mlp.with(networkOptions).create(),
      sketch: { name: "dense" },
      integrator: { name: "dopri5", options: { rtol: 1e-5 } },
      equation: heat.with({ diffusivity: 0.5 }).create(),
    });
    // The same seed gives the same θ, and the same evolution whatever the form of the choice.
    const points = cellCentres(0, 3, 12);
    const finals = [];
    for (const solver of [byName, byValue, byInstance]) {
      const result = await solver.evolve({ parameters: solver.initialParameters(), points }, { t1: 0.1 });
      expect(result.status).toBe("success");
      finals.push(result.final.parameters);
      solver.dispose();
    }
    expect(Array.from(finals[1]!)).toEqual(Array.from(finals[0]!));
    expect(Array.from(finals[2]!)).toEqual(Array.from(finals[0]!));
  });

  it("rejects unknown names (listing the registered ones), bad options and misplaced …Options", () => {
    const base = { tf, network: mlp.with({ inputDim: 1 }), sketch: "dense", integrator: "dopri5" } as const;
    let caught: unknown;
    try {
      // @ts-expect-error "hest" is not a registered equation
      createSolver({ ...base, equation: "hest" });
    } catch (error) {
      caught = error;
    }
    expect(isMinevoError(caught, ErrorCode.UnknownPlugin)).toBe(true);
    expect((caught as Error).message).toMatch(/"advection", "heat"/);
    // @ts-expect-error "rtoll" is not an option of dopri5
    expect(() => createSolver({ ...base, equation: "heat", integratorOptions: { rtoll: 1e-3 } })).toThrow(/rtoll/);
    // @ts-expect-error diffusivity must be a number
    expect(() => createSolver({ ...base, equation: "heat", equationOptions: { diffusivity: "fast" } })).toThrow(/diffusivity/);
    expect(() => createSolver({ ...base, equation: heat.with({}), equationOptions: { diffusivity: 1 } } as unknown as SolverOptions)).toThrow(
      /equationOptions goes with a equation given by name/,
    );
    // An advection velocity of the wrong length for the network's d.
    expect(() => createSolver({ ...base, equation: "advection", equationOptions: { velocity: [1, 2] } })).toThrow(/2 entries but the points have 1/);
  });

  it("refuses a per-step (non-smooth) sketch with an adaptive integrator unless allowed", () => {
    const base = { tf, network: mlp.with({ inputDim: 1, hiddenWidths: [4] }), equation: "heat" } as const;
    const column = { name: "column", options: { numColumns: 5 } } as const;
    expect(() => createSolver({ ...base, sketch: column, integrator: "dopri5" })).toThrow(/use a fixed-step integrator/);
    expect(() => createSolver({ ...base, sketch: column, integrator: "dopri5", allowNonSmoothSketch: true })).not.toThrow();
    expect(() => createSolver({ ...base, sketch: column, integrator: { name: "rk4", options: { steps: 10 } } })).not.toThrow();
  });

  it("validates the initial state: θ length, point shape, the extra state the equation carries", async () => {
    const { options, initial } = ouSetup();
    const solver = createSolver(options);
    await expect(solver.evolve({ ...initial, parameters: [1, 2] }, { t1: 1 })).rejects.toThrow(/p = 6/);
    await expect(solver.evolve({ ...initial, points: [1, 2, 3] }, { t1: 1 })).rejects.toThrow(/multiple of d \+ c = 2/);
    await expect(solver.evolve({ ...initial, extra: {} }, { t1: 1 })).rejects.toThrow(/"logDensity": give 40 initial values/);
    await expect(solver.evolve({ ...initial, parameters: [Number.NaN, 0, 0, 0, 0, 0] }, { t1: 1 })).rejects.toThrow(/non-finite/);
    await expect(solver.evolve(initial, { t1: 1, saveAt: [2] })).rejects.toThrow(/outside \[0, 1\]/);
    solver.dispose();
  });
});

describe("evolve", () => {
  it("saves at the requested times (t0 included), and the one-shot evolve gives the same answer", async () => {
    const { options, initial } = ouSetup();
    const solver = createSolver(options);
    const result = await solver.evolve(initial, { t1: 0.5, saveAt: [0.5, 0, 0.2] });
    solver.dispose();
    expect(result.saved.map((s) => s.t)).toEqual([0, 0.2, 0.5]);
    expect(Array.from(result.saved[0]!.parameters)).toEqual(Array.from(initial.parameters));
    expect(Array.from(result.saved[2]!.parameters)).toEqual(Array.from(result.final.parameters));
    const oneShot = await evolve(options, initial, { t1: 0.5 });
    expect(Array.from(oneShot.final.parameters)).toEqual(Array.from(result.final.parameters));
    expect(Array.from(oneShot.final.extra.logDensity!)).toEqual(Array.from(result.final.extra.logDensity!));
  });

  it("prepares a run for driving the integrator directly: a dense-output solve agrees with evolve", async () => {
    const { options, initial } = ouSetup();
    const solver = createSolver(options);
    const evolved = await solver.evolve(initial, { t1: 0.6, saveAt: [0.35] });
    const run = solver.prepare(initial);
    const dense = await solver.integrator.solve({ rhs: run.rhs, t0: 0, t1: 0.6, y0: run.initialState }, { save: { kind: "dense" } });
    expect(dense.status).toBe("success");
    const middle = dense.interpolate!(0.35);
    // The same integrator, tolerances and vector field: the same steps, the same interpolant.
    for (let k = 0; k < middle.theta.length; k++) expect(middle.theta[k]).toBeCloseTo(evolved.saved[0]!.parameters[k] as number, 10);
    expect(Array.from(run.pointsOf(dense.y))).toEqual(Array.from(evolved.final.points));
    dense.dispose();
    run.dispose();
    solver.dispose();
  });

  it("integrates backward in time when t1 < t0", async () => {
    const { options, initial } = ouSetup();
    const forward = await evolve(options, initial, { t1: 0.3 });
    const back = await evolve(options, { parameters: forward.final.parameters, points: forward.final.points, extra: forward.final.extra }, { t0: 0.3, t1: 0 });
    expect(back.status).toBe("success");
    for (let k = 0; k < initial.parameters.length; k++) expect(back.final.parameters[k]).toBeCloseTo(initial.parameters[k] as number, 4);
  });

  it("reports a non-finite right-hand side as status nonfinite with diagnostics, or throws when asked", async () => {
    // f = 1/(1 − t): finite, then exploding towards t = 1 and infinite beyond any step landing at 1.
    const blowUp: EvolutionEquation = {
      name: "blow-up",
      requirements: { gradient: false, laplacian: false },
      extraState: [],
      rhs: (input: EquationInput) => input.tf.fill([input.points.shape[0]], input.t >= 0.5 ? Number.POSITIVE_INFINITY : 1),
    };
    const { options, initial } = ouSetup({ equation: blowUp });
    const solver = createSolver(options);
    const result = await solver.evolve({ parameters: initial.parameters, points: initial.points }, { t1: 1 });
    expect(result.status).toBe("nonfinite");
    expect(result.message).toMatch(/non-finite/);
    expect(result.lastDiagnostics?.finite).toBe(false);
    expect(result.final.t).toBeLessThan(0.5);
    for (const v of result.final.parameters) expect(Number.isFinite(v)).toBe(true);
    await expect(solver.evolve({ parameters: initial.parameters, points: initial.points }, { t1: 1, throwOnFailure: true })).rejects.toSatisfy(
      (error: unknown) => isMinevoError(error, ErrorCode.NonFinite),
    );
    solver.dispose();
  });

  it("stops an exploding max|f| (rhs_explosion) and a collapsing step size (step_size_collapse)", async () => {
    // f = e^{20t}: smooth and finite, but growing without bound.
    const growing: EvolutionEquation = {
      name: "growing",
      requirements: { gradient: false, laplacian: false },
      extraState: [],
      rhs: (input: EquationInput) => input.tf.fill([input.points.shape[0]], Math.exp(20 * input.t)),
    };
    const { options, initial } = ouSetup({ equation: growing });
    const solver = createSolver(options);
    const start = { parameters: initial.parameters, points: initial.points };
    const exploded = await solver.evolve(start, { t1: 1, maxAbsRhs: 1e3 });
    expect(exploded.status).toBe("rhs_explosion");
    expect(exploded.message).toMatch(/exceeded maxAbsRhs = 1000/);
    expect(exploded.lastDiagnostics!.maxAbsRhs).toBeGreaterThan(1e3);
    expect(exploded.final.t).toBeLessThan(1);
    // A step-size floor above what this tolerance needs: the run stops and says so.
    const collapsed = await solver.evolve(start, { t1: 1, minStepSize: 0.5 });
    expect(collapsed.status).toBe("step_size_collapse");
    expect(collapsed.message).toMatch(/minStepSize = 0.5/);
    await expect(solver.evolve(start, { t1: 1, minStepSize: 0.5, throwOnFailure: true })).rejects.toSatisfy((error: unknown) =>
      isMinevoError(error, ErrorCode.StepSizeCollapse),
    );
    const capped = await solver.evolve(start, { t1: 1, maxRhsEvaluations: 10 });
    expect(capped.status).toBe("max_rhs_evaluations");
    solver.dispose();
  });

  it("stops when aborted", async () => {
    const { options, initial } = ouSetup();
    const controller = new AbortController();
    const result = await evolve(options, initial, {
      t1: 1,
      onProgress: (p) => {
        if (p.acceptedSteps === 2) controller.abort();
      },
      signal: controller.signal,
    });
    expect(result.status).toBe("aborted");
    expect(result.stats.acceptedSteps).toBe(2);
  });

  it("reports every evaluation, with ‖Jθ̇ − f‖/‖f‖ when asked", async () => {
    const { options, initial } = ouSetup();
    const evaluations: number[] = [];
    const result = await evolve(options, initial, {
      t1: 0.2,
      computeResidual: true,
      onEvaluation: (d) => {
        evaluations.push(d.evaluation);
        // f of the OU equation lies in the span of the quadratic ansatz's Jacobian columns.
        expect(d.relativeResidual).toBeLessThan(1e-5);
      },
    });
    expect(evaluations.length).toBe(result.stats.rhsEvaluations);
    expect(evaluations).toEqual(evaluations.map((_, i) => i + 1));
  });

  it("keeps the number of live tensors constant over a long evolution", async () => {
    const solver = createSolver({
      tf,
      network: mlp.with({ inputDim: 1, hiddenWidths: [8, 8] }),
      sketch: { name: "gaussian", options: { sketchSize: 10 } },
      integrator: dopri5.with({ rtol: 1e-8, atol: 1e-8 }),
      equation: heat.with({ diffusivity: 1 }),
    });
    const points = cellCentres(0, 3, 20);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const result = await solver.evolve(
      { parameters: solver.initialParameters(), points },
      { t1: 0.2, onProgress: () => counts.push(tf.memory().numTensors) },
    );
    expect(result.status).toBe("success");
    expect(result.stats.acceptedSteps).toBeGreaterThan(20);
    // Between steps: the fixed points and the sketch's Ω, nothing that grows with the step count.
    expect(new Set(counts).size).toBe(1);
    solver.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("evolve checkpoints", () => {
  /** Bitwise equality, entry by entry. */
  const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));
  const expectSameEvolution = (resumed: EvolutionResult, reference: EvolutionResult) => {
    expect(resumed.status).toBe("success");
    expect(resumed.stats).toEqual(reference.stats);
    expect(resumed.final.t).toBe(reference.final.t);
    expect(sameBits(resumed.final.parameters, reference.final.parameters)).toBe(true);
    expect(resumed.saved.map((s) => s.t)).toEqual(reference.saved.map((s) => s.t));
    resumed.saved.forEach((s, i) => expect(sameBits(s.parameters, reference.saved[i]!.parameters)).toBe(true));
  };
  const heatRun = (sketch: SolverOptions["sketch"], integrator: SolverOptions["integrator"]) => {
    const options: SolverOptions = {
      tf,
      network: mlp.with({ inputDim: 1, hiddenWidths: [8, 8] }),
      sketch,
      integrator,
      equation: heat.with({ diffusivity: 1 }),
      seed: 5,
    };
    const solver = createSolver(options);
    const initial = { parameters: solver.initialParameters(), points: cellCentres(0, 3, 20) };
    solver.dispose();
    return { options, initial, evolveOptions: { t1: 0.2, saveAt: [0, 0.05, 0.1, 0.15, 0.2] } };
  };

  it("the heat equation, interrupted by a failing save and resumed from the bytes, gives bitwise the same run", async () => {
    const { options, initial, evolveOptions } = heatRun({ name: "gaussian", options: { sketchSize: 10 } }, dopri5.with({ rtol: 1e-7, atol: 1e-7 }));
    const reference = await evolve(options, initial, evolveOptions);
    expect(reference.status).toBe("success");
    expect(reference.stats.acceptedSteps).toBeGreaterThan(6);
    let bytes: Uint8Array | undefined;
    let count = 0;
    await expect(
      evolve(options, initial, {
        ...evolveOptions,
        checkpoint: {
          everySteps: 2,
          save: (c) => {
            if (++count === 2) {
              bytes = encodeEvolutionCheckpoint(c);
              throw new Error("interrupted");
            }
          },
        },
      }),
    ).rejects.toThrow("interrupted");
    const checkpoint = decodeEvolutionCheckpoint(bytes!);
    expect(checkpoint.stepper.stats.acceptedSteps).toBe(4);
    const progress: number[] = [];
    const resumed = await evolve(options, initial, { ...evolveOptions, resume: checkpoint, onProgress: (p) => progress.push(p.acceptedSteps) });
    expectSameEvolution(resumed, reference);
    // It continued from step 5; it did not start over.
    expect(progress[0]).toBe(5);
  });

  it("a per-step random sketch (column, with rk4) continues its draws from the checkpoint", async () => {
    const { options, initial, evolveOptions } = heatRun({ name: "column", options: { numColumns: 6 } }, rk4.with({ steps: 30 }));
    const reference = await evolve(options, initial, evolveOptions);
    let kept: EvolutionCheckpoint | undefined;
    const controller = new AbortController();
    const aborted = await evolve(options, initial, {
      ...evolveOptions,
      checkpoint: { everySteps: 1000, save: (c) => void (kept = c) },
      signal: controller.signal,
      onProgress: (p) => p.acceptedSteps === 13 && controller.abort(),
    });
    expect(aborted.status).toBe("aborted");
    expect(aborted.message).toMatch(/checkpoint of this point was saved/);
    expect(kept!.stepper.stats.acceptedSteps).toBe(13);
    expectSameEvolution(await evolve(options, initial, { ...evolveOptions, resume: kept! }), reference);
    // Without the sketch's saved stream the draws restart, and the run differs: the state matters.
    const withoutSketchState = { ...kept!, sketch: { ...kept!.sketch, random: RandomStream.fromSeed(5).derive("sketch").getState() } };
    const differs = await evolve(options, initial, { ...evolveOptions, resume: withoutSketchState });
    expect(sameBits(differs.final.parameters, reference.final.parameters)).toBe(false);
  });

  it("throws Aborted under throwOnFailure, and refuses another run's checkpoint or a corrupt file", async () => {
    const { options, initial, evolveOptions } = heatRun({ name: "gaussian", options: { sketchSize: 10 } }, dopri5.with({ rtol: 1e-5, atol: 1e-5 }));
    const controller = new AbortController();
    let kept: EvolutionCheckpoint | undefined;
    await expect(
      evolve(options, initial, {
        ...evolveOptions,
        throwOnFailure: true,
        signal: controller.signal,
        checkpoint: { everySteps: 1000, save: (c) => void (kept = c) },
        onProgress: (p) => p.acceptedSteps === 2 && controller.abort(),
      }),
    ).rejects.toSatisfy((error: unknown) => isMinevoError(error, ErrorCode.Aborted));
    await expect(evolve(options, initial, { ...evolveOptions, t1: 0.3, saveAt: [], resume: kept! })).rejects.toSatisfy(
      (error: unknown) => isMinevoError(error, ErrorCode.InvalidOptions) && /t1 \(checkpoint 0.2, now 0.3\)/.test((error as Error).message),
    );
    const bytes = encodeEvolutionCheckpoint(kept!);
    expect(() => decodeEvolutionCheckpoint(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    const modified = Uint8Array.from(bytes);
    modified[bytes.length - 20]! ^= 1;
    expect(() => decodeEvolutionCheckpoint(modified)).toThrow(/checksum does not match/);
  });
});
