/**
 * The manual stepper: one explicit Runge–Kutta method, one step-size controller, one problem.
 * `solve` is a loop over it. All stepping logic is written once as generators (see effects.ts),
 * driven either synchronously or asynchronously.
 *
 * Ownership: the stepper owns every value the right-hand side returns and every combination it
 * forms, and disposes each as soon as it is no longer needed; it never disposes or modifies the
 * user's y0. Values it hands out (state(), interpolate()) are fresh copies owned by the caller.
 */
import { ErrorCode, MinevoError, quote } from "@minevo/core";
import type {
  IntegrationProblem,
  IntegrationStatistics,
  IntegrationStatus,
  ResumableStepper,
  RightHandSide,
  StateSpace,
  StepReport,
  StepperSnapshot,
  ToleranceHandle,
} from "@minevo/core";
import type { StepController } from "./controller.js";
import { acceptedStepFactor, rejectedStepFactor } from "./controller.js";
import type { Effectful } from "./effects.js";
import { runAsync, runSync } from "./effects.js";
import type { RungeKuttaMethod } from "./methods/method.js";
import { endDerivativeIndex } from "./methods/method.js";
import { inferStateSpace } from "./state/infer.js";

/** One accepted step, enough to interpolate inside it. */
export interface StepRecord<S> {
  readonly t0: number;
  readonly h: number;
  readonly y0: S;
  readonly y1: S;
  /** Stage derivatives, then the end derivative f(t0 + h, y1), then any extra dense stages. */
  readonly derivatives: S[];
  extraStagesReady: boolean;
}

export interface StepperSettings {
  readonly method: RungeKuttaMethod;
  readonly controller: StepController;
  /** Step attempts (accepted + rejected) allowed. */
  readonly maxSteps: number;
}

export type StepperMode = "sync" | "async";

export class RungeKuttaStepper<S> implements ResumableStepper<S> {
  readonly space: StateSpace<S>;
  readonly method: RungeKuttaMethod;
  readonly t0: number;
  readonly t1: number;
  readonly #rhs: RightHandSide<S>;
  readonly #userY0: S;
  readonly #controller: StepController;
  readonly #maxSteps: number;
  readonly #direction: number;
  /** k in the controller's exponents: error-estimate order + 1. */
  readonly #k: number;
  #tolerance: ToleranceHandle | null = null;

  #t: number;
  #y: S;
  #f0: S | null = null;
  #h = 0;
  #status: IntegrationStatus | "running" = "running";
  #message = "";
  #initialized = false;
  #busy = false;
  #disposed = false;
  #rhsEvaluations = 0;
  #accepted = 0;
  #rejected = 0;
  #consecutiveRejections = 0;
  /** Error norms of previous accepted steps, most recent first (floored at 1e-4 as in Hairer). */
  #errorHistory: number[] = [];
  #last: StepRecord<S> | null = null;
  #fixedIndex = 0;
  #fixedCount = 0;

