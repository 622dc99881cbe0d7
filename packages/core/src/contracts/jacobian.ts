/**
 * The parameter Jacobian J = ∂u_θ(X)/∂θ (N×p) of a network at fixed θ and collocation points,
 * as an operator on the tensor backend. Networks provide it; sketching strategies consume it.
 * A strategy that only needs JᵀΩ never forces the N×p matrix to exist when the network can
 * form the product more cheaply.
 */
import type { Tensor2D } from "@tensorflow/tfjs-core";

export interface JacobianOperator {
  /** N: rows, one per collocation point. */
  readonly numPoints: number;
  /** p: columns, one per network parameter. */
  readonly numParameters: number;
  /** J as a dense N×p float32 tensor. The caller disposes it. */
  dense(): Tensor2D;
  /** Jᵀ Ω for Ω of shape N×n, giving p×n. The caller disposes the result. */
  transposeTimes(omega: Tensor2D): Tensor2D;
  /** J V for V of shape p×k, giving N×k. The caller disposes the result. */
  times(v: Tensor2D): Tensor2D;
  /** Releases every tensor the operator holds. Safe to call twice. */
  dispose(): void;
}
