/**
 * `banana`: Haario, Saksman and Tamminen's twisted Gaussian (Bernoulli 1999).
 *
 * Start from N(0, diag(v, 1, 1, …)) with v = 100 and twist the second coordinate:
 *
 *     π̃(x) = exp(−x₁²/(2v) − ½(x₂ + b x₁² − b v)² − ½ Σ_{i≥3} xᵢ²),   b = 0.1.
 *
 * The twist (x₁, x₂) ↦ (x₁, x₂ + b x₁² − b v) has unit Jacobian, so Z is the untwisted
 * Gaussian's normaliser, Z = 2π·√v·(2π)^{(d−2)/2}: log Z = ln(20π) in d = 2 with v = 100.
 * The shift b v (Haario's "100b") keeps E[x₂] = 0.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { z } from "zod";
import { defineTarget, type SamplingTarget, type TensorFlow } from "@minevo/core";
import { formulaTarget } from "./formula-target.js";
import { checkSampleCount } from "./gaussian-mixture.js";

export const bananaTargetOptions = z.strictObject({
  /** Curvature of the twist. */
  b: z.number().nonnegative().default(0.1),
  /** Variance v of the untwisted first coordinate. */
  variance: z.number().positive().default(100),
  /** d ≥ 2; coordinates beyond the second are independent N(0, 1). */
  dim: z.number().int().min(2).default(2),
});

export function createBananaTarget(options: z.output<typeof bananaTargetOptions>): SamplingTarget {
  const { b, variance: v, dim } = options;
  const shift = b * v;

  /** [x₁, u = x₂ + b x₁² − b v, rest]: the untwisted coordinates. */
  function untwist(points: Tensor2D, tf: TensorFlow): [Tensor2D, Tensor2D, Tensor2D | null] {
    const x1 = tf.slice(points, [0, 0], [-1, 1]);
    const x2 = tf.slice(points, [0, 1], [-1, 1]);
    const u = tf.sub(tf.add(x2, tf.mul(b, tf.square(x1))), shift) as Tensor2D;
    const rest = dim > 2 ? tf.slice(points, [0, 2], [-1, dim - 2]) : null;
    return [x1, u, rest];
  }

  function logDensityOf(x1: Tensor2D, u: Tensor2D, rest: Tensor2D | null, tf: TensorFlow): Tensor1D {
    let quad = tf.add(tf.div(tf.square(x1), v), tf.square(u));
    if (rest !== null) quad = tf.add(quad, tf.sum(tf.square(rest), 1, true));
    return tf.reshape(tf.mul(-0.5, quad), [-1]) as Tensor1D;
  }

  const logZ = 0.5 * Math.log(2 * Math.PI * v) + 0.5 * Math.log(2 * Math.PI) + ((dim - 2) / 2) * Math.log(2 * Math.PI);
  const mean = new Float64Array(dim);
  const covariance = new Float64Array(dim * dim);
  covariance[0] = v;
  // Var x₂ = Var u + b² Var x₁² = 1 + 2b²v²; Cov(x₁, x₂) = −b E[x₁³] = 0.
  covariance[dim + 1] = 1 + 2 * b * b * v * v;
  for (let i = 2; i < dim; i++) covariance[i * dim + i] = 1;

  return formulaTarget({
    name: "banana",
    description: `Haario's banana (twisted Gaussian) in ${dim} dimensions, b = ${b}, Var x₁ = ${v}; log Z = ${logZ}`,
    dim,
    logZ,
    moments: { mean, covariance },
    logDensity(points, tf) {
      return tf.tidy(() => {
        const [x1, u, rest] = untwist(points, tf);
        return logDensityOf(x1, u, rest, tf);
      });
    },
    scoreAndLogDensity(points, tf) {
      const [logDensity, score] = tf.tidy(() => {
        const [x1, u, rest] = untwist(points, tf);
        // ∂/∂x₁ = −x₁/v − 2b x₁ u,  ∂/∂x₂ = −u,  ∂/∂xᵢ = −xᵢ.
        const d1 = tf.neg(tf.add(tf.div(x1, v), tf.mul(tf.mul(2 * b, x1), u)));
        const parts = [d1, tf.neg(u)];
        if (rest !== null) parts.push(tf.neg(rest));
        return [logDensityOf(x1, u, rest, tf), tf.concat(parts, 1) as Tensor2D];
      });
      return { logDensity, score };
    },
    sample(random, m) {
      checkSampleCount(m, 'target "banana" sample');
      const out = new Float64Array(m * dim);
      const sd = Math.sqrt(v);
      for (let n = 0; n < m; n++) {
        const x1 = sd * random.normal();
        out[n * dim] = x1;
        out[n * dim + 1] = random.normal() - b * x1 * x1 + shift;
        for (let i = 2; i < dim; i++) out[n * dim + i] = random.normal();
      }
      return out;
    },
  });
}

export const bananaTarget = defineTarget({
  name: "banana",
  description: "Haario's banana exp(−x₁²/200 − ½(x₂ + b x₁² − 100b)²), b = 0.1; log Z = ln(20π) in 2-D.",
  options: bananaTargetOptions,
  create: createBananaTarget,
});

declare module "@minevo/core" {
  interface TargetMap {
    banana: typeof bananaTarget;
  }
}
