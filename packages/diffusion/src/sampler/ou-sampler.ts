/**
 * The whole MNE sampler for a target known only by formula (METHOD.md §4–§5):
 *
 *   1. fit u_θ(0) ≈ log π̃ (log π̃ + |x|²/2 in the log-ratio form) on points from broad Gaussians,
 *      from the formula alone — no samples of π;
 *   2. evolve (θ, X) under the Ornstein–Uhlenbeck Fokker–Planck equation from 0 to T, keeping the
 *      integrator's dense output so that θ(t) is known at every t;
 *   3. draw z ~ N(0, I) and integrate the reverse probability flow from T to 0 with the divergence
 *      integral, giving samples x₀ with their exact sampler log-density log q₀(x₀);
 *   4. importance weights log w = log π̃(x₀) − log q₀(x₀): self-normalised weights, ESS, log Ẑ,
 *      systematic resampling and an independence Metropolis–Hastings chain.
 *
 * The defaults are the stable recipe of shared/reference/STABILITY.md (as in apps/demo): a tanh
 * MLP [32, 32] with inputs scaled by 2 and a learnable symmetric quadratic term, LM fit with weight
 * decay 1e-4 (100 iterations), N = 1000 collocation points from N(0, 2²I) (+2000 fit points from
 * N(0, 3²I)), a fixed Gaussian sketch n = 100 with λ = 1e-6·tr K/N, Dormand–Prince 5(4) at
 * rtol = atol = 1e-4 forward, 1e-6 for the sampler, T = 5.
 *
 * Observing a run. `onProgress` receives every LM iteration, every accepted forward step (with
 * the step's effective rank, max|f|, ‖θ̇‖ and a copy of the collocation points X(t) — the copies
 * are made only when `onProgress` is given) and every accepted reverse-flow step. The result keeps
 * the per-step diagnostics (`diagnostics`) and the learned path at `recordPathSteps` evenly spaced
 * times from the dense output: `pointPaths` (X(t)) and `parameterPath` (θ(t)).
 *
 * Drawing the learned log-density at time t without holding any tensor: rebuild the network from
 * `result.network` (`registries.network.create(network.name, network.options)`), take θ(t) as the
 * row k of `result.parameterPath.parameters` (length p, at `parameterPath.times[k]`), and evaluate
 * `network.evaluate(tf, θ, x, { value: true })` on a grid: the value is the model's log ρ_t up to a
 * constant in the "log-density" form, and log ρ_t + |x|²/2 up to a constant in the "log-ratio"
 * form (`result.form`). parameterPath and pointPaths share their times.
 *
 * Checkpoints. With `checkpoint: { everySteps, save }` the run calls `save` with an
 * {@link OuSamplerCheckpoint} after the fit, every `everySteps` accepted forward steps and once the
 * forward run is complete; `encodeCheckpoint` turns one into bytes (bit-exact float64s, with a
 * checksum) and `decodeCheckpoint` back. `resume: checkpoint` continues from it, and the resumed
 * run gives bitwise the same samples, weights, ESS and log Ẑ as an uninterrupted run with the same
 * options (the checkpoint's fingerprint refuses other options). `signal` stops a run after the
 * current step (LM iteration, forward step or reverse-flow step), saves a checkpoint when one is
 * configured (the latest one in the sampling stage: the reverse flow is not checkpointed, it is
 * recomputed from the completed forward run), then throws MinevoError `Aborted`. An abort during
 * the fit saves nothing: the fit restarts on resume.
 *
 * Refinement (`refineOuSampler`): a second pass whose collocation and fit points are the first
 * pass's resampled draws — points where π has its mass — mixed with broad points for the tails.
 */
import {
  ErrorCode,
  MinevoError,
  RandomStream,
  isMinevoError,
  quote,
  registries,
  type Integrator,
  type PluginName,
  type PluginOptions,
  type ResumableIntegrator,
  type SamplingTarget,
  type Seed,
  type TensorFlow,
} from "@minevo/core";
import {
  createSolver,
  type ComponentChoice,
  type InitialConditionTarget,
  type InitialFitReport,
  type MneState,
} from "@minevo/evolution";
import { importanceWeights } from "../diagnostics/importance-weights.js";
import { independenceMetropolisHastings, type IndependenceChain } from "../diagnostics/independence-metropolis.js";
import { systematicResample } from "../diagnostics/resampling.js";
import { checkCheckpointOptions, checkpointFingerprint, resumableFingerprint, type OuSamplerCheckpoint, type OuSamplerForwardStep } from "./checkpoint.js";
import { checkBound, checkFlowConsistency, checkTerminalSpread, fitAndForward, fitGradientsOption, flowConsistency, SamplerRun, terminalLogRatio } from "./fit-and-forward.js";
import { checkLatentMixture, sampleByReverseFlow, standardNormalLogDensity, thetaFromDenseOutput, type LatentMixture, type OuModelForm } from "./reverse-flow.js";
import { defaultRestartMargin, malaPointDefaults, malaPoints, positiveOption } from "./mala-points.js";
import { smcPointDefaults, smcPoints, type SmcStage } from "./smc-points.js";
import { defensiveValues, resolveDefensive, type DefensiveOptions } from "./defensive.js";
import { resolveStandardize, standardizingPilot, type StandardizeOptions } from "./standardize.js";
import { affineTarget, affineToX, affineToZ, type AffineMap } from "../targets/affine-target.js";
import { resolveSmoothing, smoothedTarget, type ResolvedSmoothing, type SmoothingOptions } from "./smoothing.js";
import { denoiseByLaplace, laplaceSmoothedTarget } from "./laplace.js";
import { evaluateTarget } from "./evaluate-target.js";

export interface OuSamplerOptions<
  NN extends PluginName<"network"> = PluginName<"network">,
  SN extends PluginName<"sketch"> = PluginName<"sketch">,
  IN extends PluginName<"integrator"> = PluginName<"integrator">,
  RN extends PluginName<"integrator"> = PluginName<"integrator">,
