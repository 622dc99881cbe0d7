/**
 * `solve`: run a stepper to t1 and collect states by the save policy. Failures come back as a
 * result with a status and the solution up to the failure; `throwOnFailure` turns them into a
 * MinevoError instead.
 *
 * A solve is resumable: `checkpoint` hands out a {@link SolveSnapshot} (the stepper's snapshot and
 * everything the save policy collected, dense segments included) every `everySteps` accepted
 * steps, `signal` stops it after the current step (saving a snapshot first), and `resume`
 * continues from a snapshot with bitwise the same steps as the uninterrupted solve.
 */
import { ErrorCode, MinevoError, quote } from "@minevo/core";
import type {
  DenseSegment,
  IntegrationProblem,
  IntegrationResult,
  IntegrationStatus,
  ResumableSolveOptions,
  SavePolicy,
  SolveSnapshot,
  StateSpace,
} from "@minevo/core";
import type { Effectful } from "./effects.js";
import type { RungeKuttaMethod } from "./methods/method.js";
import type { StepRecord, StepperMode, StepperSettings } from "./stepper.js";
import { RungeKuttaStepper, interpolateStep, withinStep } from "./stepper.js";
import { checkSaveTimes } from "./save.js";

export function* solveWork<S>(problem: IntegrationProblem<S>, settings: StepperSettings, options: ResumableSolveOptions<S>, mode: StepperMode): Effectful<IntegrationResult<S>> {
  const save = options.save ?? { kind: "final" };
  if (save.kind === "times") checkSaveTimes(save.times, problem.t0, problem.t1);
  const resume = options.resume;
  if (resume !== undefined) checkResume(resume, save);
  const checkpoint = options.checkpoint;
  if (checkpoint !== undefined && !(Number.isSafeInteger(checkpoint.everySteps) && checkpoint.everySteps >= 1)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `checkpoint.everySteps must be a whole number ≥ 1, got ${quote(checkpoint.everySteps)}`, { field: "checkpoint.everySteps" });
  }
  const stepper = new RungeKuttaStepper(problem, settings, mode, resume?.stepper);
  const space = stepper.space;
  const ts: number[] = resume === undefined ? [] : [...resume.ts];
  const ys: S[] = [];
  const segments: StepRecord<S>[] = [];
  let nextTime = resume?.nextTime ?? 0;
  let result: IntegrationResult<S>;
  const snapshot = (): SolveSnapshot<S> => ({
    stepper: stepper.snapshot(),
    save,
    ts: [...ts],
    ys: ys.map((y) => space.clone(y)),
    segments: segments.map((segment) => toDenseSegment(space, segment)),
    nextTime,
  });
  try {
    if (resume !== undefined) {
      for (const y of resume.ys) ys.push(space.clone(space.check(y, "a saved state of the snapshot")));
      for (const segment of resume.segments) segments.push(fromDenseSegment(space, segment));
    }
    yield* stepper.initializeWork();
    if (resume === undefined && (save.kind === "steps" || save.kind === "dense")) {
      ts.push(problem.t0);
      if (save.kind === "steps") ys.push(stepper.state());
    }
    if (resume === undefined && save.kind === "times") {
      while (nextTime < save.times.length && save.times[nextTime] === problem.t0) {
        ts.push(problem.t0);
        ys.push(stepper.state());
        nextTime++;
      }
    }
    while (!stepper.done) {
      const report = yield* stepper.stepWork();
      const record = stepper.lastStep;
      if (report.t === report.tPrevious || record === null) break;
      if (save.kind === "steps") {
        ts.push(report.t);
        ys.push(stepper.state());
      } else if (save.kind === "times") {
        let prepared = false;
        while (nextTime < save.times.length && withinStep(record, save.times[nextTime] as number)) {
          const t = save.times[nextTime] as number;
          if (t !== report.t && !prepared) {
            yield* stepper.prepareDenseWork();
            prepared = true;
          }
          ts.push(t);
          ys.push(t === report.t ? stepper.state() : interpolateStep(space, stepper.method, record, t));
          nextTime++;
        }
      } else if (save.kind === "dense") {
        yield* stepper.prepareDenseWork();
        segments.push(copyRecord(space, record));
        ts.push(report.t);
      }
      options.onStep?.(report);
      if (options.onStepState !== undefined) yield options.onStepState(report, stepper.state());
      let saved = false;
      if (
        checkpoint !== undefined &&
        (stepper.stats.acceptedSteps % checkpoint.everySteps === 0 || (checkpoint.atEnd === true && stepper.status === "success"))
      ) {
        yield checkpoint.save(snapshot());
        saved = true;
      }
      if (options.signal?.aborted === true) {
        if (checkpoint !== undefined && !saved) yield checkpoint.save(snapshot());
        throw new MinevoError(
          ErrorCode.Aborted,
          `the solve was aborted at t = ${report.t} after ${stepper.stats.acceptedSteps} accepted steps` +
            (checkpoint !== undefined ? "; a checkpoint of this point was saved: pass it as `resume` to continue" : ""),
          { t: report.t, acceptedSteps: stepper.stats.acceptedSteps },
        );
      }
    }
    result = makeResult(stepper.status as IntegrationStatus, stepper.message, stepper.t, stepper.state(), ts, ys, stepper.stats, space, stepper.method, save.kind === "dense" ? segments : null);
  } catch (error) {
    for (const y of ys) space.dispose(y);
    for (const segment of segments) disposeRecord(space, segment);
    throw error;
  } finally {
    stepper.dispose();
  }
  if (options.throwOnFailure === true && result.status !== "success") {
    result.dispose();
    throw failureError(result.status, result.message, { t: result.t, stats: result.stats });
  }
  return result;
}

