/**
 * The Ornstein–Uhlenbeck Fokker–Planck equation in log form, as an evolution equation.
 *
 * SDE dX = −γX dt + √(2D) dW; density ρ, log-density ℓ = log ρ. With b = −γx (∇·b = −γd):
 *
 *   log-density form:  ∂t ℓ = γd + γ x·∇ℓ + D(Δℓ + |∇ℓ|²),   ẋ = b − D∇ℓ = −γx − D∇ℓ
 *   log-ratio form:    g = ℓ + γ|x|²/(2D),  ∂t g = D(Δg + |∇g|²) − γ x·∇g,   ẋ = −D∇g
 *
 * The log-ratio form flattens to a constant as ρ → N(0, (D/γ)I). Points move along the model's
 * probability flow; the MNE constraint stays on the partial derivative ∂t u at the moving points.
 * Along the flow the log-density changes by d/dt ℓ(t, x_t) = −∇·v = γd + DΔℓ (= DΔg in the
 * log-ratio form), carried as the optional extra state `logDensity` — the quantity the
 * reverse-flow sampler integrates to give each sample its exact model density.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { z } from "zod";
import { ErrorCode, MinevoError, defineEquation, type EquationInput, type EvolutionEquation } from "@minevo/core";

export const ornsteinUhlenbeckOptions = z.strictObject({
  /** Which function the network represents: ℓ = log ρ, or g = ℓ + γ|x|²/(2D). */
  form: z.enum(["log-density", "log-ratio"]).default("log-density"),
  /** γ > 0 in the drift −γx. */
  rate: z.number().positive().finite().default(1),
  /** D > 0: the diffusion coefficient (noise √(2D) dW). */
  diffusion: z.number().positive().finite().default(1),
  /** Carry the log-density along each point's path as extra state `logDensity`. */
  trackLogDensity: z.boolean().default(false),
});

export type OrnsteinUhlenbeckOptions = z.output<typeof ornsteinUhlenbeckOptions>;

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) {
    throw new MinevoError(ErrorCode.InvalidArgument, `the Ornstein–Uhlenbeck equation needs ${what}, but the caller did not compute it`);
  }
  return value;
}

/** Row-wise dot product of two N×d tensors. */
function rowDot(tf: EquationInput["tf"], a: Tensor2D, b: Tensor2D): Tensor1D {
  return tf.sum(tf.mul(a, b), 1) as Tensor1D;
}

/** The first d columns of the points: the diffused coordinates x. */
function diffused(input: EquationInput): Tensor2D {
  return input.conditionDim === 0 ? input.points : (input.tf.slice(input.points, [0, 0], [-1, input.inputDim]) as Tensor2D);
}

export function createOrnsteinUhlenbeckEquation(options: OrnsteinUhlenbeckOptions): EvolutionEquation {
  const { rate: gamma, diffusion: D, form } = options;
  const logDensityForm = form === "log-density";
  const equation: EvolutionEquation = {
    name: "ornstein-uhlenbeck",
    requirements: { gradient: true, laplacian: true },
    extraState: options.trackLogDensity ? ["logDensity"] : [],
    rhs(input) {
      const { tf, inputDim: d } = input;
      const x = diffused(input);
      const gradient = required(input.gradient, "∇ₓu");
      const laplacian = required(input.laplacian, "Δₓu");
      const xDotGradient = rowDot(tf, x, gradient);
      const squaredGradient = rowDot(tf, gradient, gradient);
      const diffusive = tf.mul(tf.add(laplacian, squaredGradient), D);
      if (logDensityForm) return tf.add(tf.add(diffusive, tf.mul(xDotGradient, gamma)), gamma * d) as Tensor1D;
      return tf.sub(diffusive, tf.mul(xDotGradient, gamma)) as Tensor1D;
    },
    pointVelocity(input) {
      const { tf } = input;
      const gradient = required(input.gradient, "∇ₓu");
      const flow = tf.mul(gradient, -D) as Tensor2D;
      return logDensityForm ? (tf.sub(flow, tf.mul(diffused(input), gamma)) as Tensor2D) : flow;
    },
  };
  if (options.trackLogDensity) {
    return {
      ...equation,
      extraStateRates(input) {
        const { tf, inputDim: d } = input;
        const laplacian = required(input.laplacian, "Δₓu");
        // −∇·v = γd + DΔℓ, and Δℓ = Δg − γd/D in the log-ratio form.
        const rateOfLogDensity = logDensityForm ? tf.add(tf.mul(laplacian, D), gamma * d) : tf.mul(laplacian, D);
        return { logDensity: rateOfLogDensity as Tensor1D };
      },
    };
  }
  return equation;
}

export const ornsteinUhlenbeck = defineEquation({
  name: "ornstein-uhlenbeck",
  description: "Ornstein–Uhlenbeck Fokker–Planck equation for the log-density (or log-ratio), points on the probability flow",
  options: ornsteinUhlenbeckOptions,
  create: createOrnsteinUhlenbeckEquation,
});

declare module "@minevo/core" {
  interface EquationMap {
    "ornstein-uhlenbeck": typeof ornsteinUhlenbeck;
  }
}
