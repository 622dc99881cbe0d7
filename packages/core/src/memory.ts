/**
 * Tensor bookkeeping. A long run must hold a constant number of live tensors; these helpers
 * measure that and turn a leak into an error that says how many tensors were left behind.
 */
import { ErrorCode, MinevoError } from "./errors.js";
import type { TensorFlow } from "./backend.js";

/** Runs `body` and throws {@link ErrorCode.TensorLeak} if it leaves more live tensors than `allowed`. */
export async function expectNoTensorLeak<T>(tf: TensorFlow, what: string, body: () => T | Promise<T>, allowed = 0): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await body();
  const leaked = tf.memory().numTensors - before;
  if (leaked > allowed) {
    throw new MinevoError(ErrorCode.TensorLeak, `${what} left ${leaked} live tensors (allowed ${allowed})`, { leaked, allowed });
  }
  return result;
}

/** Copies a tensor's values to a new Float64Array and disposes nothing. */
export async function toFloat64(tensor: { data(): Promise<ArrayLike<number> | Uint8Array[]> }): Promise<Float64Array> {
  const values = await tensor.data();
  return Float64Array.from(values as ArrayLike<number>);
}
