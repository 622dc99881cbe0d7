/**
 * The runOuSampler options a page run stands for. The worker and the Node reference run of the
 * browser test both build their options here, so they run the very same configuration.
 */
import type { SamplingTarget, TensorFlow } from "@minevo/core";
import type { OuSamplerOptions } from "@minevo/diffusion";
import { checkRunConfig, type RunConfig } from "./run-config.js";
import { createTarget } from "./targets.js";

/** The runOuSampler options of a run (the caller adds onProgress and signal). */
export type PageSamplerOptions = OuSamplerOptions<"mlp", "gaussian", "dopri5", "dopri5"> & { readonly target: SamplingTarget };

export function samplerOptions(config: RunConfig, tf: TensorFlow): PageSamplerOptions {
  checkRunConfig(config);
  return {
    tf,
    target: createTarget(config.target),
    numPoints: config.numPoints,
    numExtraFitPoints: config.numExtraFitPoints,
    fitIterations: config.fitIterations,
    sketch: "gaussian",
    sketchOptions: { sketchSize: config.sketchSize, regularisation: { kind: "relative-trace", epsilon: 1e-6 } },
    integrator: "dopri5",
    integratorOptions: { rtol: config.tolerance, atol: config.tolerance },
    samplerIntegrator: "dopri5",
    samplerIntegratorOptions: { rtol: config.samplerTolerance, atol: config.samplerTolerance },
    numSamples: config.numSamples,
    seed: config.seed,
    horizon: config.horizon,
    recordPathSteps: config.recordPathSteps,
  };
}
