/**
 * Nesterov dual averaging of log step size toward a target acceptance rate, as in Hoffman and
 * Gelman, "The No-U-Turn Sampler" (JMLR 2014), Algorithm 5, with their constants γ = 0.05,
 * t₀ = 10, κ = 0.75 and shrinkage point μ = log(10 ε₀):
 *
 *     H̄ₘ = (1 − 1/(m + t₀)) H̄ₘ₋₁ + (δ − αₘ)/(m + t₀)
 *     log εₘ = μ − (√m/γ) H̄ₘ,     log ε̄ₘ = m^{−κ} log εₘ + (1 − m^{−κ}) log ε̄ₘ₋₁
 *
 * The iterate εₘ is used during warm-up; the averaged ε̄ is the step size afterwards. αₘ is the
 * acceptance probability averaged over all chains, so one step size serves every chain.
 */
export class DualAveraging {
  readonly targetAcceptance: number;
  readonly #mu: number;
  #iteration = 0;
  #averagedError = 0;
  #logStepSize: number;
  #logAveragedStepSize = 0;

  constructor(initialStepSize: number, targetAcceptance: number) {
    this.targetAcceptance = targetAcceptance;
    this.#mu = Math.log(10 * initialStepSize);
    this.#logStepSize = Math.log(initialStepSize);
  }

  /** The step size to use for the next warm-up iteration. */
  get stepSize(): number {
    return Math.exp(this.#logStepSize);
  }

  /** The averaged step size, to use once warm-up ends. */
  get adaptedStepSize(): number {
    return this.#iteration === 0 ? this.stepSize : Math.exp(this.#logAveragedStepSize);
  }

  /** Records the acceptance probability α ∈ [0, 1] of the last iteration. */
  update(acceptanceProbability: number): void {
    const m = ++this.#iteration;
    const gamma = 0.05;
    const t0 = 10;
    const kappa = 0.75;
    const eta = 1 / (m + t0);
    this.#averagedError = (1 - eta) * this.#averagedError + eta * (this.targetAcceptance - acceptanceProbability);
    this.#logStepSize = this.#mu - (Math.sqrt(m) / gamma) * this.#averagedError;
    const weight = Math.pow(m, -kappa);
    this.#logAveragedStepSize = weight * this.#logStepSize + (1 - weight) * this.#logAveragedStepSize;
  }
}
