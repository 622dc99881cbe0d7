/**
 * The state space of TensorFlow.js tensors (float32 on the backend). Each linear combination
 * y + h Σ aᵢkᵢ is one `tidy` holding a fixed handful of kernels (stack, one matrix–vector
 * product, add), so no intermediate outlives the call; norms and finiteness checks come back to
 * the CPU as one small readback each.
 */
import * as tf from "@tensorflow/tfjs-core";
import { ErrorCode, MinevoError } from "@minevo/core";
import type { StateSpace, ToleranceHandle, ToleranceSpec } from "@minevo/core";
import { expandTolerance } from "./tolerance.js";
import { describe } from "./float64.js";

interface TensorTolerance extends ToleranceHandle {
  readonly rtol: number | tf.Tensor;
  readonly atol: number | tf.Tensor;
}

export interface TensorSpaceOptions {
  /**
   * Read norms back with `dataSync` (needed by `solveSync`; blocks on GPU backends) instead of
   * the asynchronous `data`. Default false.
   */
  readonly readSync?: boolean;
}

export class TensorSpace implements StateSpace<tf.Tensor> {
  readonly size: number;
  readonly shape: readonly number[];
  readonly readSync: boolean;

  constructor(shape: readonly number[], options: TensorSpaceOptions = {}) {
    this.shape = [...shape];
    this.size = shape.reduce((p, s) => p * s, 1);
    this.readSync = options.readSync ?? false;
  }

  combine(base: tf.Tensor | null, h: number, coefficients: ArrayLike<number>, values: readonly tf.Tensor[]): tf.Tensor {
    const scaled: number[] = [];
    const used: tf.Tensor[] = [];
    for (let i = 0; i < values.length; i++) {
      const c = coefficients[i] as number;
      if (c !== 0) {
        scaled.push(h * c);
        used.push(values[i] as tf.Tensor);
      }
    }
    return tf.tidy(() => {
      let sum: tf.Tensor | null = null;
      if (used.length >= 3) {
        // Σ cᵢkᵢ as one [1 × m]·[m × size] product: three kernels however many stages, where
        // m scalar multiplies and an addN would launch m + 1.
        const stacked = tf.stack(used.map((k) => tf.reshape(k, [this.size])));
        sum = tf.reshape(tf.matMul(tf.tensor2d(scaled, [1, used.length]), stacked), this.shape as number[]);
      } else {
        for (let i = 0; i < used.length; i++) {
          const term = tf.mul(used[i] as tf.Tensor, scaled[i] as number);
          sum = sum === null ? term : tf.add(sum, term);
        }
      }
      if (base === null) return sum ?? tf.zeros(this.shape as number[]);
      // Never hand back `base` itself: the caller must own a new tensor.
      return sum === null ? tf.clone(base) : tf.add(base, sum);
    });
  }

  weightedSquares(values: readonly tf.Tensor[], scaleFrom: readonly tf.Tensor[], tolerance: ToleranceHandle): number[] | Promise<number[]> {
    const { rtol, atol } = tolerance as TensorTolerance;
    const sums = tf.tidy(() => {
      let magnitude = tf.abs(scaleFrom[0] as tf.Tensor);
      for (let i = 1; i < scaleFrom.length; i++) magnitude = tf.maximum(magnitude, tf.abs(scaleFrom[i] as tf.Tensor));
      const scale = tf.add(atol, tf.mul(rtol, magnitude));
      return tf.stack(values.map((v) => tf.sum(tf.square(tf.div(v, scale)))));
    });
    return this.#read(sums, (data) => Array.from(data));
  }

  isFinite(value: tf.Tensor): boolean | Promise<boolean> {
    const allFinite = tf.tidy(() => tf.all(tf.isFinite(value)));
    return this.#read(allFinite, (data) => data[0] === 1);
  }

  check(value: unknown, what: string): tf.Tensor {
    if (!(value instanceof tf.Tensor)) {
      throw new MinevoError(ErrorCode.InvalidArgument, `${what} must be a tensor like the initial state, got ${describe(value)}`);
    }
    if (value.isDisposed) {
      throw new MinevoError(ErrorCode.InvalidArgument, `${what} is a disposed tensor: return a new tensor from the right-hand side`);
    }
    if (value.shape.length !== this.shape.length || value.shape.some((s: number, i: number) => s !== this.shape[i])) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `${what} has shape [${value.shape.join(", ")}] but the state has shape [${this.shape.join(", ")}]`,
        { expected: this.shape, actual: value.shape },
      );
    }
    return value;
  }

  clone(value: tf.Tensor): tf.Tensor {
    return tf.clone(value);
  }

  dispose(value: tf.Tensor): void {
    value.dispose();
  }

  createTolerance(rtol: ToleranceSpec, atol: ToleranceSpec): ToleranceHandle {
    const toTensor = (spec: ToleranceSpec, what: string): number | tf.Tensor => {
      const expanded = expandTolerance(spec, this.size, what);
      return typeof expanded === "number" ? expanded : tf.tensor(Float32Array.from(expanded), this.shape as number[]);
    };
    const handle: TensorTolerance = {
      rtol: toTensor(rtol, "rtol"),
      atol: toTensor(atol, "atol"),
      dispose() {
        if (typeof handle.rtol !== "number") handle.rtol.dispose();
        if (typeof handle.atol !== "number") handle.atol.dispose();
      },
    };
    return handle;
  }

  #read<T>(tensor: tf.Tensor, convert: (data: ArrayLike<number>) => T): T | Promise<T> {
    if (this.readSync) {
      try {
        return convert(tensor.dataSync() as ArrayLike<number>);
      } finally {
        tensor.dispose();
      }
    }
    return tensor.data().then(
      (data) => {
        tensor.dispose();
        return convert(data as ArrayLike<number>);
      },
      (error: unknown) => {
        tensor.dispose();
        throw error;
      },
    );
  }
}
