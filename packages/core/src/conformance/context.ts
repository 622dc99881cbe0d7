/**
 * What a conformance case works with: the backend's `tf`, a random stream of its own, and helpers
 * that draw float32-representable inputs, upload them, and read results back (disposing them).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { TensorFlow } from "../backend.js";
import type { RandomStream } from "../random.js";
import type { Expectation, Observation } from "./compare.js";
import { hostArray, sizeOf, type HostArray } from "./reference.js";

/** An expectation together with what the backend computed. */
export interface Check extends Expectation {
  readonly observed: Observation;
}

export interface ConformanceContext {
  /** The TensorFlow.js namespace, already set to the backend under test. */
  readonly tf: TensorFlow;
  /** The case's own stream: the same numbers on every run and every backend. */
  readonly random: RandomStream;
  /** Uniform draws on [low, high), rounded to float32 so the backend sees exactly these values. */
  uniform(shape: readonly number[], low: number, high: number): HostArray;
  /** Normal draws (mean 0, standard deviation `std`), rounded to float32. */
  normal(shape: readonly number[], std?: number): HostArray;
  /** Uploads a host array as a float32 tensor. */
  tensor(a: HostArray): Tensor;
  /** Reads a tensor back to the host and disposes it. */
  read(t: Tensor): Promise<Observation>;
}

export function createContext(tf: TensorFlow, random: RandomStream): ConformanceContext {
  const draw = (shape: readonly number[], next: () => number): HostArray => {
    const values = new Float64Array(sizeOf(shape));
    for (let i = 0; i < values.length; i++) values[i] = Math.fround(next());
    return hostArray(shape, values);
  };
  return {
    tf,
    random,
    uniform: (shape, low, high) => draw(shape, () => low + (high - low) * random.uniform()),
    normal: (shape, std = 1) => draw(shape, () => std * random.normal()),
    tensor: (a) => tf.tensor(Float32Array.from(a.values), [...a.shape], "float32"),
    async read(t) {
      try {
        const values = await t.data();
        return { shape: [...t.shape], dtype: t.dtype, values: values as ArrayLike<number> };
      } finally {
        t.dispose();
      }
    },
  };
}