  /**
   * A stepper at `problem.t0` with `problem.y0`, or, given `restore` (a {@link snapshot} of a
   * stepper of the same method on the same interval), exactly where that stepper was: the next
   * step repeats, bit for bit, what the snapshotted stepper's next step would have done.
   */
  constructor(problem: IntegrationProblem<S>, settings: StepperSettings, mode: StepperMode, restore?: StepperSnapshot<S>) {
    if (restore !== undefined) {
      checkSnapshot(restore, settings.method.name, problem.t0, problem.t1);
      // The snapshot's state is the stepper's "y0": read, never disposed or modified.
      problem = { ...problem, y0: restore.y };
    }
    const { t0, t1, y0, rhs } = problem;
    if (!Number.isFinite(t0) || !Number.isFinite(t1)) {
      throw new MinevoError(ErrorCode.InvalidArgument, `t0 and t1 must be finite, got t0 ${quote(t0)}, t1 ${quote(t1)}`);
    }
    if (typeof rhs !== "function") {
      throw new MinevoError(ErrorCode.InvalidArgument, `the right-hand side must be a function (t, y) => dy/dt, got ${quote(rhs)}`);
    }
    if (!Number.isInteger(settings.maxSteps) || settings.maxSteps < 1) {
      throw new MinevoError(ErrorCode.InvalidOptions, `maxSteps must be a whole number ≥ 1, got ${quote(settings.maxSteps)}`);
    }
    if (settings.controller.kind === "adaptive" && settings.method.error === undefined) {
      throw new MinevoError(
        ErrorCode.InvalidOptions,
        `${settings.method.name} has no error estimate, so it cannot take an adaptive controller: give it { dt } or { steps }, or use bosh3, dopri5, tsit5 or dop853`,
      );
    }
    this.space = problem.stateSpace ?? inferStateSpace(y0, { readSync: mode === "sync" });
    this.space.check(y0, "the initial state");
    this.method = settings.method;
    this.t0 = t0;
    this.t1 = t1;
    this.#rhs = rhs;
    this.#userY0 = y0;
    this.#controller = settings.controller;
    this.#maxSteps = settings.maxSteps;
    this.#direction = t1 >= t0 ? 1 : -1;
    this.#k = (settings.method.error?.order ?? settings.method.order - 1) + 1;
    this.#t = t0;
    this.#y = y0;
    if (restore !== undefined) this.#restore(restore);
  }

