/**
 * The Fokker–Planck equation of dX = b(t, X) dt + √(2D) dW for a general drift b with constant
 * diffusion D, in log-density form:
 *
 *   ∂t ℓ = −∇·b − b·∇ℓ + D(Δℓ + |∇ℓ|²),   ẋ = v = b − D∇ℓ,   d/dt ℓ(t, x_t) = −∇·v = −∇·b + DΔℓ.
 *
 * The drift is code, not data: a function of (t, x) written with TensorFlow.js ops that returns
 * b (N×d) and its divergence ∇·b (N) — exact divergences keep the vector field smooth. Such an
 * equation is built by value (`fokkerPlanck.with({ drift, diffusion })`); a JSON config cannot
 * name a function, so its schema accepts functions only.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { z } from "zod";
import { ErrorCode, MinevoError, defineEquation, type EquationInput, type EvolutionEquation, type TensorFlow } from "@minevo/core";

/** b(t, x) and ∇·b(t, x) at N points x (N×d). Return new tensors; the caller disposes them. */
export type DriftFunction = (tf: TensorFlow, t: number, x: Tensor2D) => { readonly drift: Tensor2D; readonly divergence: Tensor1D };

export const fokkerPlanckOptions = z.strictObject({
  drift: z.custom<DriftFunction>((value) => typeof value === "function", {
    message: "drift must be a function (tf, t, x) => { drift, divergence } written with TensorFlow.js ops",
  }),
  /** D > 0. */
  diffusion: z.number().positive().finite().default(1),
  trackLogDensity: z.boolean().default(false),
});

export type FokkerPlanckOptions = z.output<typeof fokkerPlanckOptions>;

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) {
    throw new MinevoError(ErrorCode.InvalidArgument, `the Fokker–Planck equation needs ${what}, but the caller did not compute it`);
  }
  return value;
}

function diffused(input: EquationInput): Tensor2D {
  return input.conditionDim === 0 ? input.points : (input.tf.slice(input.points, [0, 0], [-1, input.inputDim]) as Tensor2D);
}

/** Calls the user's drift and checks the shapes it returned. */
function evaluateDrift(options: FokkerPlanckOptions, input: EquationInput): { drift: Tensor2D; divergence: Tensor1D } {
  const x = diffused(input);
  const n = x.shape[0];
  const { drift, divergence } = options.drift(input.tf, input.t, x);
  if (drift.shape.length !== 2 || drift.shape[0] !== n || drift.shape[1] !== input.inputDim) {
    throw new MinevoError(
      ErrorCode.DimensionMismatch,
      `the drift function returned b of shape [${drift.shape.join(", ")}]; expected [${n}, ${input.inputDim}] (one row per point)`,
      { shape: drift.shape },
    );
  }
  if (divergence.shape.length !== 1 || divergence.shape[0] !== n) {
    throw new MinevoError(
      ErrorCode.DimensionMismatch,
      `the drift function returned ∇·b of shape [${divergence.shape.join(", ")}]; expected [${n}]`,
      { shape: divergence.shape },
    );
  }
  return { drift, divergence };
}

export function createFokkerPlanckEquation(options: FokkerPlanckOptions): EvolutionEquation {
  const D = options.diffusion;
  const equation: EvolutionEquation = {
    name: "fokker-planck",
    requirements: { gradient: true, laplacian: true },
    extraState: options.trackLogDensity ? ["logDensity"] : [],
    rhs(input) {
      const { tf } = input;
      const gradient = required(input.gradient, "∇ₓu");
      const laplacian = required(input.laplacian, "Δₓu");
      const { drift, divergence } = evaluateDrift(options, input);
      const transport = tf.sum(tf.mul(drift, gradient), 1);
      const diffusive = tf.mul(tf.add(laplacian, tf.sum(tf.square(gradient), 1)), D);
      return tf.sub(tf.sub(diffusive, transport), divergence) as Tensor1D;
    },
    pointVelocity(input) {
      const { tf } = input;
      const gradient = required(input.gradient, "∇ₓu");
      const { drift } = evaluateDrift(options, input);
      return tf.sub(drift, tf.mul(gradient, D)) as Tensor2D;
    },
  };
  if (!options.trackLogDensity) return equation;
  return {
    ...equation,
    extraStateRates(input) {
      const laplacian = required(input.laplacian, "Δₓu");
      const { divergence } = evaluateDrift(options, input);
      return { logDensity: input.tf.sub(input.tf.mul(laplacian, D), divergence) as Tensor1D };
    },
  };
}

export const fokkerPlanck = defineEquation({
  name: "fokker-planck",
  description: "Fokker–Planck equation for the log-density with a general drift b(t, x) and constant diffusion D",
  options: fokkerPlanckOptions,
  create: createFokkerPlanckEquation,
});

declare module "@minevo/core" {
  interface EquationMap {
    "fokker-planck": typeof fokkerPlanck;
  }
}
