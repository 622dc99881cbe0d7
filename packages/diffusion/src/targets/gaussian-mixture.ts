/**
 * Batched log-density and score of a Gaussian mixture π̃(z) = Σₖ wₖ N(z; mₖ, Sₖ) on the backend.
 *
 * All K components go through one matrix product: Z·[P₁ … P_K] gives every Pₖz at once, so the
 * cost is one [M, d]×[d, K·d] product plus elementwise work, whatever K is. The precisions and
 * log normalisers come from float64 Cholesky factors on the CPU; only the quadratic forms are
 * float32. The score is the responsibility-weighted sum of component scores −Pₖ(z − mₖ).
 */
import type { Tensor1D, Tensor2D, Tensor3D } from "@tensorflow/tfjs-core";
import { ErrorCode, MinevoError, quote, type RandomStream, type TargetMoments, type TargetScore, type TensorFlow } from "@minevo/core";
import { drawGaussian, type GaussianFactor } from "./gaussian-factor.js";

export interface MixtureComponent {
  /** wₖ > 0 (not necessarily summing to one: log Z = log Σ wₖ). */
  readonly weight: number;
  readonly factor: GaussianFactor;
}

export interface GaussianMixture {
  readonly dim: number;
  readonly components: readonly MixtureComponent[];
  readonly logZ: number;
  /** Exact moments of the normalised mixture. */
  readonly moments: TargetMoments;
  logDensity(points: Tensor2D, tf: TensorFlow): Tensor1D;
  /** Score in the first `scoreDim` coordinates (all of them unless given). */
  scoreAndLogDensity(points: Tensor2D, tf: TensorFlow, scoreDim?: number): TargetScore;
  /** `m` exact draws, row-major [m, dim]. */
  sample(random: RandomStream, m: number): Float64Array;
}

export function checkSampleCount(m: number, where: string): void {
  if (!Number.isSafeInteger(m) || m < 0) {
    throw new MinevoError(ErrorCode.InvalidArgument, `${where}: the number of draws must be a non-negative integer, got ${quote(m)}`);
  }
}

export function gaussianMixture(components: readonly MixtureComponent[], what: string): GaussianMixture {
  const first = components[0];
  if (first === undefined) throw new MinevoError(ErrorCode.InvalidOptions, `${what}: a mixture needs at least one component`);
  const d = first.factor.dim;
  const K = components.length;
  components.forEach((c, k) => {
    if (c.factor.dim !== d) {
      throw new MinevoError(ErrorCode.DimensionMismatch, `${what}: component ${k} has dimension ${c.factor.dim}, component 0 has ${d}`);
    }
    if (!(c.weight > 0) || !Number.isFinite(c.weight)) {
      throw new MinevoError(ErrorCode.InvalidOptions, `${what}: weight ${k} is ${quote(c.weight)}; weights must be positive and finite`);
    }
  });
  const totalWeight = components.reduce((s, c) => s + c.weight, 0);

  // Constants for the batched evaluation, float64 here, float32 once uploaded.
  const precisionBlocks = new Float64Array(d * K * d); // [d, K·d]: column block k is Pₖ
  const meanTimesPrecision = new Float64Array(K * d); // row k: mₖᵀPₖ
  const means = new Float64Array(K * d);
  const logConstants = new Float64Array(K); // log wₖ − ½ log det(2πSₖ)
  components.forEach((c, k) => {
    const { precision, mean } = c.factor;
    for (let i = 0; i < d; i++) {
      means[k * d + i] = mean[i] as number;
      for (let j = 0; j < d; j++) precisionBlocks[i * K * d + k * d + j] = precision[i * d + j] as number;
    }
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += (mean[i] as number) * (precision[i * d + j] as number);
      meanTimesPrecision[k * d + j] = s;
    }
    logConstants[k] = Math.log(c.weight) + c.factor.logNormaliser;
  });

  // float32 copies for upload (TensorFlow.js takes no Float64Array).
  const precisionBlocks32 = Float32Array.from(precisionBlocks);
  const meanTimesPrecision32 = Float32Array.from(meanTimesPrecision);
  const means32 = Float32Array.from(means);
  const logConstants32 = Float32Array.from(logConstants);

  /** [M, K] component log-densities and [M, K, d] residual-times-precision Pₖ(z − mₖ). */
  function componentTerms(points: Tensor2D, tf: TensorFlow): [Tensor2D, Tensor3D] {
    const M = points.shape[0];
    const projected = tf.reshape(tf.matMul(points, tf.tensor2d(precisionBlocks32, [d, K * d])), [M, K, d]);
    const residualPrecision = tf.sub(projected, tf.tensor2d(meanTimesPrecision32, [K, d])) as Tensor3D;
    const residual = tf.sub(tf.expandDims(points, 1), tf.tensor2d(means32, [K, d]));
    const quadratic = tf.sum(tf.mul(residual, residualPrecision), 2);
    const logComponents = tf.sub(tf.tensor1d(logConstants32), tf.mul(0.5, quadratic)) as Tensor2D;
    return [logComponents, residualPrecision];
  }

  // Exact moments of the normalised mixture.
  const mean = new Float64Array(d);
  const second = new Float64Array(d * d);
  for (const c of components) {
    const w = c.weight / totalWeight;
    for (let i = 0; i < d; i++) {
      mean[i] = (mean[i] as number) + w * (c.factor.mean[i] as number);
      for (let j = 0; j < d; j++) {
        const s = (c.factor.covariance[i * d + j] as number) + (c.factor.mean[i] as number) * (c.factor.mean[j] as number);
        second[i * d + j] = (second[i * d + j] as number) + w * s;
      }
    }
  }
  const covariance = second.map((s, idx) => s - (mean[Math.floor(idx / d)] as number) * (mean[idx % d] as number));

  const cumulative = new Float64Array(K);
  let acc = 0;
  components.forEach((c, k) => {
    acc += c.weight / totalWeight;
    cumulative[k] = acc;
  });

  return {
    dim: d,
    components,
    logZ: Math.log(totalWeight),
    moments: { mean, covariance },
    logDensity(points, tf) {
      return tf.tidy(() => tf.logSumExp(componentTerms(points, tf)[0], 1) as Tensor1D);
    },
    scoreAndLogDensity(points, tf, scoreDim = d) {
      const [logDensity, score] = tf.tidy(() => {
        const [logComponents, residualPrecision] = componentTerms(points, tf);
        const lse = tf.logSumExp(logComponents, 1, true);
        const responsibility = tf.exp(tf.sub(logComponents, lse));
        let s = tf.neg(tf.sum(tf.mul(tf.expandDims(responsibility, 2), residualPrecision), 1)) as Tensor2D;
        if (scoreDim < d) s = tf.slice(s, [0, 0], [-1, scoreDim]);
        return [tf.reshape(lse, [-1]) as Tensor1D, s];
      });
      return { logDensity, score };
    },
    sample(random, m) {
      checkSampleCount(m, `${what} sample`);
      const out = new Float64Array(m * d);
      for (let n = 0; n < m; n++) {
        const u = random.uniform();
        let k = 0;
        while (k < K - 1 && u >= (cumulative[k] as number)) k++;
        drawGaussian((components[k] as MixtureComponent).factor, random, out, n * d);
      }
      return out;
    },
  };
}
