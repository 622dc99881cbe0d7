/**
 * createSolver / evolve: network, sketch, integrator and equation composed into one MNE run.
 *
 * The run is driven step by step through the integrator's manual stepper, so that every
 * accepted step can be reported (t, step size, rejections, effective rank, max|f|, ‖θ̇‖) and a
 * blow-up stops the run with a status and diagnostics instead of returning garbage: a non-finite
 * right-hand side, a step size collapsing below a floor, an exploding max|f|, or too many
 * right-hand-side evaluations.
 *
 * `evolve` is resumable: `checkpoint` hands out an {@link EvolutionCheckpoint} every `everySteps`
 * accepted steps and when the run is aborted by its signal (the run then returns with status
 * "aborted"); `resume` continues from one — with bitwise the same steps as an uninterrupted run —
 * and `encodeEvolutionCheckpoint`/`decodeEvolutionCheckpoint` turn one into bytes and back.
 */
import {
  ErrorCode,
  MinevoError,
  RandomStream,
  quote,
  startCholeskyWorker,
  type EvolutionEquation,
  type Integrator,
  type ResumableIntegrator,
  type ResumableStepper,
  type StepperSnapshot,
  type IntegrationStatus,
  type Network,
  type PluginName,
  type PluginOptions,
  type Seed,
  type SketchState,
  type SketchStrategy,
  type Stepper,
  type TensorFlow,
} from "@minevo/core";
import { resolveComponent, type ComponentChoice } from "./choices.js";
import { crc32, decodeCheckpointTree, encodeCheckpointTree } from "./checkpoint-file.js";
import { fitInitialCondition, type InitialFitOptions, type InitialFitReport } from "./initial-fit.js";
import { MneVectorField, type MneState, type VectorFieldDiagnostics } from "./vector-field.js";

/**
 * The solver's components and settings. Each component is a registered name (with typed
 * `…Options` beside it), `{ name, options }`, `plugin.with(options)`, or a ready instance:
 *
 * ```ts
 * const solver = createSolver({
 *   tf,
 *   network: "mlp", networkOptions: { inputDim: 1, hiddenWidths: [16, 16] },
 *   sketch: { name: "gaussian", options: { sketchSize: 100 } },
 *   integrator: dopri5.with({ rtol: 1e-6, atol: 1e-6 }),
 *   equation: "heat", equationOptions: { diffusivity: 0.5 },
 *   seed: 1,
 * });
 * ```
 */
export interface SolverOptions<
  NN extends PluginName<"network"> = PluginName<"network">,
  SN extends PluginName<"sketch"> = PluginName<"sketch">,
  IN extends PluginName<"integrator"> = PluginName<"integrator">,
  EN extends PluginName<"equation"> = PluginName<"equation">,
> {
  /** The TensorFlow.js namespace of the active backend (`(await selectBackend(…)).tf`). */
  readonly tf: TensorFlow;
  readonly network: NN | ComponentChoice<"network">;
  readonly networkOptions?: PluginOptions<"network", NN>;
  readonly sketch: SN | ComponentChoice<"sketch">;
  readonly sketchOptions?: PluginOptions<"sketch", SN>;
  readonly integrator: IN | ComponentChoice<"integrator">;
  readonly integratorOptions?: PluginOptions<"integrator", IN>;
  readonly equation: EN | ComponentChoice<"equation">;
  readonly equationOptions?: PluginOptions<"equation", EN>;
  /** The run's seed: the network's initial θ and the sketch's Ω derive from it. Default 0. */
  readonly seed?: Seed;
  /**
   * Allow a sketch redrawn at every step (`smooth: false`, e.g. `column`) with an adaptive
   * integrator. Off by default: such a θ̇ is not a smooth function of the state, so the embedded
   * error estimates are meaningless (METHOD.md §2); use a fixed-step integrator with it.
   */
  readonly allowNonSmoothSketch?: boolean;
}

