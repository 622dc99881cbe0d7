/**
 * The reverse probability-flow sampler (METHOD.md §4, step 4): draws z ~ N(0, I) at t = T and
 * integrates the model's probability flow backward to t = 0, carrying for each sample the
 * integral of the flow's divergence, so that every produced x₀ comes with the exact log-density
 * log q₀(x₀) of the sampler that produced it (not the model's exp(u_θ(0)), which differs from
 * the pushed-forward density off the collocation points; METHOD.md §5).
 *
 * The flow of the Ornstein–Uhlenbeck Fokker–Planck equation dX = −γX dt + √(2D) dW, with the
 * model's log-density ℓ_θ(t):
 *
 *   log-density form (u = ℓ):               v = −γx − D∇u,   ∇·v = −γd − DΔu
 *   log-ratio form (u = ℓ + γ|x|²/(2D)):   v = −D∇u,         ∇·v = −DΔu
 *
 * Sign of the density update. A density q carried by a velocity v satisfies the continuity
 * equation ∂t q + ∇·(q v) = 0, i.e. ∂t q + v·∇q = −q ∇·v. Along a path ẋ = v(t, x) the total
 * derivative is d/dt log q(t, x_t) = ∂t log q + v·∇log q = −∇·v(t, x_t). Integrating over
 * [0, T]: log q(T, x_T) − log q(0, x₀) = −∫₀ᵀ ∇·v dt, hence
 *
 *   log q₀(x₀) = log φ_d(z) + ∫₀ᵀ ∇·v(t, x_t) dt       (x_T = z, q_T = φ_d the N(0, I) density).
 *
 * The integrator carries a(t) with ȧ = ∇·v from a(T) = 0 backward to t = 0, so a(0) = ∫ᵀ⁰ ∇·v dt
 * = −∫₀ᵀ ∇·v dt and log q₀(x₀) = log φ_d(z) − a(0). (OU spreads a narrow density: ∇·v > 0 on
 * average, so q₀ is more concentrated than φ_d, as it must be.) The tests check this on an exact
 * Gaussian flow whose push-forward is known in closed form.
 *
 * Numerics: the state {x: M·d, divergence: M} is float64 on the CPU, so the adaptive
 * integrator's stage combinations and the divergence integral accumulate in float64; each
 * right-hand side evaluates the network once on all M points (float32 on the backend) for ∇u
 * and Δu and reads them back.
 */
import {
  ErrorCode,
  MinevoError,
  quote,
  type Integrator,
  type Network,
  type PluginName,
  type PluginOptions,
  type RandomStream,
  type StepReport,
  type TensorFlow,
} from "@minevo/core";
import { resolveComponent, type ComponentChoice } from "@minevo/evolution";

/** Which function the model represents (as in the `ornstein-uhlenbeck` equation's `form`). */
export type OuModelForm = "log-density" | "log-ratio";

/** ∇ₓu and Δₓu of the model at time t at `count` points (row-major count×d), float64 out. */
export type ModelDerivatives = (
  t: number,
  points: Float64Array,
  count: number,
) => Promise<{ readonly gradient: ArrayLike<number>; readonly laplacian: ArrayLike<number> }>;

/**
 * The derivatives of a network u_θ(t) with θ(t) given by `parameters` (for instance the forward
 * run's dense output, see {@link thetaFromDenseOutput}): one batched `network.evaluate` per call.
 */
export function networkDerivatives(tf: TensorFlow, network: Network, parameters: (t: number) => Float64Array): ModelDerivatives {
  if (network.conditionDim !== 0) {
    throw new MinevoError(
      ErrorCode.InvalidArgument,
      `the reverse-flow sampler handles unconditional networks only; this network has conditionDim = ${network.conditionDim}`,
    );
  }
  const d = network.inputDim;
  return async (t, points, count) => {
    const theta = parameters(t);
    const x = tf.tensor2d(Float32Array.from(points), [count, d]);
    const evaluation = network.evaluate(tf, theta, x, { gradient: true, laplacian: true });
    try {
      const [gradient, laplacian] = await Promise.all([evaluation.gradient!.data(), evaluation.laplacian!.data()]);
      return { gradient: gradient as Float32Array, laplacian: laplacian as Float32Array };
    } finally {
      evaluation.dispose();
      x.dispose();
    }
  };
}