> {
  readonly tf: TensorFlow;
  /** The target: a SamplingTarget, or a registered target name (with `targetOptions`). */
  readonly target: SamplingTarget | string;
  readonly targetOptions?: unknown;
  /**
   * log π̃ in float64 point by point, with its gradient and Laplacian, for the initial fit (the
   * Laplacian enables the fit's derivative guard). Default: the target's own (float32) logDensity
   * and score, evaluated once in a batch at the fit points.
   */
  readonly initialCondition?: InitialConditionTarget;
  /** Default "log-density". */
  readonly form?: OuModelForm;
  /** Default "mlp" with the recipe options for d = target.dim. */
  readonly network?: NN | ComponentChoice<"network">;
  readonly networkOptions?: PluginOptions<"network", NN>;
  /** Default "gaussian", n = 100, λ = 1e-6·tr K/N. */
  readonly sketch?: SN | ComponentChoice<"sketch">;
  readonly sketchOptions?: PluginOptions<"sketch", SN>;
  /** The forward integrator. Default "dopri5", rtol = atol = 1e-4. */
  readonly integrator?: IN | ComponentChoice<"integrator">;
  readonly integratorOptions?: PluginOptions<"integrator", IN>;
  /** The sampler's (reverse-flow) integrator. Default "dopri5", rtol = atol = 1e-6. */
  readonly samplerIntegrator?: RN | ComponentChoice<"integrator">;
  readonly samplerIntegratorOptions?: PluginOptions<"integrator", RN>;
  /** N: collocation points, drawn from N(0, pointScale²I). Default 1000 and 2. */
  readonly numPoints?: number;
  readonly pointScale?: number;
  /**
   * X(0), N×d row-major: use these collocation points instead of drawing them (`numPoints`, if
   * given, must equal their count). They are fit points too.
   */
  readonly collocationPoints?: Float64Array;
  /**
   * Where drawn collocation points come from. `"broad"` (default): N(0, pointScale²I). `"mala"` or
   * a `MalaPointSource`: a fraction of them (default 2/3) are the end points of short MALA chains
   * on π̃ (`malaPoints`: no samples of π, chains started from N(0, pointScale²I), stuck chains
   * restarted), the rest broad; the extra fit points are the chain points, in turn, moved by
   * N(0, fitJitter²I) (fitPointScale is then unused). In higher dimensions a broad Gaussian leaves the target's mass almost
   * without points (docs/design.md); this puts them there. `"smc"` or an `SmcPointSource`: the
   * same, with the fraction's points from tempered SMC (`smcPoints`: particles from N(0, s²I)
   * reweighted, resampled and moved toward π̃), which reaches regions local chains do not (a
   * funnel's mouth); with its `tailTemperature` the rest are particles of π^β instead of broad
   * points. Not with `collocationPoints`.
   */
  readonly pointSource?: "broad" | "mala" | "smc" | MalaPointSource | SmcPointSource;
  /**
   * Run in standardised coordinates z = (x − m)/s (per coordinate), m and s the mean and standard
   * deviation of a pilot of tempered-SMC particles on π̃ (`standardizingPilot`: formula only), or
   * a given `map`: the sampler evolves `affineTarget(π̃, map)`, whose normaliser is π̃'s own, and
   * maps its draws back. For targets whose mass lies far from N(0, I)'s scale (spans of 10–100):
   * the OU process first contracts such a target by e^{−t}, steepening its features, where in z
   * it only blurs them (sampler/standardize.ts, docs/design.md).
   *
   * In z: pointScale, fitPointScale, pointSource (its reference) and smoothing's scale, and the
   * network, so `parameterPath` and `network` describe u_θ(t) as a function of z (the result's
   * `standardization` holds the map; log ρ_t(x) = u(z) − Σ log sᵢ up to the constant). In x:
   * the given `collocationPoints` and `extraFitPoints`, and every point and density of the result
   * (`samples`, `resampled`, `logProposalDensity`, `logTargetDensity`, `collocationPoints`,
   * `pointPaths`); the weights, log Ẑ and ESS are the same in either. Not with
   * `initialCondition`. A resumed run takes the map from its checkpoint. Default: off.
   */
  readonly standardize?: boolean | StandardizeOptions;
  /**
   * A defensive floor: fit u_θ(0) to log(π̃ + c·N(0, s²I)) with c = Ẑ·w/(1 − w) — the initial
   * density the mixture (1 − w)π + w·N(0, s²I) — instead of log π̃ (after `smoothing`, if any).
   * The weights are taken against π̃, so the floor costs about a share w of the ESS and biases
   * nothing. With a `pointSource`, a share of the extra fit points is then broad — w, or the
   * collocation points' broad share if larger — where otherwise all sit around the chain points:
   * under the floor broad points no longer meet log π̃'s far tails. For targets whose points sit only where π has its mass and whose model
   * stops being a density elsewhere (sampler/defensive.ts). `true` (w = 0.05, s = pointScale),
   * a weight w, or `{ weight, scale, logZ }`; Ẑ comes from the SMC of `standardize` or
   * `pointSource: "smc"` unless given. Default: off.
   */
  readonly defensive?: boolean | number | DefensiveOptions;
  /**
   * Blur the initial condition: fit u_θ(0) to log(π̃ ∗ N(0, s²I)) (a number s, or
   * `{ scale: s, draws: K }`; K = 256 antithetic normal draws by default) instead of log π̃, and
   * move the MALA point chains' end points by N(0, s²I). The samples then come from the model of
   * the blurred target and the importance weights π̃/q₀ remove the blur; log Ẑ is unchanged in
   * expectation. For targets whose log-density has features narrower than the network can carry
   * (kinks between narrow modes, thin curved valleys): the blur caps the curvature at 1/s²
   * (sampler/smoothing.ts, docs/design.md). With `method: "laplace"` the blur's posterior
   * p(y | x) is fitted by Laplace's method, for the fit's blurred values (`draws` default 16) and
   * to carry each draw x back to a draw y of π, weighted π̃(y)N(x; y, s²I)/(q₀(x)g(y | x)): then
   * features narrower than s (a funnel's neck) are kept, where the plain weights π̃/q₀ lose them
   * (sampler/laplace.ts). Default: none.
   */
  readonly smoothing?: number | SmoothingOptions;
  /** Extra fit points from N(0, fitPointScale²I), besides the collocation points. Default 2000 and 3. */
  readonly numExtraFitPoints?: number;
  readonly fitPointScale?: number;
  /** The extra fit points, k×d row-major, instead of drawing `numExtraFitPoints` of them. */
  readonly extraFitPoints?: Float64Array;
  /** Default 1e-4. */
  readonly weightDecay?: number;
  /** Default 100. */
  readonly fitIterations?: number;
  /**
   * Where the fit's Gram matrix JᵀJ is formed (`fitInitialCondition`'s `gramPrecision`; default
   * "auto": float32 on a compiled backend above 2·10⁸ multiply-adds). "float64" when the float32
   * Gram stalls the fit: with the `additive` network each column sums B blocks, the quadratic and
   * quartic columns are nearly constant over the points, and the float32 Gram loses the small
   * differences that fix them (many-well, 1000 exact draws, ν = 1e-4: value RMS 1.29 in float32
   * against 0.067 in float64 after 100 iterations; apps/bench src/acceptance/many-well-fit.ts).
   */
  readonly fitGramPrecision?: "float64" | "float32" | "auto";
  /**
   * Fit ∇ₓu_θ to the target's score as well as u_θ to log π̃ (d + 1 rows per fit point instead of
   * one: the LM step costs about d + 1 times more). Where the score error at t = 0 limits the
   * run — narrow or correlated modes — this lowers it by an order of magnitude (docs/benchmarks.md,
   * forward accuracy). Needs the target's score, or `initialCondition.gradient`. Default false.
   */
  readonly fitGradients?: boolean;
  /** T. Default 5. */
  readonly horizon?: number;
  /** M. Default 5000. */
  readonly numSamples?: number;
  /**
   * Defensive importance sampling at t = T: a share `weight` of the latent draws from
   * N(0, scale²I) instead of N(0, I), pushed through the same reverse flow, so that the proposal's
   * tails are heavier than the model's where the model's are too light (the weights, with the
   * mixture's exact density, stay unbiased; each is at most 1/(1 − weight) times the plain one).
   * For targets whose far tails hold variance the fit's points barely reached (the funnel's mouth).
   * It acts after the forward run only, so it is not part of a checkpoint's settings: a run
   * resumed from a forward-complete checkpoint may sample with another value. The flow-consistency
   * check is taken over the N(0, I) share's draws (the model's own). Default: off.
   */
  readonly defensiveLatent?: LatentMixture;
  /**
   * The terminal check: the forward run must leave u_θ(T)(x) + |x|²/2 within this standard
   * deviation of a constant over x ~ N(0, I) (the OU stationary law), or the run throws
   * MinevoError `ModelBlowUp` before sampling (its forward-complete checkpoint, if configured, is
   * saved first). Measured: sound runs at T = 4–5 give 0.006–0.05; a weak fit whose draws are still
   * worth reusing by `refineOuSampler` about 3; a run that blew up while staying finite far more.
   * Lower it to refuse weak runs; raise it for a deliberately short horizon; Infinity turns the
   * check off. Default 10.
   */
  readonly maxTerminalSpread?: number;
  /**
   * The consistency check after the reverse flow: ℓ_θ(0)(x₀) − log q₀(x₀), the model's
   * log-density at the samples minus the flow's exact one, must stay within this root mean square
   * of the forward log Z (it changes along a path by the Fokker–Planck residual there), or the
   * run throws MinevoError `ModelBlowUp` instead of weighting the samples. Measured: 0.006–0.02
   * on sound runs, 6.7 on the quick recipe of the checkpoint tests, 10⁴ and more on a weak pass whose
   * reverse flow throws most draws far out (ESS/M 0.01). Such a pass's few good draws can still
   * seed `refineOuSampler`: run it with Infinity, which turns the check off. Default 10.
   */
  readonly maxFlowInconsistency?: number;
  /** Everything random (points, Ω, θ₀, z, resampling, chain) derives from this seed. Default 0. */
  readonly seed?: Seed;
  /** How many evenly spaced times in [0, T] `pointPaths` and `parameterPath` hold. Default 50; 0 for none. */
  readonly recordPathSteps?: number;
  /** Save a checkpoint after the fit, every `everySteps` accepted forward steps and after the forward run. */
  readonly checkpoint?: OuSamplerCheckpointOptions;
  /** Continue from a checkpoint (of a run with the same options; `decodeCheckpoint` reads saved bytes). */
  readonly resume?: OuSamplerCheckpoint;
  /** Stop after the current step: save a checkpoint (when configured), then throw MinevoError `Aborted`. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: OuSamplerProgress) => void;
}

export interface OuSamplerCheckpointOptions {
  /** Accepted forward steps between checkpoints (counted over the whole run, resumed parts included). */
  readonly everySteps: number;
  /** Receives each checkpoint (plain data, owned by the callee); the run waits for a returned Promise. */
  readonly save: (checkpoint: OuSamplerCheckpoint) => void | Promise<void>;
}

export interface OuSamplerFitProgress {
  readonly stage: "fit";
  readonly iteration: number;
  readonly valueRms: number;
  readonly damping: number;
}

export interface OuSamplerForwardProgress {
  readonly stage: "forward";
  readonly t: number;
  readonly stepSize: number;
  /** Accepted and rejected forward steps so far (resumed parts included). */
  readonly acceptedSteps: number;
  readonly rejectedSteps: number;
  /** Of the latest right-hand-side evaluation (for dopri5: at the new state). */
  readonly effectiveRank: number;
  readonly maxAbsRhs: number;
  readonly thetaDotNorm: number;
  /**
   * The largest |coordinate| over the collocation points X(t) (NaN exactly when `points` is
   * empty). A value that grows far past its start while the run goes on marks a point running
   * away along the probability flow: the model's tails are wrong beyond the points, and that
   * point's row soon dominates the kernel (r_λ falls towards 1 while max|f| grows).
   */
  readonly maxAbsPoint: number;
  /**
   * X(t), N×d row-major: a copy, the callee's to keep (empty with a custom integrator instance that
   * is not a ResumableIntegrator and so cannot hand its state out; all registered ones can).
   */
  readonly points: Float64Array;
  /**
   * θ(t): a copy, the callee's to keep (empty exactly when `points` is), so that a caller can draw
   * the learned log-density u_θ(t) live with the network of `result.network`.
   */
  readonly parameters: Float64Array;
}

export interface OuSamplerSampleProgress {
  readonly stage: "sample";
  /** The reverse flow runs from T down to 0. */
  readonly t: number;
  readonly stepSize: number;
  readonly acceptedSteps: number;
  readonly rejectedSteps: number;
}

