/**
 * The network contract: what the MNE vector field needs from an ansatz u_θ(x[, y]).
 *
 * @minevo/evolution drives a network that it created through `registries.network` knowing only
 * these types. One batched entry point, {@link Network.evaluate}, gives on the backend at N
 * points any of u, ∇ₓu, the exact Δₓu and the parameter Jacobian J = ∂u/∂θ. The inputs are the
 * diffused variables x (d columns) followed by conditioning variables y (c columns) that are
 * carried along but never differentiated: ∇ₓ and Δₓ are in x only.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import type { TensorFlow } from "../backend.js";
import type { RandomStream } from "../random.js";
import type { JacobianOperator } from "./jacobian.js";

/** One named block of the flat parameter vector θ, stored row-major at `offset`. */
export interface ParameterBlock {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  /** The product of `shape` (1 for a scalar block of shape []). */
  readonly size: number;
}

/** What to compute in one {@link Network.evaluate} call; anything not asked for is not computed. */
export interface NetworkRequest {
  readonly value?: boolean;
  readonly gradient?: boolean;
  readonly laplacian?: boolean;
  readonly jacobian?: boolean;
}

/**
 * The result of one evaluation, float32 on the backend. The caller owns every tensor and the
 * operator; `dispose()` releases all of them at once (safe to call twice).
 */
export interface NetworkEvaluation {
  /** u_θ at each point: N. */
  readonly value?: Tensor1D;
  /** ∇ₓu_θ at each point: N×d. */
  readonly gradient?: Tensor2D;
  /** Δₓu_θ at each point, exact (no stochastic trace estimate): N. */
  readonly laplacian?: Tensor1D;
  /** J = ∂u_θ(X)/∂θ, N×p. */
  readonly jacobian?: JacobianOperator;
  dispose(): void;
}

/** A network as JSON: the registry name and options that rebuild it, and θ. */
export interface NetworkJSON {
  readonly name: string;
  readonly options: unknown;
  readonly parameters: readonly number[];
}

export interface Network {
  /** The registry name that {@link Network.toJSON} records. */
  readonly name: string;
  /** d: the diffused variables x, the first d columns of the points. */
  readonly inputDim: number;
  /** c: conditioning variables y after x (0 when the problem is not conditional). */
  readonly conditionDim: number;
  /** p: the length of θ. */
  readonly numParameters: number;
  /** The blocks of θ in order; offsets are contiguous and sizes sum to p. */
  readonly parameterLayout: readonly ParameterBlock[];
  /**
   * Per parameter, the factor s_k that turns the stored θ_k into a coefficient in the function's
   * own units (1/ℓ_q² for the mlp's quadratic term with a length scale ℓ_q, 1/ℓ_r⁴ for its
   * quartic term). Such a reparametrisation leaves the functions alone and scales the Jacobian
   * columns, i.e. the metric of the minimal-norm step θ̇; the initial fit's weight decay acts on
   * s_kθ_k so that it leaves the fit alone too. Undefined: every s_k = 1.
   */
  readonly parameterScales?: Float64Array;
  /** A fresh θ drawn from `random` by the network's initialisation scheme. */
  initialParameters(random: RandomStream): Float64Array;
  /**
   * Evaluates at `points` (N×(d+c)) with parameters θ (a float32 tensor of length p, or a
   * Float64Array that is rounded to float32). Throws `MINEVO_DIMENSION_MISMATCH` on wrong shapes.
   */
  evaluate(tf: TensorFlow, parameters: Tensor1D | Float64Array | Float32Array, points: Tensor2D, request: NetworkRequest): NetworkEvaluation;
  /**
   * u_θ in float64 on the CPU, at `numPoints` points stored row-major in `points`
   * (numPoints×(d+c)). The conformance suite differentiates it by finite differences; a network
   * without it is checked against float32 finite differences with looser tolerances.
   */
  referenceValues?(parameters: Float64Array, points: Float64Array, numPoints: number): Float64Array;
  /** The JSON form with θ; a registry rebuilds the network from `name` and `options`. */
  toJSON(parameters: ArrayLike<number>): NetworkJSON;
}
