/**
 * The sketching contract: how the MNE step θ̇ = argmin ‖Jθ̇ − f‖² + λ‖θ̇‖² is solved.
 *
 * A strategy is created by the `sketch` registry from typed options, prepared once per run (a
 * fixed sketch Ω is drawn then, from the run's random stream, and never redrawn), and then asked
 * for θ̇ at every right-hand-side evaluation. Packages that integrate the θ-ODE reach strategies
 * only through this interface and the registry.
 */
import type { TensorFlow } from "../backend.js";
import type { RandomStream, RandomStreamState } from "../random.js";
import type { JacobianOperator } from "./jacobian.js";

/** What a strategy needs to know once per run. */
export interface SketchPrepareContext {
  /** N: collocation points (rows of J and length of f). */
  readonly numPoints: number;
  /** p: network parameters (columns of J and length of θ̇). */
  readonly numParameters: number;
  /**
   * The stream the strategy draws from. A fixed-sketch strategy draws Ω from it in `prepare`
   * only; a per-step strategy (`column`) keeps drawing from it at every `solve`. Pass a stream
   * derived for this purpose (`run.derive("sketch")`) so the draws shift nothing else.
   */
  readonly random: RandomStream;
  /** The TensorFlow.js namespace of the active backend. */
  readonly tf: TensorFlow;
}

/** One MNE step's input: J and f at the current (t, θ, X). */
export interface SketchSolveInput {
  /** J = ∂u_θ(X)/∂θ, N×p. The strategy does not dispose it. */
  readonly jacobian: JacobianOperator;
  /** f = A_t[u_θ](X), length N, finite. */
  readonly rhs: Float64Array;
  /** The backend namespace; defaults to the one given to `prepare`. */
  readonly tf?: TensorFlow;
}

/** θ̇ and what the strategy saw while computing it (for logs and for choosing n from data). */
export interface SketchSolution {
  /** θ̇, length p, float64. */
  readonly thetaDot: Float64Array;
  /**
   * r_λ = Σ μᵢ/(μᵢ + λ) over the eigenvalues μᵢ of the kernel the strategy solves with (K for
   * `dense`, ZᵀZ = ΩᵀKΩ for a fixed sketch, the Nyström kernel for `nystrom`); under a
   * truncated SVD, the number of directions kept. A sketch size n well above r_λ is adequate.
   */
  readonly effectiveRank: number;
  /** The ridge λ used (0 under a truncated SVD). */
  readonly lambda: number;
  /** The size of the float64 system solved: N for `dense`, n for sketches, k for `column`. */
  readonly systemSize: number;
  /** The estimate of tr K = ‖J‖²_F that a relative λ was scaled by. */
  readonly kernelTrace: number;
}

/** What restores a prepared strategy exactly: pass `RandomStream.fromState(state.random)` to `prepare`. */
export interface SketchState {
  readonly strategy: string;
  readonly numPoints: number;
  readonly numParameters: number;
  /**
   * For a fixed sketch, the stream's state before Ω was drawn (Ω is redrawn identically from it);
   * for a per-step strategy, the stream's current state (the next step's draws follow from it).
   */
  readonly random: RandomStreamState;
}

export interface SketchStrategy {
  /** The registered name. */
  readonly name: string;
  /**
   * True when θ̇ is a deterministic, smooth function of (J, f) — a fixed sketch — so adaptive
   * integrators' error estimates are meaningful. False for per-step random subsets (`column`):
   * use those with fixed-step integrators only.
   */
  readonly smooth: boolean;
  /** Draws what the run keeps fixed (Ω). Calling it again re-prepares from the given stream. */
  prepare(context: SketchPrepareContext): void;
  /** θ̇ for one (J, f). Throws MinevoError NONFINITE rather than returning a non-finite θ̇. */
  solve(input: SketchSolveInput): Promise<SketchSolution>;
  /** The state that reproduces this strategy (throws INVALID_STATE before `prepare`). */
  getState(): SketchState;
  /** Releases the tensors the strategy holds (Ω). Safe to call twice. */
  dispose(): void;
}
