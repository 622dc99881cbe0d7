/**
 * Activations with their first and second derivatives, on the backend and in float64.
 *
 * Forward propagation of ∇ₓ and Δₓ through a layer a = σ(z) needs σ' (the chain rule for the
 * gradient) and σ'' (the Laplacian picks up σ''·|∇z|²), so each activation provides all three,
 * written so that they share intermediate results.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { TensorFlow } from "@minevo/core";
import { erf } from "./erf.js";

export const activationNames = ["tanh", "softplus", "gelu", "sin", "swish"] as const;
export type ActivationName = (typeof activationNames)[number];

/** σ(z), σ'(z), σ''(z); the derivatives only when asked for. */
export interface ActivationOutputs {
  readonly value: Tensor;
  readonly first?: Tensor;
  readonly second?: Tensor;
}

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Applies activation `name` to z on the backend (call inside tf.tidy). */
export function activate(tf: TensorFlow, name: ActivationName, z: Tensor, order: 0 | 1 | 2): ActivationOutputs {
  switch (name) {
    case "tanh": {
      const a = tf.tanh(z);
      if (order === 0) return { value: a };
      const first = tf.sub(1, tf.square(a));
      // σ'' = −2 tanh · sech²
      return order === 1 ? { value: a, first } : { value: a, first, second: tf.mul(-2, tf.mul(a, first)) };
    }
    case "softplus": {
      const a = tf.softplus(z);
      if (order === 0) return { value: a };
      const s = tf.sigmoid(z);
      return order === 1 ? { value: a, first: s } : { value: a, first: s, second: tf.mul(s, tf.sub(1, s)) };
    }
    case "gelu": {
      // Exact GELU z·Φ(z): σ' = Φ + zφ, σ'' = φ(2 − z²).
      const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(z, SQRT_HALF))));
      const a = tf.mul(z, cdf);
      if (order === 0) return { value: a };
      const density = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(-0.5, tf.square(z))));
      const first = tf.add(cdf, tf.mul(z, density));
      return order === 1 ? { value: a, first } : { value: a, first, second: tf.mul(density, tf.sub(2, tf.square(z))) };
    }
    case "sin": {
      const a = tf.sin(z);
      if (order === 0) return { value: a };
      const first = tf.cos(z);
      return order === 1 ? { value: a, first } : { value: a, first, second: tf.neg(a) };
    }
    case "swish": {
      // z·s(z): σ' = s + z s(1−s), σ'' = s(1−s)(2 + z(1−2s)).
      const s = tf.sigmoid(z);
      const a = tf.mul(z, s);
      if (order === 0) return { value: a };
      const ds = tf.mul(s, tf.sub(1, s));
      const first = tf.add(s, tf.mul(z, ds));
      return order === 1 ? { value: a, first } : { value: a, first, second: tf.mul(ds, tf.add(2, tf.mul(z, tf.sub(1, tf.mul(2, s))))) };
    }
  }
}

/** σ(z) in float64, for the reference evaluation. */
export function activateFloat64(name: ActivationName, z: number): number {
  switch (name) {
    case "tanh":
      return Math.tanh(z);
    case "softplus":
      // log(1 + eᶻ) without overflow for large z.
      return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    case "gelu":
      return 0.5 * z * (1 + erf(z * SQRT_HALF));
    case "sin":
      return Math.sin(z);
    case "swish":
      return z / (1 + Math.exp(-z));
  }
}