/**
 * While the collocation points are drawn (`pointSource` "mala" or "smc") or the standardising
 * pilot runs (`standardize`), before the fit: every move of the MALA chains, or every SMC stage
 * (its temperature β rises from 0 to 1; the number of stages is not known in advance).
 */
export type OuSamplerPointsProgress =
  | { readonly stage: "points"; readonly source: "mala"; readonly round: 1 | 2; readonly move: number; readonly moves: number }
  | ({ readonly stage: "points"; readonly source: "smc" | "standardize"; readonly smcStage: number } & Omit<SmcStage, "stage">);

export type OuSamplerProgress = OuSamplerPointsProgress | OuSamplerFitProgress | OuSamplerForwardProgress | OuSamplerSampleProgress | { readonly stage: "weights" };

export interface OuSamplerDiagnostics {
  /** Every accepted forward step (resumed parts included). */
  readonly forwardSteps: readonly OuSamplerForwardStep[];
  /** Every accepted reverse-flow step (t decreasing; stepSize negative). */
  readonly samplerSteps: readonly { readonly t: number; readonly stepSize: number }[];
}

export interface OuSamplerResult {
  /** x₀, M×d row-major (the raw reverse-flow draws, before any resampling; with smoothing method "laplace", the draws y carried back from them). */
  readonly samples: Float64Array;
  /**
   * log q₀(x₀): the sampler's exact log-density at its draws (with `defensiveLatent`, the mixture's
   * push-forward). With smoothing method "laplace", log q₀(x) + log g(y | x) − log N(x; y, s²I) at
   * the pair (x, y) a sample y came from: the extended proposal's density over the blur kernel.
   */
  readonly logProposalDensity: Float64Array;
  /** log π̃ at `samples`. */
  readonly logTargetDensity: Float64Array;
  /** log w = log π̃ − log q at `samples` (log π̃(x₀) − log q₀(x₀) unless smoothing method "laplace"). */
  readonly logWeights: Float64Array;
  readonly normalisedWeights: Float64Array;
  /** log Ẑ = log mean w. */
  readonly logZ: number;
  /** log Z ≈ mean over x ~ N(0, I) of u_θ(T)(x) + |x|²/2 + (d/2) log 2π (METHOD.md §4 step 3). */
  readonly logZForward: number;
  /**
   * The standard deviation of u_θ(T)(x) + |x|²/2 over the log Z probes x ~ N(0, I): how far the
   * terminal model is from the OU stationary law (≤ `maxTerminalSpread`, or the run throws).
   */
  readonly terminalSpread: number;
  /**
   * The root mean square over the samples of ℓ_θ(0)(x₀) − log q₀(x₀) − logZForward: how far the
   * forward evolution and the reverse flow disagree (≤ `maxFlowInconsistency`, or the run throws).
   */
  readonly flowInconsistency: number;
  readonly ess: number;
  readonly essFraction: number;
  /** M draws resampled systematically by the weights, M×d. */
  readonly resampled: Float64Array;
  /** The independence Metropolis–Hastings chain over the draws (indices into `samples`). */
  readonly chain: IndependenceChain;
  readonly fit: InitialFitReport;
  readonly forward: { readonly status: string; readonly acceptedSteps: number; readonly rejectedSteps: number; readonly rhsEvaluations: number };
  readonly sampler: { readonly acceptedSteps: number; readonly rejectedSteps: number; readonly rhsEvaluations: number };
  /**
   * Wall-clock seconds per stage (over all sessions of a resumed run; `points`, the standardising
   * pilot and the point source, in this session only: a resumed run draws neither).
   */
  readonly timings: { readonly points: number; readonly fit: number; readonly forward: number; readonly sample: number; readonly weights: number };
  readonly diagnostics: OuSamplerDiagnostics;
  /** X(t) at `times` (evenly spaced over [0, T], `recordPathSteps` of them): times.length × N × d. */
  readonly pointPaths: { readonly times: Float64Array; readonly points: Float64Array };
  /** θ(t) at the same times: times.length × p. See the file comment for drawing u_θ(t) from it. */
  readonly parameterPath: { readonly times: Float64Array; readonly parameters: Float64Array };
  /** What rebuilds the network: `registries.network.create(network.name, network.options)`. */
  readonly network: { readonly name: string; readonly options: unknown };
  readonly form: OuModelForm;
  /** X(0), N×d: the collocation points the run used. */
  readonly collocationPoints: Float64Array;
  /**
   * With `smoothing`: the blur, and over the fit points the effective number of draws 1/Σw_k²
   * behind each blurred value (its median and minimum; absent after a resume past the fit). A
   * minimum near 1 means the blur is wide for π̃'s gradients there and the estimate is noisy.
   */
  readonly smoothing?: ResolvedSmoothing & {
    readonly medianEffectiveDraws?: number;
    readonly minEffectiveDraws?: number;
    /** With method "laplace": the Newton iterations the posterior's modes took (fit points, then draws) and the points left unconverged. */
    readonly newton?: { readonly fit?: { readonly iterations: number; readonly unconverged: number }; readonly draws?: { readonly iterations: number; readonly unconverged: number } };
  };
  /** With smoothing method "laplace": the reverse flow's draws x of the model of π_s, M×d, which `samples` (y) were drawn from. */
  readonly blurredSamples?: Float64Array;
  /** The defensive latent law the draws came from, when one was given. */
  readonly defensiveLatent?: LatentMixture;
  /**
   * With `standardize`: the map x = shift + scale⊙z the run used (the network's inputs are z),
   * and the pilot's stages and log Ẑ when a pilot drew it in this session.
   */
  readonly standardization?: AffineMap & { readonly pilot?: { readonly stages: number; readonly logZ: number } };
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new MinevoError(ErrorCode.InvalidOptions, `${name} must be a positive integer, got ${quote(value)}`, { field: name });
  }
  return value;
}

function positiveNumber(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `${name} must be a finite positive number, got ${quote(value)}`, { field: name });
  }
  return value;
}

/** Given points, checked: finite, a whole number of d-vectors. */
function givenPoints(values: Float64Array, d: number, name: string, allowEmpty: boolean): Float64Array {
  if (!(values instanceof Float64Array) || values.length % d !== 0 || (!allowEmpty && values.length === 0)) {
    throw new MinevoError(
      ErrorCode.DimensionMismatch,
      `${name} must be a Float64Array of k×d row-major numbers (d = ${d}${allowEmpty ? "" : ", k ≥ 1"}), got ${values instanceof Float64Array ? `${values.length} numbers` : quote(values)}`,
      { field: name },
    );
  }
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k])) throw new MinevoError(ErrorCode.NonFinite, `${name} has the non-finite value ${String(values[k])} at index ${k}`, { field: name, index: k });
  }
  return Float64Array.from(values);
}

/** A component choice as plain data for the fingerprint: name and options where known. */
/** @internal A plugin choice as plain data for a checkpoint's settings (shared with the conditional sampler). */
export function describeChoice(choice: unknown, options: unknown): unknown {
  if (choice === undefined) return null;
  if (typeof choice === "string") return { name: choice, options: options ?? null };
  if (typeof choice === "object" && choice !== null) {
    const c = choice as { plugin?: unknown; toJSON?: () => unknown; name?: unknown; options?: unknown; controller?: unknown };
    if (c.plugin !== undefined && typeof c.toJSON === "function") return c.toJSON();
    const hasMethods = Object.values(c).some((v) => typeof v === "function");
    if (!hasMethods) return { name: c.name ?? null, options: c.options ?? null };
    // A ready instance: its name (and an integrator's controller); its other settings are not visible.
    return { instance: c.name ?? "unnamed", controller: c.controller ?? null };
  }
  return quote(choice);
}

/** A fingerprint of a given array (content hash and length) for the settings. */
function arrayTag(values: Float64Array | undefined): unknown {
  if (values === undefined) return null;
  return { length: values.length, crc32: checkpointFingerprint(Array.from(values)) };
}

/**
 * The fit's target from a SamplingTarget: values and scores computed once in a batch at the fit
 * points and looked up by the point's coordinates (the fit asks point by point).
 */
async function batchedInitialCondition(tf: TensorFlow, target: SamplingTarget, points: Float64Array, shift: number): Promise<InitialConditionTarget> {
  const { logDensity, score } = await evaluateTarget(tf, target, points, points.length / target.dim);
  return lookupInitialCondition(points, target.dim, logDensity, score, shift, "log π̃");
}

/** Median and minimum of the per-point effective numbers of draws. */
function drawStatistics(effectiveDraws: Float64Array): { medianEffectiveDraws: number; minEffectiveDraws: number } {
  const sorted = Float64Array.from(effectiveDraws).sort();
  return { medianEffectiveDraws: sorted[Math.floor(sorted.length / 2)] as number, minEffectiveDraws: sorted[0] as number };
}

/** The fit's target from values and scores at the fit points, looked up by the point's coordinates. */
function lookupInitialCondition(points: Float64Array, d: number, logDensity: Float64Array, score: Float64Array, shift: number, what: string): InitialConditionTarget {
  const count = points.length / d;
  const index = new Map<string, number>();
  for (let j = 0; j < count; j++) index.set(Array.from(points.subarray(j * d, (j + 1) * d)).join(","), j);
  const find = (x: Float64Array): number => {
    const j = index.get(Array.from(x).join(","));
    if (j === undefined) {
      throw new MinevoError(ErrorCode.InvalidArgument, `the fit asked for ${what} at ${quote(Array.from(x))}, which is not one of the fit points`);
    }
    return j;
  };
  const squared = (x: Float64Array): number => x.reduce((s, v) => s + v * v, 0);
  return {
    value: (x) => (logDensity[find(x)] as number) + 0.5 * shift * squared(x),
    gradient: (x) => {
      const j = find(x);
      return Array.from({ length: d }, (_, k) => (score[j * d + k] as number) + shift * (x[k] as number));
    },
  };
}