/** Where an evolution starts. */
export interface InitialState {
  /** θ(t0), length p. */
  readonly parameters: ArrayLike<number>;
  /** The collocation points X(t0), N×(d+c) row-major. */
  readonly points: ArrayLike<number>;
  /** Initial values of the equation's extra per-point scalars, N each. */
  readonly extra?: Readonly<Record<string, ArrayLike<number>>>;
}

/** Why an evolution stopped. Anything but `success` is a failure returned as a result. */
export type EvolutionStatus =
  | "success"
  /** The right-hand side (f, θ̇, Ẋ or an extra rate) became NaN or infinite. */
  | "nonfinite"
  /** The step size fell below `minStepSize` (or the integrator's own floor). */
  | "step_size_collapse"
  /** max|f| exceeded `maxAbsRhs`. */
  | "rhs_explosion"
  | "max_steps"
  | "max_rhs_evaluations"
  | "rejected_too_often"
  | "aborted";

export interface EvolutionSnapshot {
  readonly t: number;
  readonly parameters: Float64Array;
  /** All points N×(d+c) at t. */
  readonly points: Float64Array;
  readonly extra: Readonly<Record<string, Float64Array>>;
}

/** What {@link EvolveOptions.onProgress} receives after every accepted step. */
export interface EvolutionProgress {
  readonly t: number;
  /** The accepted step's size (signed). */
  readonly stepSize: number;
  /** Attempts rejected before this step was accepted. */
  readonly rejectedAttempts: number;
  readonly acceptedSteps: number;
  readonly rejectedSteps: number;
  readonly rhsEvaluations: number;
  /** Of the latest right-hand-side evaluation (for FSAL methods: at the new state). */
  readonly effectiveRank: number;
  readonly maxAbsRhs: number;
  readonly thetaDotNorm: number;
  readonly diagnostics: VectorFieldDiagnostics | undefined;
}

export interface EvolveOptions {
  /** Default 0. */
  readonly t0?: number;
  readonly t1: number;
  /** Times (within [t0, t1]) at which to return snapshots, by the integrator's dense output. */
  readonly saveAt?: readonly number[];
  readonly onProgress?: (progress: EvolutionProgress) => void;
  /** Every right-hand-side evaluation, rejected attempts included. */
  readonly onEvaluation?: (diagnostics: VectorFieldDiagnostics) => void;
  /** Stop with `rhs_explosion` when max|f| exceeds this. Default Infinity (off). */
  readonly maxAbsRhs?: number;
  /** Stop with `step_size_collapse` when the next step would be shorter. Default 1e-10·|t1 − t0|. */
  readonly minStepSize?: number;
  /** Default 1e6. */
  readonly maxRhsEvaluations?: number;
  /** Compute ‖Jθ̇ − f‖/‖f‖ at every evaluation (one more product and readback). Default false. */
  readonly computeResidual?: boolean;
  /**
   * Checked before every step: when aborted, the run saves a checkpoint (if configured) and
   * returns with status "aborted" (throws MinevoError `Aborted` under `throwOnFailure`).
   */
  readonly signal?: AbortSignal;
  /** Throw a MinevoError instead of returning a failed result. Default false. */
  readonly throwOnFailure?: boolean;
  /** Save an {@link EvolutionCheckpoint} every `everySteps` accepted steps and on abort. */
  readonly checkpoint?: {
    readonly everySteps: number;
    readonly save: (checkpoint: EvolutionCheckpoint) => void | Promise<void>;
  };
  /**
   * Continue from a checkpoint of a run with the same solver, `initial`, t0, t1 and saveAt (its
   * fingerprint refuses others): the state comes from the checkpoint.
   */
  readonly resume?: EvolutionCheckpoint;
}