/** The MinevoError a failure status becomes when the caller asks for throwing. */
export function failureError(status: IntegrationStatus, message: string, details: Record<string, unknown>): MinevoError {
  const code =
    status === "nonfinite" ? ErrorCode.NonFinite : status === "dt_underflow" ? ErrorCode.StepSizeCollapse : ErrorCode.IntegrationFailed;
  return new MinevoError(code, `integration stopped with status "${status}": ${message}`, { status, ...details });
}

function checkResume(resume: SolveSnapshot<unknown>, save: SavePolicy): void {
  if (typeof resume !== "object" || resume === null || typeof resume.stepper !== "object" || !Array.isArray(resume.ts) || !Array.isArray(resume.ys) || !Array.isArray(resume.segments)) {
    throw new MinevoError(ErrorCode.InvalidState, `resume must be a solve snapshot (what checkpoint.save received), got ${quote(resume)}`);
  }
  const same = resume.save?.kind === save.kind && (save.kind !== "times" || JSON.stringify(save.times) === JSON.stringify((resume.save as typeof save).times));
  if (!same) {
    throw new MinevoError(ErrorCode.InvalidState, `the snapshot was taken with save policy ${quote(resume.save)}, this solve asks for ${quote(save)}: resume with the same policy`);
  }
}

/** A dense segment as plain data (copies owned by the caller). */
function toDenseSegment<S>(space: StateSpace<S>, record: StepRecord<S>): DenseSegment<S> {
  return { t0: record.t0, h: record.h, y0: space.clone(record.y0), y1: space.clone(record.y1), derivatives: record.derivatives.map((k) => space.clone(k)) };
}

/** A snapshot's dense segment back as a step record (copies; its dense stages are complete). */
function fromDenseSegment<S>(space: StateSpace<S>, segment: DenseSegment<S>): StepRecord<S> {
  if (!(Number.isFinite(segment.t0) && Number.isFinite(segment.h) && Array.isArray(segment.derivatives))) {
    throw new MinevoError(ErrorCode.InvalidState, `malformed dense segment in the snapshot: t0 = ${quote(segment.t0)}, h = ${quote(segment.h)}`);
  }
  return {
    t0: segment.t0,
    h: segment.h,
    y0: space.clone(space.check(segment.y0, "a dense segment's y0")),
    y1: space.clone(space.check(segment.y1, "a dense segment's y1")),
    derivatives: segment.derivatives.map((k) => space.clone(space.check(k, "a dense segment's derivative"))),
    extraStagesReady: true,
  };
}

function copyRecord<S>(space: StateSpace<S>, record: StepRecord<S>): StepRecord<S> {
  return {
    t0: record.t0,
    h: record.h,
    y0: space.clone(record.y0),
    y1: space.clone(record.y1),
    derivatives: record.derivatives.map((k) => space.clone(k)),
    extraStagesReady: record.extraStagesReady,
  };
}

function disposeRecord<S>(space: StateSpace<S>, record: StepRecord<S>): void {
  space.dispose(record.y0);
  space.dispose(record.y1);
  for (const k of record.derivatives) space.dispose(k);
}

function makeResult<S>(
  status: IntegrationStatus,
  message: string,
  t: number,
  y: S,
  ts: number[],
  ys: S[],
  stats: IntegrationResult<S>["stats"],
  space: StateSpace<S>,
  method: RungeKuttaMethod,
  segments: StepRecord<S>[] | null,
): IntegrationResult<S> {
  let disposed = false;
  const base = {
    status,
    message,
    t,
    y,
    ts,
    ys,
    stats,
    dispose(): void {
      if (disposed) return;
      disposed = true;
      space.dispose(y);
      for (const v of ys) space.dispose(v);
      for (const segment of segments ?? []) disposeRecord(space, segment);
    },
  };
  if (segments === null) return base;
  const t0 = ts[0] as number;
  return {
    ...base,
    interpolate(time: number): S {
      if (disposed) throw new MinevoError(ErrorCode.InvalidArgument, "this result was disposed: its dense output is gone");
      if (time === t0 && segments.length === 0) return space.clone(y);
      const segment = findSegment(segments, time);
      if (segment === undefined) {
        throw new MinevoError(ErrorCode.InvalidArgument, `cannot interpolate at t = ${time}: the solution covers [${Math.min(t0, t)}, ${Math.max(t0, t)}]`, { t: time });
      }
      return interpolateStep(space, method, segment, time);
    },
  };
}

/** Binary search over steps ordered in the direction of integration. */
function findSegment<S>(segments: readonly StepRecord<S>[], t: number): StepRecord<S> | undefined {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const segment = segments[mid] as StepRecord<S>;
    if (withinStep(segment, t)) return segment;
    const direction = Math.sign(segment.h);
    if (direction * (t - segment.t0) < 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return undefined;
}
