/**
 * Gaussian mixtures: `gmm` (any weights, means, covariances), `gmm25` (the 25-mode grid of the
 * sampling literature) and `gmm2-reference` (the 2-component mixture of the numpy reference,
 * shared/reference/mne.py, against whose figures the MNE sampler is checked).
 */
import { z } from "zod";
import { ErrorCode, MinevoError, defineTarget, type SamplingTarget } from "@minevo/core";
import { formulaTarget } from "./formula-target.js";
import { covarianceMatrix, gaussianFactor } from "./gaussian-factor.js";
import { gaussianMixture, type MixtureComponent } from "./gaussian-mixture.js";

export const gmmTargetOptions = z.strictObject({
  /** wₖ > 0. Not renormalised: π̃ = Σ wₖ N(mₖ, Sₖ), so log Z = log Σ wₖ. */
  weights: z.array(z.number().positive()).min(1),
  /** mₖ, one row per component. */
  means: z.array(z.array(z.number()).min(1)).min(1),
  /** Sₖ in full, one matrix per component. */
  covariances: z.array(z.array(z.array(z.number()))).optional(),
  /** Sₖ = diag(variancesₖ), one row per component. Leave both out for identities. */
  diagonals: z.array(z.array(z.number().positive())).optional(),
});

function mixtureTarget(name: string, description: string, components: MixtureComponent[]): SamplingTarget {
  const mixture = gaussianMixture(components, `target "${name}"`);
  return formulaTarget({
    name,
    description,
    dim: mixture.dim,
    logZ: mixture.logZ,
    moments: mixture.moments,
    logDensity: (points, tf) => mixture.logDensity(points, tf),
    scoreAndLogDensity: (points, tf) => mixture.scoreAndLogDensity(points, tf),
    sample: (random, m) => mixture.sample(random, m),
  });
}

export function createGmmTarget(options: z.output<typeof gmmTargetOptions>): SamplingTarget {
  const what = 'target "gmm"';
  const K = options.weights.length;
  const dim = options.means[0]?.length ?? 0;
  const counts: [string, number | undefined][] = [
    ["means", options.means.length],
    ["covariances", options.covariances?.length],
    ["diagonals", options.diagonals?.length],
  ];
  for (const [field, count] of counts) {
    if (count !== undefined && count !== K) {
      throw new MinevoError(ErrorCode.DimensionMismatch, `${what}: "${field}" has ${count} entries but "weights" has ${K}; give one per component`, {
        field,
      });
    }
  }
  const components = options.weights.map((weight, k) => {
    const mean = options.means[k] as number[];
    if (mean.length !== dim) {
      throw new MinevoError(ErrorCode.DimensionMismatch, `${what}: mean ${k} has length ${mean.length}, mean 0 has ${dim}`, { component: k });
    }
    const where = `${what} component ${k}`;
    const covariance = covarianceMatrix({ covariance: options.covariances?.[k], diagonal: options.diagonals?.[k] }, dim, where);
    return { weight, factor: gaussianFactor(mean, covariance, where) };
  });
  return mixtureTarget("gmm", `Gaussian mixture of ${K} components in ${dim} dimensions`, components);
}

export const gmmTarget = defineTarget({
  name: "gmm",
  description: "Gaussian mixture Σ wₖ N(mₖ, Sₖ); log Z = log Σ wₖ.",
  options: gmmTargetOptions,
  create: createGmmTarget,
});

export const gmm25TargetOptions = z.strictObject({
  /** Standard deviation of every mode (isotropic). */
  std: z.number().positive().default(0.3),
  /** Distance between neighbouring modes: modes at spacing·{−2, −1, 0, 1, 2}². */
  spacing: z.number().positive().default(2),
});

/**
 * The 25-mode grid: equal weights 1/25, modes at {−4, −2, 0, 2, 4}² with isotropic standard
 * deviation 0.3 (the defaults). Normalised: log Z = 0.
 */
export function createGmm25Target(options: z.output<typeof gmm25TargetOptions>): SamplingTarget {
  const variance = options.std * options.std;
  const components: MixtureComponent[] = [];
  for (let i = -2; i <= 2; i++) {
    for (let j = -2; j <= 2; j++) {
      const mean = [i * options.spacing, j * options.spacing];
      components.push({ weight: 1 / 25, factor: gaussianFactor(mean, Float64Array.from([variance, 0, 0, variance]), 'target "gmm25"') });
    }
  }
  return mixtureTarget(
    "gmm25",
    `25-mode Gaussian mixture on the grid ${options.spacing}·{−2..2}², std ${options.std}, equal weights, log Z = 0`,
    components,
  );
}

export const gmm25Target = defineTarget({
  name: "gmm25",
  description: "25 equal-weight Gaussian modes at {−4,−2,0,2,4}², std 0.3 (options: std, spacing); log Z = 0.",
  options: gmm25TargetOptions,
  create: createGmm25Target,
});

/** The 2-D two-component mixture of shared/reference/mne.py (WTS, MUS, COV there). */
export function createGmm2ReferenceTarget(): SamplingTarget {
  const what = 'target "gmm2-reference"';
  return mixtureTarget("gmm2-reference", "the reference 2-D mixture 0.3·N((−2,0), 0.5I) + 0.7·N((2,1), [[1,0.3],[0.3,0.6]]), log Z = 0", [
    { weight: 0.3, factor: gaussianFactor([-2, 0], Float64Array.from([0.5, 0, 0, 0.5]), what) },
    { weight: 0.7, factor: gaussianFactor([2, 1], Float64Array.from([1, 0.3, 0.3, 0.6]), what) },
  ]);
}

export const gmm2ReferenceTarget = defineTarget({
  name: "gmm2-reference",
  description: "The numpy reference's 2-D mixture: 0.3·N((−2,0), 0.5I) + 0.7·N((2,1), [[1,0.3],[0.3,0.6]]); log Z = 0.",
  options: z.strictObject({}),
  create: () => createGmm2ReferenceTarget(),
});

declare module "@minevo/core" {
  interface TargetMap {
    gmm: typeof gmmTarget;
    gmm25: typeof gmm25Target;
    "gmm2-reference": typeof gmm2ReferenceTarget;
  }
}