/** @internal The integrator with snapshot/restore, or a clear error (shared with the conditional sampler). */
export function resumableIntegrator(integrator: Integrator): ResumableIntegrator {
  if (typeof (integrator as Partial<ResumableIntegrator>).restoreStepper !== "function") {
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `the forward integrator "${integrator.name}" cannot snapshot its state, so the run cannot be checkpointed or resumed: use one of @minevo/integrators' methods (e.g. dopri5)`,
      { field: "integrator" },
    );
  }
  return integrator as ResumableIntegrator;
}

/** Throws the marker that `beforeTheFit` turns into the run's Aborted error. */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new PointsAborted();
}

class PointsAborted extends Error {}

/**
 * Runs a stage before the fit (the standardising pilot, the collocation points): an abort by
 * `signal` during it throws MinevoError `Aborted` (nothing is saved: no checkpoint exists yet).
 */
function beforeTheFit<T>(what: string, signal: AbortSignal | undefined, stage: () => T): T {
  try {
    return stage();
  } catch (error) {
    if (error instanceof PointsAborted) {
      throw new MinevoError(ErrorCode.Aborted, `runOuSampler was aborted while drawing ${what}, before the fit; no checkpoint was saved (the first is saved after the fit)`, { stage: what });
    }
    throw error;
  }
}

/** MALA collocation points (`pointSource`); the fields left out take their defaults. */
export interface MalaPointSource {
  readonly kind: "mala";
  /** The fraction of the N collocation points that come from chains. Default 2/3. */
  readonly fraction?: number;
  /** Adapted MALA steps per chain (and again after restarts). Default 300. */
  readonly steps?: number;
  /** See `malaPoints`. Default 10 + 3√(d/2). */
  readonly restartBelow?: number;
  /** The jitter of the fit points around the chain points. Default 0.5. */
  readonly fitJitter?: number;
  /** As `SmcPointSource.fitJitterMaxDrop`: the fit points within each chain point's local width. Default: none. */
  readonly fitJitterMaxDrop?: number;
  /** See `malaPoints`. Default "global". */
  readonly stepAdaptation?: "global" | "per-chain";
}

/**
 * Tempered-SMC collocation points (`pointSource`); the fields left out take `smcPoints`' defaults
 * (many small stages, essFraction 0.95, and 50 moves each: ~10³ batched evaluations of log π̃,
 * seconds on the CPU for a formula target).
 */
export interface SmcPointSource {
  readonly kind: "smc";
  /** The fraction of the N collocation points that are particles. Default 2/3. */
  readonly fraction?: number;
  /** s: particles start from N(0, s²I), which should cover π's mass. Default pointScale. */
  readonly reference?: number;
  /** MALA moves per stage. Default `smcPointDefaults.movesPerStage` (50). */
  readonly movesPerStage?: number;
  /** See `smcPoints`. Default `smcPointDefaults.essFraction` (0.95). */
  readonly essFraction?: number;
  /**
   * The last SMC temperature β ∈ (0, 1] (`smcPoints`' `temperature`): below 1 the particles follow
   * q̃^{1−β}π̃^β, π with its tails raised, and their log Ẑ is not π's (so `defensive` then needs its
   * `logZ`). Default 1.
   */
  readonly temperature?: number;
  /**
   * The rest of the points (1 − fraction), broad by default, are instead particles of a second
   * SMC that stops at this temperature β ∈ (0, 1): π with raised tails, where a target's mass is
   * spread over a volume the particles at β = 1 seldom reach (Neal's funnel's mouth at β = 0.8).
   * The extra fit points then sit around both sets. Default: none (broad points).
   */
  readonly tailTemperature?: number;
  /**
   * s of the tail SMC's reference N(0, s²I) (default `reference`): q̃^{1−β} holds the tail particles
   * within about s/√(1 − β), so a target whose mass spreads far (the funnel's mouth, |xᵢ| ~ 30–100)
   * needs a wide one here even when the particles at β = 1 start well from a narrower one.
   */
  readonly tailReference?: number;
  /**
   * β > 1: a share of the points are particles of π̃^β — the SMC goes on past π, the reference
   * gone — π sharpened toward where its density is high, which may hold little of its volume (a
   * funnel's neck: at β = 1.4 the particles' x₀ lies between −7.7 and −3.0, 1–99 %, where π's own
   * particles put 0.8 % below −6 against π's 2.3 %). They take the rest of the points (1 − fraction), or half of it beside
   * `tailTemperature`'s particles. The target must keep π̃^β normalisable. Default: none.
   */
  readonly sharpTemperature?: number;
  /** The jitter of the fit points around the particles. Default 0.5. */
  readonly fitJitter?: number;
  /**
   * Δ: a fit point whose log π̃ lies more than Δ below its particle's is moved back toward the
   * particle (its jitter halved, up to 12 times), so that the fit points stay within the particle's
   * local width — narrow where π is narrow. A fixed jitter around a particle deep in a funnel's neck
   * (π's width e^{x₀/2} ≈ 0.01 at x₀ = −9) puts fit points at log π̃ values 10²–10³ below the
   * particle's, which then dominate the least-squares fit. Points above their particle's value, or
   * less than Δ below, keep the plain jitter. Default: none (every particle moved by N(0, fitJitter²I)).
   */
  readonly fitJitterMaxDrop?: number;
}

/** The defaults of `pointScale` and of a drawn `pointSource`'s share of the points and fit jitter. */
export const samplerPointDefaults = { pointScale: 2, fraction: 2 / 3, fitJitter: 0.5 } as const;

/**
 * `pointSource.fitJitterMaxDrop`: halves (up to 12 times) the jitter of every fit point whose log π̃
 * lies more than `maxDrop` below its particle's (fit point i belongs to particle i mod count), in place.
 */
async function shrinkJitter(tf: TensorFlow, target: SamplingTarget, particles: Float64Array, jitter: Float64Array, maxDrop: number): Promise<void> {
  const d = target.dim;
  const count = particles.length / d;
  const rows = jitter.length / d;
  const { logDensity: particleValues } = await evaluateTarget(tf, target, particles, count);
  let pending = Array.from({ length: rows }, (_, r) => r);
  for (let round = 0; round < 12 && pending.length > 0; round++) {
    const moved = new Float64Array(pending.length * d);
    pending.forEach((r, k) => {
      for (let i = 0; i < d; i++) moved[k * d + i] = (particles[(r % count) * d + i] as number) + (jitter[r * d + i] as number);
    });
    const { logDensity } = await evaluateTarget(tf, target, moved, pending.length);
    // Too far below (or non-finite): halve, and check again.
    pending = pending.filter((r, k) => !((logDensity[k] as number) >= (particleValues[r % count] as number) - maxDrop));
    for (const r of pending) for (let i = 0; i < d; i++) jitter[r * d + i] = (jitter[r * d + i] as number) / 2;
  }
}

