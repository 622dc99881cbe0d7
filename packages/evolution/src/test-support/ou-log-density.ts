/**
 * TEST FIXTURE: the Ornstein–Uhlenbeck log-density equation (b = −x, D = 1; METHOD.md §3),
 *
 *     ∂t ℓ = d + x·∇ℓ + Δℓ + |∇ℓ|²,   ẋ = −x − ∇ℓ (the probability flow),
 *
 * carrying the log-density along the flow as an extra per-point scalar,
 * d/dt ℓ(t, x_t) = −∇·v = d + Δℓ. The diffusion package owns the real one; this copy exists so
 * that evolution's tests exercise moving points and extra state through the whole stack.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import type { EquationInput, EvolutionEquation } from "@minevo/core";
import { requireDerivative } from "../equations/require-derivative.js";

export function ouLogDensityEquation(): EvolutionEquation {
  const x = (input: EquationInput): Tensor2D => input.tf.slice(input.points, [0, 0], [input.points.shape[0], input.inputDim]);
  return {
    name: "ou-log-density-fixture",
    requirements: { gradient: true, laplacian: true },
    extraState: ["logDensity"],
    rhs(input: EquationInput): Tensor1D {
      const { tf } = input;
      const gradient = requireDerivative(input.gradient, "gradient", this.name);
      const laplacian = requireDerivative(input.laplacian, "laplacian", this.name);
      const xDotGradient = tf.sum(tf.mul(x(input), gradient), 1);
      const gradientSquared = tf.sum(tf.square(gradient), 1);
      return tf.add(tf.add(xDotGradient, gradientSquared), tf.add(laplacian, input.inputDim)) as Tensor1D;
    },
    pointVelocity(input: EquationInput): Tensor2D {
      const gradient = requireDerivative(input.gradient, "gradient", this.name);
      return input.tf.neg(input.tf.add(x(input), gradient)) as Tensor2D;
    },
    extraStateRates(input: EquationInput): Readonly<Record<string, Tensor1D>> {
      const laplacian = requireDerivative(input.laplacian, "laplacian", this.name);
      return { logDensity: input.tf.add(laplacian, input.inputDim) as Tensor1D };
    },
  };
}