/**
 * θ(t) from a dense-output solve of an MNE run (`integrator.solve(…, { save: { kind: "dense" } })`
 * on `solver.prepare(…)`): the state's `theta` at any t in the solved interval.
 */
export function thetaFromDenseOutput(result: { readonly interpolate?: (t: number) => { readonly theta: Float64Array } }): (t: number) => Float64Array {
  const interpolate = result.interpolate;
  if (interpolate === undefined) {
    throw new MinevoError(ErrorCode.InvalidArgument, 'the forward solve has no dense output: solve it with { save: { kind: "dense" } }');
  }
  return (t) => interpolate(t).theta;
}

/** The state integrated backward: positions and the divergence integral a(t), per sample. */
type FlowState = { readonly x: Float64Array; readonly divergence: Float64Array };

export interface ReverseFlowOptions<IN extends PluginName<"integrator"> = PluginName<"integrator">> {
  readonly derivatives: ModelDerivatives;
  /** d. */
  readonly dim: number;
  /** T > 0: where the flow starts (the forward run's horizon). */
  readonly horizon: number;
  /** z, M×d row-major: the latent draws at t = T. */
  readonly latent: Float64Array;
  /**
   * log of the density the latent draws come from, at each draw (M). Default: log φ_d(z), the
   * N(0, I) density. With a wider law (see {@link latentDraws}) the same flow carries it,
   * and `logDensity` is its push-forward's: log q₀(x₀) = this + ∫₀ᵀ ∇·v dt.
   */
  readonly latentLogDensity?: Float64Array;
  /** Default "log-density". Must match the equation the model was evolved with. */
  readonly form?: OuModelForm;
  /** γ of the OU drift −γx. Default 1. */
  readonly rate?: number;
  /** D of the OU noise √(2D) dW. Default 1. */
  readonly diffusion?: number;
  /** Default "dopri5" with rtol = atol = 1e-6 (the reference sampler's tolerances). */
  readonly integrator?: IN | ComponentChoice<"integrator">;
  readonly integratorOptions?: PluginOptions<"integrator", IN>;
  /** After every accepted (backward) step. */
  readonly onStep?: (report: StepReport) => void;
}

export interface ReverseFlowResult {
  /** x₀, M×d row-major. */
  readonly samples: Float64Array;
  /** log q₀(x₀) per sample: the exact log-density of the sampler at its own draws. */
  readonly logDensity: Float64Array;
  /** ∫₀ᵀ ∇·v(t, x_t) dt per sample (= log q₀(x₀) − the latent law's log-density at z). */
  readonly divergenceIntegral: Float64Array;
  readonly stats: { readonly rhsEvaluations: number; readonly acceptedSteps: number; readonly rejectedSteps: number };
}

/** log φ_d(z) of the standard normal, per row. */
export function standardNormalLogDensity(z: Float64Array, dim: number): Float64Array {
  const count = z.length / dim;
  const out = new Float64Array(count);
  const constant = -0.5 * dim * Math.log(2 * Math.PI);
  for (let j = 0; j < count; j++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += (z[j * dim + i] as number) ** 2;
    out[j] = constant - 0.5 * s;
  }
  return out;
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `${name} must be a finite positive number, got ${quote(value)}`, { field: name });
  }
  return value;
}