/** `pointSource` with every default filled in (undefined: broad). */
function resolvePointSource(source: OuSamplerOptions["pointSource"], numPoints: number, dim: number, pointScale: number) {
  if (source === undefined || source === "broad") return undefined;
  const given: MalaPointSource | SmcPointSource = source === "mala" ? { kind: "mala" } : source === "smc" ? { kind: "smc" } : source;
  if (typeof given !== "object" || given === null || (given.kind !== "mala" && given.kind !== "smc")) {
    throw new MinevoError(ErrorCode.InvalidOptions, `pointSource must be "broad", "mala", "smc", { kind: "mala", … } or { kind: "smc", … }, got ${quote(source)}`, { field: "pointSource" });
  }
  const fraction = given.fraction ?? samplerPointDefaults.fraction;
  if (!(fraction > 0 && fraction <= 1)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `pointSource.fraction must be in (0, 1], got ${quote(fraction)}`, { field: "pointSource.fraction" });
  }
  const fitJitter = given.fitJitter ?? samplerPointDefaults.fitJitter;
  if (!(fitJitter >= 0) || !Number.isFinite(fitJitter)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `pointSource.fitJitter must be a finite number ≥ 0, got ${quote(fitJitter)}`, { field: "pointSource.fitJitter" });
  }
  const chains = Math.max(given.kind === "smc" ? 2 : 1, Math.round(fraction * numPoints));
  const fitJitterMaxDrop = given.fitJitterMaxDrop === undefined ? undefined : positiveOption(given.fitJitterMaxDrop, "pointSource.fitJitterMaxDrop", false);
  if (given.kind === "smc") {
    const reference = positiveOption(given.reference ?? pointScale, "pointSource.reference", false);
    const movesPerStage = positiveOption(given.movesPerStage ?? smcPointDefaults.movesPerStage, "pointSource.movesPerStage", true);
    const essFraction = given.essFraction ?? smcPointDefaults.essFraction;
    if (!(essFraction > 0 && essFraction < 1)) {
      throw new MinevoError(ErrorCode.InvalidOptions, `pointSource.essFraction must be in (0, 1), got ${quote(essFraction)}`, { field: "pointSource.essFraction" });
    }
    const temperature = given.temperature ?? smcPointDefaults.temperature;
    if (!(temperature > 0 && temperature <= 1)) {
      throw new MinevoError(ErrorCode.InvalidOptions, `pointSource.temperature must be in (0, 1] (the last SMC temperature; 1 ends at π), got ${quote(temperature)}`, { field: "pointSource.temperature" });
    }
    const tailTemperature = given.tailTemperature;
    if (given.tailReference !== undefined && tailTemperature === undefined) {
      throw new MinevoError(ErrorCode.InvalidOptions, "pointSource.tailReference goes with pointSource.tailTemperature (it is the tail SMC's reference)", { field: "pointSource.tailReference" });
    }
    const tailReference = given.tailReference === undefined ? undefined : positiveOption(given.tailReference, "pointSource.tailReference", false);
    if (tailTemperature !== undefined) {
      if (typeof tailTemperature !== "number" || !(tailTemperature > 0 && tailTemperature < 1)) {
        throw new MinevoError(ErrorCode.InvalidOptions, `pointSource.tailTemperature must be in (0, 1) (the tail particles' last SMC temperature), got ${quote(tailTemperature)}`, {
          field: "pointSource.tailTemperature",
        });
      }
      if (numPoints - chains < 2) {
        throw new MinevoError(
          ErrorCode.InvalidOptions,
          `pointSource.tailTemperature needs at least 2 points beside the ${chains} particles at β = 1 (numPoints ${numPoints}, fraction ${fraction}): lower pointSource.fraction`,
          { field: "pointSource.tailTemperature" },
        );
      }
    }
    const sharpTemperature = given.sharpTemperature;
    if (sharpTemperature !== undefined) {
      if (typeof sharpTemperature !== "number" || !(sharpTemperature > 1 && Number.isFinite(sharpTemperature))) {
        throw new MinevoError(ErrorCode.InvalidOptions, `pointSource.sharpTemperature must be a finite number > 1 (the sharpened particles' last SMC temperature), got ${quote(sharpTemperature)}`, {
          field: "pointSource.sharpTemperature",
        });
      }
      if (numPoints - chains < (tailTemperature !== undefined ? 4 : 2)) {
        throw new MinevoError(
          ErrorCode.InvalidOptions,
          `pointSource.sharpTemperature needs at least ${tailTemperature !== undefined ? "4 points (2 for each extra SMC)" : "2 points"} beside the ${chains} particles at β = 1 (numPoints ${numPoints}, fraction ${fraction}): lower pointSource.fraction`,
          { field: "pointSource.sharpTemperature" },
        );
      }
    }
    // Recorded only when not the default, so the settings (and checkpoints) of runs without it stay as they were.
    return {
      kind: "smc" as const,
      chains,
      reference,
      movesPerStage,
      essFraction,
      fitJitter,
      ...(fitJitterMaxDrop !== undefined ? { fitJitterMaxDrop } : {}),
      ...(temperature !== 1 ? { temperature } : {}),
      ...(tailTemperature !== undefined ? { tailTemperature } : {}),
      ...(tailReference !== undefined ? { tailReference } : {}),
      ...(sharpTemperature !== undefined ? { sharpTemperature } : {}),
    };
  }
  const stepAdaptation = given.stepAdaptation ?? "global";
  if (stepAdaptation !== "global" && stepAdaptation !== "per-chain") {
    throw new MinevoError(ErrorCode.InvalidOptions, `pointSource.stepAdaptation must be "global" or "per-chain", got ${quote(stepAdaptation)}`, { field: "pointSource.stepAdaptation" });
  }
  return {
    kind: "mala" as const,
    chains,
    steps: given.steps ?? malaPointDefaults.steps,
    restartBelow: given.restartBelow ?? defaultRestartMargin(dim),
    fitJitter,
    ...(fitJitterMaxDrop !== undefined ? { fitJitterMaxDrop } : {}),
    // Recorded only when not the default, so the settings (and checkpoints) of runs without it stay as they were.
    ...(stepAdaptation === "per-chain" ? { stepAdaptation } : {}),
  };
}

/** Fit → forward evolution with dense output → reverse-flow samples → importance weights. */
export async function runOuSampler<
  NN extends PluginName<"network"> = never,
  SN extends PluginName<"sketch"> = never,
  IN extends PluginName<"integrator"> = never,
  RN extends PluginName<"integrator"> = never,
