/**
 * `solve`: run a stepper to t1 and collect states by the save policy. Failures come back as a
 * result with a status and the solution up to the failure; `throwOnFailure` turns them into a
 * MinevoError instead.
 */
import { ErrorCode, MinevoError } from "@minevo/core";
import type { IntegrationProblem, IntegrationResult, IntegrationStatus, SolveOptions, StateSpace } from "@minevo/core";
import type { Effectful } from "./effects.js";
import type { RungeKuttaMethod } from "./methods/method.js";
import type { StepRecord, StepperMode, StepperSettings } from "./stepper.js";
import { RungeKuttaStepper, interpolateStep, withinStep } from "./stepper.js";
import { checkSaveTimes } from "./save.js";

export function* solveWork<S>(problem: IntegrationProblem<S>, settings: StepperSettings, options: SolveOptions, mode: StepperMode): Effectful<IntegrationResult<S>> {
  const save = options.save ?? { kind: "final" };
  if (save.kind === "times") checkSaveTimes(save.times, problem.t0, problem.t1);
  const stepper = new RungeKuttaStepper(problem, settings, mode);
  const space = stepper.space;
  const ts: number[] = [];
  const ys: S[] = [];
  const segments: StepRecord<S>[] = [];
  let nextTime = 0;
  let result: IntegrationResult<S>;
  try {
    yield* stepper.initializeWork();
    if (save.kind === "steps" || save.kind === "dense") {
      ts.push(problem.t0);
      if (save.kind === "steps") ys.push(stepper.state());
    }
    if (save.kind === "times") {
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
