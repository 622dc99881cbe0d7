/**
 * Linear advection ∂t u = −c·∇ₓu with a constant velocity c: u(t, x) = u₀(x − ct) travels
 * unchanged, the exact-solution test for a first-order operator.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { z } from "zod";
import { ErrorCode, MinevoError, defineEquation, quote, type EquationDimensions, type EquationInput, type EvolutionEquation } from "@minevo/core";
import { requireDerivative } from "./require-derivative.js";

export const advectionOptionsSchema = z.strictObject({
  /** c, one entry per diffused variable x. */
  velocity: z.array(z.number().finite()).min(1),
  /**
   * Move the collocation points with the flow, ẋ = c (Lagrangian points). The constraint stays
   * on ∂t u at the moving points; the points then keep covering the travelling profile.
   */
  movePoints: z.boolean().default(false),
});

export type AdvectionOptions = z.output<typeof advectionOptionsSchema>;

export function createAdvectionEquation(options: AdvectionOptions): EvolutionEquation {
  const c = Float32Array.from(options.velocity);
  const d = c.length;
  const equation: EvolutionEquation = {
    name: "advection",
    requirements: { gradient: true, laplacian: false },
    extraState: [],
    checkDimensions(dimensions: EquationDimensions): void {
      if (dimensions.inputDim !== d) {
        throw new MinevoError(
          ErrorCode.DimensionMismatch,
          `advection velocity ${quote(options.velocity)} has ${d} entries but the points have ${dimensions.inputDim} diffused variables; give one velocity entry per variable`,
          { velocity: options.velocity, inputDim: dimensions.inputDim },
        );
      }
    },
    rhs(input: EquationInput): Tensor1D {
      const gradient = requireDerivative(input.gradient, "gradient", "advection");
      const { tf } = input;
      // −c·∇u as a matrix–vector product: one kernel on every backend.
      return tf.neg(tf.reshape(tf.matMul(gradient, tf.tensor2d(c, [d, 1])), [-1])) as Tensor1D;
    },
  };
  if (options.movePoints) {
    equation.pointVelocity = (input: EquationInput): Tensor2D =>
      input.tf.tile(input.tf.tensor2d(c, [1, d]), [input.points.shape[0], 1]) as Tensor2D;
  }
  return equation;
}

export const advection = defineEquation({
  name: "advection",
  description: "∂t u = −c·∇ₓu with constant velocity c (points fixed, or moving with c)",
  options: advectionOptionsSchema,
  create: createAdvectionEquation,
});

declare module "@minevo/core" {
  interface EquationMap {
    advection: typeof advection;
  }
}
