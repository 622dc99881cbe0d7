/**
 * `gaussian`: π̃ = N(m, S), normalised (log Z = 0). Under the OU flow a Gaussian stays Gaussian
 * (METHOD.md §7), so this is the target on which MNE must reproduce the exact answer.
 */
import { z } from "zod";
import { defineTarget, type SamplingTarget } from "@minevo/core";
import { formulaTarget } from "./formula-target.js";
import { covarianceMatrix, gaussianFactor } from "./gaussian-factor.js";
import { gaussianMixture } from "./gaussian-mixture.js";

export const gaussianTargetOptions = z.strictObject({
  /** m; its length is the dimension. */
  mean: z.array(z.number()).min(1).default([0, 0]),
  /** S in full (symmetric positive definite). */
  covariance: z.array(z.array(z.number())).optional(),
  /** S = diag(variances). Leave both out for the identity. */
  diagonal: z.array(z.number().positive()).optional(),
});

export function createGaussianTarget(options: z.output<typeof gaussianTargetOptions>): SamplingTarget {
  const dim = options.mean.length;
  const what = 'target "gaussian"';
  const factor = gaussianFactor(options.mean, covarianceMatrix(options, dim, what), what);
  const mixture = gaussianMixture([{ weight: 1, factor }], what);
  return formulaTarget({
    name: "gaussian",
    description: `Gaussian N(m, S) in ${dim} dimensions, normalised (log Z = 0)`,
    dim,
    logZ: 0,
    moments: mixture.moments,
    logDensity: (points, tf) => mixture.logDensity(points, tf),
    scoreAndLogDensity: (points, tf) => mixture.scoreAndLogDensity(points, tf),
    sample: (random, m) => mixture.sample(random, m),
  });
}

export const gaussianTarget = defineTarget({
  name: "gaussian",
  description: "Gaussian N(mean, covariance or diagonal), normalised: log Z = 0.",
  options: gaussianTargetOptions,
  create: createGaussianTarget,
});

declare module "@minevo/core" {
  interface TargetMap {
    gaussian: typeof gaussianTarget;
  }
}
