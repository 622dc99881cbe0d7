/** Picks the state space from the initial state's type. */
import * as tf from "@tensorflow/tfjs-core";
import { ErrorCode, MinevoError } from "@minevo/core";
import type { StateSpace } from "@minevo/core";
import { Float64Space, describe } from "./float64.js";
import { TensorSpace } from "./tensor.js";
import { StructuredSpace } from "./structured.js";

export interface InferOptions {
  /** Tensor norms read back synchronously (for `solveSync`). */
  readonly readSync?: boolean;
}

/**
 * Float64Array → {@link Float64Space}; tensor → {@link TensorSpace}; a plain record of those
 * (nested records too) → {@link StructuredSpace}.
 */
export function inferStateSpace<S>(y0: S, options: InferOptions = {}): StateSpace<S> {
  return infer(y0, "the initial state", options) as StateSpace<S>;
}

function infer(value: unknown, what: string, options: InferOptions): StateSpace<unknown> {
  if (value instanceof Float64Array) return new Float64Space(value.length) as StateSpace<unknown>;
  if (value instanceof tf.Tensor) {
    if (value.dtype !== "float32") {
      throw new MinevoError(ErrorCode.InvalidArgument, `${what} is a ${value.dtype} tensor: integrate float32 tensors (cast it with tf.cast(x, "float32"))`);
    }
    return new TensorSpace(value.shape, options) as StateSpace<unknown>;
  }
  if (typeof value === "object" && value !== null && !ArrayBuffer.isView(value) && !Array.isArray(value)) {
    const spaces: Record<string, StateSpace<unknown>> = {};
    for (const [key, part] of Object.entries(value)) spaces[key] = infer(part, `${what}.${key}`, options);
    return new StructuredSpace(spaces) as StateSpace<unknown>;
  }
  throw new MinevoError(
    ErrorCode.InvalidArgument,
    `${what} must be a Float64Array, a float32 tensor or a record of those, got ${describe(value)}: convert arrays with Float64Array.from(values)`,
  );
}
