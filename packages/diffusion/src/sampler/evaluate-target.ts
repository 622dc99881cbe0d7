/** The target at float64 points on the backend, for the sampler's modules. */
import type { SamplingTarget, TensorFlow } from "@minevo/core";

/** log π̃ (and its score) at `count` rows, float64 out; disposes its tensors. */
export async function evaluateTarget(tf: TensorFlow, target: SamplingTarget, points: Float64Array, count: number): Promise<{ logDensity: Float64Array; score: Float64Array }> {
  const x = tf.tensor2d(Float32Array.from(points), [count, target.dim]);
  const { logDensity, score } = target.scoreAndLogDensity(x, tf);
  try {
    const [values, gradients] = await Promise.all([logDensity.data(), score.data()]);
    return { logDensity: Float64Array.from(values as Float32Array), score: Float64Array.from(gradients as Float32Array) };
  } finally {
    tf.dispose([x, logDensity, score]);
  }
}
