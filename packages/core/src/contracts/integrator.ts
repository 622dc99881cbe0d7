/**
 * What any integrator offers, in core's types only. @minevo/evolution reaches integrators
 * through `registries.integrator.create(name, options)` and calls the instance through this
 * contract; @minevo/integrators implements it (explicit Runge–Kutta with controllers, dense
 * output, save policies and a manual stepper).
 *
 * Ownership: every state the integrator hands back (result states, stepper snapshots,
 * interpolated values) belongs to the caller, who disposes tensor states. The integrator owns
 * and disposes everything the right-hand side returns, so the right-hand side must return
 * fresh values (for tensors: new tensors, never its input or a captured constant).
 */
import type { Tensor } from "@tensorflow/tfjs-core";

/** One leaf of a state: a float64 vector on the CPU, or a tensor on the backend. */
export type IntegrationStateLeaf = Float64Array | Tensor;

/** A state: a leaf, or a record of states (e.g. `{ theta, points, logDensity }`). */
export type IntegrationState = IntegrationStateLeaf | { readonly [key: string]: IntegrationState };

/** dy/dt = f(t, y). May be async (a right-hand side that reads tensors back to the CPU). */
export type RightHandSide<S> = (t: number, y: S) => S | Promise<S>;

/** Why an integration stopped. Anything but `success` is a failure kept as a result. */
export type IntegrationStatus = "success" | "max_steps" | "dt_underflow" | "nonfinite" | "rejected_too_often";

export interface IntegrationStatistics {
  /** Right-hand-side evaluations, including those for initial step selection and dense output. */
  readonly rhsEvaluations: number;
  readonly acceptedSteps: number;
  readonly rejectedSteps: number;
}

/** A tolerance: one number for every component, one per component (flattened), or per record key. */
export type ToleranceSpec = number | ArrayLike<number> | { readonly [key: string]: ToleranceSpec };

/** Opaque per-space tolerance data (tensors for tensor states); release with `dispose`. */
export interface ToleranceHandle {
  dispose(): void;
}

/**
 * The vector-space operations an integrator needs from a state type. Built-in spaces cover
 * Float64Array, tensors and records of them; supply your own for another representation.
 * Every returned state is new and owned by the caller.
 */
export interface StateSpace<S> {
  /** Total number of scalar components (the n of the RMS norm). */
  readonly size: number;
  /** `base + h Σ cᵢ vᵢ` (base `null` means zero) as one fused operation; zero cᵢ are skipped. */
  combine(base: S | null, h: number, coefficients: ArrayLike<number>, values: readonly S[]): S;
  /**
   * For each v in `values`: Σⱼ (vⱼ / (atolⱼ + rtolⱼ · maxₛ |scaleFromₛⱼ|))². One readback for
   * tensor states.
   */
  weightedSquares(values: readonly S[], scaleFrom: readonly S[], tolerance: ToleranceHandle): number[] | Promise<number[]>;
  /** True when every component is finite. */
  isFinite(value: S): boolean | Promise<boolean>;
  /** Returns `value` as a state; throws a DimensionMismatch error unless it has this space's shape. */
  check(value: unknown, what: string): S;
  clone(value: S): S;
  /** Releases `value` (a no-op for CPU arrays). */
  dispose(value: S): void;
  createTolerance(rtol: ToleranceSpec, atol: ToleranceSpec): ToleranceHandle;
}

/** An initial-value problem y' = f(t, y), y(t0) = y0, integrated to t1 (t1 < t0 runs backward). */
export interface IntegrationProblem<S> {
  readonly rhs: RightHandSide<S>;
  readonly t0: number;
  readonly t1: number;
  /** The initial state. Read, never disposed or modified, by the integrator. */
  readonly y0: S;
  /** The state's vector space; inferred from `y0` when omitted. */
  readonly stateSpace?: StateSpace<S>;
}

/** Which states a solve returns (besides the final one). */
export type SavePolicy =
  | { readonly kind: "final" }
  | { readonly kind: "times"; readonly times: readonly number[] }
  | { readonly kind: "steps" }
  | { readonly kind: "dense" };

export interface StepReport {
  readonly status: IntegrationStatus | "running";
  /** Start and end of the last accepted step (equal when no step was accepted). */
  readonly tPrevious: number;
  readonly t: number;
  /** Attempts rejected before this step was accepted. */
  readonly rejectedAttempts: number;
  /** The error norm of the accepted step (0 for fixed-step methods). */
  readonly errorNorm: number;
}

export interface SolveOptions {
  readonly save?: SavePolicy;
  /** Throw a MinevoError instead of returning a failed result. Default false. */
  readonly throwOnFailure?: boolean;
  /** Called after every accepted step. */
  readonly onStep?: (report: StepReport) => void;
}

export interface IntegrationResult<S> {
  readonly status: IntegrationStatus;
  /** Human-readable reason for a failure ("" on success). */
  readonly message: string;
  /** The last time reached (t1 on success) and the state there. */
  readonly t: number;
  readonly y: S;
  /** Saved times and states per the save policy, up to the failure if there was one. */
  readonly ts: readonly number[];
  readonly ys: readonly S[];
  readonly stats: IntegrationStatistics;
  /** Present for the dense policy: the solution at any t between t0 and `t`. */
  readonly interpolate?: (t: number) => S;
  /** Disposes every state this result holds (y, ys and the dense output). */
  dispose(): void;
}

