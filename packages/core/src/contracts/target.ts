/**
 * A sampling target: an unnormalised density π̃ = Z·π known only by its formula (METHOD.md §4),
 * optionally joint in (x, y) for conditional sampling and marginalisation (§6). Samplers (MNE's
 * reverse probability flow, MCMC baselines) see a target only through this interface.
 *
 * Points are rows of a float32 `[M, dim + conditionDim]` tensor: the first `dim` columns are x,
 * the rest are the condition y. Every method evaluates all M points in one batched call on the
 * backend, and the caller disposes every tensor it receives.
 *
 * The optional facts are exact answers that validation and benchmarks compare against; a target
 * that does not know them leaves them out rather than approximating.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import type { TensorFlow } from "../backend.js";
import type { RandomStream } from "../random.js";

/** log π̃ and its gradient in x at the same points. */
export interface TargetScore {
  /** log π̃(x, y), shape [M]. */
  readonly logDensity: Tensor1D;
  /** ∇ₓ log π̃(x, y), shape [M, dim] (the gradient in x only; y is a fixed condition). */
  readonly score: Tensor2D;
}

/** Exact first and second moments, float64, row-major. */
export interface TargetMoments {
  /** E[x], length `dim`. */
  readonly mean: Float64Array;
  /** Cov[x], `dim × dim` row-major. */
  readonly covariance: Float64Array;
}

/** Exact conditional facts of a joint target π̃(x, y) (for example a jointly Gaussian (x, y)). */
export interface ConditionalTargetFacts {
  /** Mean and covariance of x given y = `condition` (length `conditionDim`). */
  conditionalMoments(condition: Float64Array): TargetMoments;
  /** log Z(y) = log ∫ π̃(x, y) dx: the log marginal of y up to nothing (π̃'s own scale). */
  logMarginal(condition: Float64Array): number;
  /** `m` exact draws of x given y = `condition`, row-major `[m, dim]`. */
  sampleConditional(condition: Float64Array, random: RandomStream, m: number): Float64Array;
}

export interface SamplingTarget {
  /** The registered name (or "user" for a user's formula). */
  readonly name: string;
  /** One line saying what the density is, with its parameters. */
  readonly description: string;
  /** d_x: the dimension sampled. */
  readonly dim: number;
  /** d_y for a joint target π̃(x, y); absent when there is no condition. */
  readonly conditionDim?: number;
  /** Unnormalised log π̃ at `points` ([M, dim + conditionDim] float32), shape [M]. */
  logDensity(points: Tensor2D, tf: TensorFlow): Tensor1D;
  /** log π̃ and ∇ₓ log π̃ together (closed form where known, autodiff otherwise). */
  scoreAndLogDensity(points: Tensor2D, tf: TensorFlow): TargetScore;
  /** log Z = log ∫ π̃ (over x and y for a joint target), when known exactly. */
  readonly logZ?: number;
  /** Exact moments of x under π (of the joint for a joint target: x part only), when known. */
  readonly moments?: TargetMoments;
  /**
   * `m` exact independent draws from π, row-major `[m, dim + conditionDim]` (a joint target draws
   * (x, y) jointly). Present only when an exact sampler exists.
   */
  sample?(random: RandomStream, m: number): Float64Array;
  /** Exact conditional facts of a joint target. */
  readonly conditional?: ConditionalTargetFacts;
}