/** Everything an interrupted `evolve` needs to continue bitwise as if uninterrupted. */
export interface EvolutionCheckpoint {
  readonly version: 1;
  /** CRC-32 (hex) of `settings` as canonical JSON. */
  readonly fingerprint: string;
  /** What determines the run's numbers: components, interval, save times, hashes of the initial state. */
  readonly settings: { readonly [key: string]: unknown };
  /** The integrator's stepper: t, (θ, X, extra), next h, controller history, FSAL derivative, statistics. */
  readonly stepper: StepperSnapshot<MneState>;
  /** The sketch's state (a per-step sketch continues its draws; a fixed one redraws the same Ω). */
  readonly sketch: SketchState;
  /** The `saveAt` snapshots reached so far. */
  readonly saved: readonly EvolutionSnapshot[];
  /** Right-hand-side evaluations so far. */
  readonly rhsEvaluations: number;
}

export interface EvolutionResult {
  readonly status: EvolutionStatus;
  /** Why it stopped, in words ("" on success). */
  readonly message: string;
  /** The state reached (t1 on success; the last accepted state otherwise). */
  readonly final: EvolutionSnapshot;
  /** The `saveAt` snapshots reached, in order. */
  readonly saved: readonly EvolutionSnapshot[];
  readonly stats: {
    readonly rhsEvaluations: number;
    readonly acceptedSteps: number;
    readonly rejectedSteps: number;
  };
  /** The latest right-hand-side evaluation's diagnostics (where a blow-up was seen). */
  readonly lastDiagnostics: VectorFieldDiagnostics | undefined;
}

export interface Solver {
  readonly tf: TensorFlow;
  readonly network: Network;
  readonly sketch: SketchStrategy;
  readonly integrator: Integrator;
  readonly equation: EvolutionEquation;
  /** The run's random stream (components derive labelled sub-streams from it). */
  readonly random: RandomStream;
  /** θ drawn by the network's initialisation from the stream derived as "network". */
  initialParameters(): Float64Array;
  /** Fits u_θ to a function with this solver's network and backend (see {@link fitInitialCondition}). */
  fitInitialCondition(options: Omit<InitialFitOptions, "tf" | "network" | "parameters"> & { readonly parameters?: Float64Array }): Promise<InitialFitReport>;
  /** Integrates (θ, X, extra) from `initial` over [t0, t1]. */
  evolve(initial: InitialState, options: EvolveOptions): Promise<EvolutionResult>;
  /**
   * The vector field and initial state of a run, with the sketch prepared, for driving the
   * integrator directly (a dense-output solve for the sampler's θ(t), a custom save policy):
   * `integrator.solve({ rhs: run.rhs, t0, t1, y0: run.initialState }, { save: { kind: "dense" } })`.
   * `evolve` is this plus the step loop, its checks and reports. Dispose the run when done.
   */
  prepare(initial: InitialState, options?: PrepareOptions): PreparedRun;
  /** Releases the sketch's tensors. Safe to call twice. */
  dispose(): void;
}

/** See {@link Solver.prepare}. */
export interface PrepareOptions extends Pick<EvolveOptions, "computeResidual" | "onEvaluation"> {
  /**
   * Prepare the sketch from this state (`solver.sketch.getState()` saved in a checkpoint) instead
   * of the seed's "sketch" stream: a per-step strategy then continues with the draws it would
   * have made; a fixed sketch redraws the same Ω either way.
   */
  readonly sketchState?: SketchState;
}

/** See {@link Solver.prepare}. */
export interface PreparedRun {
  readonly vectorField: MneVectorField;
  readonly initialState: MneState;
  /** The integrator's right-hand side: `vectorField.evaluate`. */
  readonly rhs: (t: number, state: MneState) => Promise<MneState>;
  /** All points N×(d+c) of a state of this run. */
  pointsOf(state: MneState): Float64Array;
  /** Releases the vector field's tensors (not the sketch: the solver owns it). */
  dispose(): void;
}

