/**
 * An explicit Runge–Kutta method as data: its Butcher tableau, how it estimates its local error
 * and how it interpolates inside a step. The stepper is generic over this description.
 */

/** The error estimate of an adaptive method. */
export type ErrorEstimate =
  /** err = h Σ eᵢ kᵢ with eᵢ = bᵢ − b̂ᵢ; the controller exponent uses `order + 1`. */
  | { readonly kind: "embedded"; readonly weights: readonly number[]; readonly order: number }
  /**
   * Hairer's DOP853 estimate: a 5th-order and a 3rd-order difference combined as
   * err = ‖e5‖² / sqrt(‖e5‖² + 0.01 ‖e3‖²), which behaves like an order-7 estimate.
   */
  | { readonly kind: "dop853"; readonly e5: readonly number[]; readonly e3: readonly number[]; readonly order: number };

/**
 * Dense output inside a step [t, t + h], θ = (τ − t)/h. Stage derivatives are indexed as
 * k₀..k_{s−1} (main stages), then k_s = f(t + h, y₁) (the end derivative; for FSAL methods it is
 * the last main stage itself), then the extra stages.
 */
export type DenseOutput =
  /** Cubic Hermite interpolation from y₀, f₀, y₁, f₁ (order 3). */
  | { readonly kind: "hermite" }
  /**
   * The method's own continuous extension y(t + θh) = y₀ + h Σ wᵢ(θ) kᵢ. `extraStages` are
   * evaluated only when dense output is requested (DOP853's three stages).
   */
  | {
      readonly kind: "continuous";
      readonly order: number;
      readonly extraStages: readonly { readonly c: number; readonly a: readonly number[] }[];
      /** Writes wᵢ(θ) for every derivative index into `out`. */
      weights(theta: number, out: Float64Array): void;
    };

export interface RungeKuttaMethod {
  readonly name: string;
  /** Order of the propagated solution y₁. */
  readonly order: number;
  /** Number of main stages s. */
  readonly stages: number;
  readonly c: readonly number[];
  /** a[i] holds row i of the strictly lower-triangular A (length i). */
  readonly a: readonly (readonly number[])[];
  /** Weights of y₁ = y₀ + h Σ bᵢ kᵢ (length s). */
  readonly b: readonly number[];
  /**
   * First same as last: the last main stage is evaluated at (t + h, y₁), so its row of A is b and
   * it doubles as the next step's first stage.
   */
  readonly fsal: boolean;
  /** Absent for fixed-step methods. */
  readonly error?: ErrorEstimate;
  readonly dense: DenseOutput;
}

/** Index of the end derivative f(t + h, y₁) among a step's derivatives. */
export function endDerivativeIndex(method: RungeKuttaMethod): number {
  return method.fsal ? method.stages - 1 : method.stages;
}

/** Number of derivatives a step holds when dense output is prepared. */
export function denseDerivativeCount(method: RungeKuttaMethod): number {
  const extra = method.dense.kind === "continuous" ? method.dense.extraStages.length : 0;
  return endDerivativeIndex(method) + 1 + extra;
}