/** Integrates the reverse flow from the given latent draws (see the file comment for the maths). */
export async function integrateReverseFlow<IN extends PluginName<"integrator"> = never>(options: ReverseFlowOptions<IN>): Promise<ReverseFlowResult> {
  const dim = options.dim;
  if (!Number.isSafeInteger(dim) || dim < 1) throw new MinevoError(ErrorCode.InvalidOptions, `dim must be a positive integer, got ${quote(dim)}`, { field: "dim" });
  const horizon = positive(options.horizon, "horizon");
  const gamma = positive(options.rate ?? 1, "rate");
  const D = positive(options.diffusion ?? 1, "diffusion");
  const form = options.form ?? "log-density";
  if (form !== "log-density" && form !== "log-ratio") {
    throw new MinevoError(ErrorCode.InvalidOptions, `form must be "log-density" or "log-ratio", got ${quote(form)}`, { field: "form" });
  }
  const z = options.latent;
  if (z.length === 0 || z.length % dim !== 0) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `the latent draws have ${z.length} numbers, not a positive multiple of d = ${dim}`, { length: z.length, dim });
  }
  for (let k = 0; k < z.length; k++) {
    if (!Number.isFinite(z[k])) throw new MinevoError(ErrorCode.NonFinite, `latent draw component ${k} is ${String(z[k])}`, { index: k });
  }
  const count = z.length / dim;
  const latentLogDensity = options.latentLogDensity ?? standardNormalLogDensity(z, dim);
  if (latentLogDensity.length !== count) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `latentLogDensity has ${latentLogDensity.length} entries for ${count} latent draws`, { length: latentLogDensity.length, count });
  }
  for (let j = 0; j < count; j++) {
    if (!Number.isFinite(latentLogDensity[j])) throw new MinevoError(ErrorCode.NonFinite, `latentLogDensity of latent draw ${j} is ${String(latentLogDensity[j])}`, { index: j });
  }
  const integrator: Integrator =
    options.integrator === undefined
      ? resolveComponent("integrator", "dopri5", options.integratorOptions ?? { rtol: 1e-6, atol: 1e-6 })
      : resolveComponent("integrator", options.integrator, options.integratorOptions);
  const logDensityForm = form === "log-density";

  const rhs = async (t: number, state: FlowState): Promise<FlowState> => {
    const { gradient, laplacian } = await options.derivatives(t, state.x, count);
    if (gradient.length !== count * dim || laplacian.length !== count) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `the model derivatives have ${gradient.length} gradient and ${laplacian.length} Laplacian entries; expected ${count * dim} and ${count}`,
      );
    }
    const velocity = new Float64Array(count * dim);
    const divergence = new Float64Array(count);
    for (let k = 0; k < count * dim; k++) {
      const flow = -D * (gradient[k] as number);
      velocity[k] = logDensityForm ? flow - gamma * (state.x[k] as number) : flow;
    }
    for (let j = 0; j < count; j++) {
      const diffusive = -D * (laplacian[j] as number);
      divergence[j] = logDensityForm ? diffusive - gamma * dim : diffusive;
    }
    return { x: velocity, divergence };
  };

  const result = await integrator.solve<FlowState>(
    { rhs, t0: horizon, t1: 0, y0: { x: Float64Array.from(z), divergence: new Float64Array(count) } },
    { save: { kind: "final" }, ...(options.onStep !== undefined ? { onStep: options.onStep } : {}) },
  );
  try {
    if (result.status !== "success") {
      throw new MinevoError(
        result.status === "dt_underflow" ? ErrorCode.StepSizeCollapse : result.status === "nonfinite" ? ErrorCode.NonFinite : ErrorCode.IntegrationFailed,
        `the reverse probability flow stopped at t = ${result.t} (${result.status}): ${result.message}. The model's score is not smooth enough ` +
          `there; check the forward run, or loosen the sampler's tolerances`,
        { status: result.status, t: result.t },
      );
    }
    const samples = Float64Array.from(result.y.x);
    const divergenceIntegral = new Float64Array(count);
    const logDensity = new Float64Array(count);
    for (let j = 0; j < count; j++) {
      // a(0) = −∫₀ᵀ ∇·v dt (carried from T down to 0).
      divergenceIntegral[j] = -(result.y.divergence[j] as number);
      logDensity[j] = (latentLogDensity[j] as number) + (divergenceIntegral[j] as number);
    }
    return { samples, logDensity, divergenceIntegral, stats: result.stats };
  } finally {
    result.dispose();
  }
}

/**
 * A defensive latent law (Hesterberg's defensive importance sampling, moved to t = T): a share
 * `weight` of the draws from N(0, scale²I), the rest from N(0, I). Pushed through the same flow it
 * gives a proposal with heavier tails than the model's, whose density is still exact; the weights
 * π̃/q₀ are bounded by 1/(1 − weight) times the plain proposal's, and the wider share reaches
 * where the model's own tails are too light to send draws.
 */
export interface LatentMixture {
  /** > 1: the wide component's standard deviation. */
  readonly scale: number;
  /** In (0, 1): its share of the draws. */
  readonly weight: number;
}