const failureCode: { readonly [S in Exclude<EvolutionStatus, "success">]: ErrorCode } = {
  nonfinite: ErrorCode.NonFinite,
  step_size_collapse: ErrorCode.StepSizeCollapse,
  rhs_explosion: ErrorCode.NonFinite,
  max_steps: ErrorCode.IntegrationFailed,
  max_rhs_evaluations: ErrorCode.IntegrationFailed,
  rejected_too_often: ErrorCode.IntegrationFailed,
  aborted: ErrorCode.Aborted,
};

function fromIntegratorStatus(status: IntegrationStatus): EvolutionStatus {
  switch (status) {
    case "success":
      return "success";
    case "dt_underflow":
      return "step_size_collapse";
    case "nonfinite":
      return "nonfinite";
    case "max_steps":
      return "max_steps";
    case "rejected_too_often":
      return "rejected_too_often";
  }
}

function describeIntegratorFailure(status: IntegrationStatus, t: number): string {
  switch (status) {
    case "nonfinite":
      return `the right-hand side became non-finite (NaN or ±Infinity) in the step from t = ${t}`;
    case "dt_underflow":
      return `the integrator's step size collapsed below its floor at t = ${t}: the evolution is stiff there`;
    case "max_steps":
      return `the integrator reached its maximum number of steps at t = ${t}; raise maxSteps or loosen the tolerances`;
    case "rejected_too_often":
      return `the integrator rejected too many consecutive steps at t = ${t}: the evolution is stiff there`;
    case "success":
      return "";
  }
}

function toFloat64(values: ArrayLike<number>, what: string): Float64Array {
  const out = Float64Array.from(values);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) {
      throw new MinevoError(ErrorCode.NonFinite, `${what} has the non-finite value ${String(out[i])} at index ${i}`, { index: i });
    }
  }
  return out;
}

/** Builds a solver from its components (see {@link SolverOptions}). */
export function createSolver<
  NN extends PluginName<"network"> = never,
  SN extends PluginName<"sketch"> = never,
  IN extends PluginName<"integrator"> = never,
  EN extends PluginName<"equation"> = never,
>(options: SolverOptions<NN, SN, IN, EN>): Solver {
  const { tf } = options;
  if (tf === undefined || typeof tf.tensor2d !== "function") {
    throw new MinevoError(ErrorCode.InvalidOptions, "createSolver needs tf: the TensorFlow.js namespace of the active backend", { field: "tf" });
  }
  const network = resolveComponent("network", options.network, options.networkOptions);
  const sketch = resolveComponent("sketch", options.sketch, options.sketchOptions);
  const integrator = resolveComponent("integrator", options.integrator, options.integratorOptions);
  const equation = resolveComponent("equation", options.equation, options.equationOptions);
  equation.checkDimensions?.({ inputDim: network.inputDim, conditionDim: network.conditionDim });
  if (!sketch.smooth && integrator.adaptive && options.allowNonSmoothSketch !== true) {
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `sketch "${sketch.name}" redraws its sketch at every step, so θ̇ is not smooth in the state and the adaptive integrator ` +
        `"${integrator.name}" cannot trust its error estimates: use a fixed-step integrator (e.g. rk4 with { steps }), a fixed sketch ` +
        `(gaussian, srft, nystrom, dense), or pass allowNonSmoothSketch: true for a comparison run`,
      { field: "sketch", sketch: sketch.name, integrator: integrator.name },
    );
  }
  const random = RandomStream.fromSeed(options.seed ?? 0);

  const solver: Solver = {
    tf,
    network,
    sketch,
    integrator,
    equation,
    random,
    initialParameters: () => network.initialParameters(random.derive("network")),
    fitInitialCondition: (fit) => fitInitialCondition({ ...fit, tf, network, parameters: fit.parameters ?? solver.initialParameters() }),
    evolve: (initial, evolveOptions) => evolveWith(solver, initial, evolveOptions),
    prepare: (initial, prepareOptions = {}) => prepareRun(solver, initial, prepareOptions),
    dispose: () => sketch.dispose(),
  };
  return solver;
}

