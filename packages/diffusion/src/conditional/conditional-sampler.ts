/**
 * Conditional sampling and marginalisation with MNE (METHOD.md §6). The target is a joint
 * π̃(x, y) (a SamplingTarget with conditionDim c > 0, e.g. `joint-gaussian`):
 *
 *   1. the network takes (x, y) and is fitted to u_θ(0, x, y) ≈ log π̃(x, y) − log π̃(x_a, y)
 *      (+|x|²/2 in the log-ratio form; the anchor term is a function of y alone, see `anchor`) on points whose y come from a broad reference N(m_y, s_y²I) — the formula
 *      only, no samples;
 *   2. (θ, X) evolve under the Ornstein–Uhlenbeck equation in x only: every collocation point
 *      keeps its own y, and since the OU operator acts on x alone, each slice y ↦ u_θ(t, ·, y)
 *      follows the unconditional dynamics of π̃(·, y). The normalising constant of each slice,
 *      Z(y) = ∫ π̃(x, y) dx, rides along unchanged, so at T
 *
 *        log Z(y) ≈ u_θ(T, x, y) + |x|²/2 + (d/2) log 2π + log π̃(x_a, y)   (log-density form; x ~ N(0, I));
 *
 *   3. for each requested y: the reverse probability flow in x from z ~ N(0, I) with the
 *      divergence integral gives samples of x | y with exact sampler log-densities log q₀(x | y),
 *      and importance weights log w = log π̃(x, y) − log q₀(x | y) give self-normalised estimates,
 *      ESS and the weighted log Ẑ(y) = log mean w (METHOD.md §5, per y).
 *
 * The default recipe is the unconditional one (a tanh MLP [32, 32] with inputs scaled by 2 and a
 * learnable quadratic term in x, LM fit with weight decay 1e-4, N = 1000, Gaussian sketch n = 100,
 * λ = 1e-6·tr K/N, dopri5 at 1e-4 forward and 1e-6 backward, T = 5).
 */
import {
  ErrorCode,
  MinevoError,
  RandomStream,
  quote,
  registries,
  type PluginName,
  type PluginOptions,
  type SamplingTarget,
  type Seed,
  type TensorFlow,
} from "@minevo/core";
import { createSolver, type ComponentChoice, type InitialConditionTarget, type InitialFitReport } from "@minevo/evolution";
import { checkCheckpointOptions, resumableFingerprint, type OuSamplerCheckpoint } from "../sampler/checkpoint.js";
import { describeChoice, resumableIntegrator, type OuSamplerCheckpointOptions } from "../sampler/ou-sampler.js";
import { checkBound, checkFlowConsistency, checkTerminalSpread, fitAndForward, fitGradientsOption, flowConsistency, SamplerRun, terminalLogRatio } from "../sampler/fit-and-forward.js";
import { importanceWeights } from "../diagnostics/importance-weights.js";
import { integrateReverseFlow, thetaFromDenseOutput, type OuModelForm } from "../sampler/reverse-flow.js";
import { appendCondition, checkCondition, conditionalNetworkDerivatives } from "./conditional-reverse-flow.js";

export interface ConditionalOuSamplerOptions<
  NN extends PluginName<"network"> = PluginName<"network">,
  SN extends PluginName<"sketch"> = PluginName<"sketch">,
  IN extends PluginName<"integrator"> = PluginName<"integrator">,
