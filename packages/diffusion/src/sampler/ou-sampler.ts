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
 */
import {
  ErrorCode,
  MinevoError,
  RandomStream,
  quote,
  registries,
  type IntegrationResult,
  type PluginName,
  type PluginOptions,
  type SamplingTarget,
  type Seed,
  type TensorFlow,
} from "@minevo/core";
import {
  createSolver,
  type ComponentChoice,
  type InitialConditionTarget,
  type InitialFitProgress,
  type InitialFitReport,
  type MneState,
} from "@minevo/evolution";
import { importanceWeights } from "../diagnostics/importance-weights.js";
import { independenceMetropolisHastings, type IndependenceChain } from "../diagnostics/independence-metropolis.js";
import { systematicResample } from "../diagnostics/resampling.js";
import { sampleByReverseFlow, thetaFromDenseOutput, type OuModelForm } from "./reverse-flow.js";

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
  /** Extra fit points from N(0, fitPointScale²I), besides the collocation points. Default 2000 and 3. */
  readonly numExtraFitPoints?: number;
  readonly fitPointScale?: number;
  /** Default 1e-4. */
  readonly weightDecay?: number;
  /** Default 100. */
  readonly fitIterations?: number;
  /** T. Default 5. */
  readonly horizon?: number;
  /** M. Default 5000. */
  readonly numSamples?: number;
  /** Everything random (points, Ω, θ₀, z, resampling, chain) derives from this seed. Default 0. */
  readonly seed?: Seed;
  readonly onProgress?: (progress: OuSamplerProgress) => void;
}

export type OuSamplerProgress =
  | { readonly stage: "fit"; readonly iteration: number; readonly valueRms: number; readonly damping: number }
  | { readonly stage: "forward"; readonly t: number; readonly stepSize: number; readonly acceptedSteps: number }
  | { readonly stage: "sample"; readonly t: number; readonly stepSize: number; readonly acceptedSteps: number }
  | { readonly stage: "weights" };

