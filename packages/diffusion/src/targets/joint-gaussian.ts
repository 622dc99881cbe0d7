/**
 * `joint-gaussian`: (x, y) jointly Gaussian, N((mₓ, m_y), [[Sₓₓ, Sₓᵧ], [Sᵧₓ, Sᵧᵧ]]), normalised.
 * The target of conditional sampling and marginalisation (METHOD.md §6): x is sampled, y is a
 * condition, and everything a sampler should find is known in closed form:
 *
 *     x | y ~ N(mₓ + A(y − m_y), Sₓₓ − A Sᵧₓ),   A = Sₓᵧ Sᵧᵧ⁻¹,
 *     log Z(y) = log ∫ π̃(x, y) dx = log N(y; m_y, Sᵧᵧ).
 */
import { z } from "zod";
import {
  ErrorCode,
  MinevoError,
  cholesky,
  defineTarget,
  denseMatrix,
  quote,
  type ConditionalTargetFacts,
  type SamplingTarget,
  type TargetMoments,
} from "@minevo/core";
import { formulaTarget } from "./formula-target.js";
import { covarianceMatrix, drawGaussian, gaussianFactor, gaussianLogDensity64 } from "./gaussian-factor.js";
import { checkSampleCount, gaussianMixture } from "./gaussian-mixture.js";

export const jointGaussianTargetOptions = z.strictObject({
  /** d_x: the first `dim` coordinates are x, the rest are the condition y. */
  dim: z.number().int().min(1).default(2),
  /** (mₓ, m_y). */
  mean: z.array(z.number()).min(2).default([0.5, -1, 1]),
  /** The joint covariance, (d_x + d_y)², symmetric positive definite. */
  covariance: z
    .array(z.array(z.number()))
    .default([
      [1, 0.3, 0.5],
      [0.3, 0.8, -0.4],
      [0.5, -0.4, 1.5],
    ]),
});

function block(s: Float64Array, n: number, rows: [number, number], cols: [number, number]): Float64Array {
  const out = new Float64Array((rows[1] - rows[0]) * (cols[1] - cols[0]));
  let k = 0;
  for (let i = rows[0]; i < rows[1]; i++) for (let j = cols[0]; j < cols[1]; j++) out[k++] = s[i * n + j] as number;
  return out;
}

export function createJointGaussianTarget(options: z.output<typeof jointGaussianTargetOptions>): SamplingTarget {
  const what = 'target "joint-gaussian"';
  const n = options.mean.length;
  const dx = options.dim;
  const dy = n - dx;
  if (dy < 1) {
    throw new MinevoError(
      ErrorCode.DimensionMismatch,
      `${what}: dim ${dx} leaves no condition coordinates in a mean of length ${n}; the mean must have dim + d_y entries with d_y ≥ 1`,
      { field: "dim" },
    );
  }
  const joint = gaussianFactor(options.mean, covarianceMatrix({ covariance: options.covariance }, n, what), what);
  const mixture = gaussianMixture([{ weight: 1, factor: joint }], what);
  const S = joint.covariance;
  const mx = joint.mean.subarray(0, dx);
  const my = joint.mean.subarray(dx);
  const Sxx = block(S, n, [0, dx], [0, dx]);
  const Sxy = block(S, n, [0, dx], [dx, n]);
  const Syy = block(S, n, [dx, n], [dx, n]);
  const yFactor = gaussianFactor(my, Syy, `${what} marginal of y`);
  // A = Sₓᵧ Sᵧᵧ⁻¹ = (Sᵧᵧ⁻¹ Sᵧₓ)ᵀ, from the float64 Cholesky of Sᵧᵧ.
  const AT = cholesky(denseMatrix(dy, dy, Syy)).solve(denseMatrix(dy, dx, block(S, n, [dx, n], [0, dx]))).data; // [dy, dx]
  const conditionalCovariance = new Float64Array(dx * dx);
  for (let i = 0; i < dx; i++) {
    for (let j = 0; j < dx; j++) {
      let s = Sxx[i * dx + j] as number;
      for (let k = 0; k < dy; k++) s -= (AT[k * dx + i] as number) * (Sxy[j * dy + k] as number);
      conditionalCovariance[i * dx + j] = s;
    }
  }
  const conditionalFactor = gaussianFactor(new Float64Array(dx), conditionalCovariance, `${what} conditional covariance`);

  function checkCondition(y: Float64Array, where: string): void {
    if (y.length !== dy) {
      throw new MinevoError(ErrorCode.DimensionMismatch, `${what} ${where}: the condition y must have ${dy} entries, got ${y.length}`, {
        received: y.length,
        expected: dy,
      });
    }
  }

  function conditionalMean(y: Float64Array): Float64Array {
    const mean = Float64Array.from(mx);
    for (let i = 0; i < dx; i++) {
      for (let k = 0; k < dy; k++) mean[i] = (mean[i] as number) + (AT[k * dx + i] as number) * ((y[k] as number) - (my[k] as number));
    }
    return mean;
  }

  const conditional: ConditionalTargetFacts = {
    conditionalMoments(y): TargetMoments {
      checkCondition(y, "conditionalMoments");
      return { mean: conditionalMean(y), covariance: Float64Array.from(conditionalCovariance) };
    },
    logMarginal(y) {
      checkCondition(y, "logMarginal");
      return gaussianLogDensity64(yFactor, y);
    },
    sampleConditional(y, random, m) {
      checkCondition(y, "sampleConditional");
      checkSampleCount(m, `${what} sampleConditional`);
      const mean = conditionalMean(y);
      const out = new Float64Array(m * dx);
      const shifted = { ...conditionalFactor, mean };
      for (let r = 0; r < m; r++) drawGaussian(shifted, random, out, r * dx);
      return out;
    },
  };

  return formulaTarget({
    name: "joint-gaussian",
    description: `jointly Gaussian (x, y), d_x = ${dx}, d_y = ${dy}, normalised; exact x | y and log Z(y) known (mean ${quote(Array.from(joint.mean))})`,
    dim: dx,
    conditionDim: dy,
    logZ: 0,
    moments: { mean: Float64Array.from(mx), covariance: Sxx },
    logDensity: (points, tf) => mixture.logDensity(points, tf),
    scoreAndLogDensity: (points, tf) => mixture.scoreAndLogDensity(points, tf, dx),
    sample: (random, m) => mixture.sample(random, m),
    conditional,
  });
}

export const jointGaussianTarget = defineTarget({
  name: "joint-gaussian",
  description: "(x, y) jointly Gaussian: x sampled, y a condition; exact x | y moments and log Z(y) for validation.",
  options: jointGaussianTargetOptions,
  create: createJointGaussianTarget,
});

declare module "@minevo/core" {
  interface TargetMap {
    "joint-gaussian": typeof jointGaussianTarget;
  }
}