/** A manual stepper: init, then step until `done`; read `state()` whenever. */
export interface Stepper<S> {
  readonly t: number;
  /** The step size the next attempt will try. */
  readonly h: number;
  readonly status: IntegrationStatus | "running";
  /** Why the stepper stopped, when it failed ("" otherwise). */
  readonly message: string;
  readonly done: boolean;
  readonly stats: IntegrationStatistics;
  init(): Promise<void>;
  initSync(): void;
  /** Advances by one accepted step (retrying rejected attempts) or stops with a failure status. */
  step(): Promise<StepReport>;
  stepSync(): StepReport;
  /** A copy of the current state, owned by the caller. */
  state(): S;
  /** The solution inside the last accepted step, owned by the caller. */
  interpolate(t: number): Promise<S>;
  interpolateSync(t: number): S;
  /** Releases every state the stepper holds. */
  dispose(): void;
}

/** What an integrator plugin creates. */
export interface Integrator {
  readonly name: string;
  /** Order of the propagated solution. */
  readonly order: number;
  readonly adaptive: boolean;
  solve<S>(problem: IntegrationProblem<S>, options?: SolveOptions): Promise<IntegrationResult<S>>;
  /** As `solve`, for a synchronous right-hand side (throws if it returns a Promise). */
  solveSync<S>(problem: IntegrationProblem<S>, options?: SolveOptions): IntegrationResult<S>;
  createStepper<S>(problem: IntegrationProblem<S>): Stepper<S>;
}

/**
 * Checkpoints (appended): everything a stepper or a solve needs to continue exactly where it
 * stopped, so that an interrupted run resumed from a snapshot gives bitwise the same numbers as
 * an uninterrupted one. States in a snapshot are copies in the state's own representation (plain
 * Float64Arrays for CPU states); the caller owns them.
 */
export interface StepperSnapshot<S> {
  /** The method's name (a snapshot is restored only into the same method). */
  readonly method: string;
  readonly t0: number;
  readonly t1: number;
  readonly t: number;
  readonly y: S;
  /** The step size the next attempt will try. */
  readonly h: number;
  readonly status: IntegrationStatus | "running";
  readonly message: string;
  readonly initialized: boolean;
  /** f(t, y): the first-same-as-last derivative the next step starts from (null before init). */
  readonly derivative: S | null;
  readonly stats: IntegrationStatistics;
  /** The controller's memory: error norms of previous accepted steps, most recent first. */
  readonly errorHistory: readonly number[];
  /** The last accepted step's error norm. */
  readonly lastErrorNorm: number;
  /** Fixed-step methods: steps taken and steps in all. */
  readonly fixedIndex: number;
  readonly fixedCount: number;
}

/** A stepper that can be snapshotted (see {@link StepperSnapshot}). */
export interface ResumableStepper<S> extends Stepper<S> {
  /** A copy of everything the stepper needs to continue; call between steps. */
  snapshot(): StepperSnapshot<S>;
}

/** One accepted step of a dense-output solve: enough to interpolate inside it. */
export interface DenseSegment<S> {
  readonly t0: number;
  readonly h: number;
  readonly y0: S;
  readonly y1: S;
  /** Stage derivatives, the end derivative, then any extra dense-output stages. */
  readonly derivatives: readonly S[];
}

/** A solve in progress: the stepper's snapshot and what the save policy collected so far. */
export interface SolveSnapshot<S> {
  readonly stepper: StepperSnapshot<S>;
  readonly save: SavePolicy;
  readonly ts: readonly number[];
  readonly ys: readonly S[];
  /** The dense output so far (the `dense` policy only; empty otherwise). */
  readonly segments: readonly DenseSegment<S>[];
  /** The `times` policy: how many of the save times were reached. */
  readonly nextTime: number;
}

/** A solve that reports its state, saves checkpoints, stops on a signal and resumes. */
export interface ResumableSolveOptions<S> extends SolveOptions {
  /**
   * After every accepted step (after `onStep`), with a copy of the state at the step's end, owned
   * by the callee. May be async (the solve waits).
   */
  readonly onStepState?: (report: StepReport, state: S) => void | Promise<void>;
  /**
   * Calls `save` with a snapshot after every `everySteps` accepted steps (counted over the whole
   * solve, resumed parts included), and before throwing on `signal`.
   */
  readonly checkpoint?: {
    readonly everySteps: number;
    /** Also save when the solve has reached t1 (a resumed finished solve returns at once). Default false. */
    readonly atEnd?: boolean;
    readonly save: (snapshot: SolveSnapshot<S>) => void | Promise<void>;
  };
  /** Continue from this snapshot instead of starting at `problem.t0` (`problem.y0` is ignored). */
  readonly resume?: SolveSnapshot<S>;
  /**
   * Checked after every accepted step: when aborted, the solve saves a checkpoint (if configured)
   * and throws a MinevoError with code `Aborted`.
   */
  readonly signal?: AbortSignal;
}

/** An integrator whose steppers and solves can be snapshotted and resumed. */
export interface ResumableIntegrator extends Integrator {
  solve<S>(problem: IntegrationProblem<S>, options?: ResumableSolveOptions<S>): Promise<IntegrationResult<S>>;
  createStepper<S>(problem: IntegrationProblem<S>): ResumableStepper<S>;
  /** A stepper continuing from `snapshot` on `problem` (its `rhs`; `t0`, `t1` must match, `y0` is ignored). */
  restoreStepper<S>(problem: IntegrationProblem<S>, snapshot: StepperSnapshot<S>): ResumableStepper<S>;
}
