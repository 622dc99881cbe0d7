/**
 * @minevo/diffusion: Fokker–Planck equations, sampling targets known by formula, MCMC baselines
 * and float64 sampling diagnostics. Importing this module registers the built-in targets in
 * `registries.target` and the Fokker–Planck equations in `registries.equation`.
 */
import { registries } from "@minevo/core";
import { fokkerPlanck } from "./fokker-planck/general-drift.js";
import { ornsteinUhlenbeck } from "./fokker-planck/ornstein-uhlenbeck.js";
import { registerBuiltinTargets } from "./targets/builtin-targets.js";

registerBuiltinTargets();
registries.equation.register(ornsteinUhlenbeck);
registries.equation.register(fokkerPlanck);

// Targets
export { builtinTargets, registerBuiltinTargets } from "./targets/builtin-targets.js";
export { formulaTarget, checkPoints, pointDimOf } from "./targets/formula-target.js";
export type { FormulaTargetSpec } from "./targets/formula-target.js";
export { gaussianTarget, gaussianTargetOptions, createGaussianTarget } from "./targets/gaussian.js";
export {
  gmmTarget,
  gmmTargetOptions,
  createGmmTarget,
  gmm25Target,
  gmm25TargetOptions,
  createGmm25Target,
  gmm2ReferenceTarget,
  createGmm2ReferenceTarget,
} from "./targets/gmm.js";
export { bananaTarget, bananaTargetOptions, createBananaTarget } from "./targets/banana.js";
export { funnelTarget, funnelTargetOptions, createFunnelTarget } from "./targets/funnel.js";
export { manyWellTarget, manyWellTargetOptions, createManyWellTarget, doubleWellFacts, doubleWellLogMarginal } from "./targets/many-well.js";
export type { ManyWellTarget, DoubleWellFacts } from "./targets/many-well.js";
export { jointGaussianTarget, jointGaussianTargetOptions, createJointGaussianTarget } from "./targets/joint-gaussian.js";
export { userTarget } from "./targets/user-target.js";
export type { UserTargetSpec } from "./targets/user-target.js";

// MCMC baselines
export { runMala } from "./mcmc/mala.js";
export type { MalaOptions } from "./mcmc/mala.js";
export { runHmc } from "./mcmc/hmc.js";
export type { HmcOptions } from "./mcmc/hmc.js";
export { evaluateAtPoints } from "./mcmc/chains.js";
export type { McmcOptions, McmcResult } from "./mcmc/chains.js";
export { DualAveraging } from "./mcmc/dual-averaging.js";

// Sampling diagnostics (float64)
export { importanceWeights, logSumExp, checkLogWeights } from "./diagnostics/importance-weights.js";
export type { ImportanceWeights } from "./diagnostics/importance-weights.js";
export { systematicResample } from "./diagnostics/resampling.js";
export { independenceMetropolisHastings } from "./diagnostics/independence-metropolis.js";
export type { IndependenceChain } from "./diagnostics/independence-metropolis.js";
export { chainEffectiveSampleSize, seriesEffectiveSampleSize } from "./diagnostics/effective-sample-size.js";
export { monteCarloEstimate, splitPotentialScaleReduction, chainPotentialScaleReduction } from "./diagnostics/convergence.js";
export type { MonteCarloEstimate } from "./diagnostics/convergence.js";
export { energyDistance, maximumMeanDiscrepancy, medianPairwiseDistance } from "./diagnostics/two-sample.js";
export type { MaximumMeanDiscrepancy } from "./diagnostics/two-sample.js";

// Fokker–Planck equations and the exact OU solution from a Gaussian mixture
export { ornsteinUhlenbeck, ornsteinUhlenbeckOptions, createOrnsteinUhlenbeckEquation } from "./fokker-planck/ornstein-uhlenbeck.js";
export type { OrnsteinUhlenbeckOptions } from "./fokker-planck/ornstein-uhlenbeck.js";
export { fokkerPlanck, fokkerPlanckOptions, createFokkerPlanckEquation } from "./fokker-planck/general-drift.js";
export type { DriftFunction, FokkerPlanckOptions } from "./fokker-planck/general-drift.js";
export { exactOuMixture, referenceMixture } from "./fokker-planck/exact-ou-mixture.js";
export type { ExactOuMixture, MixtureSpec } from "./fokker-planck/exact-ou-mixture.js";

// The MNE sampler: reverse probability flow with exact log-densities, and the whole OU pipeline
export {
  integrateReverseFlow,
  sampleByReverseFlow,
  networkDerivatives,
  thetaFromDenseOutput,
  standardNormalLogDensity,
  latentDraws,
} from "./sampler/reverse-flow.js";
export type { LatentMixture, ModelDerivatives, OuModelForm, ReverseFlowOptions, ReverseFlowResult, SampleByReverseFlowOptions } from "./sampler/reverse-flow.js";
export { runOuSampler, refineOuSampler, samplerPointDefaults } from "./sampler/ou-sampler.js";
export type {
  OuSamplerOptions,
  OuSamplerProgress,
  OuSamplerPointsProgress,
  OuSamplerFitProgress,
  OuSamplerForwardProgress,
  OuSamplerSampleProgress,
  OuSamplerResult,
  OuSamplerDiagnostics,
  OuSamplerCheckpointOptions,
  OuRefinementOptions,
  MalaPointSource,
  SmcPointSource,
} from "./sampler/ou-sampler.js";
export { malaPoints, malaPointDefaults, defaultRestartMargin } from "./sampler/mala-points.js";
export type { MalaPointsOptions, MalaPoints, MalaPointsProgress } from "./sampler/mala-points.js";
export { smcPoints, smcPointDefaults } from "./sampler/smc-points.js";
export { affineTarget, affineToX, affineToZ, standardizingMap } from "./targets/affine-target.js";
export type { AffineMap } from "./targets/affine-target.js";
export { standardizingPilot, standardizeDefaults } from "./sampler/standardize.js";
export { defensiveValues } from "./sampler/defensive.js";
export type { DefensiveOptions } from "./sampler/defensive.js";
export type { StandardizeOptions, StandardizingPilot, StandardizingPilotOptions } from "./sampler/standardize.js";
export type { SmcPointsOptions, SmcPoints, SmcStage } from "./sampler/smc-points.js";
export { smoothedTarget, smoothingDefaults } from "./sampler/smoothing.js";
export type { SmoothingOptions, SmoothedValues, ResolvedSmoothing } from "./sampler/smoothing.js";
export { blurPosterior, denoiseByLaplace, laplaceSmoothedTarget } from "./sampler/laplace.js";
export type { BlurPosterior, BlurPosteriorOptions } from "./sampler/laplace.js";
export { encodeCheckpoint, decodeCheckpoint } from "./sampler/checkpoint.js";
export type { OuSamplerCheckpoint, OuSamplerPhase, OuSamplerForwardStep } from "./sampler/checkpoint.js";

// Conditional sampling and marginalisation (METHOD.md §6): x | y and log Z(y) of a joint π̃(x, y)
export { runConditionalOuSampler } from "./conditional/conditional-sampler.js";
export type { ConditionalOuSamplerOptions, ConditionalOuSamplerResult, ConditionalSamples } from "./conditional/conditional-sampler.js";
export { conditionalNetworkDerivatives } from "./conditional/conditional-reverse-flow.js";