> {
  readonly tf: TensorFlow;
  /** A joint target π̃(x, y) with conditionDim ≥ 1, or a registered name (with `targetOptions`). */
  readonly target: SamplingTarget | string;
  readonly targetOptions?: unknown;
  /** The conditions y at which to sample x | y and estimate log Z(y): each c numbers. */
  readonly conditions: readonly Float64Array[];
  /** Default "log-density". */
  readonly form?: OuModelForm;
  /** Default "mlp" with the recipe options, inputDim d and conditionDim c of the target. */
  readonly network?: NN | ComponentChoice<"network">;
  readonly networkOptions?: PluginOptions<"network", NN>;
  /** Default "gaussian", n = 100, λ = 1e-6·tr K/N. */
  readonly sketch?: SN | ComponentChoice<"sketch">;
  readonly sketchOptions?: PluginOptions<"sketch", SN>;
  /** The forward integrator. Default "dopri5", rtol = atol = 1e-4. */
  readonly integrator?: IN | ComponentChoice<"integrator">;
  readonly integratorOptions?: PluginOptions<"integrator", IN>;
  /** rtol = atol of the reverse flow's dopri5. Default 1e-6. */
  readonly samplerTolerance?: number;
  /** N collocation points: x from N(0, pointScale²I). Default 1000 and 2. */
  readonly numPoints?: number;
  readonly pointScale?: number;
  /** The broad reference of the points' conditions: y ~ N(conditionMean, conditionScale²I). Default 0 and 2. */
  readonly conditionMean?: readonly number[];
  readonly conditionScale?: number;
  /** Extra fit points: x from N(0, fitPointScale²I), y from the same reference. Default 2000 and 3. */
  readonly numExtraFitPoints?: number;
  readonly fitPointScale?: number;
  /**
   * x_a (d numbers, default 0): the fit's target is log π̃(x, y) − log π̃(x_a, y). A function of y
   * alone does not change the x-dynamics of any slice, so subtracting it is free; it removes the
   * pure-y part of log π̃ (for a Gaussian, −½yᵀ(·)y, which a tanh MLP cannot grow like) and is
   * added back to the forward log Z(y).
   */
  readonly anchor?: readonly number[];
  /** Default 1e-4. */
  readonly weightDecay?: number;
  /** Default 100. */
  readonly fitIterations?: number;
  /** Fit ∇ₓu_θ to the x-score of log π̃(x, y) too (see runOuSampler). Default false. */
  readonly fitGradients?: boolean;
  /** T. Default 5. */
  readonly horizon?: number;
  /** M per condition. Default 2000. */
  readonly numSamples?: number;
  /** x ~ N(0, I) draws averaged in the forward log Z(y). Default 2000. */
  readonly numForwardProbes?: number;
  /** The terminal check per condition, as runOuSampler's `maxTerminalSpread`. Default 10. */
  readonly maxTerminalSpread?: number;
  /** The forward/reverse consistency check per condition, as runOuSampler's `maxFlowInconsistency`. Default 10. */
  readonly maxFlowInconsistency?: number;
  /** Default 0. */
  readonly seed?: Seed;
  /**
   * Save a checkpoint after the fit, every `everySteps` accepted forward steps and after the
   * forward run (the same format as runOuSampler's: `encodeCheckpoint`/`decodeCheckpoint`). The
   * per-condition stage is recomputed on resume: it takes seconds.
   */
  readonly checkpoint?: OuSamplerCheckpointOptions;
  /**
   * Continue from a checkpoint of a run with the same options. The conditions, M, the probes and
   * the reverse-flow tolerance are not part of the check: the forward run does not depend on
   * them, so a finished forward run can be resumed to sample at other y.
   */
  readonly resume?: OuSamplerCheckpoint;
  /** Stop after the current LM iteration or forward step: save a checkpoint (when configured), then throw MinevoError `Aborted`. */
  readonly signal?: AbortSignal;
}

export interface ConditionalSamples {
  /** y. */
  readonly condition: Float64Array;
  /** x₀ | y, M×d row-major. */
  readonly samples: Float64Array;
  /** log q₀(x₀ | y): the sampler's exact log-density at its draws. */
  readonly logProposalDensity: Float64Array;
  /** log π̃(x₀, y). */
  readonly logTargetDensity: Float64Array;
  readonly logWeights: Float64Array;
  readonly normalisedWeights: Float64Array;
  readonly ess: number;
  readonly essFraction: number;
  /** log Ẑ(y) = log mean w: the weighted estimate of log ∫ π̃(x, y) dx. */
  readonly logZ: number;
  /** log Z(y) from the forward run: mean over x ~ N(0, I) of u_θ(T, x, y) + |x|²/2 + (d/2) log 2π. */
  readonly logZForward: number;
  /** The spread of u_θ(T, x, y) + |x|²/2 over the probes (runOuSampler's `terminalSpread`). */
  readonly terminalSpread: number;
  /** runOuSampler's `flowInconsistency` at this condition. */
  readonly flowInconsistency: number;
  /** Self-normalised weighted mean and covariance (d×d) of x | y. */
  readonly mean: Float64Array;
  readonly covariance: Float64Array;
  readonly sampler: { readonly acceptedSteps: number; readonly rejectedSteps: number; readonly rhsEvaluations: number };
  readonly seconds: number;
}

