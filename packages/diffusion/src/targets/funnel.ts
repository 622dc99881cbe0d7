/**
 * `funnel`: Neal's funnel (Annals of Statistics 2003, "Slice sampling"), normalised:
 *
 *     x₀ ~ N(0, σ²) with σ = 3,     xᵢ | x₀ ~ N(0, e^{x₀}) for i = 1 … d−1,   d = 10.
 *
 *     log π(x) = −x₀²/(2σ²) − ½ log(2πσ²) + Σᵢ [−½ xᵢ² e^{−x₀} − ½ x₀ − ½ log 2π],   log Z = 0.
 *
 * The neck (x₀ ≪ 0) has scale e^{x₀/2} and defeats any single step size.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { z } from "zod";
import { defineTarget, type SamplingTarget, type TensorFlow } from "@minevo/core";
import { formulaTarget } from "./formula-target.js";
import { checkSampleCount } from "./gaussian-mixture.js";

export const funnelTargetOptions = z.strictObject({
  dim: z.number().int().min(2).default(10),
  /** Standard deviation σ of x₀. */
  scale: z.number().positive().default(3),
});

export function createFunnelTarget(options: z.output<typeof funnelTargetOptions>): SamplingTarget {
  const { dim, scale } = options;
  const variance0 = scale * scale;
  const constant = -0.5 * Math.log(2 * Math.PI * variance0) - ((dim - 1) / 2) * Math.log(2 * Math.PI);

  function parts(points: Tensor2D, tf: TensorFlow) {
    const x0 = tf.slice(points, [0, 0], [-1, 1]);
    const rest = tf.slice(points, [0, 1], [-1, dim - 1]);
    const precision = tf.exp(tf.neg(x0));
    const sumSquares = tf.sum(tf.square(rest), 1, true);
    const logDensity = tf.reshape(
      tf.add(
        tf.sub(tf.mul(-0.5 / variance0, tf.square(x0)), tf.mul(0.5, tf.add(tf.mul(sumSquares, precision), tf.mul(dim - 1, x0)))),
        constant,
      ),
      [-1],
    ) as Tensor1D;
    return { x0, rest, precision, sumSquares, logDensity };
  }

  const mean = new Float64Array(dim);
  const covariance = new Float64Array(dim * dim);
  covariance[0] = variance0;
  // Var xᵢ = E[e^{x₀}] = e^{σ²/2}; all covariances vanish by the symmetry xᵢ ↦ −xᵢ.
  for (let i = 1; i < dim; i++) covariance[i * dim + i] = Math.exp(variance0 / 2);

  return formulaTarget({
    name: "funnel",
    description: `Neal's funnel in ${dim} dimensions, x₀ ~ N(0, ${variance0}), xᵢ | x₀ ~ N(0, e^{x₀}); normalised, log Z = 0`,
    dim,
    logZ: 0,
    moments: { mean, covariance },
    logDensity(points, tf) {
      return tf.tidy(() => parts(points, tf).logDensity);
    },
    scoreAndLogDensity(points, tf) {
      const [logDensity, score] = tf.tidy(() => {
        const { x0, rest, precision, sumSquares, logDensity } = parts(points, tf);
        // ∂/∂x₀ = −x₀/σ² + ½ e^{−x₀} Σ xᵢ² − (d−1)/2,  ∂/∂xᵢ = −xᵢ e^{−x₀}.
        const d0 = tf.sub(tf.add(tf.mul(-1 / variance0, x0), tf.mul(0.5, tf.mul(sumSquares, precision))), (dim - 1) / 2);
        const dRest = tf.neg(tf.mul(rest, precision));
        return [logDensity, tf.concat([d0, dRest], 1) as Tensor2D];
      });
      return { logDensity, score };
    },
    sample(random, m) {
      checkSampleCount(m, 'target "funnel" sample');
      const out = new Float64Array(m * dim);
      for (let n = 0; n < m; n++) {
        const x0 = scale * random.normal();
        out[n * dim] = x0;
        const sd = Math.exp(x0 / 2);
        for (let i = 1; i < dim; i++) out[n * dim + i] = sd * random.normal();
      }
      return out;
    },
  });
}

export const funnelTarget = defineTarget({
  name: "funnel",
  description: "Neal's funnel: x₀ ~ N(0, 9), xᵢ | x₀ ~ N(0, e^{x₀}), d = 10; normalised, log Z = 0.",
  options: funnelTargetOptions,
  create: createFunnelTarget,
});

declare module "@minevo/core" {
  interface TargetMap {
    funnel: typeof funnelTarget;
  }
}
