/** The `mlp` entry of the network registry, with its typed options. */
import { defineNetwork } from "@minevo/core";
import { MlpNetwork } from "./mlp.js";
import { mlpOptionsSchema } from "./mlp-options.js";

export const mlp = defineNetwork({
  name: "mlp",
  description:
    "Multilayer perceptron (tanh, softplus, gelu, sin or swish) with optional residual connections, Fourier features, a learnable quadratic term −½xᵀPx, a Gaussian envelope and conditioning inputs; exact ∇ₓu, Δₓu and parameter Jacobian.",
  options: mlpOptionsSchema,
  create: (options) => new MlpNetwork(options),
});

declare module "@minevo/core" {
  interface NetworkMap {
    mlp: typeof mlp;
  }
}
