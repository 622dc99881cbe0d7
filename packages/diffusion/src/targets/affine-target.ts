/**
 * A target in standardised coordinates z = (x − m)/s (per coordinate): the law of Z when X ~ π,
 *
 *     π̃_z(z) = π̃(m + s⊙z) · Π sᵢ,   ∇_z log π̃_z = s ⊙ ∇ₓ log π̃,
 *
 * so that its normaliser is π̃'s own (log Z unchanged) and importance weights of draws of z are
 * those of the mapped draws of x. The OU process relaxes toward N(0, I): a target whose mass spans
 * |x| ~ 10–100 (the banana's x₁ ~ N(0, 100)) is first contracted by e^{−t}, which makes a curved
 * valley relatively thinner and more curved before the noise blurs it; standardised, the same
 * target only blurs. `m` and `s` may come from anything that does not use exact draws, e.g. the
 * sampler's own point source (`standardize` in runOuSampler).
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { ErrorCode, MinevoError, quote, type RandomStream, type SamplingTarget, type TargetScore, type TensorFlow } from "@minevo/core";
import { formulaTarget } from "./formula-target.js";

/** The shift m and per-coordinate scale s of x = m + s⊙z. */
export interface AffineMap {
  readonly shift: Float64Array;
  readonly scale: Float64Array;
}

function checkMap(target: SamplingTarget, map: AffineMap): void {
  const d = target.dim;
  if (map.shift.length !== d || map.scale.length !== d) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `affineTarget: shift and scale need d = ${d} values each for "${target.name}", got ${map.shift.length} and ${map.scale.length}`);
  }
  for (let i = 0; i < d; i++) {
    if (!Number.isFinite(map.shift[i] as number)) {
      throw new MinevoError(ErrorCode.InvalidArgument, `affineTarget: shift[${i}] must be finite, got ${quote(map.shift[i])}`);
    }
    if (!((map.scale[i] as number) > 0) || !Number.isFinite(map.scale[i] as number)) {
      throw new MinevoError(ErrorCode.InvalidArgument, `affineTarget: scale[${i}] must be a positive finite number, got ${quote(map.scale[i])}`);
    }
  }
}

/** `target` seen in the coordinates z = (x − shift)/scale. */
export function affineTarget(target: SamplingTarget, map: AffineMap): SamplingTarget {
  if ((target.conditionDim ?? 0) > 0) {
    throw new MinevoError(ErrorCode.InvalidArgument, `affineTarget: "${target.name}" is joint in (x, y); standardise targets without conditions only`);
  }
  checkMap(target, map);
  const d = target.dim;
  const shift = Float64Array.from(map.shift);
  const scale = Float64Array.from(map.scale);
  let logJacobian = 0;
  for (let i = 0; i < d; i++) logJacobian += Math.log(scale[i] as number);
  const toX = (z: Tensor2D, tf: TensorFlow): Tensor2D => tf.add(tf.mul(z, tf.tensor1d(Float32Array.from(scale))), tf.tensor1d(Float32Array.from(shift)));
  const moments = target.moments;
  const sample = target.sample;
  return formulaTarget({
    name: `${target.name} (standardised)`,
    description: `${target.description}, in z = (x − m)/s`,
    dim: d,
    ...(target.logZ !== undefined ? { logZ: target.logZ } : {}),
    ...(moments !== undefined
      ? {
          moments: {
            mean: Float64Array.from(moments.mean, (v, i) => (v - (shift[i] as number)) / (scale[i] as number)),
            covariance: Float64Array.from(moments.covariance, (v, k) => v / ((scale[Math.floor(k / d)] as number) * (scale[k % d] as number))),
          },
        }
      : {}),
    ...(sample !== undefined
      ? {
          sample(random: RandomStream, m: number): Float64Array {
            const x = sample.call(target, random, m);
            return Float64Array.from(x, (v, k) => (v - (shift[k % d] as number)) / (scale[k % d] as number));
          },
        }
      : {}),
    logDensity(z: Tensor2D, tf: TensorFlow): Tensor1D {
      return tf.tidy(() => tf.add(target.logDensity(toX(z, tf), tf), logJacobian));
    },
    scoreAndLogDensity(z: Tensor2D, tf: TensorFlow): TargetScore {
      return tf.tidy(() => {
        const { logDensity, score } = target.scoreAndLogDensity(toX(z, tf), tf);
        return { logDensity: tf.add(logDensity, logJacobian) as Tensor1D, score: tf.mul(score, tf.tensor1d(Float32Array.from(scale))) as Tensor2D };
      });
    },
  });
}

/** x = shift + scale⊙z for row-major count×d points z. */
export function affineToX(map: AffineMap, z: Float64Array): Float64Array {
  const d = map.shift.length;
  return Float64Array.from(z, (v, k) => (map.shift[k % d] as number) + (map.scale[k % d] as number) * v);
}

/** z = (x − shift)/scale for row-major count×d points x (the inverse of `affineToX`). */
export function affineToZ(map: AffineMap, x: Float64Array): Float64Array {
  const d = map.shift.length;
  return Float64Array.from(x, (v, k) => (v - (map.shift[k % d] as number)) / (map.scale[k % d] as number));
}

/** The mean and per-coordinate standard deviation of row-major count×d points (the map that standardises them). */
export function standardizingMap(points: Float64Array, d: number): AffineMap {
  const count = points.length / d;
  if (!Number.isSafeInteger(count) || count < 2) {
    throw new MinevoError(ErrorCode.InvalidArgument, `standardizingMap needs at least 2 points of width ${d}, got ${points.length} values`);
  }
  const shift = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let j = 0; j < count; j++) for (let i = 0; i < d; i++) shift[i] = (shift[i] as number) + (points[j * d + i] as number) / count;
  for (let j = 0; j < count; j++) for (let i = 0; i < d; i++) scale[i] = (scale[i] as number) + ((points[j * d + i] as number) - (shift[i] as number)) ** 2 / (count - 1);
  for (let i = 0; i < d; i++) {
    scale[i] = Math.sqrt(scale[i] as number);
    if (!((scale[i] as number) > 0)) {
      throw new MinevoError(ErrorCode.InvalidArgument, `standardizingMap: coordinate ${i} of the points does not vary (standard deviation ${quote(scale[i])}); the points cannot set its scale`);
    }
  }
  return { shift, scale };
}