/** createSolver, one evolve, dispose: for a single run. */
export async function evolve<
  NN extends PluginName<"network"> = never,
  SN extends PluginName<"sketch"> = never,
  IN extends PluginName<"integrator"> = never,
  EN extends PluginName<"equation"> = never,
>(options: SolverOptions<NN, SN, IN, EN>, initial: InitialState, evolveOptions: EvolveOptions): Promise<EvolutionResult> {
  const solver = createSolver(options);
  try {
    return await solver.evolve(initial, evolveOptions);
  } finally {
    solver.dispose();
  }
}

async function evolveWith(solver: Solver, initial: InitialState, options: EvolveOptions): Promise<EvolutionResult> {
  const { integrator } = solver;
  const t0 = options.t0 ?? 0;
  const t1 = options.t1;
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || t0 === t1) {
    throw new MinevoError(ErrorCode.InvalidOptions, `evolve needs finite, distinct t0 and t1; got t0 = ${quote(t0)}, t1 = ${quote(t1)}`, { field: "t1" });
  }
  // The dense strategy's N×N factorisations use a second thread where there is one (Node), bitwise as on one.
  await startCholeskyWorker();
  const direction = Math.sign(t1 - t0);
  const saveAt = [...(options.saveAt ?? [])].sort((a, b) => direction * (a - b));
  for (const ts of saveAt) {
    if (!(direction * (ts - t0) >= 0 && direction * (t1 - ts) >= 0)) {
      throw new MinevoError(ErrorCode.InvalidOptions, `saveAt time ${quote(ts)} is outside [${t0}, ${t1}]`, { field: "saveAt" });
    }
  }
  const minStepSize = options.minStepSize ?? 1e-10 * Math.abs(t1 - t0);
  const maxAbsRhs = options.maxAbsRhs ?? Number.POSITIVE_INFINITY;
  const maxRhsEvaluations = options.maxRhsEvaluations ?? 1_000_000;

  const checkpoint = options.checkpoint;
  if (checkpoint !== undefined && (!(Number.isSafeInteger(checkpoint.everySteps) && checkpoint.everySteps >= 1) || typeof checkpoint.save !== "function")) {
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `checkpoint must be { everySteps: a whole number ≥ 1, save: (checkpoint) => … }, got everySteps ${quote(checkpoint.everySteps)}`,
      { field: "checkpoint" },
    );
  }
  const resume = options.resume;
  const resumable = checkpoint !== undefined || resume !== undefined ? resumableIntegrator(integrator) : undefined;
  const settings = evolutionSettings(solver, initial, t0, t1, saveAt);
  const fingerprint = fingerprintOf(settings);
  if (resume !== undefined) checkEvolutionResume(resume, settings, fingerprint);

  const run = prepareRun(solver, initial, resume !== undefined ? { ...options, sketchState: resume.sketch } : options);
  const field = run.vectorField;
  const y0 = run.initialState;
  // Evaluations before the resumed part (the vector field counts its own).
  const evaluationsBefore = resume?.rhsEvaluations ?? 0;
  const evaluations = (): number => evaluationsBefore + field.evaluations;
  let stepper: Stepper<MneState> | undefined;
  try {
    const snapshot = (t: number, state: MneState): EvolutionSnapshot => ({
      t,
      parameters: Float64Array.from(state.theta),
      points: run.pointsOf(state),
      extra: Object.fromEntries(field.extraState.map((name) => [name, Float64Array.from(state.extra?.[name] ?? [])])),
    });
    const saved: EvolutionSnapshot[] = (resume?.saved ?? []).map(copySnapshot);
    let nextSave = saved.length;
    while (resume === undefined && nextSave < saveAt.length && saveAt[nextSave] === t0) {
      saved.push(snapshot(t0, y0));
      nextSave++;
    }

    const problem = { rhs: run.rhs, t0, t1, y0 };
    const current = resume !== undefined ? (resumable as ResumableIntegrator).restoreStepper<MneState>(problem, resume.stepper) : (resumable ?? integrator).createStepper<MneState>(problem);
    stepper = current;
    await stepper.init();
    let savedAtStep = -1;
    const saveCheckpoint = async (): Promise<void> => {
      savedAtStep = current.stats.acceptedSteps;
      await checkpoint?.save({
        version: 1,
        fingerprint,
        settings,
        stepper: (current as ResumableStepper<MneState>).snapshot(),
        sketch: solver.sketch.getState(),
        saved: saved.map(copySnapshot),
        rhsEvaluations: evaluations(),
      });
    };
    let status: EvolutionStatus = "success";
    let message = "";
    while (!stepper.done) {
      if (options.signal?.aborted === true) {
        if (checkpoint !== undefined && savedAtStep !== stepper.stats.acceptedSteps) await saveCheckpoint();
        status = "aborted";
        message = `aborted at t = ${stepper.t}` + (checkpoint !== undefined ? "; a checkpoint of this point was saved: pass it as `resume` to continue" : "");
        break;
      }
      const report = await stepper.step();
      if (report.status !== "running" && report.status !== "success") {
        status = fromIntegratorStatus(report.status);
        message = describeIntegratorFailure(report.status, stepper.t);
        break;
      }
      while (nextSave < saveAt.length && direction * ((saveAt[nextSave] as number) - report.t) <= 0) {
        const ts = saveAt[nextSave] as number;
        saved.push(snapshot(ts, ts === report.t ? stepper.state() : await stepper.interpolate(ts)));
        nextSave++;
      }
      const diagnostics = field.lastDiagnostics;
      options.onProgress?.({
        t: report.t,
        stepSize: report.t - report.tPrevious,
        rejectedAttempts: report.rejectedAttempts,
        acceptedSteps: stepper.stats.acceptedSteps,
        rejectedSteps: stepper.stats.rejectedSteps,
        rhsEvaluations: evaluations(),
        effectiveRank: diagnostics?.effectiveRank ?? Number.NaN,
        maxAbsRhs: diagnostics?.maxAbsRhs ?? Number.NaN,
        thetaDotNorm: diagnostics?.thetaDotNorm ?? Number.NaN,
        diagnostics,
      });
      if (stepper.done) break;
      if (checkpoint !== undefined && stepper.stats.acceptedSteps % checkpoint.everySteps === 0) await saveCheckpoint();
      if (diagnostics !== undefined && diagnostics.maxAbsRhs > maxAbsRhs) {
        status = "rhs_explosion";
        message = `max|f| = ${diagnostics.maxAbsRhs.toPrecision(4)} exceeded maxAbsRhs = ${maxAbsRhs} at t = ${report.t}: the right-hand side is exploding (a rough initial fit? see the derivative guard)`;
        break;
      }
      if (Math.abs(stepper.h) < minStepSize) {
        status = "step_size_collapse";
        message = `the step size ${Math.abs(stepper.h).toExponential(3)} fell below minStepSize = ${minStepSize} at t = ${report.t}: the evolution is stiff (a rough initial fit? see the derivative guard)`;
        break;
      }
      if (evaluations() >= maxRhsEvaluations) {
        status = "max_rhs_evaluations";
        message = `${evaluations()} right-hand-side evaluations reached maxRhsEvaluations = ${maxRhsEvaluations} at t = ${report.t}`;
        break;
      }
    }
    if (status === "success" && stepper.status !== "success") {
      const integratorStatus = stepper.status === "running" ? "max_steps" : stepper.status;
      status = fromIntegratorStatus(integratorStatus);
      message = describeIntegratorFailure(integratorStatus, stepper.t);
    }
    if (status === "nonfinite" && field.lastDiagnostics !== undefined) {
      const d = field.lastDiagnostics;
      message += ` (last evaluation at t = ${d.t}: max|f| = ${d.maxAbsRhs}, ‖θ̇‖ = ${d.thetaDotNorm})`;
    }
    const result: EvolutionResult = {
      status,
      message,
      final: snapshot(stepper.t, stepper.state()),
      saved,
      stats: { rhsEvaluations: evaluations(), acceptedSteps: stepper.stats.acceptedSteps, rejectedSteps: stepper.stats.rejectedSteps },
      lastDiagnostics: field.lastDiagnostics,
    };
    if (status !== "success" && options.throwOnFailure === true) {
      throw new MinevoError(failureCode[status], `evolution failed (${status}): ${message}`, { status, t: result.final.t, diagnostics: result.lastDiagnostics });
    }
    return result;
  } finally {
    stepper?.dispose();
    run.dispose();
  }
}

