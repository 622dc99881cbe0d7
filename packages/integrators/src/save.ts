/** Save policies as values (as diffrax's SaveAt): which states a solve hands back. */
import { ErrorCode, MinevoError, quote } from "@minevo/core";
import type { SavePolicy } from "@minevo/core";

/** Only the final state (`result.y`); `ts`/`ys` are empty. */
export function saveFinal(): SavePolicy {
  return { kind: "final" };
}

/** The solution at the given times (monotone in the direction of integration, inside [t0, t1]), by dense output. */
export function saveAt(times: readonly number[]): SavePolicy {
  return { kind: "times", times: [...times] };
}

/** t0 and the end of every accepted step. */
export function saveSteps(): SavePolicy {
  return { kind: "steps" };
}

/** A continuous solution: `result.interpolate(t)` anywhere in [t0, t]; `ts` holds the step boundaries. */
export function saveDense(): SavePolicy {
  return { kind: "dense" };
}

export function checkSaveTimes(times: readonly number[], t0: number, t1: number): void {
  const direction = t1 >= t0 ? 1 : -1;
  let previous = t0;
  times.forEach((t, i) => {
    if (!Number.isFinite(t)) {
      throw new MinevoError(ErrorCode.InvalidArgument, `save time ${i} is ${quote(t)}: save times must be finite`, { index: i });
    }
    if (direction * (t - t0) < 0 || direction * (t - t1) > 0) {
      throw new MinevoError(ErrorCode.InvalidArgument, `save time ${i} = ${t} lies outside [${Math.min(t0, t1)}, ${Math.max(t0, t1)}]`, { index: i, t });
    }
    if (direction * (t - previous) < 0) {
      throw new MinevoError(
        ErrorCode.InvalidArgument,
        `save times must run from t0 towards t1; time ${i} = ${t} comes before ${previous}: sort them${direction < 0 ? " in decreasing order" : ""}`,
        { index: i, t },
      );
    }
    previous = t;
  });
}
