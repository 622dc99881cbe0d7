/**
 * Comparing what a backend computed with the float64 reference, entry by entry:
 * |computed − expected| ≤ absolute + relative · scale, where the scale is |expected| unless the
 * case knows better (Σ|terms| for sums and products, the largest |expected| for results whose
 * small entries come from cancellation).
 */
import { quote } from "../errors.js";
import { unravel, type HostArray } from "./reference.js";

/** How far a backend may be from the float64 value: absolute + relative · scale. */
export interface Tolerance {
  readonly absolute: number;
  readonly relative: number;
}

/** What a backend returned, read back to the host. */
export interface Observation {
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly values: ArrayLike<number>;
}

/** One expected array of a case, with its tolerance. */
export interface Expectation {
  /** What is compared, in a few words ("A·B", "∂loss/∂W1"). */
  readonly label: string;
  readonly expected: HostArray;
  readonly tolerance: Tolerance;
  /**
   * Per entry, the magnitude `relative` multiplies: `"entry"` (|expected|, the default),
   * `"max"` (the largest |expected| of the array), or explicit values such as Σₖ|aᵢₖbₖⱼ|.
   */
  readonly scale?: "entry" | "max" | ArrayLike<number>;
}

/** The outcome of one comparison. */
export interface ComparisonResult {
  readonly label: string;
  readonly passed: boolean;
  /** The largest |computed − expected|. */
  readonly maxAbsoluteError: number;
  /** The largest |computed − expected| / allowed error: at most 1 when the comparison passes. */
  readonly worstRatio: number;
  /** One line: the worst entry, and how many entries are outside tolerance. */
  readonly message: string;
}

function formatIndex(flat: number, shape: readonly number[]): string {
  return shape.length === 0 ? "[]" : `[${unravel(flat, shape).join(", ")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Compares `observed` with `expectation`; never throws. */
export function compare(expectation: Expectation, observed: Observation): ComparisonResult {
  const { label, expected, tolerance } = expectation;
  const fail = (message: string): ComparisonResult => ({
    label,
    passed: false,
    maxAbsoluteError: Number.POSITIVE_INFINITY,
    worstRatio: Number.POSITIVE_INFINITY,
    message: `${label}: ${message}`,
  });
  if (!sameShape(observed.shape, expected.shape)) {
    return fail(`shape is [${observed.shape.join(", ")}], expected [${expected.shape.join(", ")}]`);
  }
  if (observed.values.length !== expected.values.length) {
    return fail(`${observed.values.length} values read back for shape [${expected.shape.join(", ")}]`);
  }
  let maxScale = 0;
  for (const v of expected.values) maxScale = Math.max(maxScale, Math.abs(v));
  const scaleAt = (i: number): number => {
    const scale = expectation.scale ?? "entry";
    if (scale === "entry") return Math.abs(expected.values[i] as number);
    if (scale === "max") return maxScale;
    return Math.abs(scale[i] as number);
  };
  let maxAbsoluteError = 0;
  let worstRatio = 0;
  let worst = -1;
  let outside = 0;
  for (let i = 0; i < expected.values.length; i++) {
    const want = expected.values[i] as number;
    const got = observed.values[i] as number;
    const error = Math.abs(got - want);
    const allowed = tolerance.absolute + tolerance.relative * scaleAt(i);
    // NaN compares false everywhere: count it as infinitely wrong, never as a pass.
    const ratio = Number.isNaN(error) ? Number.POSITIVE_INFINITY : error === 0 ? 0 : allowed === 0 ? Number.POSITIVE_INFINITY : error / allowed;
    if (ratio > 1) outside++;
    if (Number.isNaN(error) || error > maxAbsoluteError) maxAbsoluteError = Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
    if (ratio > worstRatio || worst < 0) {
      worstRatio = ratio;
      worst = i;
    }
  }
  if (worst < 0) {
    return { label, passed: true, maxAbsoluteError: 0, worstRatio: 0, message: `${label}: empty result, as expected` };
  }
  const at = formatIndex(worst, expected.shape);
  const want = expected.values[worst] as number;
  const got = observed.values[worst] as number;
  const allowed = tolerance.absolute + tolerance.relative * scaleAt(worst);
  const detail = `entry ${at} is ${quote(got)}, expected ${quote(want)} ± ${allowed.toExponential(2)}`;
  if (outside > 0) {
    return {
      label,
      passed: false,
      maxAbsoluteError,
      worstRatio,
      message: `${label}: ${outside} of ${expected.values.length} entries outside tolerance; worst ${detail}`,
    };
  }
  return {
    label,
    passed: true,
    maxAbsoluteError,
    worstRatio,
    message: `${label}: max error ${maxAbsoluteError.toExponential(2)}, ${(100 * worstRatio).toFixed(1)}% of tolerance at ${at}`,
  };
}