>(options: OuSamplerOptions<NN, SN, IN, RN>): Promise<OuSamplerResult> {
  const { tf } = options;
  // A registered target validates its options by its own schema (an unknown name lists the known ones).
  const baseTarget = (typeof options.target === "string" ? registries.target.configure(options.target, options.targetOptions ?? {}).create() : options.target) as SamplingTarget;
  if ((baseTarget.conditionDim ?? 0) !== 0) {
    throw new MinevoError(ErrorCode.InvalidArgument, `runOuSampler samples unconditional targets; "${baseTarget.name}" has conditionDim = ${baseTarget.conditionDim}`);
  }
  const d = baseTarget.dim;
  const form = options.form ?? "log-density";
  if (form !== "log-density" && form !== "log-ratio") {
    throw new MinevoError(ErrorCode.InvalidOptions, `form must be "log-density" or "log-ratio", got ${quote(form)}`, { field: "form" });
  }
  // The log-ratio form represents g = log π̃ + |x|²/2 (γ = D = 1).
  const shift = form === "log-ratio" ? 1 : 0;
  const givenCollocation = options.collocationPoints === undefined ? undefined : givenPoints(options.collocationPoints, d, "collocationPoints", false);
  const givenExtra = options.extraFitPoints === undefined ? undefined : givenPoints(options.extraFitPoints, d, "extraFitPoints", true);
  const numPoints = positiveInteger(options.numPoints ?? (givenCollocation === undefined ? 1000 : givenCollocation.length / d), "numPoints");
  if (givenCollocation !== undefined && givenCollocation.length !== numPoints * d) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `numPoints = ${numPoints} but collocationPoints holds ${givenCollocation.length / d} points: give one or make them agree`, {
      field: "numPoints",
    });
  }
  const numExtra = givenExtra === undefined ? (options.numExtraFitPoints ?? 2000) : givenExtra.length / d;
  if (!Number.isSafeInteger(numExtra) || numExtra < 0) {
    throw new MinevoError(ErrorCode.InvalidOptions, `numExtraFitPoints must be an integer ≥ 0, got ${quote(numExtra)}`, { field: "numExtraFitPoints" });
  }
  const pointScale = positiveNumber(options.pointScale ?? samplerPointDefaults.pointScale, "pointScale");
  const pointSource = resolvePointSource(options.pointSource, numPoints, d, pointScale);
  const defensive = resolveDefensive(options.defensive, pointScale);
  const smcEstimatesLogZ = pointSource?.kind === "smc" && pointSource.temperature === undefined;
  if (defensive !== undefined && defensive.logZ === undefined && !smcEstimatesLogZ && (options.standardize === undefined || options.standardize === false)) {
    throw new MinevoError(ErrorCode.InvalidOptions, "defensive needs an estimate of log Z for the floor's height: give defensive.logZ, or use pointSource \"smc\" (at temperature 1) or standardize (their SMC estimates it)", {
      field: "defensive",
    });
  }
  if (pointSource !== undefined && givenCollocation !== undefined) {
    throw new MinevoError(ErrorCode.InvalidOptions, "pointSource draws the collocation points, and collocationPoints gives them: give one of the two", { field: "pointSource" });
  }
  const fitPointScale = positiveNumber(options.fitPointScale ?? 3, "fitPointScale");
  const horizon = positiveNumber(options.horizon ?? 5, "horizon");
  const numSamples = positiveInteger(options.numSamples ?? 5000, "numSamples");
  const fitIterations = positiveInteger(options.fitIterations ?? 100, "fitIterations");
  const maxTerminalSpread = checkBound(options.maxTerminalSpread ?? 10, "maxTerminalSpread");
  const maxFlowInconsistency = checkBound(options.maxFlowInconsistency ?? 10, "maxFlowInconsistency");
  const defensiveLatent = options.defensiveLatent === undefined ? undefined : checkLatentMixture(options.defensiveLatent, "defensiveLatent");
  const weightDecay = options.weightDecay ?? 1e-4;
  const fitGramPrecision = options.fitGramPrecision;
  if (fitGramPrecision !== undefined && !["float64", "float32", "auto"].includes(fitGramPrecision)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `fitGramPrecision must be "float64", "float32" or "auto", got ${quote(fitGramPrecision)}`, { field: "fitGramPrecision" });
  }
  const fitGradients = fitGradientsOption(options.fitGradients);
  const smoothing = resolveSmoothing(options.smoothing);
  if (smoothing !== undefined && options.initialCondition !== undefined) {
    throw new MinevoError(ErrorCode.InvalidOptions, "smoothing blurs the target's log-density for the fit, and initialCondition replaces it: give one of the two", { field: "smoothing" });
  }
  const standardize = resolveStandardize(options.standardize);
  if (defensive !== undefined && options.initialCondition !== undefined) {
    throw new MinevoError(ErrorCode.InvalidOptions, "defensive puts a floor under the target's log-density for the fit, and initialCondition replaces it: give one of the two", { field: "defensive" });
  }
  if (standardize !== undefined && options.initialCondition !== undefined) {
    throw new MinevoError(ErrorCode.InvalidOptions, "standardize fits the target in z = (x − m)/s, and initialCondition gives log π̃ in x: give one of the two", { field: "standardize" });
  }
  const recordPathSteps = options.recordPathSteps ?? 50;
  if (!Number.isSafeInteger(recordPathSteps) || recordPathSteps < 0) {
    throw new MinevoError(ErrorCode.InvalidOptions, `recordPathSteps must be an integer ≥ 0, got ${quote(recordPathSteps)}`, { field: "recordPathSteps" });
  }
  const checkpoint = options.checkpoint;
  checkCheckpointOptions(checkpoint);
  const seed = options.seed ?? 0;
  const random = RandomStream.fromSeed(seed);
  const progress = options.onProgress;
  const signal = options.signal;
  const resume = options.resume;
  // Progress of an SMC run before the fit (the pilot, the point source), which `signal` stops.
  const smcProgress = (source: "smc" | "standardize") => (stage: SmcStage) => {
    progress?.({ ...stage, stage: "points", source, smcStage: stage.stage });
    throwIfAborted(signal);
  };

  // The standardising map: given, the resumed run's own (its settings hold it), or a pilot's.
  const pointsStart = performance.now();
  let map: AffineMap | undefined = standardize?.map;
  let pilotReport: { stages: number; logZ: number } | undefined;
  if (standardize !== undefined && map === undefined) {
    const saved = resume?.settings.standardize as { shift?: unknown; scale?: unknown } | undefined;
    if (Array.isArray(saved?.shift) && Array.isArray(saved.scale)) {
      map = { shift: Float64Array.from(saved.shift as number[]), scale: Float64Array.from(saved.scale as number[]) };
    } else {
      const pilot = beforeTheFit("the standardising pilot", signal, () =>
        standardizingPilot({
          tf,
          target: baseTarget,
          random: random.derive("standardize-pilot"),
          particles: standardize.particles,
          reference: standardize.reference,
          onStage: smcProgress("standardize"),
        }),
      );
      map = pilot.map;
      pilotReport = { stages: pilot.stages, logZ: pilot.logZ };
    }
  }
  // Everything below runs in z when standardising: the target, the given points.
  const target = map === undefined ? baseTarget : affineTarget(baseTarget, map);
  const inZ = (x: Float64Array | undefined): Float64Array | undefined => (map === undefined || x === undefined ? x : affineToZ(map, x));
  const collocationInZ = inZ(givenCollocation);
  const extraInZ = inZ(givenExtra);

  // The options that determine the numbers: a resume with other values would not continue this run.
  const settings: Record<string, unknown> = {
    target: typeof options.target === "string" ? { name: options.target, options: options.targetOptions ?? null } : { object: baseTarget.name, dim: d },
    initialCondition: options.initialCondition === undefined ? "target" : "given (a function: not compared)",
    form,
    network: describeChoice(options.network, options.networkOptions),
    sketch: describeChoice(options.sketch, options.sketchOptions),
    integrator: describeChoice(options.integrator, options.integratorOptions),
    samplerIntegrator: describeChoice(options.samplerIntegrator, options.samplerIntegratorOptions),
    numPoints,
    pointScale,
    collocationPoints: arrayTag(givenCollocation),
    ...(pointSource !== undefined ? { pointSource } : {}),
    numExtraFitPoints: numExtra,
    fitPointScale,
    extraFitPoints: arrayTag(givenExtra),
    weightDecay,
    fitIterations,
    ...(fitGramPrecision !== undefined ? { fitGramPrecision } : {}),
    ...(fitGradients ? { fitGradients } : {}),
    ...(smoothing !== undefined ? { smoothing } : {}),
    ...(defensive !== undefined ? { defensive } : {}),
    ...(standardize !== undefined && map !== undefined
      ? { standardize: { ...(standardize.map === undefined ? { particles: standardize.particles, reference: standardize.reference } : {}), shift: Array.from(map.shift), scale: Array.from(map.scale) } }
      : {}),
    horizon,
    numSamples,
    seed,
  };
  const fingerprint = resumableFingerprint(settings, resume);

  const solver = createSolver({
    tf,
    network: (options.network ?? "mlp") as never,
    networkOptions: (options.network === undefined
      ? {
          inputDim: d,
          hiddenWidths: [32, 32],
          activation: "tanh",
          inputLengthScale: 2,
          quadratic: { form: "symmetric", learnable: true, initial: 0 },
        }
      : options.networkOptions) as never,
    sketch: (options.sketch ?? "gaussian") as never,
    sketchOptions: (options.sketch === undefined ? { sketchSize: 100, regularisation: { kind: "relative-trace", epsilon: 1e-6 } } : options.sketchOptions) as never,
    integrator: (options.integrator ?? "dopri5") as never,
    integratorOptions: (options.integrator === undefined ? { rtol: 1e-4, atol: 1e-4 } : options.integratorOptions) as never,
    equation: "ornstein-uhlenbeck",
    equationOptions: { form },
    seed,
  });
  try {
    if (solver.network.inputDim !== d || solver.network.conditionDim !== 0) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `the network takes d = ${solver.network.inputDim} (+${solver.network.conditionDim} conditions) inputs but the target "${target.name}" has d = ${d}`,
      );
    }
    const run = new SamplerRun("runOuSampler", checkpoint, resume);
    const broad = (): Float64Array => random.derive("points").fillNormal(new Float64Array(numPoints * d), 0, pointScale);
    let chainPoints: Float64Array | undefined;
    let pointSourceLogZ: number | undefined;
    const drawn = (): Float64Array => {
      if (pointSource === undefined) return broad();
      const points = broad();
      chainPoints = beforeTheFit("the collocation points", signal, () => {
        if (pointSource.kind === "smc") {
          const smc = smcPoints({
            tf,
            target,
            random: random.derive("smc-points"),
            count: pointSource.chains,
            start: pointSource.reference,
            movesPerStage: pointSource.movesPerStage,
            essFraction: pointSource.essFraction,
            ...(pointSource.temperature !== undefined ? { temperature: pointSource.temperature } : {}),
            onStage: smcProgress("smc"),
          });
          // Below β = 1 the stages estimate ∫ γ_β, not Z: no estimate of log Z for the defensive floor.
          if (pointSource.temperature === undefined) pointSourceLogZ = smc.logZ;
          if (pointSource.tailTemperature === undefined && pointSource.sharpTemperature === undefined) return smc.points;
          // The rest: tail particles, sharpened ones, or half of each (the tail share first).
          const rest = numPoints - pointSource.chains;
          const tailCount = pointSource.tailTemperature === undefined ? 0 : pointSource.sharpTemperature === undefined ? rest : Math.floor(rest / 2);
          const all = new Float64Array(numPoints * d);
          all.set(smc.points);
          if (pointSource.tailTemperature !== undefined) {
            const tails = smcPoints({
              tf,
              target,
              random: random.derive("smc-tail-points"),
              count: tailCount,
              start: pointSource.tailReference ?? pointSource.reference,
              movesPerStage: pointSource.movesPerStage,
              essFraction: pointSource.essFraction,
              temperature: pointSource.tailTemperature,
              onStage: smcProgress("smc"),
            });
            all.set(tails.points, smc.points.length);
          }
          if (pointSource.sharpTemperature !== undefined) {
            const sharp = smcPoints({
              tf,
              target,
              random: random.derive("smc-sharp-points"),
              count: rest - tailCount,
              start: pointSource.reference,
              movesPerStage: pointSource.movesPerStage,
              essFraction: pointSource.essFraction,
              temperature: pointSource.sharpTemperature,
              onStage: smcProgress("smc"),
            });
            all.set(sharp.points, (pointSource.chains + tailCount) * d);
          }
          return all;
        }
        return malaPoints({
          tf,
          target,
          random: random.derive("mala-points"),
          count: pointSource.chains,
          steps: pointSource.steps,
          start: pointScale,
          restartBelow: pointSource.restartBelow,
          stepAdaptation: pointSource.stepAdaptation ?? "global",
          onProgress: (p) => {
            progress?.({ stage: "points", source: "mala", ...p });
            throwIfAborted(signal);
          },
        }).points;
      });
      if (smoothing !== undefined) {
        // Draws of π moved by N(0, s²I) are draws of the blurred target the model starts from.
        const blur = random.derive("smoothing-points").fillNormal(new Float64Array(chainPoints.length), 0, smoothing.scale);
        for (let i = 0; i < chainPoints.length; i++) chainPoints[i] = (chainPoints[i] as number) + (blur[i] as number);
      }
      points.set(chainPoints);
      return points;
    };
    const points = resume?.collocationPoints ?? collocationInZ ?? drawn();
    const pointSeconds = (performance.now() - pointsStart) / 1000;
    let smoothingReport: OuSamplerResult["smoothing"];
    const { fit, fitSeconds, forward, forwardSeconds, forwardSteps } = await fitAndForward({
      run,
      solver,
      integrator: checkpoint !== undefined || resume !== undefined ? resumableIntegrator(solver.integrator) : solver.integrator,
      points,
      fitProblem: async () => {
        const fitPoints = new Float64Array((numExtra + numPoints) * d);
        fitPoints.set(extraInZ ?? random.derive("fit-points").fillNormal(new Float64Array(numExtra * d), 0, fitPointScale));
        if (extraInZ === undefined && chainPoints !== undefined && pointSource !== undefined) {
          // Every extra fit point is a chain point (in turn) moved by N(0, fitJitter²I): broad fit
          // points would meet a quartic target's tails, whose values swamp the fit. Under a
          // defensive floor they do not: then a share of at least w is broad (the floor's share of
          // the initial mass), more if the collocation points have more.
          const jittered = defensive === undefined ? numExtra : Math.round(numExtra * Math.min(chainPoints.length / (numPoints * d), 1 - defensive.weight));
          const jitter = random.derive("fit-jitter").fillNormal(new Float64Array(jittered * d), 0, pointSource.fitJitter);
          if (pointSource.fitJitterMaxDrop !== undefined) await shrinkJitter(tf, target, chainPoints, jitter, pointSource.fitJitterMaxDrop);
          for (let i = 0; i < jittered * d; i++) fitPoints[i] = (chainPoints[i % chainPoints.length] as number) + (jitter[i] as number);
        }
        fitPoints.set(points, numExtra * d);
        if (smoothing === undefined && defensive === undefined) {
          return { points: fitPoints, target: options.initialCondition ?? (await batchedInitialCondition(tf, target, fitPoints, shift)) };
        }
        let values: { readonly logDensity: Float64Array; readonly score: Float64Array };
        if (smoothing?.method === "laplace") {
          const blurred = await laplaceSmoothedTarget(tf, target, fitPoints, smoothing, random.derive("smoothing-draws"));
          smoothingReport = { ...smoothing, ...drawStatistics(blurred.effectiveDraws), newton: { fit: { iterations: blurred.newtonIterations, unconverged: blurred.unconverged } } };
          values = blurred;
        } else if (smoothing !== undefined) {
          const blurred = await smoothedTarget(tf, target, fitPoints, smoothing, random.derive("smoothing-draws"));
          smoothingReport = { ...smoothing, ...drawStatistics(blurred.effectiveDraws) };
          values = blurred;
        } else {
          values = await evaluateTarget(tf, target, fitPoints, fitPoints.length / d);
        }
        if (defensive !== undefined) {
          // The pilot's estimate when it ran in this session; a resumed run past the fit does not get here.
          const logZ = defensive.logZ ?? pilotReport?.logZ ?? pointSourceLogZ;
          if (logZ === undefined) {
            throw new MinevoError(ErrorCode.InvalidOptions, "defensive has no estimate of log Z: the standardising map was given, so no pilot ran; give defensive.logZ or use pointSource \"smc\"", { field: "defensive" });
          }
          values = defensiveValues(fitPoints, d, values.logDensity, values.score, { weight: defensive.weight, scale: defensive.scale, logZ });
        }
        const what = `${smoothing !== undefined ? "the blurred log π̃" : "log π̃"}${defensive !== undefined ? " with the defensive floor" : ""}`;
        return { points: fitPoints, target: lookupInitialCondition(fitPoints, d, values.logDensity, values.score, shift, what) };
      },
      weightDecay,
      fitIterations,
      fitGradients,
      ...(fitGramPrecision !== undefined ? { gramPrecision: fitGramPrecision } : {}),
      horizon,
      fingerprint,
      settings,
      random,
      resume,
      checkpoint,
      signal,
      progress,
      forwardName: "the forward evolution",
      failureAdvice: " or tighten its weight decay",
    });
    try {
      const theta = thetaFromDenseOutput(forward);

      // The learned path at evenly spaced times, from the dense output.
      const pathTimes = Float64Array.from({ length: recordPathSteps }, (_, k) => (recordPathSteps === 1 ? 0 : k === recordPathSteps - 1 ? horizon : (k * horizon) / (recordPathSteps - 1)));
      const p = fit.parameters.length;
      const pathPoints = new Float64Array(recordPathSteps * numPoints * d);
      const pathParameters = new Float64Array(recordPathSteps * p);
      pathTimes.forEach((t, k) => {
        const state = (forward.interpolate as (t: number) => MneState)(t);
        pathParameters.set(state.theta, k * p);
        pathPoints.set(state.points ?? points, k * numPoints * d);
      });

      // log Z from the forward run alone: u_θ(T)(x) + |x|²/2 (log-density form) + (d/2) log 2π, over x ~ N(0, I).
      const probe = random.derive("log-z-probe").normals(2000 * d);
      const probeTensor = tf.tensor2d(Float32Array.from(probe), [2000, d]);
      let probeValues: ArrayLike<number>;
      try {
        const probeEvaluation = solver.network.evaluate(tf, theta(horizon), probeTensor, { value: true });
        try {
          probeValues = (await probeEvaluation.value!.data()) as Float32Array;
        } finally {
          probeEvaluation.dispose();
        }
      } finally {
        probeTensor.dispose();
      }
      const { logZForward, spread: terminalSpread } = terminalLogRatio(probe, probeValues, d, shift);
      checkTerminalSpread(terminalSpread, maxTerminalSpread, "runOuSampler", horizon, { logZForward, forward: forward.stats });

      // 3. The reverse flow.
      let start = performance.now();
      const samplerSteps: { t: number; stepSize: number }[] = [];
      let samplerRejected = 0;
      let abortedAt: number | undefined;
      let flow: Awaited<ReturnType<typeof sampleByReverseFlow>>;
      try {
        flow = await sampleByReverseFlow({
          tf,
          network: solver.network,
          parameters: theta,
          count: numSamples,
          random: random.derive("latent"),
          ...(defensiveLatent !== undefined ? { latentMixture: defensiveLatent } : {}),
          horizon,
          form,
          ...(options.samplerIntegrator !== undefined ? { integrator: options.samplerIntegrator as never } : {}),
          ...(options.samplerIntegratorOptions !== undefined ? { integratorOptions: options.samplerIntegratorOptions as never } : {}),
          onStep: (r) => {
            samplerSteps.push({ t: r.t, stepSize: r.t - r.tPrevious });
            samplerRejected += r.rejectedAttempts;
            progress?.({ stage: "sample", t: r.t, stepSize: r.t - r.tPrevious, acceptedSteps: samplerSteps.length, rejectedSteps: samplerRejected });
            if (signal?.aborted === true) {
              abortedAt = r.t;
              throw new MinevoError(ErrorCode.Aborted, `aborted at t = ${r.t}`);
            }
          },
        });
      } catch (error) {
        if (abortedAt !== undefined && isMinevoError(error, ErrorCode.Aborted)) {
          return await run.abort(`in the reverse flow at t = ${abortedAt} (the reverse flow restarts from the completed forward run)`, true);
        }
        throw error;
      }
      const sampleSeconds = (performance.now() - start) / 1000;
      const samplesTensor = tf.tensor2d(Float32Array.from(flow.samples), [numSamples, d]);
      let modelValues: Float32Array;
      try {
        const evaluation = solver.network.evaluate(tf, fit.parameters, samplesTensor, { value: true });
        try {
          modelValues = (await evaluation.value!.data()) as Float32Array;
        } finally {
          evaluation.dispose();
        }
      } finally {
        samplesTensor.dispose();
      }
      // The check compares u_θ(0) with the model's own push-forward, of N(0, I), over the model's own
      // draws: with a defensive latent law the proposal's density (flow.logDensity) is another one,
      // and its wide share lands where the model was not fitted (the check's meaning would change).
      const modelFlowDensity =
        defensiveLatent === undefined ? flow.logDensity : standardNormalLogDensity(flow.latent, d).map((v, j) => v + (flow.divergenceIntegral[j] as number));
      const narrowRows = flow.wide?.map((w) => 1 - w);
      const consistency = flowConsistency(modelValues, flow.samples, modelFlowDensity, d, shift, logZForward, narrowRows);
      checkFlowConsistency(
        consistency,
        maxFlowInconsistency,
        "runOuSampler",
        { logZForward, terminalSpread },
        forwardSteps.reduce((m, step) => (Number.isFinite(step.effectiveRank) ? Math.max(m, step.effectiveRank) : m), Number.NEGATIVE_INFINITY),
      );

      // 4. Importance weights against the formula.
      start = performance.now();
      progress?.({ stage: "weights" });
      // With the Laplace blur each draw x of the model of π_s is carried back to a draw y of π, and
      // the pair weighted π̃(y)N(x; y, s²I)/(q₀(x)g(y | x)): the proposal's density at y is
      // reported as q₀(x)g(y | x)/N(x; y, s²I), so that log w = log π̃(y) − log q as ever.
      let samples = flow.samples;
      let logProposalDensity = flow.logDensity;
      let logTargetDensity: Float64Array;
      if (smoothing?.method === "laplace") {
        const denoised = await denoiseByLaplace(tf, target, flow.samples, smoothing.scale, random.derive("denoise"));
        samples = denoised.samples;
        logTargetDensity = denoised.logTargetDensity;
        logProposalDensity = flow.logDensity.map((v, j) => v - (denoised.logCorrection[j] as number));
        const newton = { iterations: denoised.newtonIterations, unconverged: denoised.unconverged };
        const report: NonNullable<OuSamplerResult["smoothing"]> = smoothingReport ?? smoothing;
        smoothingReport = { ...report, newton: { ...report.newton, draws: newton } };
      } else {
        logTargetDensity = (await evaluateTarget(tf, target, flow.samples, numSamples)).logDensity;
      }
      const logWeights = new Float64Array(numSamples);
      for (let j = 0; j < numSamples; j++) logWeights[j] = (logTargetDensity[j] as number) - (logProposalDensity[j] as number);
      const weights = importanceWeights(logWeights);
      const indices = systematicResample(logWeights, random.derive("resample"));
      const resampled = new Float64Array(numSamples * d);
      indices.forEach((j, k) => resampled.set(samples.subarray(j * d, (j + 1) * d), k * d));
      const chain = independenceMetropolisHastings(logWeights, random.derive("chain"));
      const weightSeconds = (performance.now() - start) / 1000;
      const networkJson = solver.network.toJSON(fit.parameters);
      // In x: points mapped back, densities by the map's Jacobian (the weights need neither).
      const toX = (z: Float64Array): Float64Array => (map === undefined ? z : affineToX(map, z));
      const logJacobian = map === undefined ? 0 : map.scale.reduce((sum, s) => sum + Math.log(s), 0);
      const inX = (logDensity: Float64Array): Float64Array => (logJacobian === 0 ? logDensity : logDensity.map((v) => v - logJacobian));
      return {
        samples: toX(samples),
        logProposalDensity: inX(logProposalDensity),
        logTargetDensity: inX(logTargetDensity),
        logWeights,
        normalisedWeights: weights.normalisedWeights,
        logZ: weights.logMeanWeight,
        logZForward,
        terminalSpread,
        flowInconsistency: consistency.rms,
        ess: weights.effectiveSampleSize,
        essFraction: weights.relativeEffectiveSampleSize,
        resampled: toX(resampled),
        chain,
        fit,
        forward: { status: forward.status, ...forward.stats },
        sampler: flow.stats,
        timings: { points: pointSeconds, fit: fitSeconds, forward: forwardSeconds, sample: sampleSeconds, weights: weightSeconds },
        diagnostics: { forwardSteps, samplerSteps },
        pointPaths: { times: pathTimes, points: toX(pathPoints) },
        parameterPath: { times: Float64Array.from(pathTimes), parameters: pathParameters },
        network: { name: networkJson.name, options: networkJson.options },
        form,
        collocationPoints: map === undefined ? Float64Array.from(points) : toX(points),
        ...(smoothing !== undefined ? { smoothing: smoothingReport ?? smoothing } : {}),
        ...(smoothing?.method === "laplace" ? { blurredSamples: toX(flow.samples) } : {}),
        ...(defensiveLatent !== undefined ? { defensiveLatent } : {}),
        ...(map !== undefined ? { standardization: { shift: Float64Array.from(map.shift), scale: Float64Array.from(map.scale), ...(pilotReport !== undefined ? { pilot: pilotReport } : {}) } } : {}),
      };
    } finally {
      forward.dispose();
    }
  } finally {
    solver.dispose();
  }
}

