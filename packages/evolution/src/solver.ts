/**
 * createSolver / evolve: network, sketch, integrator and equation composed into one MNE run.
 *
 * The run is driven step by step through the integrator's manual stepper, so that every
 * accepted step can be reported (t, step size, rejections, effective rank, max|f|, ‖θ̇‖) and a
 * blow-up stops the run with a status and diagnostics instead of returning garbage: a non-finite
 * right-hand side, a step size collapsing below a floor, an exploding max|f|, or too many
 * right-hand-side evaluations.
 */
import {
  ErrorCode,
  MinevoError,
  RandomStream,
  quote,
  type EvolutionEquation,
  type Integrator,
  type IntegrationStatus,
  type Network,
  type PluginName,
  type PluginOptions,
  type Seed,
  type SketchStrategy,
  type Stepper,
  type TensorFlow,
} from "@minevo/core";
import { resolveComponent, type ComponentChoice } from "./choices.js";
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
  readonly signal?: AbortSignal;
  /** Throw a MinevoError instead of returning a failed result. Default false. */
  readonly throwOnFailure?: boolean;
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
  prepare(initial: InitialState, options?: Pick<EvolveOptions, "computeResidual" | "onEvaluation">): PreparedRun;
  /** Releases the sketch's tensors. Safe to call twice. */
  dispose(): void;
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
  aborted: ErrorCode.IntegrationFailed,
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

  const run = prepareRun(solver, initial, options);
  const field = run.vectorField;
  const y0 = run.initialState;
  let stepper: Stepper<MneState> | undefined;
  try {
    const snapshot = (t: number, state: MneState): EvolutionSnapshot => ({
      t,
      parameters: Float64Array.from(state.theta),
      points: run.pointsOf(state),
      extra: Object.fromEntries(field.extraState.map((name) => [name, Float64Array.from(state.extra?.[name] ?? [])])),
    });
    const saved: EvolutionSnapshot[] = [];
    let nextSave = 0;
    while (nextSave < saveAt.length && saveAt[nextSave] === t0) {
      saved.push(snapshot(t0, y0));
      nextSave++;
    }

    stepper = integrator.createStepper<MneState>({ rhs: run.rhs, t0, t1, y0 });
    await stepper.init();
    let status: EvolutionStatus = "success";
    let message = "";
    while (!stepper.done) {
      if (options.signal?.aborted === true) {
        status = "aborted";
        message = `aborted at t = ${stepper.t}`;
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
        rhsEvaluations: field.evaluations,
        effectiveRank: diagnostics?.effectiveRank ?? Number.NaN,
        maxAbsRhs: diagnostics?.maxAbsRhs ?? Number.NaN,
        thetaDotNorm: diagnostics?.thetaDotNorm ?? Number.NaN,
        diagnostics,
      });
      if (stepper.done) break;
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
      if (field.evaluations >= maxRhsEvaluations) {
        status = "max_rhs_evaluations";
        message = `${field.evaluations} right-hand-side evaluations reached maxRhsEvaluations = ${maxRhsEvaluations} at t = ${report.t}`;
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
      stats: { rhsEvaluations: field.evaluations, acceptedSteps: stepper.stats.acceptedSteps, rejectedSteps: stepper.stats.rejectedSteps },
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

function prepareRun(solver: Solver, initial: InitialState, options: Pick<EvolveOptions, "computeResidual" | "onEvaluation">): PreparedRun {
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
    sketch.prepare({ numPoints: field.numPoints, numParameters: field.numParameters, random: solver.random.derive("sketch"), tf });
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