function prepareRun(solver: Solver, initial: InitialState, options: PrepareOptions): PreparedRun {
  const { tf, network, sketch, equation } = solver;
  const parameters = toFloat64(initial.parameters, "the initial θ");
  const points = toFloat64(initial.points, "the initial points");
  const field = new MneVectorField({
    tf,
    network,
    sketch,
    equation,
    points,
    ...(options.computeResidual !== undefined ? { computeResidual: options.computeResidual } : {}),
    ...(options.onEvaluation !== undefined ? { onEvaluation: options.onEvaluation } : {}),
  });
  try {
    const initialState = field.initialState(parameters, points, initial.extra ?? {});
    // Ω is drawn once per run from the stream labelled "sketch" and never redrawn: the same seed
    // gives the same sketch, so the vector field is a smooth deterministic function of the state.
    const random = options.sketchState === undefined ? solver.random.derive("sketch") : sketchStream(options.sketchState, sketch.name, field);
    sketch.prepare({ numPoints: field.numPoints, numParameters: field.numParameters, random, tf });
    return {
      vectorField: field,
      initialState,
      rhs: (t, state) => field.evaluate(t, state),
      pointsOf: (state) => field.pointsOf(state, points),
      dispose: () => field.dispose(),
    };
  } catch (error) {
    field.dispose();
    throw error;
  }
}

