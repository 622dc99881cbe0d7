/** TensorFlow.js on the plain cpu backend, with gradients, for the tests. */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import type { SamplingTarget } from "@minevo/core";

await tf.setBackend("cpu");
await tf.ready();

export { tf };

/** log π̃ and ∇ₓ log π̃ of `target` at the given rows, as float64 arrays. */
export function evaluateRows(target: SamplingTarget, rows: readonly (readonly number[])[]): { logDensity: Float64Array; score: Float64Array } {
  const points = tf.tensor2d(rows.map((r) => [...r]));
  const { logDensity, score } = target.scoreAndLogDensity(points, tf);
  const only = target.logDensity(points, tf);
  const out = { logDensity: Float64Array.from(logDensity.dataSync()), score: Float64Array.from(score.dataSync()) };
  const separately = Float64Array.from(only.dataSync());
  tf.dispose([points, logDensity, score, only]);
  // logDensity alone must agree with the one returned beside the score.
  out.logDensity.forEach((v, i) => {
    if (Math.abs(v - (separately[i] as number)) > 1e-5 * Math.max(1, Math.abs(v))) {
      throw new Error(`logDensity ${separately[i]} and scoreAndLogDensity ${v} disagree at row ${i}`);
    }
  });
  return out;
}

/**
 * log ∫ π̃ over a tensor grid by the rectangle rule (spectrally accurate for smooth integrands
 * that vanish at the box's edges), accumulating in float64. `toPoint` maps grid coordinates
 * (u, v) to a target point; `logJacobian(u, v)` is the log |det| of that change of variables.
 */
export function gridLogIntegral(
  target: SamplingTarget,
  u: { from: number; to: number; step: number },
  v: { from: number; to: number; step: number },
  toPoint: (u: number, v: number) => number[],
  logJacobian: (u: number, v: number) => number = () => 0,
  weight: (point: number[]) => number = () => 1,
): number {
  const us: number[] = [];
  for (let a = u.from; a <= u.to + 1e-12; a += u.step) us.push(a);
  const vs: number[] = [];
  for (let b = v.from; b <= v.to + 1e-12; b += v.step) vs.push(b);
  const pointDim = target.dim + (target.conditionDim ?? 0);
  const logTerms: number[] = [];
  const chunk = 20_000;
  let rows: number[][] = [];
  let jac: number[] = [];
  const flush = () => {
    if (rows.length === 0) return;
    const t = tf.tensor2d(rows, [rows.length, pointDim]);
    const lp = target.logDensity(t, tf);
    const values = lp.dataSync();
    for (let i = 0; i < rows.length; i++) {
      const w = weight(rows[i] as number[]);
      if (w !== 0) logTerms.push((values[i] as number) + (jac[i] as number) + Math.log(w));
    }
    tf.dispose([t, lp]);
    rows = [];
    jac = [];
  };
  for (const a of us) {
    for (const b of vs) {
      rows.push(toPoint(a, b));
      jac.push(logJacobian(a, b));
      if (rows.length === chunk) flush();
    }
  }
  flush();
  let peak = -Infinity;
  for (const t of logTerms) peak = Math.max(peak, t);
  let s = 0;
  for (const t of logTerms) s += Math.exp(t - peak);
  return peak + Math.log(s * u.step * v.step);
}

/** Sample mean and covariance of row-major draws [m, dim]. */
export function sampleMoments(draws: Float64Array, dim: number): { mean: Float64Array; covariance: Float64Array } {
  const m = draws.length / dim;
  const mean = new Float64Array(dim);
  for (let n = 0; n < m; n++) for (let i = 0; i < dim; i++) mean[i] = (mean[i] as number) + (draws[n * dim + i] as number) / m;
  const covariance = new Float64Array(dim * dim);
  for (let n = 0; n < m; n++) {
    for (let i = 0; i < dim; i++) {
      for (let j = 0; j < dim; j++) {
        const add = ((draws[n * dim + i] as number) - (mean[i] as number)) * ((draws[n * dim + j] as number) - (mean[j] as number));
        covariance[i * dim + j] = (covariance[i * dim + j] as number) + add / (m - 1);
      }
    }
  }
  return { mean, covariance };
}