export interface ConditionalOuSamplerResult {
  readonly dim: number;
  readonly conditionDim: number;
  readonly form: OuModelForm;
  readonly fit: InitialFitReport;
  readonly forward: { readonly status: string; readonly acceptedSteps: number; readonly rejectedSteps: number; readonly rhsEvaluations: number };
  readonly perCondition: readonly ConditionalSamples[];
  readonly timings: { readonly fit: number; readonly forward: number; readonly sample: number };
  /** What rebuilds the network: `registries.network.create(network.name, network.options)`; θ(T) below. */
  readonly network: { readonly name: string; readonly options: unknown };
  readonly finalParameters: Float64Array;
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

/** log π̃ and ∇ₓ log π̃ at `count` rows of width d + c, float64 out; disposes its tensors. */
async function evaluateJoint(tf: TensorFlow, target: SamplingTarget, rows: Float64Array, count: number): Promise<{ logDensity: Float64Array; score: Float64Array }> {
  const width = rows.length / count;
  const points = tf.tensor2d(Float32Array.from(rows), [count, width]);
  const { logDensity, score } = target.scoreAndLogDensity(points, tf);
  try {
    const [values, gradients] = await Promise.all([logDensity.data(), score.data()]);
    const out = { logDensity: Float64Array.from(values as Float32Array), score: Float64Array.from(gradients as Float32Array) };
    out.logDensity.forEach((v, j) => {
      if (!Number.isFinite(v)) {
        throw new MinevoError(ErrorCode.NonFinite, `log π̃ of target "${target.name}" is ${String(v)} at ${quote(Array.from(rows.subarray(j * width, (j + 1) * width)))}`, { index: j });
      }
    });
    return out;
  } finally {
    tf.dispose([points, logDensity, score]);
  }
}

/**
 * The fit's target: log π̃(x, y) (+ shift·|x|²/2) and its x-gradient, evaluated once in a batch
 * at the fit points and looked up by the point's coordinates (the fit asks point by point).
 */
async function jointInitialCondition(
  tf: TensorFlow,
  target: SamplingTarget,
  rows: Float64Array,
  d: number,
  c: number,
  shift: number,
  anchor: Float64Array,
): Promise<InitialConditionTarget> {
  const width = d + c;
  const count = rows.length / width;
  const { logDensity, score } = await evaluateJoint(tf, target, rows, count);
  const anchored = await anchorValues(tf, target, rows, count, d, anchor);
  const index = new Map<string, number>();
  for (let j = 0; j < count; j++) index.set(Array.from(rows.subarray(j * width, (j + 1) * width)).join(","), j);
  const find = (point: Float64Array): number => {
    const j = index.get(Array.from(point).join(","));
    if (j === undefined) throw new MinevoError(ErrorCode.InvalidArgument, `the fit asked for log π̃ at ${quote(Array.from(point))}, which is not one of the fit points`);
    return j;
  };
  const squaredX = (point: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < d; i++) s += (point[i] as number) ** 2;
    return s;
  };
  return {
    value: (point) => {
      const j = find(point);
      return (logDensity[j] as number) - (anchored[j] as number) + 0.5 * shift * squaredX(point);
    },
    gradient: (point) => {
      const j = find(point);
      return Array.from({ length: d }, (_, i) => (score[j * d + i] as number) + shift * (point[i] as number));
    },
  };
}

/** log π̃(x_a, y) for the y of each of `count` rows of width d + c. */
async function anchorValues(tf: TensorFlow, target: SamplingTarget, rows: Float64Array, count: number, d: number, anchor: Float64Array): Promise<Float64Array> {
  const width = rows.length / count;
  const anchoredRows = Float64Array.from(rows);
  for (let j = 0; j < count; j++) anchoredRows.set(anchor, j * width);
  return (await evaluateJoint(tf, target, anchoredRows, count)).logDensity;
}

