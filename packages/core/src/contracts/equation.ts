/**
 * The evolution-equation contract: ∂t u = A_t[u], evaluated at the collocation points.
 *
 * @minevo/evolution creates equations through `registries.equation` (or takes a configured
 * value) and calls them through this interface only. At each right-hand-side evaluation the
 * network gives u, and — when the equation asks for them — ∇ₓu and Δₓu at the N points; the
 * equation turns them into f = A_t[u](X), the constraint of the MNE step J θ̇ ≈ f. An equation
 * may also move the points (Ẋ, e.g. the probability flow ẋ = b − D∇ℓ) and carry extra
 * per-point scalars along them (e.g. the log-density along the flow, d/dt ℓ(t, x_t) = −∇·v).
 *
 * Ownership: every tensor in {@link EquationInput} belongs to the caller, who disposes it; the
 * tensors an equation returns are new and owned by the caller. The caller runs each method
 * inside `tf.tidy`, so intermediate tensors need no explicit disposal.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import type { TensorFlow } from "../backend.js";

/** Which spatial derivatives of u an equation reads (the network skips what is not needed). */
export interface EquationRequirements {
  /** ∇ₓu, N×d. */
  readonly gradient: boolean;
  /** Δₓu, N (exact, never a stochastic trace estimate). */
  readonly laplacian: boolean;
}

/** The shape of the points: d diffused variables x, then c conditioning variables y. */
export interface EquationDimensions {
  readonly inputDim: number;
  readonly conditionDim: number;
}

/** What an equation sees at one instant. Float32 tensors on the backend. */
export interface EquationInput extends EquationDimensions {
  readonly tf: TensorFlow;
  readonly t: number;
  /** The collocation points X, N×(d+c): x in the first d columns, y after them. */
  readonly points: Tensor2D;
  /** u_θ(X), N. */
  readonly value: Tensor1D;
  /** ∇ₓu_θ(X), N×d; present when `requirements.gradient`. */
  readonly gradient?: Tensor2D;
  /** Δₓu_θ(X), N; present when `requirements.laplacian`. */
  readonly laplacian?: Tensor1D;
  /** The extra per-point scalars named in {@link EvolutionEquation.extraState}, each N. */
  readonly extra: Readonly<Record<string, Tensor1D>>;
}

/**
 * An evolution equation ∂t u = A_t[u], created by an equation plugin from typed options.
 *
 * ```ts
 * export const heat = defineEquation({ name: "heat", description: "…", options: schema, create });
 * declare module "@minevo/core" { interface EquationMap { heat: typeof heat } }
 * ```
 */
export interface EvolutionEquation {
  /** The registered name. */
  readonly name: string;
  readonly requirements: EquationRequirements;
  /**
   * Names of the extra per-point scalars the equation carries along the points (empty for
   * most). Their initial values come with the initial state; their rates from
   * {@link EvolutionEquation.extraStateRates}.
   */
  readonly extraState: readonly string[];
  /**
   * Throws a `MINEVO_DIMENSION_MISMATCH` MinevoError when the equation cannot run on points of
   * this shape (an advection velocity of the wrong length, say). Called once per solver.
   */
  checkDimensions?(dimensions: EquationDimensions): void;
  /** f = A_t[u](X), N. */
  rhs(input: EquationInput): Tensor1D;
  /**
   * Ẋ, N×d: the velocity of the diffused coordinates of the points (conditioning variables
   * never move). Absent: the points stay fixed. The MNE constraint stays on the partial time
   * derivative ∂t u at the moving points.
   */
  pointVelocity?(input: EquationInput): Tensor2D;
  /** d/dt of each extra per-point scalar, each N; required when `extraState` is not empty. */
  extraStateRates?(input: EquationInput): Readonly<Record<string, Tensor1D>>;
}