export interface OuSamplerResult {
  /** x₀, M×d row-major (the raw reverse-flow draws, before any resampling). */
  readonly samples: Float64Array;
  /** log q₀(x₀): the sampler's exact log-density at its draws. */
  readonly logProposalDensity: Float64Array;
  /** log π̃(x₀). */
  readonly logTargetDensity: Float64Array;
  /** log w = log π̃(x₀) − log q₀(x₀). */
  readonly logWeights: Float64Array;
  readonly normalisedWeights: Float64Array;
  /** log Ẑ = log mean w. */
  readonly logZ: number;
  /** log Z ≈ mean over x ~ N(0, I) of u_θ(T)(x) + |x|²/2 + (d/2) log 2π (METHOD.md §4 step 3). */
  readonly logZForward: number;
  readonly ess: number;
  readonly essFraction: number;
  /** M draws resampled systematically by the weights, M×d. */
  readonly resampled: Float64Array;
  /** The independence Metropolis–Hastings chain over the draws (indices into `samples`). */
  readonly chain: IndependenceChain;
  readonly fit: InitialFitReport;
  readonly forward: { readonly status: string; readonly acceptedSteps: number; readonly rejectedSteps: number; readonly rhsEvaluations: number };
  readonly sampler: { readonly acceptedSteps: number; readonly rejectedSteps: number; readonly rhsEvaluations: number };
  /** Wall-clock seconds per stage. */
  readonly timings: { readonly fit: number; readonly forward: number; readonly sample: number; readonly weights: number };
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

/** log π̃ (and its score) at `count` rows, float64 out; disposes its tensors. */
async function evaluateTarget(tf: TensorFlow, target: SamplingTarget, points: Float64Array, count: number): Promise<{ logDensity: Float64Array; score: Float64Array }> {
  const x = tf.tensor2d(Float32Array.from(points), [count, target.dim]);
  const { logDensity, score } = target.scoreAndLogDensity(x, tf);
  try {
    const [values, gradients] = await Promise.all([logDensity.data(), score.data()]);
    return { logDensity: Float64Array.from(values as Float32Array), score: Float64Array.from(gradients as Float32Array) };
  } finally {
    tf.dispose([x, logDensity, score]);
  }
}

/**
 * The fit's target from a SamplingTarget: values and scores computed once in a batch at the fit
 * points and looked up by the point's coordinates (the fit asks point by point).
 */
async function batchedInitialCondition(tf: TensorFlow, target: SamplingTarget, points: Float64Array, shift: number): Promise<InitialConditionTarget> {
  const d = target.dim;
  const count = points.length / d;
  const { logDensity, score } = await evaluateTarget(tf, target, points, count);
  const index = new Map<string, number>();
  for (let j = 0; j < count; j++) index.set(Array.from(points.subarray(j * d, (j + 1) * d)).join(","), j);
  const find = (x: Float64Array): number => {
    const j = index.get(Array.from(x).join(","));
    if (j === undefined) {
      throw new MinevoError(ErrorCode.InvalidArgument, `the fit asked for log π̃ at ${quote(Array.from(x))}, which is not one of the fit points`);
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

/** Fit → forward evolution with dense output → reverse-flow samples → importance weights. */
export async function runOuSampler<
  NN extends PluginName<"network"> = never,
  SN extends PluginName<"sketch"> = never,
  IN extends PluginName<"integrator"> = never,
  RN extends PluginName<"integrator"> = never,
>(options: OuSamplerOptions<NN, SN, IN, RN>): Promise<OuSamplerResult> {
  const { tf } = options;
  // A registered target validates its options by its own schema (an unknown name lists the known ones).
  const target = (typeof options.target === "string" ? registries.target.configure(options.target, options.targetOptions ?? {}).create() : options.target) as SamplingTarget;
  if ((target.conditionDim ?? 0) !== 0) {
    throw new MinevoError(ErrorCode.InvalidArgument, `runOuSampler samples unconditional targets; "${target.name}" has conditionDim = ${target.conditionDim}`);
  }
  const d = target.dim;
  const form = options.form ?? "log-density";
  if (form !== "log-density" && form !== "log-ratio") {
    throw new MinevoError(ErrorCode.InvalidOptions, `form must be "log-density" or "log-ratio", got ${quote(form)}`, { field: "form" });
  }
  // The log-ratio form represents g = log π̃ + |x|²/2 (γ = D = 1).
  const shift = form === "log-ratio" ? 1 : 0;
  const numPoints = positiveInteger(options.numPoints ?? 1000, "numPoints");
  const numExtra = options.numExtraFitPoints ?? 2000;
  if (!Number.isSafeInteger(numExtra) || numExtra < 0) {
    throw new MinevoError(ErrorCode.InvalidOptions, `numExtraFitPoints must be an integer ≥ 0, got ${quote(numExtra)}`, { field: "numExtraFitPoints" });
  }
  const pointScale = positiveNumber(options.pointScale ?? 2, "pointScale");
  const fitPointScale = positiveNumber(options.fitPointScale ?? 3, "fitPointScale");
  const horizon = positiveNumber(options.horizon ?? 5, "horizon");
  const numSamples = positiveInteger(options.numSamples ?? 5000, "numSamples");
  const fitIterations = positiveInteger(options.fitIterations ?? 100, "fitIterations");
  const seed = options.seed ?? 0;
  const random = RandomStream.fromSeed(seed);
  const progress = options.onProgress;

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
    // 1. The initial condition, from the formula only.
    const points = random.derive("points").fillNormal(new Float64Array(numPoints * d), 0, pointScale);
    const fitPoints = new Float64Array((numExtra + numPoints) * d);
    fitPoints.set(random.derive("fit-points").fillNormal(new Float64Array(numExtra * d), 0, fitPointScale));
    fitPoints.set(points, numExtra * d);
    const initialCondition = options.initialCondition ?? (await batchedInitialCondition(tf, target, fitPoints, shift));
    let start = performance.now();
    const fit = await solver.fitInitialCondition({
      points: fitPoints,
      checkPoints: points,
      target: initialCondition,
      weightDecay: options.weightDecay ?? 1e-4,
      maxIterations: fitIterations,
      ...(progress !== undefined
        ? { onIteration: (p: InitialFitProgress) => progress({ stage: "fit", iteration: p.iteration, valueRms: p.valueRms, damping: p.damping }) }
        : {}),
    });
    const fitSeconds = (performance.now() - start) / 1000;

    // 2. Forward evolution with dense output: θ(t) on [0, T].
    start = performance.now();
    const run = solver.prepare({ parameters: fit.parameters, points });
    let forward: IntegrationResult<MneState> | undefined;
    let forwardSteps = 0;
    try {
      forward = await solver.integrator.solve<MneState>(
        { rhs: run.rhs, t0: 0, t1: horizon, y0: run.initialState },
        {
          save: { kind: "dense" },
          ...(progress !== undefined
            ? { onStep: (r) => progress({ stage: "forward", t: r.t, stepSize: r.t - r.tPrevious, acceptedSteps: ++forwardSteps }) }
            : {}),
        },
      );
    } finally {
      run.dispose();
    }
    const forwardSeconds = (performance.now() - start) / 1000;
    try {
      if (forward.status !== "success") {
        throw new MinevoError(
          forward.status === "dt_underflow" ? ErrorCode.StepSizeCollapse : forward.status === "nonfinite" ? ErrorCode.NonFinite : ErrorCode.IntegrationFailed,
          `the forward evolution stopped at t = ${forward.t} of ${horizon} (${forward.status}): ${forward.message}. ` +
            `Check the initial fit (warnings: ${quote(fit.warnings)}) or tighten its weight decay`,
          { status: forward.status, t: forward.t },
        );
      }
      const theta = thetaFromDenseOutput(forward);

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
      let logZForward = 0;
      for (let j = 0; j < 2000; j++) {
        let squared = 0;
        for (let k = 0; k < d; k++) squared += (probe[j * d + k] as number) ** 2;
        logZForward += ((probeValues[j] as number) + (1 - shift) * 0.5 * squared + 0.5 * d * Math.log(2 * Math.PI)) / 2000;
      }

      // 3. The reverse flow.
      start = performance.now();
      let samplerSteps = 0;
      const flow = await sampleByReverseFlow({
        tf,
        network: solver.network,
        parameters: theta,
        count: numSamples,
        random: random.derive("latent"),
        horizon,
        form,
        ...(options.samplerIntegrator !== undefined ? { integrator: options.samplerIntegrator as never } : {}),
        ...(options.samplerIntegratorOptions !== undefined ? { integratorOptions: options.samplerIntegratorOptions as never } : {}),
        ...(progress !== undefined
          ? { onStep: (r) => progress({ stage: "sample", t: r.t, stepSize: r.t - r.tPrevious, acceptedSteps: ++samplerSteps }) }
          : {}),
      });
      const sampleSeconds = (performance.now() - start) / 1000;

      // 4. Importance weights against the formula.
      start = performance.now();
      progress?.({ stage: "weights" });
      const { logDensity: logTargetDensity } = await evaluateTarget(tf, target, flow.samples, numSamples);
      const logWeights = new Float64Array(numSamples);
      for (let j = 0; j < numSamples; j++) logWeights[j] = (logTargetDensity[j] as number) - (flow.logDensity[j] as number);
      const weights = importanceWeights(logWeights);
      const indices = systematicResample(logWeights, random.derive("resample"));
      const resampled = new Float64Array(numSamples * d);
      indices.forEach((j, k) => resampled.set(flow.samples.subarray(j * d, (j + 1) * d), k * d));
      const chain = independenceMetropolisHastings(logWeights, random.derive("chain"));
      const weightSeconds = (performance.now() - start) / 1000;
      return {
        samples: flow.samples,
        logProposalDensity: flow.logDensity,
        logTargetDensity,
        logWeights,
        normalisedWeights: weights.normalisedWeights,
        logZ: weights.logMeanWeight,
        logZForward,
        ess: weights.effectiveSampleSize,
        essFraction: weights.relativeEffectiveSampleSize,
        resampled,
        chain,
        fit,
        forward: { status: forward.status, ...forward.stats },
        sampler: flow.stats,
        timings: { fit: fitSeconds, forward: forwardSeconds, sample: sampleSeconds, weights: weightSeconds },
      };
    } finally {
      forward.dispose();
    }
  } finally {
    solver.dispose();
  }
}