/** `count` rows [x | y]: x ~ N(0, xScale²I), y ~ N(yMean, yScale²I). */
function drawRows(random: RandomStream, count: number, d: number, xScale: number, yMean: readonly number[], yScale: number): Float64Array {
  const c = yMean.length;
  const rows = new Float64Array(count * (d + c));
  for (let j = 0; j < count; j++) {
    for (let i = 0; i < d; i++) rows[j * (d + c) + i] = xScale * random.normal();
    for (let k = 0; k < c; k++) rows[j * (d + c) + d + k] = (yMean[k] as number) + yScale * random.normal();
  }
  return rows;
}

/** Self-normalised weighted mean and covariance of M×d samples. */
function weightedMoments(samples: Float64Array, weights: Float64Array, d: number): { mean: Float64Array; covariance: Float64Array } {
  const M = weights.length;
  const mean = new Float64Array(d);
  for (let j = 0; j < M; j++) for (let i = 0; i < d; i++) mean[i] = (mean[i] as number) + (weights[j] as number) * (samples[j * d + i] as number);
  const covariance = new Float64Array(d * d);
  for (let j = 0; j < M; j++) {
    const w = weights[j] as number;
    for (let a = 0; a < d; a++) {
      const da = (samples[j * d + a] as number) - (mean[a] as number);
      for (let b = 0; b < d; b++) covariance[a * d + b] = (covariance[a * d + b] as number) + w * da * ((samples[j * d + b] as number) - (mean[b] as number));
    }
  }
  return { mean, covariance };
}

