/**
 * The standardising pilot of a sampler case (`standardize` in sampler-cases.ts): tempered-SMC
 * particles on π̃ alone (`smcPoints`' defaults: ESS fraction 0.95, 50 moves per stage), and the map z = (x − m)/s
 * that their mean and standard deviation give. Shared by the acceptance runner and the banana's
 * rerun script, so that both draw the same pilot from the same seed.
 */
import type { RandomStream, SamplingTarget, TensorFlow } from "@minevo/core";
import { smcPoints, standardizingMap, type AffineMap } from "@minevo/diffusion";
import type { SamplerCase } from "./sampler-cases.js";

/** The label under which the pilot's stream derives from the case's seed stream. */
export const pilotStreamLabel = "standardize-pilot";

export function standardizingPilot(
  tf: TensorFlow,
  target: SamplingTarget,
  standardize: NonNullable<SamplerCase["standardize"]>,
  random: RandomStream,
): { readonly map: AffineMap; readonly stages: number; readonly logZ: number } {
  const pilot = smcPoints({
    tf,
    target,
    random,
    count: standardize.particles,
    start: standardize.reference,
  });
  return { map: standardizingMap(pilot.points, target.dim), stages: pilot.betas.length - 1, logZ: pilot.logZ };
}