export interface OuRefinementOptions {
  /**
   * The share of the collocation and extra fit points drawn broadly — from N(0, pointScale²I) and
   * N(0, fitPointScale²I) as in a first pass — rather than from the first pass's draws. Default
   * 0.5: on gmm2-reference with N = 40 (+40 fit points) a share of 0.25 left the tails so thin that
   * the refined ESS/M fell from 0.88 to 0.002; 0.5 kept it at 0.93 there, and still lifted a pass
   * with badly placed points (pointScale 1) from 0.01 to 0.98.
   */
  readonly broadFraction?: number;
  /**
   * The jitter added to each reused draw, per coordinate, as a multiple of the first pass's
   * weighted standard deviation in that coordinate. Default: Silverman's factor
   * (4/((d+2)·n))^(1/(d+4)) for the n = N(1 − broadFraction) reused draws.
   */
  readonly jitter?: number;
}

/**
 * A refinement pass (issue 5.4): `runOuSampler` again, with collocation and extra fit points taken
 * from the first pass's resampled draws — jittered, so that a draw resampled many times gives
 * distinct points — mixed with a `broadFraction` of broad Gaussian points. The draws put the
 * points where π has its mass, so the same N and the same fit budget resolve log π there better
 * than points spread over N(0, pointScale²I) do.
 *
 * Why broad points stay in the mix: the draws cover only what the first pass already found. A
 * mode it missed, or π's tails, would get no collocation point, so the refined model would be
 * free to put (almost) no mass there — and importance weights π̃/q₀ blow up exactly where q₀ is
 * thinner than π. The reverse flow also starts from z ~ N(0, I) at T, and the forward run's points
 * must follow the flow out to where those z go; broad points keep both regions constrained.
 *
 * `options` are the run's options as for `runOuSampler` (usually the first pass's, with more or
 * fewer iterations as wanted); `collocationPoints` and `extraFitPoints` are replaced (and
 * `pointSource` ignored). With `standardize` the refined pass runs in the first pass's coordinates
 * (its `standardization`, or `standardize.map`; no new pilot) and the broad share is drawn in
 * them; with `defensive` the floor's height comes from the first pass's log Ẑ unless given. The seed of
 * the refined pass is `${seed}/refined` so its streams are not the first pass's.
 */