/** The stream a saved sketch state restores, after checking that it belongs to this run. */
function sketchStream(state: SketchState, strategy: string, field: MneVectorField): RandomStream {
  if (state.strategy !== strategy || state.numPoints !== field.numPoints || state.numParameters !== field.numParameters) {
    throw new MinevoError(
      ErrorCode.InvalidState,
      `the saved sketch state is for ${quote(state.strategy)} with N = ${state.numPoints}, p = ${state.numParameters}; this run has ` +
        `${quote(strategy)} with N = ${field.numPoints}, p = ${field.numParameters}: resume with the same options`,
    );
  }
  return RandomStream.fromState(state.random);
}

function resumableIntegrator(integrator: Integrator): ResumableIntegrator {
  if (typeof (integrator as Partial<ResumableIntegrator>).restoreStepper !== "function") {
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `integrator "${integrator.name}" cannot snapshot its state, so this run cannot be checkpointed or resumed: use one of @minevo/integrators' methods (e.g. dopri5)`,
      { field: "integrator" },
    );
  }
  return integrator as ResumableIntegrator;
}

function copySnapshot(s: EvolutionSnapshot): EvolutionSnapshot {
  return {
    t: s.t,
    parameters: Float64Array.from(s.parameters),
    points: Float64Array.from(s.points),
    extra: Object.fromEntries(Object.entries(s.extra).map(([k, v]) => [k, Float64Array.from(v)])),
  };
}

