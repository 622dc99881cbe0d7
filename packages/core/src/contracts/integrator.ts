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