export async function refineOuSampler<
  NN extends PluginName<"network"> = never,
  SN extends PluginName<"sketch"> = never,
  IN extends PluginName<"integrator"> = never,
  RN extends PluginName<"integrator"> = never,
>(first: OuSamplerResult, options: OuSamplerOptions<NN, SN, IN, RN> & OuRefinementOptions): Promise<OuSamplerResult> {
  // The refined pass's points come from the first pass's draws, whatever point source that used.
  const { broadFraction: broadOption, jitter: jitterOption, pointSource: _firstPassSource, ...runOptions } = options;
  const dim = first.samples.length / first.normalisedWeights.length;
  const broadFraction = broadOption ?? 0.5;
  if (!(broadFraction >= 0 && broadFraction <= 1)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `broadFraction must lie in [0, 1], got ${quote(broadFraction)}`, { field: "broadFraction" });
  }
  if (!Number.isSafeInteger(dim) || dim < 1 || first.resampled.length === 0) {
    throw new MinevoError(ErrorCode.InvalidArgument, "refineOuSampler needs the result of a completed runOuSampler as its first argument");
  }
  const numPoints = positiveInteger(options.numPoints ?? first.collocationPoints.length / dim, "numPoints");
  const numExtra = options.numExtraFitPoints ?? 2000;
  if (!Number.isSafeInteger(numExtra) || numExtra < 0) {
    throw new MinevoError(ErrorCode.InvalidOptions, `numExtraFitPoints must be an integer ≥ 0, got ${quote(numExtra)}`, { field: "numExtraFitPoints" });
  }
  const pointScale = positiveNumber(options.pointScale ?? samplerPointDefaults.pointScale, "pointScale");
  const fitPointScale = positiveNumber(options.fitPointScale ?? 3, "fitPointScale");
  const seed = `${String(options.seed ?? 0)}/refined`;
  // Standardised: the first pass's map (or a given one), so that the broad share is broad in z.
  const standardizeOption = resolveStandardize(options.standardize);
  const map = standardizeOption === undefined ? undefined : (standardizeOption.map ?? first.standardization);
  if (standardizeOption !== undefined && map === undefined) {
    throw new MinevoError(ErrorCode.InvalidOptions, "refineOuSampler with standardize needs a first pass that was standardised (its result's standardization) or standardize.map", {
      field: "standardize",
    });
  }
  const random = RandomStream.fromSeed(seed).derive("refinement-points");

  // The first pass's weighted per-coordinate standard deviation sets the jitter's scale.
  const M = first.normalisedWeights.length;
  const mean = new Float64Array(dim);
  const spread = new Float64Array(dim);
  for (let j = 0; j < M; j++) for (let i = 0; i < dim; i++) mean[i] = (mean[i] as number) + (first.normalisedWeights[j] as number) * (first.samples[j * dim + i] as number);
  for (let j = 0; j < M; j++) {
    for (let i = 0; i < dim; i++) spread[i] = (spread[i] as number) + (first.normalisedWeights[j] as number) * ((first.samples[j * dim + i] as number) - (mean[i] as number)) ** 2;
  }
  const mixture = (count: number, broadScale: number, stream: RandomStream): Float64Array => {
    const reused = Math.round(count * (1 - broadFraction));
    const jitter = jitterOption ?? Math.pow(4 / ((dim + 2) * Math.max(reused, 1)), 1 / (dim + 4));
    if (!(Number.isFinite(jitter) && jitter >= 0)) {
      throw new MinevoError(ErrorCode.InvalidOptions, `jitter must be a finite number ≥ 0, got ${quote(jitter)}`, { field: "jitter" });
    }
    const out = new Float64Array(count * dim);
    const rows = first.resampled.length / dim;
    for (let j = 0; j < reused; j++) {
      const row = stream.integer(rows);
      for (let i = 0; i < dim; i++) out[j * dim + i] = (first.resampled[row * dim + i] as number) + jitter * Math.sqrt(spread[i] as number) * stream.normal();
    }
    const broad = stream.fillNormal(new Float64Array((count - reused) * dim), 0, broadScale);
    out.set(map === undefined ? broad : affineToX(map, broad), reused * dim);
    return out;
  };
  const collocationPoints = mixture(numPoints, pointScale, random.derive("collocation"));
  const extraFitPoints = mixture(numExtra, fitPointScale, random.derive("fit"));
  return runOuSampler<NN, SN, IN, RN>({
    ...runOptions,
    numPoints,
    collocationPoints,
    extraFitPoints,
    seed,
    ...(map !== undefined ? { standardize: { ...(options.standardize as object), map: { shift: map.shift, scale: map.scale } } } : {}),
    // The floor's height from the first pass's log Ẑ unless given (the refined pass draws no SMC).
    ...(options.defensive !== undefined && options.defensive !== false
      ? { defensive: { logZ: first.logZ, ...(typeof options.defensive === "number" ? { weight: options.defensive } : options.defensive === true ? {} : options.defensive) } }
      : {}),
  });
}
