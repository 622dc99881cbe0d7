/** The `additive` entry of the network registry, with its typed options. */
import { defineNetwork } from "@minevo/core";
import { AdditiveNetwork, additiveOptionsSchema } from "./additive.js";

export const additive = defineNetwork({
  name: "additive",
  description:
    "Sum of one shared inner network over consecutive coordinate blocks, u(x, y) = Σ_b g_θ(x_b, y): the ansatz for targets that factorise into identical blocks (many-well), whose OU evolution keeps that form.",
  options: additiveOptionsSchema,
  create: (options) => new AdditiveNetwork(options),
});

declare module "@minevo/core" {
  interface NetworkMap {
    additive: typeof additive;
  }
}