/** Canonical JSON: object keys sorted, undefined and functions left out. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "function") return undefined;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

function fingerprintOf(value: unknown): string {
  return crc32(new TextEncoder().encode(canonicalJson(value))).toString(16).padStart(8, "0");
}

/** What determines an evolution's numbers, as plain data (hashes for the initial arrays). */
function evolutionSettings(solver: Solver, initial: InitialState, t0: number, t1: number, saveAt: readonly number[]): Record<string, unknown> {
  const tag = (values: ArrayLike<number>): unknown => ({ length: values.length, crc32: fingerprintOf(Array.from(values)) });
  const { name, options } = solver.network.toJSON(Float64Array.from(initial.parameters));
  return {
    network: { name, options },
    sketch: solver.sketch.name,
    integrator: { name: solver.integrator.name, controller: (solver.integrator as { controller?: unknown }).controller ?? null },
    equation: solver.equation.name,
    t0,
    t1,
    saveAt: [...saveAt],
    parameters: tag(initial.parameters),
    points: tag(initial.points),
    extra: Object.fromEntries(Object.entries(initial.extra ?? {}).map(([k, v]) => [k, tag(v)])),
  };
}

function corruptEvolution(field: string, value: unknown): MinevoError {
  return new MinevoError(
    ErrorCode.CorruptCheckpoint,
    `the evolution checkpoint is malformed: ${field} is ${quote(value)}; pass what evolve's checkpoint.save received, or decodeEvolutionCheckpoint's output`,
    { field },
  );
}

/** Throws CorruptCheckpoint unless `value` has the shape of an {@link EvolutionCheckpoint}. */
function checkEvolutionCheckpoint(value: unknown): asserts value is EvolutionCheckpoint {
  if (typeof value !== "object" || value === null) throw corruptEvolution("the checkpoint", value);
  const c = value as Record<string, unknown>;
  if (c.version !== 1) throw corruptEvolution("version", c.version);
  if (typeof c.settings !== "object" || c.settings === null) throw corruptEvolution("settings", c.settings);
  if (c.fingerprint !== fingerprintOf(c.settings)) throw corruptEvolution("fingerprint (it does not match the settings)", c.fingerprint);
  const stepper = c.stepper as StepperSnapshot<MneState> | undefined;
  if (typeof stepper !== "object" || stepper === null || !(stepper.y?.theta instanceof Float64Array)) throw corruptEvolution("stepper", stepper === undefined ? undefined : "(a snapshot without y.theta)");
  if (typeof c.sketch !== "object" || c.sketch === null) throw corruptEvolution("sketch", c.sketch);
  if (!Array.isArray(c.saved)) throw corruptEvolution("saved", c.saved);
  if (!Number.isSafeInteger(c.rhsEvaluations)) throw corruptEvolution("rhsEvaluations", c.rhsEvaluations);
}

function checkEvolutionResume(resume: EvolutionCheckpoint, settings: Record<string, unknown>, fingerprint: string): void {
  checkEvolutionCheckpoint(resume);
  if (resume.fingerprint !== fingerprint) {
    const keys = [...new Set([...Object.keys(resume.settings), ...Object.keys(settings)])].sort();
    const differences = keys
      .filter((k) => canonicalJson(resume.settings[k]) !== canonicalJson(settings[k]))
      .map((k) => `${k} (checkpoint ${quote(resume.settings[k] ?? null)}, now ${quote(settings[k] ?? null)})`)
      .join("; ");
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `the checkpoint was saved by another run — ${differences}: resume with the same solver, initial state, t0, t1 and saveAt`,
      { field: "resume", fingerprint: resume.fingerprint, expected: fingerprint },
    );
  }
}

const evolutionCheckpointKind = "minevo/evolution-checkpoint";

/** An evolution checkpoint as bytes (versioned, float64s bit-exact, CRC-32 checksum). */
export function encodeEvolutionCheckpoint(checkpoint: EvolutionCheckpoint): Uint8Array {
  checkEvolutionCheckpoint(checkpoint);
  return encodeCheckpointTree(evolutionCheckpointKind, checkpoint);
}

/** The checkpoint in `bytes`; throws MinevoError CorruptCheckpoint for a truncated, modified or foreign file. */
export function decodeEvolutionCheckpoint(bytes: Uint8Array): EvolutionCheckpoint {
  const value = decodeCheckpointTree(bytes, evolutionCheckpointKind);
  checkEvolutionCheckpoint(value);
  return value;
}
