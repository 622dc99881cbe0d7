/**
 * @minevo/networks: neural-network ansätze for minevo. Importing this module registers the
 * built-in networks into `registries.network`.
 */
import { registries } from "@minevo/core";
import { additive } from "./additive-plugin.js";
import { mlp } from "./mlp-plugin.js";

registries.network.register(mlp);
registries.network.register(additive);

export { mlp } from "./mlp-plugin.js";
export { additive } from "./additive-plugin.js";
export { AdditiveNetwork, additiveOptionsSchema } from "./additive.js";
export type { AdditiveOptions, AdditiveOptionsInput } from "./additive.js";
export { MlpNetwork } from "./mlp.js";
export {
  mlpOptionsSchema,
  fourierFeaturesSchema,
  quadraticSchema,
  gaussianEnvelopeSchema,
  hierarchicalSchema,
  initializationSchema,
  weightInitializations,
} from "./mlp-options.js";
export type { MlpOptions, MlpOptionsInput } from "./mlp-options.js";
export { activationNames } from "./activations.js";
export type { ActivationName } from "./activations.js";
export { quadraticForms } from "./quadratic.js";
export type { QuadraticForm } from "./quadratic.js";
export { FactoredJacobian } from "./factored-jacobian.js";
export type { JacobianBlock, HostJacobianBlock } from "./factored-jacobian.js";
export { parameterLayout, layoutSize, flattenParameters, unflattenParameters } from "./layout.js";
export { restoreNetwork } from "./serialization.js";
export type { RestoredNetwork } from "./serialization.js";
