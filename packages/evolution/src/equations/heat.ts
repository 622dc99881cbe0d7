/**
 * The heat equation ∂t u = κ Δₓu. Linear, so Fourier modes decay exactly as e^{−κ|k|²t}:
 * the exact-solution test of the whole stack.
 */
import type { Tensor1D } from "@tensorflow/tfjs-core";
import { z } from "zod";
import { defineEquation, type EquationInput, type EvolutionEquation } from "@minevo/core";
import { requireDerivative } from "./require-derivative.js";

export const heatOptionsSchema = z.strictObject({
  /** κ > 0. */
  diffusivity: z.number().positive().finite().default(1),
});

export type HeatOptions = z.output<typeof heatOptionsSchema>;

export function createHeatEquation(options: HeatOptions): EvolutionEquation {
  const kappa = options.diffusivity;
  return {
    name: "heat",
    requirements: { gradient: false, laplacian: true },
    extraState: [],
    rhs(input: EquationInput): Tensor1D {
      const laplacian = requireDerivative(input.laplacian, "laplacian", "heat");
      return input.tf.mul(laplacian, kappa);
    },
  };
}

export const heat = defineEquation({
  name: "heat",
  description: "∂t u = κ Δₓu (collocation points fixed)",
  options: heatOptionsSchema,
  create: createHeatEquation,
});

declare module "@minevo/core" {
  interface EquationMap {
    heat: typeof heat;
  }
}
