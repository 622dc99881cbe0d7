/**
 * The sampling acceptance cases of issue 5 (METHOD.md §7): per target, the MNE recipe it needed
 * (recipe changes live here, never in the sampler's defaults), the criteria, and the
 * target-specific error that is also measured on the MALA and HMC draws.
 *
 * Every statistic takes draws (M×d) with normalised weights, so the same function serves the
 * importance-weighted MNE draws and the equally weighted MCMC draws.
 */
import type { OuSamplerOptions } from "@minevo/diffusion";

export interface Criterion {
  readonly name: string;
  readonly value: number;
  /** The bound, in words ("≥ 0.95"). */
  readonly bound: string;
  readonly pass: boolean;
}

/** A target-specific error on weighted draws: the number and how to read it. */
export interface TargetError {
  readonly label: string;
  compute(samples: Float64Array, weights: Float64Array, dim: number): number;
}

/** Where the collocation points come from (no samples of π: formula-only sources). */
export type PointSource =
  | { readonly kind: "broad" }
  /** `chains` MALA chains on π̃ for `steps` steps from N(0, start²I), plus `broad` points from N(0, broadScale²I). */
  | {
      readonly kind: "mala+broad";
      readonly chains: number;
      readonly steps: number;
      readonly start: number;
      readonly stepSize: number;
      readonly broad: number;
      readonly broadScale: number;
      /**
       * Fit points around the collocation points instead of a broad Gaussian: `fitCopies` copies of
       * them, each moved by N(0, fitJitter²I). For targets whose log-density spans thousands of
       * units over a broad Gaussian's range (banana's quartic tails), where a fit to those values
       * spends the network on regions without mass.
       */
      readonly fitJitter?: number;
      readonly fitCopies?: number;
      /**
       * Restart stuck chains (@minevo/diffusion's malaPoints): after the run, every chain whose
       * log π̃ is more than this below the median chain's restarts from a uniformly chosen other
       * one, and all chains run `steps` more steps (resample-move). One globally adapted MALA step
       * leaves chains started in high-curvature tails rejecting every move (banana: 10 % of chains
       * below −20, some at −280). Undefined: no restarts.
       */
      readonly restartBelow?: number;
    };

export interface SamplerCase {
  readonly name: string;
  readonly target: string;
  readonly targetOptions?: Record<string, unknown>;
  /** The recipe, as runOuSampler options (tf, target, seed are added by the runner). */
  readonly recipe: Omit<OuSamplerOptions, "tf" | "target" | "targetOptions" | "collocationPoints">;
  readonly points: PointSource;
  /** What the recipe changes from the defaults, in words (for the report). */
  readonly recipeNote: string;
  /** Earlier attempts with other recipes and what they showed, in words (for the report). */
  readonly history?: string;
  readonly error: TargetError;
  /** MCMC chains for the baselines (their starting points: N(0, mcmcStart²I)). */
  readonly mcmcChains: number;
  readonly mcmcStart: number;
  /** The criteria on the MNE run: ESS/M, log Ẑ, weighted error. */
  criteria(result: { essFraction: number; logZ: number; logZForward: number; targetError: number }): Criterion[];
}

function weightedMoment(samples: Float64Array, weights: Float64Array, dim: number, f: (row: Float64Array) => number): number {
  let s = 0;
  for (let j = 0; j < weights.length; j++) s += (weights[j] as number) * f(samples.subarray(j * dim, (j + 1) * dim));
  return s;
}

const leftModeMass: TargetError = {
  label: "|P(x₁<0) − 0.31523|",
  compute: (samples, weights, dim) => Math.abs(weightedMoment(samples, weights, dim, (x) => ((x[0] as number) < 0 ? 1 : 0)) - 0.31523),
};

/** max over the 25 modes of |25·w_k − 1| (w_k: weighted mass nearest mode k). */
const gmm25ModeWeights: TargetError = {
  label: "max_k |25·w_k − 1|",
  compute: (samples, weights, dim) => {
    const mass = new Float64Array(25);
    for (let j = 0; j < weights.length; j++) {
      const i = Math.min(2, Math.max(-2, Math.round((samples[j * dim] as number) / 2))) + 2;
      const k = Math.min(2, Math.max(-2, Math.round((samples[j * dim + 1] as number) / 2))) + 2;
      mass[i * 5 + k] = (mass[i * 5 + k] as number) + (weights[j] as number);
    }
    return Math.max(...Array.from(mass, (w) => Math.abs(25 * w - 1)));
  },
};

/** Banana: |Var x₁ / 100 − 1| (the twist leaves x₁ ~ N(0, 100)). */
const bananaVariance: TargetError = {
  label: "|Var[x₁]/100 − 1|",
  compute: (samples, weights, dim) => {
    const m = weightedMoment(samples, weights, dim, (x) => x[0] as number);
    return Math.abs(weightedMoment(samples, weights, dim, (x) => ((x[0] as number) - m) ** 2) / 100 - 1);
  },
};

/** Funnel: |Var x₀ / 9 − 1|. */
const funnelVariance: TargetError = {
  label: "|Var[x₀]/9 − 1|",
  compute: (samples, weights, dim) => {
    const m = weightedMoment(samples, weights, dim, (x) => x[0] as number);
    return Math.abs(weightedMoment(samples, weights, dim, (x) => ((x[0] as number) - m) ** 2) / 9 - 1);
  },
};

/** Many-well: |mean over wells of P(x_{2i−1} > 0) − 0.8443|. */
const manyWellPositive: TargetError = {
  label: "|P̄(a>0) − 0.8443|",
  compute: (samples, weights, dim) => {
    const wells = dim / 2;
    const p = weightedMoment(samples, weights, dim, (x) => {
      let positive = 0;
      for (let i = 0; i < wells; i++) if ((x[2 * i] as number) > 0) positive++;
      return positive / wells;
    });
    return Math.abs(p - 0.8443);
  },
};

const defaultRecipe = { numSamples: 5000, recordPathSteps: 0 } as const;