/** Refuses a malformed {@link LatentMixture}, naming the bad value. */
export function checkLatentMixture(mixture: LatentMixture, field: string): LatentMixture {
  if (typeof mixture !== "object" || mixture === null) {
    throw new MinevoError(ErrorCode.InvalidOptions, `${field} must be { scale: a number > 1, weight: a number in (0, 1) }, got ${quote(mixture)}`, { field });
  }
  if (!(Number.isFinite(mixture.scale) && mixture.scale > 1)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `${field}.scale must be a finite number > 1 (the wide component's standard deviation at t = T), got ${quote(mixture.scale)}`, { field: `${field}.scale` });
  }
  if (!(Number.isFinite(mixture.weight) && mixture.weight > 0 && mixture.weight < 1)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `${field}.weight must be a number in (0, 1) (the wide component's share of the draws), got ${quote(mixture.weight)}`, { field: `${field}.weight` });
  }
  return { scale: mixture.scale, weight: mixture.weight };
}

/**
 * M latent draws: N(0, I) from `random` (the same numbers as without a mixture), and with `mixture`
 * the rows picked by a stream derived from it ("latent-mixture", one uniform per row) scaled by
 * `mixture.scale` (`wide[j]` = 1 for those); with the log-density of the law they come from at each row.
 */
export function latentDraws(
  random: RandomStream,
  count: number,
  dim: number,
  mixture?: LatentMixture,
): { readonly latent: Float64Array; readonly logDensity: Float64Array; readonly wide?: Uint8Array } {
  const latent = random.normals(count * dim);
  if (mixture === undefined) return { latent, logDensity: standardNormalLogDensity(latent, dim) };
  const wide = new Uint8Array(count);
  const { scale, weight } = mixture;
  const pick = random.derive("latent-mixture").fillUniform(new Float64Array(count));
  const logNarrow = Math.log1p(-weight);
  const logWide = Math.log(weight) - dim * Math.log(scale);
  const constant = -0.5 * dim * Math.log(2 * Math.PI);
  const logDensity = new Float64Array(count);
  for (let j = 0; j < count; j++) {
    const row = latent.subarray(j * dim, (j + 1) * dim);
    if ((pick[j] as number) < weight) {
      wide[j] = 1;
      for (let i = 0; i < dim; i++) row[i] = (row[i] as number) * scale;
    }
    let r2 = 0;
    for (let i = 0; i < dim; i++) r2 += (row[i] as number) ** 2;
    // log[(1 − w)φ(z) + w·s^{−d}φ(z/s)], by log-sum-exp.
    const a = logNarrow - 0.5 * r2;
    const b = logWide - (0.5 * r2) / (scale * scale);
    const m = Math.max(a, b);
    logDensity[j] = constant + m + Math.log(Math.exp(a - m) + Math.exp(b - m));
  }
  return { latent, logDensity, wide };
}

export interface SampleByReverseFlowOptions<IN extends PluginName<"integrator"> = PluginName<"integrator">>
  extends Omit<ReverseFlowOptions<IN>, "derivatives" | "dim" | "latent" | "latentLogDensity"> {
  readonly tf: TensorFlow;
  /** The network the forward run evolved (e.g. `solver.network`). */
  readonly network: Network;
  /** θ(t) on [0, T] (e.g. {@link thetaFromDenseOutput} of the forward solve). */
  readonly parameters: (t: number) => Float64Array;
  /** M: the number of samples. */
  readonly count: number;
  /** The latent draws z come from this stream. */
  readonly random: RandomStream;
  /** Draw z from a defensive mixture instead of N(0, I) (see {@link LatentMixture}). Default: N(0, I). */
  readonly latentMixture?: LatentMixture;
}

/** Draws M latent z ~ N(0, I) (or `latentMixture`) from `random` and pushes them through the network's reverse flow. */
export async function sampleByReverseFlow<IN extends PluginName<"integrator"> = never>(
  options: SampleByReverseFlowOptions<IN>,
): Promise<ReverseFlowResult & { readonly latent: Float64Array; readonly wide?: Uint8Array }> {
  const { network, count } = options;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new MinevoError(ErrorCode.InvalidOptions, `count (the number of samples M) must be a positive integer, got ${quote(count)}`, { field: "count" });
  }
  const mixture = options.latentMixture === undefined ? undefined : checkLatentMixture(options.latentMixture, "latentMixture");
  const { latent, logDensity: latentLogDensity, wide } = latentDraws(options.random, count, network.inputDim, mixture);
  const flow = await integrateReverseFlow<IN>({
    ...options,
    derivatives: networkDerivatives(options.tf, network, options.parameters),
    dim: network.inputDim,
    latent,
    latentLogDensity,
  });
  return { ...flow, latent, ...(wide !== undefined ? { wide } : {}) };
}