/** Fit → forward evolution in x (y frozen per point) → for each y: reverse flow, weights, log Z(y). */
export async function runConditionalOuSampler<NN extends PluginName<"network"> = never, SN extends PluginName<"sketch"> = never, IN extends PluginName<"integrator"> = never>(
  options: ConditionalOuSamplerOptions<NN, SN, IN>,
): Promise<ConditionalOuSamplerResult> {
  const { tf } = options;
  const target = (typeof options.target === "string" ? registries.target.configure(options.target, options.targetOptions ?? {}).create() : options.target) as SamplingTarget;
  const c = target.conditionDim ?? 0;
  if (c < 1) {
    throw new MinevoError(
      ErrorCode.InvalidArgument,
      `runConditionalOuSampler needs a joint target π̃(x, y) with conditionDim ≥ 1; "${target.name}" has none (use runOuSampler for it)`,
    );
  }
  const d = target.dim;
  const form = options.form ?? "log-density";
  if (form !== "log-density" && form !== "log-ratio") {
    throw new MinevoError(ErrorCode.InvalidOptions, `form must be "log-density" or "log-ratio", got ${quote(form)}`, { field: "form" });
  }
  const shift = form === "log-ratio" ? 1 : 0;
  if (!Array.isArray(options.conditions) || options.conditions.length === 0) {
    throw new MinevoError(ErrorCode.InvalidOptions, `conditions must be a non-empty array of y values (each ${c} numbers), got ${quote(options.conditions)}`, { field: "conditions" });
  }
  const conditions = options.conditions.map((y, k) => checkCondition(y, c, `conditions[${k}]`));
  const numPoints = positiveInteger(options.numPoints ?? 1000, "numPoints");
  const numExtra = options.numExtraFitPoints ?? 2000;
  if (!Number.isSafeInteger(numExtra) || numExtra < 0) {
    throw new MinevoError(ErrorCode.InvalidOptions, `numExtraFitPoints must be an integer ≥ 0, got ${quote(numExtra)}`, { field: "numExtraFitPoints" });
  }
  const pointScale = positiveNumber(options.pointScale ?? 2, "pointScale");
  const fitPointScale = positiveNumber(options.fitPointScale ?? 3, "fitPointScale");
  const conditionScale = positiveNumber(options.conditionScale ?? 2, "conditionScale");
  const conditionMean = options.conditionMean ?? new Array<number>(c).fill(0);
  if (conditionMean.length !== c || conditionMean.some((v) => !Number.isFinite(v))) {
    throw new MinevoError(ErrorCode.InvalidOptions, `conditionMean must hold c = ${c} finite numbers, got ${quote(conditionMean)}`, { field: "conditionMean" });
  }
  const horizon = positiveNumber(options.horizon ?? 5, "horizon");
  const numSamples = positiveInteger(options.numSamples ?? 2000, "numSamples");
  const numProbes = positiveInteger(options.numForwardProbes ?? 2000, "numForwardProbes");
  const fitIterations = positiveInteger(options.fitIterations ?? 100, "fitIterations");
  const fitGradients = fitGradientsOption(options.fitGradients);
  const samplerTolerance = positiveNumber(options.samplerTolerance ?? 1e-6, "samplerTolerance");
  const maxTerminalSpread = checkBound(options.maxTerminalSpread ?? 10, "maxTerminalSpread");
  const maxFlowInconsistency = checkBound(options.maxFlowInconsistency ?? 10, "maxFlowInconsistency");
  const anchor = Float64Array.from(options.anchor ?? new Array<number>(d).fill(0));
  if (anchor.length !== d || anchor.some((v) => !Number.isFinite(v))) {
    throw new MinevoError(ErrorCode.InvalidOptions, `anchor must hold d = ${d} finite numbers, got ${quote(options.anchor)}`, { field: "anchor" });
  }
  const seed = options.seed ?? 0;
  const random = RandomStream.fromSeed(seed);
  const signal = options.signal;
  const checkpoint = options.checkpoint;
  checkCheckpointOptions(checkpoint);
  // The options that determine the fit and the forward run: a resume with others would not continue this run.
  const settings: Record<string, unknown> = {
    sampler: "conditional",
    target: typeof options.target === "string" ? { name: options.target, options: options.targetOptions ?? null } : { object: target.name, dim: d, conditionDim: c },
    form,
    network: describeChoice(options.network, options.networkOptions),
    sketch: describeChoice(options.sketch, options.sketchOptions),
    integrator: describeChoice(options.integrator, options.integratorOptions),
    numPoints,
    pointScale,
    conditionMean: [...conditionMean],
    conditionScale,
    numExtraFitPoints: numExtra,
    fitPointScale,
    anchor: Array.from(anchor),
    weightDecay: options.weightDecay ?? 1e-4,
    fitIterations,
    ...(fitGradients ? { fitGradients } : {}),
    horizon,
    seed,
  };
  const resume = options.resume;
  const fingerprint = resumableFingerprint(settings, resume);

  const solver = createSolver({
    tf,
    network: (options.network ?? "mlp") as never,
    networkOptions: (options.network === undefined
      ? {
          inputDim: d,
          conditionDim: c,
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
    const network = solver.network;
    if (network.inputDim !== d || network.conditionDim !== c) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `the network takes d = ${network.inputDim} diffused and c = ${network.conditionDim} conditioning inputs, but the target "${target.name}" has d = ${d} and c = ${c}: ` +
          `give the network inputDim ${d} and conditionDim ${c}`,
      );
    }
    const width = d + c;

    // 1–2. The initial condition from the formula (points carry y from the broad reference), then
    // forward in x with dense output; every point keeps its y.
    const points = resume?.collocationPoints ?? drawRows(random.derive("points"), numPoints, d, pointScale, conditionMean, conditionScale);
    const { fit, fitSeconds, forward, forwardSeconds, forwardSteps } = await fitAndForward({
      run: new SamplerRun("runConditionalOuSampler", checkpoint, resume),
      solver,
      integrator: checkpoint !== undefined || resume !== undefined ? resumableIntegrator(solver.integrator) : solver.integrator,
      points,
      fitProblem: async () => {
        const fitPoints = new Float64Array((numExtra + numPoints) * width);
        fitPoints.set(drawRows(random.derive("fit-points"), numExtra, d, fitPointScale, conditionMean, conditionScale));
        fitPoints.set(points, numExtra * width);
        return { points: fitPoints, target: await jointInitialCondition(tf, target, fitPoints, d, c, shift, anchor) };
      },
      weightDecay: options.weightDecay ?? 1e-4,
      fitIterations,
      fitGradients,
      horizon,
      fingerprint,
      settings,
      random,
      resume,
      checkpoint,
      signal,
      progress: undefined,
      forwardName: "the conditional forward evolution",
      failureAdvice: ", tighten its weight decay, or narrow the conditions' reference",
    });
    try {
      const theta = thetaFromDenseOutput(forward);
      const thetaT = theta(horizon);

      // 3. Per condition: forward log Z(y), reverse flow, weights.
      const start = performance.now();
      const probes = random.derive("log-z-probe").normals(numProbes * d);
      const perCondition: ConditionalSamples[] = [];
      for (const [k, y] of conditions.entries()) {
        const conditionStart = performance.now();
        const probeRows = tf.tensor2d(appendCondition(probes, numProbes, d, y), [numProbes, width]);
        let probeValues: Float32Array;
        try {
          const evaluation = network.evaluate(tf, thetaT, probeRows, { value: true });
          try {
            probeValues = (await evaluation.value!.data()) as Float32Array;
          } finally {
            evaluation.dispose();
          }
        } finally {
          probeRows.dispose();
        }
        const terminal = terminalLogRatio(probes, probeValues, d, shift);
        checkTerminalSpread(terminal.spread, maxTerminalSpread, `runConditionalOuSampler at y = ${quote(Array.from(y))}`, horizon, { condition: Array.from(y), logZForward: terminal.logZForward });
        let logZForward = terminal.logZForward;
        const anchorRow = new Float64Array(width);
        anchorRow.set(anchor);
        anchorRow.set(y, d);
        logZForward += (await evaluateJoint(tf, target, anchorRow, 1)).logDensity[0] as number;

        const latent = random.derive(`latent-${k}`).normals(numSamples * d);
        const flow = await integrateReverseFlow({
          derivatives: conditionalNetworkDerivatives(tf, network, theta, y),
          dim: d,
          horizon,
          latent,
          form,
          integratorOptions: { rtol: samplerTolerance, atol: samplerTolerance } as never,
        });
        const rows = new Float64Array(numSamples * width);
        for (let j = 0; j < numSamples; j++) {
          rows.set(flow.samples.subarray(j * d, (j + 1) * d), j * width);
          rows.set(y, j * width + d);
        }
        // The model's log-density at θ(0) against the flow's, as in runOuSampler: log Z(y) enters
        // both sides through the anchor, so compare before adding it.
        const rowsTensor = tf.tensor2d(Float32Array.from(rows), [numSamples, width]);
        let modelValues: Float32Array;
        try {
          const evaluation = network.evaluate(tf, fit.parameters, rowsTensor, { value: true });
          try {
            modelValues = (await evaluation.value!.data()) as Float32Array;
          } finally {
            evaluation.dispose();
          }
        } finally {
          rowsTensor.dispose();
        }
        const consistency = flowConsistency(modelValues, flow.samples, flow.logDensity, d, shift, terminal.logZForward);
        checkFlowConsistency(
          consistency,
          maxFlowInconsistency,
          `runConditionalOuSampler at y = ${quote(Array.from(y))}`,
          { condition: Array.from(y), terminalSpread: terminal.spread },
          forwardSteps.reduce((m, step) => (Number.isFinite(step.effectiveRank) ? Math.max(m, step.effectiveRank) : m), Number.NEGATIVE_INFINITY),
        );
        const { logDensity: logTarget } = await evaluateJoint(tf, target, rows, numSamples);
        const logWeights = new Float64Array(numSamples);
        for (let j = 0; j < numSamples; j++) logWeights[j] = (logTarget[j] as number) - (flow.logDensity[j] as number);
        const weights = importanceWeights(logWeights);
        const moments = weightedMoments(flow.samples, weights.normalisedWeights, d);
        perCondition.push({
          condition: Float64Array.from(y),
          samples: flow.samples,
          logProposalDensity: flow.logDensity,
          logTargetDensity: logTarget,
          logWeights,
          normalisedWeights: weights.normalisedWeights,
          ess: weights.effectiveSampleSize,
          essFraction: weights.relativeEffectiveSampleSize,
          logZ: weights.logMeanWeight,
          logZForward,
          terminalSpread: terminal.spread,
          flowInconsistency: consistency.rms,
          mean: moments.mean,
          covariance: moments.covariance,
          sampler: flow.stats,
          seconds: (performance.now() - conditionStart) / 1000,
        });
      }
      const sampleSeconds = (performance.now() - start) / 1000;
      const networkJson = network.toJSON(fit.parameters);
      return {
        dim: d,
        conditionDim: c,
        form,
        fit,
        forward: { status: forward.status, ...forward.stats },
        perCondition,
        timings: { fit: fitSeconds, forward: forwardSeconds, sample: sampleSeconds },
        network: { name: networkJson.name, options: networkJson.options },
        finalParameters: Float64Array.from(thetaT),
      };
    } finally {
      forward.dispose();
    }
  } finally {
    solver.dispose();
  }
}