export const samplerCases: readonly SamplerCase[] = [
  {
    name: "gmm2-reference",
    target: "gmm2-reference",
    recipe: defaultRecipe,
    points: { kind: "broad" },
    recipeNote: "the sampler defaults (STABILITY.md recipe): mlp [32, 32] + quadratic, N = 1000 from N(0, 4I), fit +2000 from N(0, 9I), n = 100, T = 5",
    error: leftModeMass,
    mcmcChains: 32,
    mcmcStart: 3,
    criteria: (r) => [
      { name: "ESS/M", value: r.essFraction, bound: "≥ 0.95", pass: r.essFraction >= 0.95 },
      { name: "|log Ẑ|", value: Math.abs(r.logZ), bound: "≤ 0.01", pass: Math.abs(r.logZ) <= 0.01 },
    ],
  },
  {
    name: "gmm25",
    target: "gmm25",
    recipe: {
      ...defaultRecipe,
      network: "mlp",
      networkOptions: { inputDim: 2, hiddenWidths: [32, 32], activation: "tanh", inputLengthScale: 2, quadratic: { form: "symmetric", learnable: true, initial: 0 } },
      sketch: "gaussian",
      sketchOptions: { sketchSize: 400, regularisation: { kind: "relative-trace", epsilon: 1e-6 } },
      numPoints: 1500,
      pointSource: { kind: "smc" },
      defensive: { weight: 0.1 },
      smoothing: 0.3,
      fitIterations: 100,
      // ESS/M ≈ 0.4 at this recipe: 20000 draws keep ~300 effective draws per mode for the
      // 20 % mode-weight criterion (the reverse flow costs ~7 s per 5000 draws).
      numSamples: 20000,
    },
    points: { kind: "broad" },
    recipeNote:
      "smoothing s = 0.3 (the fit matches log(π̃ ∗ N(0, 0.3²I)): every mode's std 0.3 → 0.42 and the kinks between modes twice as wide; the weights remove the blur), " +
      "a defensive floor w = 0.1 (`defensive`: the fit matches log(π̃ ∗ N(0, 0.3²I) + c·N(0, 4I)), the weights remove it), " +
      "mlp [32, 32] + quadratic (input scale 2), N = 1500 from the sampler's pointSource \"smc\" (1000 tempered-SMC particles from N(0, 4I), moved by N(0, 0.3²I), + 500 from N(0, 4I)), fit +2000 (1333 around the particles, 667 from N(0, 9I)), 100 LM iterations, Gaussian sketch n = 400, M = 20000 draws",
    history:
      "(1) A probe of the step the first recipe (no smoothing) would need (`node --conditions=@minevo/source --import tsx src/acceptance/gmm25-rank.ts \"[48,48]\" 60` in apps/bench, 2026-11-22): " +
      "mlp [48, 48] + quadratic (p = 2548) fitted for 60 LM iterations (6.4 min) to value RMS 2.07 at the collocation points (2.74 over all fit points, falling slowly), then one dense MNE step at t = 0: " +
      "the NTK's effective rank is r_λ = 1291 of N = 2000 (λ = 1e-6·tr K/N) and max|f| = 2.3·10⁶. A fixed sketch needs n above r_λ, so n = 200 would be saturated six times over, and n ≈ 1300 costs about what the dense step does. " +
      "(2, 2026-12-03) With smoothing s = 0.3 (the recipe above) the forward run starts at r_λ = 303 and max|f| = 36, and both fall (r_λ 80, max|f| 0.01 by T). " +
      "(3, 2026-12-03) The same recipe with seeds 1 and 2 (MNE alone, no baselines): seed 2 passes (log Ẑ 0.0014, max_k |25·w_k − 1| = 0.172, ESS/M 0.27, 164 s); seed 1 is refused by the sampler's flow-consistency check (41.7 against 10; forward log Z 6.49, r_λ up to 364 of n = 400) — so the recipe passes 2 of 3 seeds, and the third fails safely rather than returning a wrong answer (`bench:acceptance --only gmm25 --seed 1`, which also reruns the baselines and replaces the recorded case). " +
      "(4) With n = 600: seed 0 passes (log Ẑ 0.0062, mode error 0.173, ESS/M 0.35, 495 s); seed 1 had not finished after 23 min (the forward run crawling) and was stopped by hand (sketchSize 600 in this recipe, with `--seed 0` / `--seed 1`) — a larger sketch alone does not make the recipe robust. " +
      "(5, 2026-12-04, fourth session; the recipe above) SMC points and a defensive floor w = 0.1 instead of MALA points (`banana-standardized.ts --case gmm25 --seed <s> --override '{\"pointSource\":{\"kind\":\"smc\"},\"defensive\":{\"weight\":0.1}}'` in apps/bench, checks off, over the previous recipe): " +
      "seed 0 log Ẑ 0.0092, mode error 0.148, ESS/M 0.39, flow inconsistency 0.18; seed 1 — the seed refused in (3) at 41.7 — 0.0121, 0.119, 0.46, 0.14; seed 2 −0.0036, 0.163, 0.42, 0.19: every seed passes every criterion and check. " +
      "Which of the two changes fixed seed 1 was not measured (the SMC-only run was stopped for time).",
    error: gmm25ModeWeights,
    mcmcChains: 64,
    mcmcStart: 3,
    criteria: (r) => [
      { name: "|log Ẑ|", value: Math.abs(r.logZ), bound: "≤ 0.05", pass: Math.abs(r.logZ) <= 0.05 },
      { name: "max_k |25·w_k − 1|", value: r.targetError, bound: "≤ 0.2", pass: r.targetError <= 0.2 },
    ],
  },
  {
    name: "banana",
    target: "banana",
    recipe: {
      ...defaultRecipe,
      network: "mlp",
      networkOptions: { inputDim: 2, hiddenWidths: [32, 32], activation: "tanh", inputLengthScale: 1, quadratic: { form: "symmetric", learnable: true, initial: 0 } },
      sketch: "gaussian",
      sketchOptions: { sketchSize: 200, regularisation: { kind: "relative-trace", epsilon: 1e-6 } },
      numPoints: 1000,
      pointScale: 2,
      standardize: { particles: 2000, reference: 20 },
      pointSource: { kind: "smc", reference: 2, fraction: 0.9, fitJitter: 0.05 },
      defensive: { weight: 0.2 },
      numExtraFitPoints: 1000,
      smoothing: 0.2,
      fitIterations: 100,
      // ESS/M ≈ 0.2 at this recipe (the blur and the floor): 20000 draws keep ~4000 effective ones.
      numSamples: 20000,
    },
    points: { kind: "broad" },
    recipeNote:
      "in standardised coordinates z = (x − m)/s (the sampler's `standardize`: m and s the mean and standard deviation of 2000 tempered-SMC particles on π̃ from N(0, 400I), formula only; about (0.2, −1.4) and (10.7, 15.1) at seed 0, where π's are (0, 0) and (10, 14.2)), the draws mapped back to x; " +
      "smoothing s = 0.2 in z (the valley, 1/20 of z's unit across, blurred to about 0.2), and a defensive floor w = 0.2 (`defensive`: the fit matches log(π̃ ∗ N(0, s²I) + c·N(0, 4I)) so that the model stays a density off the valley; the weights remove blur and floor), " +
      "mlp [32, 32] + quadratic (input scale 1), N = 1000 with 900 from the sampler's pointSource \"smc\" (particles from N(0, 4I) in z) and 100 from N(0, 4I), fit +1000 (800 around the particles, jitter 0.05, 200 from N(0, 9I)), 100 LM iterations, Gaussian sketch n = 200, M = 20000",
    history:
      "(1) 2026-11-22, fit points from N(0, 144I) (2000) plus 700 MALA-on-π̃ and 300 broad collocation points: the broad fit points reach log π̃ ≈ −10⁴ in the quartic tails, the LM fit ended at value RMS 3.4·10², and the forward evolution was stuck at t = 0 (350 steps, max|f| ~ 10¹¹); stopped by hand. " +
      "(2) Fit points = collocation points moved by N(0, I), no chain restarts: value RMS 8.6 after 94 LM iterations — one globally adapted MALA step (≈ 0.5) leaves chains started in the high-curvature tails rejecting every move (10 % of the 800 chains end below log π̃ = −20, some at −280); stopped by hand. " +
      "(3) The recipe above (107 of 800 chains restarted): value RMS 0.55 after 100 iterations, then a forward run of 3474 steps with max|f| between 10⁴ and 6·10⁵ throughout and r_λ = n = 100, which returned a model far from the solution — forward log Z 505, log Ẑ −376, ESS/M 2·10⁻⁴ (the table below); the baselines were not run. " +
      "(4) The same recipe with the samplers' new checks: the terminal spread stayed under its bound of 10 (the model at T was Gaussian-shaped, its constant about 500 too high), and the flow-consistency check refused the run after the reverse flow — ℓ_θ(0)(x₀) − log q₀(x₀) was 1.33·10³ (RMS; mean −1.31·10³) from the forward log Z — instead of returning it (the message above). " +
      "(5) As (4) with the fit matching the score too (`fitGradients`), Nyström n = 400 and 200 LM iterations: the value RMS stalled at 13 (138 iterations) — across the tips' narrow valley the jittered fit points have scores up to ~36, and those rows dominate the least squares; stopped by hand. " +
      "(6) Values only, 200 iterations (value RMS 0.145, against 0.55 after 100), Nyström n = 400: r_λ = 395–400 from the first step (saturated), and the step size collapsed — t = 0.118 after 156 steps (+32 rejected), max|f| rising from 2.6·10³ to 5·10⁴; stopped by hand. " +
      "(7) As (6) with the dense step (N×N kernel, no sketch): r_λ = 436–486, and the same collapse at the same time — t = 0.076 after 37 steps (+20 rejected), max|f| 3·10⁴ and rising; stopped by hand. So the sketch is not the cause: the model does not follow the fast early widening of the valley at the tips. " +
      "What this target needs is open: the across-valley curvature 1 + 0.04x₁² reaches 37 at the tips (a valley 0.16 wide), so the early dynamics are fast; per-coordinate input scales, more points at the tips, or a model that carries log π̃'s structure (an ansatz containing it, METHOD.md §4.1) are the next things to try. " +
      "(8–12, 2026-12-03) With the sampler's new `smoothing` (the fit matches log(π̃ ∗ N(0, s²I)); the importance weights remove the blur) and `pointSource: \"mala\"` (2/3 of N = 1000 points from MALA chains), mlp [32, 32] + quadratic with input scale 5, 100 LM iterations, values only: " +
      "a control without smoothing and a Gaussian sketch of n = 200 fitted to value RMS 0.157, started at max|f| = 842 with r_λ = 199.6 (saturated), and its step size collapsed at t ≈ 0.33; " +
      "with s = 0.5 the fit reached value RMS 0.042 and the run started at max|f| ≈ 200 with r_λ = 154–172, then collapsed later — at t ≈ 1.5 with n = 100 (r_λ saturated from t ≈ 1.4), t ≈ 1.19 with n = 200 (r_λ rising to 199.7), t ≈ 0.97 with n = 400 (r_λ rising from 170–190 to 229 as max|f| and ‖θ̇‖ grew) and t ≈ 0.21 with Nyström n = 400 (r_λ rising from 172 to 263); " +
      "s = 1 with n = 200 saturated r_λ from the start and collapsed at t ≈ 0.6; s = 0.5 with every point from chains (no broad third) fitted only to value RMS 0.65 and ran to T in 24 steps with r_λ falling to 15, and the flow-consistency check refused it (257). " +
      "So the blur removes the early stiffness (4× lower fit error and max|f|, 3.6× further in time) but the run still breaks down near t ≈ 1, with the effective rank growing, and a more exact projection (n = 400, Nyström) breaks down sooner, not later; why is open. " +
      "A diagnostic against the exact ρ_t (a 1-D quadrature over x₁ of the blurred, evolved twisted Gaussian; exact draws of ρ_t by the OU transition of exact banana draws; `src/acceptance/banana-diagnosis.ts` in apps/bench, its options for each variant) on the s = 0.5, n = 200 run: the relative score error on 1000 exact draws was 9.0 at t = 0.04 (the worst draws at the tips, x₁ ≈ ±19), 1.1–4.6 until t ≈ 1.1, then 1.2·10³ at t = 1.2 with the worst draws in the middle of the arc (x ≈ (−0.4, 1.8)), as r_λ jumped to n. " +
      "(13) The same with `fitGradients` (`--gradients`): score error 0.73 at t = 0.025 (12× better), and the run broke down sooner, from t ≈ 0.23 (2.2, then 7.9 at t = 0.33 and 6·10² at t = 0.53), again from the middle of the arc. (14) Values only with the quadratic term's new `lengthScale` ℓ_q = 20 (`--quadratic-length-scale 20`; its Jacobian columns ÷ 400, so the minimal-norm step no longer moves P first; run while the fit's weight decay still acted on the stored coefficients, P·400, i.e. before commit 'evolution: the fit's weight decay acts in the function's units' — check out f9938d4 to rerun it as it was): score error 1.75 at t = 0.02, breakdown from t ≈ 0.33 (7.7, then 5·10² at t = 0.63) from the same place. So every better fit broke down earlier; the evolution, not the fit, is what fails here. " +
      "Each of attempts 8–14 reruns with `node --conditions=@minevo/source --import tsx src/acceptance/banana-diagnosis.ts` in apps/bench and these options: the control `--smoothing 0`; s = 0.5 with `--n 100`, `--n 200` (the default), `--n 400`, `--sketch nystrom --n 400`; `--smoothing 1`; `--mala-fraction 1`; `--gradients`; `--quadratic-length-scale 20` (the control rerun gave the recorded fit RMS 0.157, max|f| 842, r_λ 199.6 and breakdown by t ≈ 0.32). " +
      "(15, 2026-12-04) Attempt 14 again once the fit's weight decay acted in the function's units (so ℓ_q = 20 no longer weakens P in the fit; `--quadratic-length-scale 20`): the fit matched the control's (value RMS 0.044 after 100 iterations), the score error was 6.7 at t = 0.04 and 2.3–3.7 until t ≈ 0.45, " +
      "then 13 at t = 0.55 and 2.4·10² at t = 0.66 with the worst draws in the middle of the arc again (x ≈ (−7, −7) to (−2, 2)) and the step size collapsing (800 steps to t = 0.75); stopped by hand. The reparametrised quadratic breaks down sooner than the control (t ≈ 1.2), not later. " +
      "(16, 2026-12-04) The recipe above: in x the OU process first contracts the banana (its mass spans |x₁| ~ 30, x₂ from −80 to 10) by e^{−t}, which makes the curved valley relatively thinner and more curved before the noise blurs it — the dynamics every earlier attempt lost; in standardised coordinates the same target only blurs. " +
      "An experiment before the case (the same recipe with the pilot drawn from the seed \"banana-pilot\": map (−4.56, −8.67), (12.86, 19.83); `src/acceptance/banana-standardized.ts --pilot-seed banana-pilot` in apps/bench, which runs the recipe with the checks off) ran the forward evolution smoothly to T = 5 (r_λ 144 → 66 of 200, max|f| 246 → 0.1, 133 steps) and gave log Ẑ 4.1384 (error −2.1e-3), ESS/M 0.14, flow inconsistency 6.65 (under the check's 10); with smoothing 0.04 instead of 0.2 the fit stalled at value RMS 1.05, and with a third of the points broad (N(0, I) in z, far off the valley in x) at value RMS 10²; both stopped by hand. " +
      "(17) The case itself (`bench:acceptance --only banana`, seed 0) is refused by the flow-consistency check: with the pilot at the smcPoints defaults (3 stages; map (−0.77, 1.19), (9.36, 10.49)) by 1.4·10¹⁰, and with the pilot at the point source's settings (the recipe above: 16 stages; map (0.51, −1.10), (10.52, 12.22)) by 9.4·10⁵ — the forward run smooth (max|f| 1–4) and its log Z 9.2 (exact 4.14). " +
      "Run with the checks off (`banana-standardized.ts`), that case gives log Ẑ 4.26 (error 0.12) and ESS/M 0.003: the reverse flow throws draws to |x| ~ 10⁵ where the model at t = 0 is not normalisable, and the check is right. " +
      "Variants of it, checks off: 200 LM iterations (`--override '{\"fitIterations\":200}'`), log Ẑ error 0.32, ESS/M 2·10⁻⁴; smoothing 0.3 (`--override '{\"smoothing\":0.3}'`), terminal spread 13.1, which the case refuses; the experiment's map with seed 0 (`--map -4.56,-8.67,12.86,19.83`), error −0.047, ESS/M 0.035, flow inconsistency 247. " +
      "Two more variants did not finish within 20 min and were stopped by hand (`--override` with 10 % broad points, `{\"pointSource\":{\"kind\":\"smc\",\"reference\":2,\"fraction\":0.9,\"fitJitter\":0.05}}`, and with N = 2000, `{\"numPoints\":2000,\"numExtraFitPoints\":2000}`; the script printed no progress then, so where their time went is not recorded). " +
      "The quadratic term starting at P = I instead of 0 (`--override '{\"networkOptions\":{\"inputDim\":2,\"hiddenWidths\":[32,32],\"activation\":\"tanh\",\"inputLengthScale\":1,\"quadratic\":{\"form\":\"symmetric\",\"learnable\":true,\"initial\":1}}}'`) is worse: log Ẑ error −8.9, ESS/M 5·10⁻⁵, draws thrown to |x| ~ 10⁴–10⁵ again. " +
      "So standardising is what lets the evolution run to T (every earlier attempt broke down before t ≈ 1.5), but the recipe is not robust: the model at small t loses normalisability in directions without points, and which runs pass depends on the pilot and the seed. " +
      "(18, 2026-12-04, fourth session; each with `banana-standardized.ts`, checks off, seed 0 unless named) A Gaussian envelope of width 4 on the MLP part (`--override '{\"networkOptions\":{…,\"gaussianEnvelope\":{\"width\":4}}}'` over attempt 17's recipe): worse — log Ẑ error −1.5·10⁴, draws at |x| ~ 10⁸ (the far model is then the bare quadratic term, which the fit leaves indefinite). " +
      "(19) The sampler's new `defensive` floor, w = 0.05, with 20 % broad collocation points (`{\"pointScale\":2,\"defensive\":{\"weight\":0.05},\"pointSource\":{\"kind\":\"smc\",\"reference\":2,\"fraction\":0.8,\"fitJitter\":0.05}}`): fit value RMS 0.117 (0.53 without the floor), but the forward run broke down at t ≈ 1.32 (max|f| 10⁸, 1300 steps); stopped by hand. " +
      "(20) w = 0.2 with every collocation point a particle, so only a fifth of the extra fit points broad (`{\"pointScale\":2,\"defensive\":{\"weight\":0.2}}`): the forward run smooth (max|f| < 1), log Ẑ error −0.021, ESS/M 0.13, but flow inconsistency 5.7·10³ (a few draws at |x| ~ 8·10³, where no point constrained the evolution). " +
      "(21) w = 0.2 and 10 % broad collocation points (`{\"pointScale\":2,\"defensive\":{\"weight\":0.2},\"pointSource\":{\"kind\":\"smc\",\"reference\":2,\"fraction\":0.9,\"fitJitter\":0.05}}`, pilot 1000 particles from N(0, 100I)): seed 0 log Ẑ error −0.016, ESS/M 0.23, flow inconsistency 1.18 (attempt 17's refused case, now a pass); seed 1 −0.062, 0.029, 17.5; seed 2 −0.0062, 0.12, 12.0; the pilot of attempt 16 (`--pilot-seed banana-pilot`) −0.0075, 0.18, 1.33. " +
      "The pilots of seeds 1 and 2 put x₂'s scale at 9.9 and 9.5 (π's: 14.2). (22, the recipe above) As (21) with the pilot at 2000 particles from N(0, 400I) (`\"standardize\":{\"particles\":2000,\"reference\":20}` added): seed 0 −0.0105, 0.225, 1.81 (map (0.20, −1.36), (10.67, 15.11)); seed 1 −0.0033, 0.14, 19.0 (refused by the check, a few zero-weight draws at |x| ~ 300–600); seed 2 −0.0055, 0.229, 0.50. " +
      "So with standardising and the floor log Ẑ is within 0.011 of ln 20π on every seed tried and two of three seeds pass every check; about w of the draws come from the floor and carry almost no weight (4425 of 20000 more than 100 below the best log-weight at seed 0).",
    error: bananaVariance,
    mcmcChains: 32,
    mcmcStart: 5,
    criteria: (r) => [{ name: "|log Ẑ − ln 20π|", value: Math.abs(r.logZ - Math.log(20 * Math.PI)), bound: "≤ 0.05", pass: Math.abs(r.logZ - Math.log(20 * Math.PI)) <= 0.05 }],
  },
  {
    name: "funnel",
    target: "funnel",
    recipe: {
      ...defaultRecipe,
      network: "mlp",
      networkOptions: {
        inputDim: 10,
        hiddenWidths: [32, 32],
        activation: "tanh",
        inputLengthScale: 3,
        radialFeatures: { groups: [[1, 2, 3, 4, 5, 6, 7, 8, 9]], lengthScale: 1 },
        quadratic: { form: "symmetric", learnable: true, initial: 0 },
        hierarchical: { initial: [0, 1, 1, 1, 1, 1, 1, 1, 1, 1], initialWeights: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], initialFloor: 0.04 },
      },
      smoothing: { scale: 0.2, method: "laplace" },
      sketch: "dense",
      sketchOptions: { regularisation: { kind: "relative-trace", epsilon: 1e-6 } },
      numPoints: 1500,
      pointSource: { kind: "smc", fraction: 0.6, reference: 6, tailTemperature: 0.8, sharpTemperature: 1.4, fitJitter: 0.2 },
      numExtraFitPoints: 1500,
      fitIterations: 100,
    },
    points: { kind: "broad" },
    recipeNote:
      "the structure a user of a hierarchical model knows, in the network: mlp [32, 32] (input scale 3) that also sees the log-radius ½ log(1 + x₁² + … + x₉²) of the exchangeable coordinates (`radialFeatures`), " +
      "+ quadratic + the hierarchical term −½ Σᵢ qᵢxᵢ²/(e^{vᵀx+c} + e^k) started at the blurred funnel's form (q = (0, 1, …, 1), v = e₀, c = 0, e^k = s² = 0.04; the fit adjusts all of them); " +
      "smoothing s = 0.2 by Laplace's method (`smoothing: { scale: 0.2, method: \"laplace\" }`: the fit matches log(π̃ ∗ N(0, s²I)) estimated from 16 draws of the blur's Laplace posterior, and each reverse-flow draw x is carried back to a draw y of π, weighted π̃(y)N(x; y, s²I)/(q₀(x)g(y | x))); " +
      "N = 1500 from the sampler's pointSource \"smc\" (900 tempered-SMC particles of π from N(0, 36I); for the broad share 300 of π^{0.8}, toward the mouth (`tailTemperature`), and 300 of π^{1.4}, in the neck (`sharpTemperature`); all blurred by N(0, s²I)), fit +1500 around them (jitter 0.2), 100 LM iterations; " +
      "the dense step (no sketch: the kernel's effective rank is 300–800 of N = 1500, beyond any cheap sketch)",
    history:
      "(1) 2026-11-22, without smoothing (mlp [32, 32] + quadratic, input scale 3, N = 1500 = 1200 MALA-on-π̃ + 300 from N(0, I), fit +500 from N(0, I), n = 150; broad fit points N(0, 9I) had given log π̃ values of order 10⁴ and a fit value RMS of 10⁴): " +
      "the fit ended at value RMS 1.5 after 100 LM iterations, and the forward evolution was stiff from the start — max|f| 2–3·10⁴, 425 steps to reach t = 0.37 (step sizes ~10⁻³), about 40 min projected to T = 5 — so it was stopped by hand. " +
      "(2, 2026-12-04) The recipe above with n = 200: the blur removed the stiffness (fit value RMS 0.41 after 94 iterations, max|f| ≈ 120, T = 5 in about 30 s) but r_λ = n from the first step, and the flow-consistency check refused the run (1.6·10¹⁰). " +
      "(3) n = 400 (the recipe above): r_λ = n again, T = 5 in 108 steps, forward log Z 169.6 (exact 0), refused by the terminal-spread check (11.7 against 10; the message above). " +
      "A diagnostic against the exact ρ_t (a 1-D quadrature over x₀ of the blurred, evolved funnel, checked against the funnel's own score at t → 0; exact draws by the OU transition of exact funnel draws; `src/acceptance/funnel-diagnosis.ts` in apps/bench, its defaults being this recipe) says why: the relative score error on 1000 exact draws is 2.6 at t = 0.04, its worst draws in the neck (x₀ ≈ −7), then grows to 18 by t ≈ 0.9 with the worst draws in the mouth (x₀ = 5–8, |x₁| = 30–90). " +
      "Neither region has collocation points: the MALA chains' end points span x₀ ∈ [−2.65, 4.20] between their 1 % and 99 % quantiles, against [−6.98, 6.98] for π, and [−2.82, 4.97] with 1000 steps and no restarts (`funnel-diagnosis.ts --points-only`, `--chain-steps 1000 --restart-below Infinity`). " +
      "Local chains do not reach the mouth — x₀ can only rise as fast as the xᵢ spread to e^{x₀/2}, and the drift −(d−1)/2 pulls it back — and the restart rule works against it, since the mouth's log π̃ is low (its volume holds the mass). " +
      "(4) The chains with a step size each (`stepAdaptation: \"per-chain\"`, 1000 steps, no restarts; `funnel-diagnosis.ts --step-adaptation per-chain --chain-steps 1000 --restart-below Infinity`): the chains reach further into the neck (x₀'s 1 % quantile −4.38 with `--points-only`) but not into the mouth (99 %: 4.74), the fit got harder (value RMS 1.33 after 100 iterations against 0.41) and the score error larger (6.1 at t = 0.005, 19 at t = 0.2); stopped by hand. " +
      "(5, 2026-12-04) Points from the sampler's new tempered-SMC source (`pointSource: { kind: \"smc\", reference: 6 }`: 1200 particles from N(0, 36I) reweighted, resampled and moved by MALA through 26 temperatures, 50 moves each, 2 s; `funnel-diagnosis.ts --point-source smc --smc-reference 6`) reach both ends — x₀ between −5.98 and 5.65 (1–99 %; `--points-only`), against [−2.65, 4.20] from the chains — and their stages estimate log Z at 0.125 (exact 0). " +
      "With the points there the fit is harder (value RMS 0.73 after 100 iterations, against 0.41) and the model is no better: score error 2.5 at t = 0.012 (worst draws in the neck, x₀ ≈ −9), then 4.8, 8.9, 12, 17 and 24 at t = 0.12, 0.22, 0.34, 0.45 and 0.67, the worst draws in the mouth (x₀ = 6–8, |xᵢ| = 30–96), r_λ = n = 400 from the start; stopped by hand at t = 0.72. " +
      "So the points were not the only gap: a tanh MLP with one quadratic term cannot hold −½e^{−x₀}Σxᵢ² over both ends (the quadratic's curvature would have to change by e^{14} between the neck and the mouth), and the sketch is saturated. " +
      "(6) The same SMC points and the mlp's new hierarchical term −½ Σ qᵢxᵢ² / (e^{vᵀx+c} + e^k), which can hold the funnel's −½e^{−x₀}Σxᵢ² exactly (the blurred one nearly: variance ≈ e^{x₀} + s²) (`--hierarchical`): the fit improves to value RMS 0.23 (0.73 without the term), the score error is 1.5 at t = 0.007 (worst in the neck) and 3.5 at t = 0.11, " +
      "then 63–85 from t = 0.22 to 0.47 with the worst draws in the mouth (x₀ = 5–7.5), r_λ = n = 400 throughout; started with v = e₀ (`--hierarchical-weights 1,0,0,0,0,0,0,0,0,0`) the fit is worse (0.58) and the run blows up (score error 10⁷ by t = 0.42). Both stopped by hand. " +
      "(7) As (6) with n = 800 (`--hierarchical --n 800`): the sketch is no longer saturated (r_λ 775–795 early, 540–680 later), the early error is lower (0.69 at t = 0.005, 1.7 at t = 0.11), and the mouth is lost all the same (1.2·10² at t = 0.21, 12–670 until t = 0.68, worst draws at x₀ = 4–6.5 with |xᵢ| = 25–90); stopped by hand. " +
      "What this target needs is open: the fit now holds both ends and the sketch is large enough, and the evolution still loses the mouth within t ≈ 0.2 — where the few collocation points are spread over |xᵢ| up to ~100 and the tanh part of the network is saturated (inputs ÷ 3), so the step there rests on the hierarchical term's few global coefficients. The MALA and HMC baselines, given 60 s each, have Var[x₀] off by a third as well. " +
      "(8, 2026-12-04, sixth session) Attempt 6 again with the diagnosis' new print of the farthest collocation point (`funnel-diagnosis.ts --point-source smc --smc-reference 6 --hierarchical --dt 0.05`), to see whether the many-well's failure (a tail point running away along the probability flow, many-well attempt 10) is the funnel's: it is not. " +
      "No point runs away — the largest |coordinate| over the points falls from 32 at t = 0.007 to 10 by t = 1.9 as the OU flow contracts the mouth — while the worst exact draws lie beyond the points (x₀ ≈ 6–7.5, |xᵢ| 35–100 for t ≈ 0.07–0.5); " +
      "score error 1.5 at t = 0.007, 24–115 between t = 0.2 and 0.52, 8.7–24 from t = 1.7 to 2.9, r_λ = n = 400 throughout; stopped by hand at t = 2.9. The mouth has too few points, not a point too far. " +
      "(9, 2026-12-05, seventh session) The mlp's new `inputWarp: \"asinh\"` (the first layer sees asinh(x/ℓ): linear in the neck, logarithmic in the mouth, so the tanh units do not saturate at |xᵢ| ~ 100) over attempt 8 (`--input-warp asinh --input-length-scale 3`): fit value RMS 0.19 (0.23 without), score error 2.7 at t = 0.004 and 0.63 at t = 0.06, then 55 at t = 0.11 and 10²–10⁴ from t = 0.2 on, worst draws in the mouth, then in the bulk; with ℓ = 1 the fit was worse (0.68) and the start stiff (max|f| 2·10³, score error 4.9 at t = 0.004). Both stopped by hand. " +
      "(10) More points in the mouth: in place of the broad fifth, 300 particles of the tempered π^{0.8} (smcPoints' new `temperature`: the SMC stops at β = 0.8; x₀'s median 2.83, 95 % quantile 4.65), blurred like the others, and fit points jittered around all 1500 (`--tail-temperature 0.8`, hierarchical term, no warp): the fit reached value RMS 0.63 only, but the score error stayed at 1.2–7 until t ≈ 2.2 (attempt 8: 24–115 between t = 0.2 and 0.5) — the mouth is held — then grew from t ≈ 2.3 (11 at t = 2.5, 10³–10⁴ by t = 4) with the worst draws in the bulk, r_λ = n = 400 throughout. " +
      "(11) As (10) with n = 800: saturated as well (r_λ 783–800) and worse (score error 5–16 from t = 0.2 to 1.1); stopped by hand. (12) As (10) with the ridge ε = 10⁻⁴ (`--epsilon 1e-4`): r_λ 355–397, score error 2.2–8.9 until t ≈ 2.3, then the same breakdown (18 at t = 3.3, 3·10² at t = 4.3). " +
      "(13) As (10) with the diagnosis printing the hierarchical term's coefficients: its q₁ (the xᵢ's precision factor) stays near 0 throughout (0.04 → −0.08), so the fit holds the xᵢ's variance in the mlp and the quadratic, not in the term built for it; from t ≈ 2 the quadratic's P₀₀ falls from 0.7 to −5 (t = 3.6) with q₀ following to −1.2 — u_θ turns convex along x₀ in the bulk, which is the breakdown. " +
      "So points in the mouth fix the early loss of it (attempts 6–8's failure); the late failure is the model drifting along the near-collinear x₀² columns of the quadratic and hierarchical terms. " +
      "(14) As (10) with the hierarchical term started at the funnel's form, q = 1 and v = e₀ (`--hierarchical-initial 1 --hierarchical-weights 1,0,0,0,0,0,0,0,0,0`): the fit reached value RMS 0.23 (0.63 from q = 0), and the first dopri5 step met a non-finite stage (t = 0.016), which stops a run. " +
      "(15) The same with the integrator patched to treat a non-finite stage as a rejected step (h/4; an experiment, not kept): the run went on, but its score error was 10⁹ at t = 0.22 and 10⁵–10⁶ near t = 1.5 before falling to 3–10 late, with the term's variance e^{vᵀx+c} losing x₀ (v₀ 0.83 → 0, c 0.96 → 4.9); its reverse flow had not finished 8 min after T and was stopped by hand. " +
      "(16) As (10) with a diagonal quadratic term (`--quadratic-form diagonal`: no off-diagonal P to drift): score error 2.2 at t = 0.016, 4·10²–2·10³ in the mouth between t = 0.2 and 0.9, then falling to 0.76–1.3 by t ≈ 2.1–2.3 and 0.11–0.47 from t = 3.5 to 4.0 with P → I (the exact limit) — the best late state of any attempt — and then a sudden breakdown at t ≈ 4.17 (4.7·10⁴) as the hierarchical term's c and k jumped (−0.74 → −2.86, −5.5 → −7.3): with q near 0 their Jacobian columns (∝ Σqᵢxᵢ²) are near zero and the step along them is ill-determined, r_λ 386–399 of n = 400. The step size then collapsed at t = 4.60 (max|f| 3·10⁶); stopped by hand. " +
      "(17) As (16) without the hierarchical term (`--quadratic-form diagonal`, no `--hierarchical`): fit value RMS 0.81, score error 2.6–13 until t ≈ 1.2, falling to 0.67 at t = 2.36, then one diagonal entry of P (x₃'s) fell from −0.3 to −18 by t = 3.2 (score error 36, worst draws in the bulk); stopped by hand. So the late drift is not the hierarchical term's alone: a quadratic coefficient and the mlp's own curvature along the same coordinate are near-collinear over the points. " +
      "(18) As (17) with the quadratic's ℓ_q = 5 (`--quadratic-length-scale 5`: its columns ÷ 25, so the step moves P less): no drift — the run reached T = 5 smoothly (score error 0.55–0.9 from t = 2.7 on) — but it had left the solution early (score error 6–17 from t = 0.1 to 1, worst draws in the bulk; fit value RMS 1.0), and the reverse flow gave log Ẑ −29.5, ESS/M 5·10⁻⁴, flow inconsistency 302 and a reweighted Var[x₀] of 0 (one draw holds the weight): what the sampler's checks refuse. " +
      "What remained open: the early loss of the mouth (attempts 6–8, 16) and the global terms drifting late along near-null directions (10–13, 16, 17); tempered tail points, a diagonal quadratic and a larger sketch each help one phase, and a stiffer quadratic (18) trades the late drift for an early error. " +
      "(19, 2026-12-05, eighth session) Attempt 10 with the dense step (`--sketch dense`): every attempt so far had run a sketch at r_λ = n, and the dense step shows why — the kernel's effective rank is 1240–1280 of N = 1500 early. " +
      "No drift: the run reached T = 5 in 54 steps, the score error 0.75 at t = 0.007, 1.6–4 between t = 0.2 and 1, falling to 0.09 at T; but the reverse flow gave log Ẑ −2.2, ESS/M 0.0012, flow inconsistency 4·10³ and |Var[x₀]/9 − 1| = 0.39. (20) The same with a diagonal quadratic lost the mouth (55–82 at t = 0.2–0.3); stopped. " +
      "(21, 22) With 200 fit iterations, or the hierarchical term started at the funnel's form with the blur's floor (q = (0, 1, …, 1), v = e₀, e^k = s² = 0.04; the network's new `hierarchical.initial` per coordinate and `initialFloor`): the latter fitted to 0.19, but its first steps were stiff (max|f| 7·10³, score error 15 in the neck); both stopped. " +
      "Why smoothing cannot serve the funnel: below x₀ ≈ −3.2 (14 % of π's mass) the xᵢ's spread e^{x₀/2} is less than s = 0.2, so a proposal near π_s = π ∗ N(0, s²I) is up to (s/e^{x₀/2})⁹ times too wide there and the importance weights degenerate. " +
      "(23) No smoothing, the term at the funnel's form (e^k = 10⁻⁴), the dense step (`funnel-diagnosis.ts --point-source smc --smc-reference 6 --tail-temperature 0.8 --sketch dense --smoothing 0 --hierarchical --hierarchical-initial 0,1,1,1,1,1,1,1,1,1 --hierarchical-weights 1,0,0,0,0,0,0,0,0,0 --hierarchical-floor 1e-4`): fit value RMS 0.029 (0.63 in attempt 10), score error 0.022 at t = 0.001 and 0.24 at t = 0.1, then 46 at t = 0.21 (the mouth and the bulk); stopped. (24) s = 0.05 (e^k = 0.0025): 16 at t = 0.1, max|f| 1.5·10⁵; stopped. " +
      "(25, 26) As 23 with ε = 10⁻⁴ and 10⁻³: 15 and 29 at t ≈ 0.005 in the neck — the ridge holds back the floor e^k, which must rise like 2t at once; stopped. " +
      "(27) As 23, printed every 0.025: 0.037 at t = 0.029, 0.38 at t = 0.06, worst draws in the mouth (x₀ = 6.6, |x₁| = 58) and then in the bulk. The hierarchical term followed the exact parameters (v₀ = 1.08 against e^t = 1.06, e^k = 0.098 against 1 − e^{−2t} = 0.113): what it cannot hold is ρ_t's dependence on the radius |x₁…₉| at t > 0, when y₀ no longer pins x₀ and the radius does. " +
      "(28) As 23 with the mlp's new `radialFeatures` (the first layer also sees ½ log(1 + x₁² + … + x₉²); `--radial-length-scale 1`): fit value RMS 0.023, score error 0.016–0.09 over the whole run (4·10⁻⁶ at T), r_λ 280–830, T = 5 in about 25 min beside another run, and the reverse flow gave log Ẑ −0.021, ESS/M 0.86, flow inconsistency 0.64 and |Var[x₀]/9 − 1| = 0.081 on 2000 draws — the recipe above. " +
      "(29) As 28 with mlp [16, 16]: 0.013 at t = 0.12, then 0.23 by t = 0.95; stopped. " +
      "(30) Attempt 28 as the acceptance case (`bench:acceptance --only funnel`, tail particles of π^{0.8} from the SMC's reference N(0, 36I)), seed 0: 959 s (fit 153 s, forward 793 s: 48 steps, 314 RHS), ESS/M 0.80, log Ẑ −0.058, |Var[x₀]/9 − 1| = 0.21 — not passed; MALA given 871 s: 0.26 (ESS/s 0.61 against MNE's 4.2; energy distance 0.067 against 0.017); HMC not run then. The table above has both baselines from a later `--baselines-only` run (2026-12-05, ninth session): MALA 0.24, HMC 0.25. " +
      "Seed 1: the fit stalled at value RMS 0.8 (0.021 at seed 0) and the forward run had max|f| 900 by t = 0.18; stopped. " +
      "(31) Where the missing variance is (attempt 28's command again with `--dt 0.5`, the diagnosis now printing the proposal's tail masses): weighted P(x₀ < −5) = 0.0495 and P(x₀ > 5) = 0.0341 against 0.0478 each, the draws' x₀ between −7.52 and 6.45 (0.1–99.9 %; π: ±9.27) — the neck is held, the mouth beyond x₀ ≈ 6 is not reached. " +
      "(32) The tail share's reach is set by the SMC's reference, not by β: q̃^{1−β} with q̃ = N(0, 36I) holds the particles within |x| ~ 6/√(1 − β), where the mouth at x₀ = 7 has |xᵢ| ~ 30–100; β = 0.7 and 450 tail points gave x₀ quantiles 0.93 / 3.05 / 4.66 (5 / 50 / 95 %) against 0.02 / 2.83 / 4.65 at β = 0.8. " +
      "(33) The tail SMC from N(0, 900I) (`pointSource.tailReference` 30, new; `--tail-reference 30`): tail x₀ quantiles 2.67 / 5.48 / 7.56, and in the diagnosis the first step met a non-finite right-hand side (t = 0.018). " +
      "(34) tailReference 12 in the acceptance case: max|f| 5·10⁴ and a stalled step size at t = 2.33; stopped. (35) tailReference 30 in the acceptance case: the forward run reached T = 5 (111 steps, max|f| up to 10⁴ near t = 0.1 and 10–60 late, r_λ up to 1170), but the reverse flow crawled near the far points (1259 steps down to t = 0.21 after 4 min); stopped by hand. So the recipe above (attempt 30's) stands as the record: the mouth beyond x₀ ≈ 6 is what is open. " +
      "(36, 2026-12-05, ninth session; each run below is `bench:acceptance --only funnel --seed S --mne-only --checkpoint <file>` with the `--override` named, the MNE run alone) " +
      "Attempt 30's case again, now resumable (`--checkpoint`): bitwise the same run (|Var[x₀]/9 − 1| = 0.2114), and the runner's new print of x₀'s quantiles says the run lost the neck as well as the far mouth — the draws' x₀ at 0.1 / 50 / 99.9 % −4.84 / 0.16 / 11.16, weighted 1 / 50 / 99 % −4.72 / 0.14 / 6.33 against π's −6.98 / 0 / 6.98 (attempt 31's diagnosis run, other streams, had held the neck). " +
      "(37) From that run's forward-complete checkpoint, the sampler's new `defensiveLatent` (a share of the latent draws from N(0, s²I); `--override '{\"defensiveLatent\":{\"scale\":1.5,\"weight\":0.3},\"maxFlowInconsistency\":1e300}'`): the draws reach x₀ = 20.7 (99.9 %) and the weighted 99 % 6.81, but the neck is unchanged (weighted 1 % −4.68) and |Var[x₀]/9 − 1| = 0.2132 (ESS/M 0.77, log Ẑ −0.046). " +
      "Over all draws the flow-consistency check read 14.4 (scale 1.5) and 35.1 (scale 2) — the wide share lands where the model was not fitted — so the sampler now takes it over the N(0, I) share only. " +
      "(38) Why the neck: the SMC's particles barely enter it — 1200 from N(0, 36I) have P(x₀ < −3) = 0.114 (π: 0.159) and P(x₀ < −6) = 0.008 (π: 0.023), and 200 MALA moves per stage instead of 50 do no better (0.053 and 0) (`funnel-diagnosis.ts --points-only --point-source smc --smc-reference 6`, `--smc-moves 200`); " +
      "(39) Seed 1's stalled fit (value RMS 0.8) is the fixed jitter around neck particles, whose fit points lie 10²–10³ below them in log π̃: the new `pointSource.fitJitterMaxDrop` Δ (a fit point more than Δ below its particle's log π̃ has its jitter halved) fits seed 1 to value RMS 0.026 (Δ = 5) and 0.028 (Δ = 20), and seed 0 to 0.089 and 0.025 against 0.021 plain (the runner's last printed LM iterations, 91–96 of 100). " +
      "But the forward runs were worse: with Δ = 5 seed 0 broke down at t ≈ 2.2 (max|f| 7.6·10², r_λ 1283) and seed 1 at t ≈ 3.8 (max|f| 1.5·10²); with Δ = 20 seed 0 reached T in 64 steps with max|f| rising from 3 to 93 over t = 3.7–5, and its reverse flow crawled (723 steps to t = 0.32); all stopped by hand " +
      "(`--override '{\"pointSource\":{\"kind\":\"smc\",\"fraction\":0.8,\"reference\":6,\"tailTemperature\":0.8,\"fitJitter\":0.2,\"fitJitterMaxDrop\":5}}'`, and 20). " +
      "(40) Points in the neck from the SMC run past β = 1 (`pointSource.sharpTemperature`, new: particles of π̃^β; at β = 1.4 their x₀ lies between −7.7 and −3.0, 1–99 %, with `--smc-temperature 1.4` on the command of 38) for half of the broad share, with Δ = 20 (`--override '{\"pointSource\":{\"kind\":\"smc\",\"fraction\":0.8,\"reference\":6,\"tailTemperature\":0.8,\"sharpTemperature\":1.4,\"fitJitter\":0.2,\"fitJitterMaxDrop\":20}}'`): the fit stalled at value RMS 0.95 and max|f| reached 7·10⁴ by t = 0.09; stopped. " +
      "(41) With the plain jitter and 300 points each at β = 0.8 and β = 1.4 beside 900 at β = 1 (`--override '{\"pointSource\":{\"kind\":\"smc\",\"fraction\":0.6,\"reference\":6,\"tailTemperature\":0.8,\"sharpTemperature\":1.4,\"fitJitter\":0.2}}'`): both seeds fitted well (value RMS 0.028 and 0.026) " +
      "but the start was stiff (seed 1: max|f| 10⁴ from the first step, t = 0.004 after 17 steps) and both runs blew up early — seed 0 at t ≈ 0.24 (max|f| 4·10² rising to 1.3·10⁴, r_λ 780), seed 1 at t ≈ 0.055 (4·10⁴); stopped. " +
      "Points deep in the neck make its early evolution, whose time scale there is e^{x₀}/2 ≈ 5·10⁻⁴ at x₀ = −7, part of the run, and the dense step could not follow it. " +
      "What remained open: a recipe that holds both ends of x₀ at |x₀| ≈ 6–8 (each end past 6 carries 13 % of Var[x₀]) and stays stable to T at more than one seed. " +
      "(42, 2026-12-05, tenth session) The sampler's new `smoothing.method: \"laplace\"` (sampler/laplace.ts): the blur's posterior p(y | x) ∝ π̃(y)N(x; y, s²I) fitted by Laplace's method gives both the fit's blurred values (16 draws; exact for a Gaussian) and, after the reverse flow, a draw y of π for each draw x of the model, weighted π̃(y)N(x; y, s²I)/(q₀(x)g(y | x)). " +
      "Why it can serve the funnel where the plain blur could not (attempt 22's note): the neck is narrow in π but not in π_s, and g(· | x) puts y back into it at π's own scale — on exact draws of π_s and its exact density (a quadrature) the pair's weights give ESS/M 0.93 and Var[x₀] 8.83, the plain weights π̃(x)/π_s(x) 7.28 (`pnpm --filter @minevo/diffusion exec vitest run src/sampler/laplace.test.ts` prints them). " +
      "Each run below is `bench:acceptance --only funnel --seed 0 --mne-only` with an `--override` over the recipe above (the network's options given whole, as `--override` merges top-level fields). " +
      "With attempt 30's points (`\"pointSource\":{\"kind\":\"smc\",\"fraction\":0.8,\"reference\":6,\"tailTemperature\":0.8,\"fitJitter\":0.2}`): fit value RMS 0.020, a smooth start (max|f| 2·10², t = 0.37 after 18 steps), but a late breakdown at t ≈ 2.98 (max|f| 7 → 3·10³ from t = 2.6, r_λ 535 → 852); stopped. " +
      "(43) The same with s = 0.1 (`smoothing.scale` 0.1 and the hierarchical floor `initialFloor` 0.01): it reached T (48 steps) and the flow-consistency check refused it (18.6 against 10): the model's mouth was far too heavy — the draws' x₀ 99.9 % quantile 20.5 — and the check's RMS came from there. " +
      "From its checkpoint with the check off (`\"maxFlowInconsistency\":1e300`): |Var[x₀]/9 − 1| = 0.099, ESS/M 0.44, log Ẑ −0.0125, weighted x₀ 1 / 99 % −5.73 / 6.35 — the neck still short of π's −6.98, with no points in it. " +
      "(44) Neck points again, now that the blur caps the neck's early time scale at about s²/2 = 0.02 (attempt 41 met 5·10⁻⁴ without it): 300 points each of π^{0.8} and π^{1.4} beside 900 of π — the recipe above. " +
      "Fit value RMS 0.022; the forward run smooth (45 steps, 2 rejected; max|f| 2·10² early, 0.14 by t = 3.9); |Var[x₀]/9 − 1| = 0.018, ESS/M 0.71, log Ẑ −0.016, flow inconsistency 6.6, weighted x₀ 1 / 99 % −7.14 / 7.25 (π: ∓6.98) — the first recipe to hold both ends. " +
      "(45) The recipe with s = 0.1 (and `initialFloor` 0.01): |Var[x₀]/9 − 1| = 0.025, ESS/M 0.87, log Ẑ −0.018, flow inconsistency 3.3, weighted 1 / 99 % −7.40 / 6.31, 55 forward steps. " +
      "(46) The recipe at seeds 1 and 2 (`bench:acceptance --only funnel --seed 1 --mne-only`, `--seed 2`): |Var[x₀]/9 − 1| = 0.089 and 0.092, ESS/M 0.72 and 0.56, log Ẑ −0.025 and −0.011, flow inconsistency 1.8 and 2.6, 1466 s and 1575 s beside another run; weighted x₀ 1 / 99 % −6.78 / 6.32 and −6.85 / 6.12 — every seed tried passes every criterion and check, seeds 1 and 2 near the bound, short at the mouth. " +
      "(47) From those runs' forward-complete checkpoints with `defensiveLatent` {1.5, 0.3} (`--checkpoint <file> --override '{\"defensiveLatent\":{\"scale\":1.5,\"weight\":0.3}}'`): the draws reach x₀ = 12.2 and 18.6 (99.9 %) but the weighted 99 % stays at 6.27 and 6.00 and the error at 0.092 and 0.091 — the few draws in the far mouth carry large, scattered weights, so M = 5000 estimates its share short whatever the latent law; more draws would presumably narrow it (not tried).",
    error: funnelVariance,
    mcmcChains: 32,
    mcmcStart: 1,
    criteria: (r) => [{ name: "|Var[x₀]/9 − 1|", value: r.targetError, bound: "≤ 0.1", pass: r.targetError <= 0.1 }],
  },
  {
    name: "many-well",
    target: "many-well",
    recipe: {
      ...defaultRecipe,
      numSamples: 2000,
      network: "additive",
      networkOptions: {
        inputDim: 32,
        blockSize: 2,
        inner: {
          name: "mlp",
          options: {
            hiddenWidths: [32, 32],
            activation: "tanh",
            inputLengthScale: 2,
            quadratic: { form: "diagonal", learnable: true, initial: 0 },
            quartic: { initial: 0, lengthScale: 1 },
          },
        },
      },
      sketch: "gaussian",
      sketchOptions: { sketchSize: 200, regularisation: { kind: "relative-trace", epsilon: 1e-6 } },
      numPoints: 2000,
      pointScale: 1.5,
      pointSource: { kind: "mala", fraction: 1, fitJitter: 0.3 },
      numExtraFitPoints: 2000,
      fitIterations: 200,
      fitGramPrecision: "float64",
    },
    points: { kind: "broad" },
    recipeNote:
      "the additive network: one mlp [32, 32] of a well's (a, c) (input scale 2) with diagonal quadratic and quartic term −¼Σrᵢxᵢ⁴ (ℓ_r = 1), shared by the 16 wells and summed (p = 1187; it holds ρ_t's product form for every t — a structural choice the user makes knowing π̃ factorises into identical blocks); " +
      "N = 2000 from the sampler's pointSource \"mala\" (every point from MALA chains on π̃ from N(0, 1.5²I)), fit +2000 around them (jitter 0.3), 200 LM iterations with the Gram matrix in float64, Gaussian sketch n = 200, M = 2000",
    history:
      "(1) 2026-11-22: mlp [32, 32] + diagonal quadratic, 1500 MALA + 500 broad points from N(0, 2.25I), fit +1500 from N(0, 4I): the fit's value RMS was 2.3·10² after 14 iterations (broad fit points in the quartic tails); stopped by hand. " +
      "(2) Fit points = the collocation points moved by N(0, 0.3²I), point chains more than 22 below the median chain restarted (12 of 1500; the first try of this rule, 12 below the best chain, restarted 1002 of 1500, most of them in the bulk, since log π̃ spreads by about √(d/2) = 4 over π's own draws — hence malaPoints' median reference and its d-dependent default): " +
      "value RMS 126 → 64 in 49 iterations, still dominated by the 500 broad points (quartic values to −10³); stopped by hand. " +
      "(3) With the mlp's new learnable quartic term −¼Σrᵢxᵢ⁴, 1900 MALA + 100 broad points: the fit reached value RMS 0.017 (60 iterations; against 37 without the term), but the forward run started at max|f| 2.5·10⁵ — the broad points in the quartic tails, where |∇log π̃|² ~ 10⁵ is exact — and went to NaN at t = 0.49. " +
      "(4) As (3) with all 2000 points from MALA (the message above): fit value RMS 0.037; max|f| 2.3·10⁵ at t = 0.06, then r_λ fell from 150 to 16 and max|f| grew to 1.6·10¹⁴ by t = 1.08, NaN at t = 1.86. " +
      "The quartic term serves the fit but not the evolution: for t > 0 ρ_t's tails are Gaussian (the OU kernel's), so the model's quartic coefficients must leave at once, and their Jacobian columns (−xᵢ⁴/4, up to ~10² at the points) dominate the kernel, so the minimal-norm step moves them first. " +
      "Next: the quartic term in the fit only, handed over to the MLP before the evolution, or a time-dependent parametrisation of the tails. " +
      "(5, 2026-12-04) `src/acceptance/many-well-diagnosis.ts` in apps/bench compares the model with the exact ρ_t (a product of 1-D quadratures; exact draws by the OU transition of exact draws), with every point from MALA chains (fit points = the points moved by N(0, 0.3²I)), n = 400, 60 LM iterations. " +
      "Without the quartic term the fit stalls at value RMS 8.6 after 40 iterations (`--quartic` off; stopped by hand). " +
      "The quartic term with ℓ_r = 2 (`--quartic --quartic-length-scale 2`: its Jacobian columns ÷ 16, so the minimal-norm step no longer moves r first; the fit's weight decay in the function's units) fits to value RMS 0.034, a relative score error of 1.2e-3 at t = 0, " +
      "but the evolution breaks down at once: score error 1.3 at t = 0.021, max|f| from 973 to 1.3·10⁷ by t = 0.028 (20 steps, 20 rejected), the worst draws inside the wells (a ≈ 1.5–1.7), r_λ = n = 400 throughout; stopped by hand. " +
      "So the quartic columns were not the only cause: with 2¹⁶ modes in d = 32 the step needs more than a 400-column sketch, or the fast relaxation inside the wells (curvature 24) a different start. " +
      "(6) The same with the dense step (`--sketch dense`: the N×N kernel, no sketch): the fit gives a score error of 4.1e-4 at t = 0 and the kernel's effective rank is r_λ = 1290 of N = 2000, rising to 1643 by t = 5·10⁻⁴ (6 steps, 5 rejected, 15–30 s per step); stopped by hand, about an hour from t = 0.02 at that pace. " +
      "The step has nearly N degrees of freedom from the start, so no sketch much smaller than N can follow it, and the dense step is itself stiff here. " +
      "(7, 2026-12-04) As (5) with a 100× larger ridge (`--epsilon 1e-4`): score error 1.5e-3 at t = 0.001, then the same breakdown — max|f| 2·10⁷ by t = 0.03, r_λ ≈ n = 400 throughout; stopped by hand. Regularisation is not the lever either. " +
      "(8) As (5) with smoothing s = 0.3 (`--smoothing 0.3`), meant to tame the probability flow that flings points out of the quartic tails at t = 0 (|∇log π̃| ≈ 32 at a = 2.5): in d = 32 the blurred log-density's 256-draw estimate is noisy (the draws' log π̃ spreads over 16 wells), the fit reached only value RMS 1.40 after 60 iterations (0.034 without the blur) and the score error was 1.7 at t = 0.004; stopped by hand. " +
      "(9, 2026-12-04) The new `additive` network — one mlp [32, 32] of a well's (a, c) with diagonal quadratic and quartic term (ℓ_r = 2), summed over the 16 wells (p = 1187), which holds ρ_t's product form exactly for every t — with the fit's Gram matrix in float64 (`fitGramPrecision`; in float32 the fit stalls, since summed over the wells the quadratic and quartic columns are nearly constant over the points) and 200 LM iterations (`many-well-diagnosis.ts --additive --quartic --quartic-length-scale 2 --n 200 --fit-iterations 200 --gram float64`): value RMS 0.029, score error 1.8e-3 at t = 0.005 with r_λ = 90 of n = 200, then max|f| from 6·10² to 4·10⁴ by t = 0.1 (score error 2.2, worst draws inside the wells) and 10⁶ at t = 0.144 with r_λ 107–164 < n; stopped by hand. With 100 iterations (value RMS 0.17; `many-well-diagnosis.ts --additive --quartic --quartic-length-scale 2 --gram float64 --n 200 --fit-iterations 100`) the same breakdown came at t ≈ 0.1 with the sketch saturated (r_λ 198 of 200); n = 600 after 100 iterations with 1000 extra fit points (RMS 0.38; `many-well-diagnosis.ts --additive --quartic --quartic-length-scale 2 --gram float64 --n 600 --fit-iterations 100 --extra-fit-points 1000`) and a [16, 16] inner network (RMS 2.6; the same with `--widths 16,16 --n 340`) went to NaN before t = 0.01; smoothing s = 0.3 with 2048 draws left the fit at RMS 1.9 (score error 0.4 at t = 0.002; `many-well-diagnosis.ts --additive --quartic --quartic-length-scale 2 --gram float64 --n 200 --fit-iterations 100 --smoothing 0.3 --smoothing-draws 2048`). So the sketch's size and the coupling of the 16 wells are not the cause (attempts 5–6 had suspected them): the evolution of one double well from its quartic start breaks down by itself within t ≈ 0.1, which points back at the quartic term (attempt 4) — a 2-d problem now, for the next attempt to study in isolation. " +
      "(10, 2026-12-04, sixth session) One well alone, the many-well target with dim 2 (log Z 10.2935; `many-well-diagnosis.ts --dim 2`, which now also prints the farthest collocation point and the global terms' coefficients): " +
      "attempt 9's recipe (`--dim 2 --quartic --quartic-length-scale 2 --n 200 --fit-iterations 200 --gram float64`) reached T = 5 with log Ẑ error 2.3e-3 but ESS/M 0.70 and flow inconsistency 12.8. " +
      "The score error on exact draws stayed below 6e-3 until t = 0.8 and between 2e-2 and 5e-2 after, while one collocation point ran off — the farthest |x| went from 3.7 to 10 by t = 0.52 and to 1.7·10⁴ by T — and its row took over the kernel (r_λ from 100 down to 1, max|f| 10⁹). " +
      "The cause is the quartic term's scale: for t > 0 ρ_t's tails are Gaussian, so the quartic coefficient r must leave at once, but with ℓ_r = 2 its Jacobian column is ÷ 16 and the minimal-norm step keeps r (0.40 at t = 0.26, from 0.82) and bends the quadratic coefficient negative instead (−3.0): right in the bulk, too steep beyond the points (at t = 0.26 the printed coefficients alone give ∂ₐu = −r a³ − q a ≈ −27 at a = 4.7, the farthest point then), " +
      "so the probability flow −x − ∇u carries the outermost points outward faster than ρ_t spreads, into regions where the model only extrapolates. " +
      "With ℓ_r = 1 (`--quartic-length-scale 1`; the fit alike, r = 0.76) r leaves at once (0.07 at t = 0.28, the quadratic +0.44): log Ẑ 10.2936 (error 1e-4), ESS/M 0.988, flow inconsistency 0.093, score error 6.8e-4 at t = 0.004 and 1e-6–4e-5 from t = 0.5 on, the farthest point 3.7 → 4.5. " +
      "In d = 32 with the additive network (the recipe above; `many-well-diagnosis.ts --additive --quartic --quartic-length-scale 1 --n 200 --fit-iterations 200 --gram float64`, checks off, 17 min): fit value RMS 0.034, score error 3.0e-4 at t = 0.006 and 2e-5–1.5e-4 after (1.2e-3 once, at t = 0.91), r_λ 83–104 of n = 200, max|f| 552 → 1.6 in 153 steps, the farthest point 4.9 → 8.4; " +
      "log Ẑ 164.6900 (error −5.7e-3), ESS/M 0.883, flow inconsistency 1.18. Attempt 4's collapse (mlp in d = 32 with ℓ_r = 1: r_λ falling from 150 to 16 while max|f| grew) looks like the same runaway of a tail point; attempts 5–9 moved to ℓ_r = 2 to keep the quartic columns from dominating the step, which is what kept r from leaving. " +
      "(11) Attempt 4's network again, the mlp of all 32 coordinates with ℓ_r = 1 (`many-well-diagnosis.ts --quartic --quartic-length-scale 1 --n 200`, 60 iterations): fit value RMS 0.033, r_λ = n = 200 from the first step; " +
      "by t = 0.053 the quartic coefficients of the a-coordinates fell from 3.95 to 0.2–0.33 while their quadratic ones stayed near the fit's −12 (so beyond the wells the model rises as +5.8a² up to |a| ≈ 6), the score error was 85, and points ran away — the farthest |x| from 4.9 to 37 by t = 0.11 and 2.6·10³ by t = 0.52, r_λ down to 16, max|f| 8·10⁸; stopped by hand. " +
      "So attempt 4's collapse was this runaway, beside a saturated sketch; the additive network avoids both. " +
      "The acceptance run of the recipe above (2026-12-04) is the table above; its same-budget MALA and HMC baselines (968 s each) did not finish: the MALA baseline was stopped by hand 40 min after the MNE run ended, at 14 GB resident (a baseline redoes its run when it misses the budget by more than 20 %, so it may take up to three budgets; which of its runs it was in is not recorded). The 60-s baselines below stand for them.",
    error: manyWellPositive,
    mcmcChains: 32,
    mcmcStart: 1.5,
    criteria: (r) => [{ name: "|log Ẑ − 164.6957|", value: Math.abs(r.logZ - 164.6957), bound: "≤ 0.5", pass: Math.abs(r.logZ - 164.6957) <= 0.5 }],
  },
];
