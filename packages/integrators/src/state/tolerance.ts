/** Checks and expands rtol/atol into one value per component. */
import { ErrorCode, MinevoError, quote } from "@minevo/core";
import type { ToleranceSpec } from "@minevo/core";

/** A scalar, or exactly `size` non-negative finite numbers (Float64Array). */
export function expandTolerance(spec: ToleranceSpec, size: number, what: string): number | Float64Array {
  if (typeof spec === "number") {
    checkToleranceValue(spec, what);
    return spec;
  }
  if (!isArrayLike(spec)) {
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `${what} ${quote(spec)} is a record, but this part of the state is a single array: give a number or ${size} numbers`,
      { value: spec },
    );
  }
  if (spec.length !== size) {
    throw new MinevoError(
      ErrorCode.DimensionMismatch,
      `${what} has ${spec.length} entries but the state has ${size} components: give one number or one per component`,
      { expected: size, actual: spec.length },
    );
  }
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const v = spec[i] as number;
    checkToleranceValue(v, `${what}[${i}]`);
    out[i] = v;
  }
  return out;
}

export function isArrayLike(value: unknown): value is ArrayLike<number> {
  return Array.isArray(value) || ArrayBuffer.isView(value);
}

function checkToleranceValue(v: number, what: string): void {
  if (!Number.isFinite(v) || v < 0) {
    throw new MinevoError(ErrorCode.InvalidOptions, `${what} must be a finite number ≥ 0, got ${quote(v)}`, { value: v });
  }
}