  #restore(snapshot: StepperSnapshot<S>): void {
    this.#t = snapshot.t;
    this.#h = snapshot.h;
    this.#status = snapshot.status;
    this.#message = snapshot.message;
    this.#initialized = snapshot.initialized;
    if (snapshot.derivative !== null) this.#f0 = this.space.clone(this.space.check(snapshot.derivative, "the snapshot's derivative"));
    this.#rhsEvaluations = snapshot.stats.rhsEvaluations;
    this.#accepted = snapshot.stats.acceptedSteps;
    this.#rejected = snapshot.stats.rejectedSteps;
    this.#errorHistory = [...snapshot.errorHistory];
    this.#lastError = snapshot.lastErrorNorm;
    this.#fixedIndex = snapshot.fixedIndex;
    this.#fixedCount = snapshot.fixedCount;
    if (this.#initialized && this.#controller.kind === "adaptive") {
      this.#tolerance = this.space.createTolerance(this.#controller.rtol, this.#controller.atol);
    }
  }

  /**
   * Everything needed to continue exactly from here (between steps): t, y, the next h, the
   * first-same-as-last derivative f(t, y), the controller's error history, the statistics. The
   * states are copies owned by the caller (plain Float64Arrays for CPU states). The last step's
   * interpolant is not included: a restored stepper interpolates only after its next step.
   */
  snapshot(): StepperSnapshot<S> {
    this.#checkAlive();
    if (this.#busy) throw new MinevoError(ErrorCode.InvalidArgument, "cannot snapshot a stepper in the middle of a step: await the step first");
    return {
      method: this.method.name,
      t0: this.t0,
      t1: this.t1,
      t: this.#t,
      y: this.space.clone(this.#y),
      h: this.#h,
      status: this.#status,
      message: this.#message,
      initialized: this.#initialized,
      derivative: this.#f0 === null ? null : this.space.clone(this.#f0),
      stats: this.stats,
      errorHistory: [...this.#errorHistory],
      lastErrorNorm: this.#lastError,
      fixedIndex: this.#fixedIndex,
      fixedCount: this.#fixedCount,
    };
  }

  get t(): number {
    return this.#t;
  }

  get h(): number {
    return this.#h;
  }

  get status(): IntegrationStatus | "running" {
    return this.#status;
  }

  get message(): string {
    return this.#message;
  }

  get done(): boolean {
    return this.#status !== "running";
  }

  get stats(): IntegrationStatistics {
    return { rhsEvaluations: this.#rhsEvaluations, acceptedSteps: this.#accepted, rejectedSteps: this.#rejected };
  }

  /** The last accepted step, for dense output (valid until the next step). */
  get lastStep(): StepRecord<S> | null {
    return this.#last;
  }

  init(): Promise<void> {
    return this.#drive(this.initializeWork(), runAsync);
  }

  initSync(): void {
    this.#drive(this.initializeWork(), runSync);
  }

  step(): Promise<StepReport> {
    return this.#drive(this.stepWork(), runAsync);
  }

  stepSync(): StepReport {
    return this.#drive(this.stepWork(), runSync);
  }

  state(): S {
    this.#checkAlive();
    return this.space.clone(this.#y);
  }

  interpolate(t: number): Promise<S> {
    return this.#drive(this.interpolateWork(t), runAsync);
  }

  interpolateSync(t: number): S {
    return this.#drive(this.interpolateWork(t), runSync);
  }

  /** Computes DOP853's extra stages for the last step if they are not there yet. */
  prepareDenseWork(): Effectful<void> {
    return this.#prepareDense();
  }

  *interpolateWork(t: number): Effectful<S> {
    this.#checkAlive();
    const record = this.#last;
    if (t === this.#t) return this.space.clone(this.#y);
    if (record === null || !withinStep(record, t)) {
      const range = record === null ? `only t = ${this.#t} is available before the first step` : `the last step covers [${record.t0}, ${record.t0 + record.h}]`;
      throw new MinevoError(ErrorCode.InvalidArgument, `cannot interpolate at t = ${quote(t)}: ${range}`, { t });
    }
    yield* this.#prepareDense();
    return interpolateStep(this.space, this.method, record, t);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#release(this.#last, new Set());
    this.#last = null;
    if (this.#y !== this.#userY0) this.space.dispose(this.#y);
    if (this.#f0 !== null) this.space.dispose(this.#f0);
    this.#f0 = null;
    this.#tolerance?.dispose();
    this.#tolerance = null;
  }

  /** Runs one unit of work, refusing re-entry (two concurrent steps would share stage values). */
  #drive<T, R>(work: Effectful<T>, driver: (work: Effectful<T>) => R): R {
    this.#checkAlive();
    if (this.#busy) {
      throw new MinevoError(ErrorCode.InvalidArgument, "the stepper is already working: await the previous call before the next one");
    }
    this.#busy = true;
    let release = true;
    try {
      const result = driver(work);
      if (result instanceof Promise) {
        release = false;
        return result.finally(() => {
          this.#busy = false;
        }) as R;
      }
      return result;
    } finally {
      if (release) this.#busy = false;
    }
  }

  #checkAlive(): void {
    if (this.#disposed) throw new MinevoError(ErrorCode.InvalidArgument, "this stepper was disposed: create a new one");
  }

  /** Evaluates f(t, y), checks its shape, and returns null if it is not finite. */
  *#evaluate(t: number, y: S, what: string): Effectful<S | null> {
    this.#rhsEvaluations++;
    let value = this.space.check(yield this.#rhs(t, y), `the right-hand side's value at t = ${t}`);
    if (value === y || value === this.#userY0) value = this.space.clone(value);
    const finite = (yield this.space.isFinite(value)) as boolean;
    if (!finite) {
      this.space.dispose(value);
      this.#fail("nonfinite", `the right-hand side returned a non-finite value (NaN or ±Infinity) at t = ${t} (${what})`);
      return null;
    }
    return value;
  }

  #fail(status: IntegrationStatus, message: string): void {
    this.#status = status;
    this.#message = message;
  }

  *initializeWork(): Effectful<void> {
    if (this.#initialized) return;
    this.#initialized = true;
    if (this.#controller.kind === "adaptive") {
      this.#tolerance = this.space.createTolerance(this.#controller.rtol, this.#controller.atol);
    }
    if (!((yield this.space.isFinite(this.#y)) as boolean)) {
      this.#fail("nonfinite", `the initial state at t0 = ${this.t0} has a non-finite component`);
      return;
    }
    if (this.t1 === this.t0) {
      this.#status = "success";
      return;
    }
    const f0 = yield* this.#evaluate(this.t0, this.#y, "initial derivative");
    if (f0 === null) return;
    this.#f0 = f0;
    const controller = this.#controller;
    if (controller.kind === "constant") {
      const span = Math.abs(this.t1 - this.t0);
      this.#fixedCount = controller.steps ?? Math.max(1, Math.ceil(span / (controller.dt as number) - 1e-9));
      this.#h = controller.steps !== undefined ? (this.t1 - this.t0) / controller.steps : this.#direction * (controller.dt as number);
      return;
    }
    const dtmax = Math.min(controller.dtmax, Math.abs(this.t1 - this.t0));
    const magnitude = controller.dt0 ?? (yield* this.#initialStepSize(f0, dtmax));
    this.#h = this.#direction * Math.min(magnitude, dtmax);
  }

  /**
   * Hairer's HINIT (Solving ODE I, §II.4): h₀ from ‖y₀‖/‖f₀‖, one explicit Euler trial step to
   * estimate ‖f'‖, then h = min(100 h₀, (0.01 / max(‖f₀‖, ‖f'‖))^(1/k), dtmax).
   */
  *#initialStepSize(f0: S, dtmax: number): Effectful<number> {
    const space = this.space;
    const tolerance = this.#tolerance as ToleranceHandle;
    const n = Math.max(space.size, 1);
    const [sy, sf] = (yield space.weightedSquares([this.#y, f0], [this.#y], tolerance)) as number[];
    const d0 = Math.sqrt((sy as number) / n);
    const d1 = Math.sqrt((sf as number) / n);
    let h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
    h0 = Math.min(h0, dtmax);
    const trial = space.combine(this.#y, this.#direction * h0, [1], [f0]);
    this.#rhsEvaluations++;
    let f1: S;
    try {
      const value = space.check(yield this.#rhs(this.t0 + this.#direction * h0, trial), `the right-hand side's value at t = ${this.t0 + this.#direction * h0}`);
      f1 = value === trial ? space.clone(value) : value;
    } finally {
      space.dispose(trial);
    }
    const difference = space.combine(null, 1, [1, -1], [f1, f0]);
    space.dispose(f1);
    let d2: number;
    try {
      const [sd] = (yield space.weightedSquares([difference], [this.#y], tolerance)) as number[];
      d2 = Math.sqrt((sd as number) / n) / h0;
    } finally {
      space.dispose(difference);
    }
    // A non-finite trial derivative says nothing about the scale: fall back to the cautious h₀.
    if (!Number.isFinite(d2)) return h0;
    const dmax = Math.max(d1, d2);
    const h1 = dmax <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : Math.pow(0.01 / dmax, 1 / this.#k);
    return Math.min(100 * h0, h1, dtmax);
  }

  *stepWork(): Effectful<StepReport> {
    if (!this.#initialized) yield* this.initializeWork();
    const tPrevious = this.#t;
    let rejectedAttempts = 0;
    while (this.#status === "running") {
      if (this.#accepted + this.#rejected >= this.#maxSteps) {
        this.#fail("max_steps", `reached maxSteps = ${this.#maxSteps} step attempts at t = ${this.#t} before t1 = ${this.t1}: raise maxSteps or loosen the tolerances`);
        break;
      }
      const outcome = yield* this.#attempt();
      if (outcome === "accepted") {
        return { status: this.#status, tPrevious, t: this.#t, rejectedAttempts, errorNorm: this.#lastError };
      }
      if (outcome === "rejected") rejectedAttempts++;
    }
    return { status: this.#status, tPrevious, t: this.#t, rejectedAttempts, errorNorm: this.#lastError };
  }

  #lastError = 0;

  /** One attempt: stages, error norm, then accept (commit) or reject (shrink h). */
  *#attempt(): Effectful<"accepted" | "rejected" | "stopped"> {
    const method = this.method;
    const space = this.space;
    const controller = this.#controller;
    const t = this.#t;
    const y = this.#y;
    let h = this.#h;
    let last = false;
    if (controller.kind === "constant") {
      last = this.#fixedIndex + 1 >= this.#fixedCount;
      const tNext = last ? this.t1 : this.t0 + (this.#fixedIndex + 1) * this.#h;
      h = tNext - t;
    } else {
      const floor = Math.max(controller.dtmin, 10 * Number.EPSILON * Math.abs(t));
      if (Math.abs(h) < floor || Math.abs(h) === 0) {
        this.#fail("dt_underflow", `the step size ${Math.abs(h)} fell below ${floor} at t = ${t}: the problem may be stiff or singular there; lower dtmin or loosen the tolerances`);
        return "stopped";
      }
      // Stretch the last step to t1 rather than leave a sliver (Hairer's 1.01 rule), unless
      // that would exceed dtmax.
      if (this.#direction * (t + 1.01 * h - this.t1) >= 0 && Math.abs(this.t1 - t) <= controller.dtmax) {
        h = this.t1 - t;
        last = true;
      }
    }

    const stages = method.stages;
    const derivatives: S[] = [this.#f0 as S];
    let y1: S | null = null;
    const cleanup = (): void => {
      for (let i = 1; i < derivatives.length; i++) space.dispose(derivatives[i] as S);
      if (y1 !== null) space.dispose(y1);
    };
    let ok = false;
    try {
      for (let i = 1; i < stages; i++) {
        const stageState = space.combine(y, h, method.a[i] as readonly number[], derivatives);
        const isEndStage = method.fsal && i === stages - 1;
        let k: S | null;
        try {
          k = yield* this.#evaluate(t + (method.c[i] as number) * h, stageState, `stage ${i + 1} of ${method.name}`);
        } finally {
          if (isEndStage) y1 = stageState;
          else space.dispose(stageState);
        }
        if (k === null) return "stopped";
        derivatives.push(k);
      }
      if (!method.fsal) y1 = space.combine(y, h, method.b, derivatives);
      const newY = y1 as S;

      let error = 0;
      if (controller.kind === "adaptive") {
        error = yield* this.#errorNorm(h, derivatives, y, newY);
        if (Number.isNaN(error)) {
          this.#fail("nonfinite", `the error estimate is NaN at t = ${t}, h = ${h}: check that rtol and atol are not both zero for a component that is zero`);
          return "stopped";
        }
        if (!(error <= 1)) {
          this.#rejected++;
          this.#consecutiveRejections++;
          this.#h = h * rejectedStepFactor(controller, error, this.#k);
          if (controller.dtmin > 0 && Math.abs(this.#h) < controller.dtmin) {
            if (Math.abs(h) <= controller.dtmin * (1 + 1e-12)) {
              this.#fail("dt_underflow", `a step of the minimum size dtmin = ${controller.dtmin} was rejected at t = ${t} (error norm ${error}): lower dtmin or loosen the tolerances`);
              return "stopped";
            }
            this.#h = this.#direction * controller.dtmin;
          }
          if (this.#consecutiveRejections > controller.maxRejections) {
            this.#fail("rejected_too_often", `${this.#consecutiveRejections} consecutive rejected steps at t = ${t} (last error norm ${error}, h = ${h}): raise maxRejections or loosen the tolerances`);
            return "stopped";
          }
          return "rejected";
        }
      }

      if (!method.fsal) {
        const end = yield* this.#evaluate(t + h, newY, "end-of-step derivative");
        if (end === null) return "stopped";
        derivatives.push(end);
      }
      ok = true;
      this.#commit(t, h, newY, derivatives, last, error);
      return "accepted";
    } finally {
      if (!ok) cleanup();
    }
  }

  *#errorNorm(h: number, derivatives: readonly S[], y: S, y1: S): Effectful<number> {
    const space = this.space;
    const estimate = this.method.error;
    const tolerance = this.#tolerance as ToleranceHandle;
    const n = Math.max(space.size, 1);
    if (estimate === undefined) return 0;
    if (estimate.kind === "embedded") {
      const difference = space.combine(null, h, estimate.weights, derivatives);
      try {
        const [sum] = (yield space.weightedSquares([difference], [y, y1], tolerance)) as number[];
        return Math.sqrt((sum as number) / n);
      } finally {
        space.dispose(difference);
      }
    }
    // DOP853 (Hairer): err = |h| ‖e5‖² / sqrt(n (‖e5‖² + 0.01 ‖e3‖²)) with unscaled differences.
    const e5 = space.combine(null, 1, estimate.e5, derivatives);
    let e3: S | null = null;
    try {
      e3 = space.combine(null, 1, estimate.e3, derivatives);
      const [s5, s3] = (yield space.weightedSquares([e5, e3], [y, y1], tolerance)) as [number, number];
      let denominator = s5 + 0.01 * s3;
      if (denominator <= 0) denominator = 1;
      return (Math.abs(h) * s5) / Math.sqrt(n * denominator);
    } finally {
      space.dispose(e5);
      if (e3 !== null) space.dispose(e3);
    }
  }

  #commit(t: number, h: number, y1: S, derivatives: S[], last: boolean, error: number): void {
    const previous = this.#last;
    const record: StepRecord<S> = { t0: t, h, y0: this.#y, y1, derivatives, extraStagesReady: false };
    this.#last = record;
    this.#t = last ? this.t1 : t + h;
    this.#y = y1;
    this.#f0 = derivatives[endDerivativeIndex(this.method)] as S;
    this.#accepted++;
    this.#lastError = error;
    const wasRejected = this.#consecutiveRejections > 0;
    this.#consecutiveRejections = 0;
    const keep = new Set<S>([record.y0, ...record.derivatives]);
    this.#release(previous, keep);

    const controller = this.#controller;
    if (controller.kind === "constant") {
      this.#fixedIndex++;
    } else {
      let factor = acceptedStepFactor(controller, error, this.#errorHistory, this.#k);
      if (wasRejected) factor = Math.min(factor, 1);
      this.#errorHistory = [Math.max(error, 1e-4), ...this.#errorHistory].slice(0, 2);
      const dtmax = Math.min(controller.dtmax, Math.abs(this.t1 - this.t0));
      const magnitude = Math.min(Math.max(Math.abs(h) * factor, controller.dtmin), dtmax);
      this.#h = this.#direction * magnitude;
    }
    if (last) this.#status = "success";
  }

  /** Disposes what a step record holds, except `keep`, the current state and the user's y0. */
  #release(record: StepRecord<S> | null, keep: Set<S>): void {
    if (record === null) return;
    const seen = new Set<S>();
    for (const value of [record.y0, record.y1, ...record.derivatives]) {
      if (value === undefined || seen.has(value)) continue;
      seen.add(value);
      if (keep.has(value) || value === this.#y || value === this.#f0 || value === this.#userY0) continue;
      this.space.dispose(value);
    }
  }

  *#prepareDense(): Effectful<void> {
    const record = this.#last;
    const dense = this.method.dense;
    if (record === null || record.extraStagesReady || dense.kind !== "continuous") return;
    for (const stage of dense.extraStages) {
      const stageState = this.space.combine(record.y0, record.h, stage.a, record.derivatives);
      let k: S | null;
      try {
        k = yield* this.#evaluate(record.t0 + stage.c * record.h, stageState, `dense-output stage of ${this.method.name}`);
      } finally {
        this.space.dispose(stageState);
      }
      if (k === null) {
        throw new MinevoError(ErrorCode.NonFinite, `${this.#message}: the dense output of the last step cannot be formed`);
      }
      record.derivatives.push(k);
    }
    record.extraStagesReady = true;
  }
}

/** Refuses a snapshot of another method or interval, or one with malformed numbers. */
function checkSnapshot(snapshot: StepperSnapshot<unknown>, method: string, t0: number, t1: number): void {
  if (typeof snapshot !== "object" || snapshot === null) {
    throw new MinevoError(ErrorCode.InvalidState, `a stepper snapshot must be the object snapshot() returned, got ${quote(snapshot)}`);
  }
  if (snapshot.method !== method) {
    throw new MinevoError(ErrorCode.InvalidState, `the snapshot was taken with method ${quote(snapshot.method)}; it cannot continue with ${quote(method)}`, {
      method: snapshot.method,
    });
  }
  if (snapshot.t0 !== t0 || snapshot.t1 !== t1) {
    throw new MinevoError(
      ErrorCode.InvalidState,
      `the snapshot integrates over [${snapshot.t0}, ${snapshot.t1}], the problem over [${t0}, ${t1}]: resume with the same t0 and t1`,
      { t0: snapshot.t0, t1: snapshot.t1 },
    );
  }
  const numbers = [snapshot.t, snapshot.h, snapshot.lastErrorNorm, ...snapshot.errorHistory];
  const counts = [snapshot.stats?.rhsEvaluations, snapshot.stats?.acceptedSteps, snapshot.stats?.rejectedSteps, snapshot.fixedIndex, snapshot.fixedCount];
  const statuses = ["running", "success", "max_steps", "dt_underflow", "nonfinite", "rejected_too_often"];
  if (
    !numbers.every((v) => typeof v === "number" && Number.isFinite(v)) ||
    !counts.every((v) => Number.isSafeInteger(v) && (v as number) >= 0) ||
    !statuses.includes(snapshot.status) ||
    typeof snapshot.initialized !== "boolean" ||
    (snapshot.initialized && snapshot.status === "running" && t1 !== t0 && snapshot.derivative === null)
  ) {
    throw new MinevoError(ErrorCode.InvalidState, `malformed stepper snapshot at t = ${quote(snapshot.t)}: pass the object snapshot() returned`, { t: snapshot.t });
  }
}

export function withinStep(record: StepRecord<unknown>, t: number): boolean {
  const a = Math.min(record.t0, record.t0 + record.h);
  const b = Math.max(record.t0, record.t0 + record.h);
  return t >= a && t <= b;
}

/** The dense output of one step at t (the step's extra stages must be ready). */
export function interpolateStep<S>(space: StateSpace<S>, method: RungeKuttaMethod, record: StepRecord<S>, t: number): S {
  const { t0, h, y0, y1, derivatives } = record;
  if (t === t0) return space.clone(y0);
  if (t === t0 + h) return space.clone(y1);
  const theta = (t - t0) / h;
  const dense = method.dense;
  if (dense.kind === "hermite") {
    const f0 = derivatives[0] as S;
    const f1 = derivatives[endDerivativeIndex(method)] as S;
    const t2 = theta * theta;
    const t3 = t2 * theta;
    // Cubic Hermite basis on [0, 1].
    const h00 = 2 * t3 - 3 * t2 + 1;
    const h10 = t3 - 2 * t2 + theta;
    const h01 = -2 * t3 + 3 * t2;
    const h11 = t3 - t2;
    return space.combine(null, 1, [h00, h * h10, h01, h * h11], [y0, f0, y1, f1]);
  }
  const weights = new Float64Array(derivatives.length);
  dense.weights(theta, weights);
  return space.combine(y0, h, weights, derivatives);
}
