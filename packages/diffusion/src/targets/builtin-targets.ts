/**
 * The built-in targets, registered into `registries.target` when the package is imported.
 * Re-registering the same definition is a no-op, so importing twice is harmless.
 */
import { registries } from "@minevo/core";
import { bananaTarget } from "./banana.js";
import { funnelTarget } from "./funnel.js";
import { gaussianTarget } from "./gaussian.js";
import { gmm25Target, gmm2ReferenceTarget, gmmTarget } from "./gmm.js";
import { jointGaussianTarget } from "./joint-gaussian.js";
import { manyWellTarget } from "./many-well.js";

export const builtinTargets = [gaussianTarget, gmmTarget, gmm25Target, gmm2ReferenceTarget, bananaTarget, funnelTarget, manyWellTarget, jointGaussianTarget] as const;

export function registerBuiltinTargets(): void {
  for (const definition of builtinTargets) registries.target.register(definition);
}
