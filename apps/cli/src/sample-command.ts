/**
 * `minevo sample`: the MNE Ornstein–Uhlenbeck sampler of @minevo/diffusion on a target known by
 * formula, with the outputs of the command's contract (README.md): result.json, samples.csv,
 * resampled.csv, figures, and a checkpoint that `minevo resume DIR` continues from.
 */
import { join } from "node:path";
import { ErrorCode, MinevoError, RandomStream, quote, selectBackend, type ActiveBackend, type SamplingTarget, type TensorFlow } from "@minevo/core";
import { encodeCheckpoint, runConditionalOuSampler, runOuSampler, systematicResample, type OuSamplerCheckpoint, type OuSamplerCheckpointOptions, type OuSamplerProgress, type OuSamplerResult } from "@minevo/diffusion";
import { toCsv, toJson, writeFileAtomic } from "./files.js";
import { marginalsFigure, pathsWindow, pointPathsFigure, samplesFigure, stepsFigure, window2d, type DensityGrid, type PointPaths } from "./plots/figures.js";
import { writeFigure } from "./plots/render.js";
import type { ProgressSink } from "./progress.js";
import { noteBackend } from "./backend-note.js";
import { sketchSaturationWarning } from "./sketch-saturation.js";
import type { ResolvedSampleConfig } from "./sample-config.js";
import { loadTarget, probeTarget } from "./target-module.js";

export const checkpointFile = "checkpoint.bin";
export const configFile = "config.json";
export const resultFile = "result.json";

export interface SampleRun {
  readonly config: ResolvedSampleConfig;
  readonly outDir: string;
  readonly progress: ProgressSink;
  readonly resume?: OuSamplerCheckpoint;
  readonly signal?: AbortSignal;
}

/** What the command prints at the end. */
export interface SampleSummary {
  readonly result: Record<string, unknown>;
  readonly files: readonly string[];
}

/** log π̃ on an nx × ny grid over `window` (the condition appended for a joint target). */
async function densityGrid(tf: TensorFlow, target: SamplingTarget, window: { x: DensityGrid["x"]; y: DensityGrid["y"] }, condition: readonly number[] | undefined, n = 121): Promise<DensityGrid> {
  const c = target.conditionDim ?? 0;
  const width = 2 + c;
  const points = new Float32Array(n * n * width);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const row = (j * n + i) * width;
      points[row] = window.x.min + ((window.x.max - window.x.min) * i) / (n - 1);
      points[row + 1] = window.y.min + ((window.y.max - window.y.min) * j) / (n - 1);
      for (let k = 0; k < c; k++) points[row + 2 + k] = condition?.[k] ?? 0;
    }
  }
  const tensor = tf.tensor2d(points, [n * n, width]);
  try {
    const values = target.logDensity(tensor, tf);
    try {
      return { ...window, nx: n, ny: n, logDensity: Float64Array.from(await values.data()) };
    } finally {
      values.dispose();
    }
  } finally {
    tensor.dispose();
  }
}

function describeBackend(backend: ActiveBackend): Record<string, unknown> {
  return { name: backend.name, tfBackend: backend.tfBackend, engine: backend.engine, accelerated: backend.accelerated, notes: backend.notes };
}

function weightedMean(samples: Float64Array, weights: Float64Array, d: number): number[] {
  const mean = new Array<number>(d).fill(0);
  for (let j = 0; j < weights.length; j++) for (let k = 0; k < d; k++) mean[k] = (mean[k] as number) + (weights[j] as number) * (samples[j * d + k] as number);
  return mean;
}

/** Progress lines from the sampler's events. */
function progressHandler(progress: ProgressSink, config: ResolvedSampleConfig): (p: OuSamplerProgress) => void {
  return (p) => {
    switch (p.stage) {
      case "points":
        // SMC stages are not known in advance: β (0 → 1) is the fraction.
        if (p.source === "mala") progress.update("points", { fraction: p.move / p.moves, detail: `MALA move ${p.move}/${p.moves}${p.round === 2 ? " (after restarting stuck chains)" : ""}` });
        else progress.update(p.source === "smc" ? "points" : "pilot", { fraction: p.beta, detail: `SMC stage ${p.smcStage}  β = ${p.beta.toFixed(4)}  acceptance ${p.acceptance.toFixed(2)}` });
        break;
      case "fit":
        progress.update("fit", {
          fraction: p.iteration / config.fitIterations,
          detail: `iteration ${p.iteration}/${config.fitIterations}  value RMS ${p.valueRms.toExponential(2)}`,
        });
        break;
      case "forward":
        progress.update("forward", {
          fraction: p.t / config.horizon,
          detail: `t = ${p.t.toFixed(3)}/${config.horizon}  dt = ${p.stepSize.toExponential(2)}  steps ${p.acceptedSteps} (+${p.rejectedSteps} rejected)  rank ${p.effectiveRank.toFixed(1)}  max|f| ${p.maxAbsRhs.toExponential(1)}  farthest point ${p.maxAbsPoint.toPrecision(3)}`,
        });
        break;
      case "sample":
        progress.update("sampling", {
          fraction: 1 - p.t / config.horizon,
          detail: `t = ${p.t.toFixed(3)}  dt = ${Math.abs(p.stepSize).toExponential(2)}  steps ${p.acceptedSteps} (+${p.rejectedSteps} rejected)`,
        });
        break;
      case "weights":
        break;
    }
  };
}

/**
 * The sampler options that save DIR/checkpoint.bin atomically every K forward steps (and resume
 * from it, and stop on the run's signal), and the rejection handler that adds which checkpoint
 * was saved to an abort's message. Shared by the unconditional and the conditional run.
 */
function checkpointing(run: SampleRun): {
  options: { checkpoint: OuSamplerCheckpointOptions; resume?: OuSamplerCheckpoint; signal?: AbortSignal };
  explainAbort: (error: unknown) => never;
} {
  const checkpointPath = join(run.outDir, checkpointFile);
  let lastCheckpoint = "";
  return {
    options: {
      checkpoint: {
        everySteps: run.config.checkpointEvery,
        save: async (checkpoint) => {
          await writeFileAtomic(checkpointPath, encodeCheckpoint(checkpoint));
          const step = checkpoint.forward?.stepper;
          lastCheckpoint = step === undefined ? checkpoint.phase : `${checkpoint.phase} at t = ${step.t.toFixed(4)}`;
        },
      },
      ...(run.resume !== undefined ? { resume: run.resume } : {}),
      ...(run.signal !== undefined ? { signal: run.signal } : {}),
    },
    explainAbort: (error: unknown): never => {
      if (error instanceof MinevoError && error.code === ErrorCode.Aborted && lastCheckpoint !== "") {
        throw new MinevoError(ErrorCode.Aborted, `${error.message}; checkpoint saved (${lastCheckpoint})`, error.details, { cause: error });
      }
      throw error;
    },
  };
}

/** Runs the sampler and writes every output of the contract into `outDir`. */
export async function runSample(run: SampleRun): Promise<SampleSummary> {
  const { config, outDir, progress } = run;
  const started = performance.now();
  const target = await loadTarget(config.target);
  const conditionDim = target.conditionDim ?? 0;
  if (conditionDim > 0 || config.condition !== undefined) {
    if (conditionDim === 0) {
      throw new MinevoError(ErrorCode.InvalidArgument, `--condition was given but target ${quote(target.name)} has no condition variables (conditionDim = 0); drop --condition`, {});
    }
    if (config.condition === undefined) {
      throw new MinevoError(
        ErrorCode.InvalidArgument,
        `target ${quote(target.name)} is a joint density π̃(x, y) with ${conditionDim} condition variable(s): give --condition y=v1,…,v${conditionDim} to sample x given y`,
        {},
      );
    }
    if (config.condition.length !== conditionDim) {
      throw new MinevoError(ErrorCode.DimensionMismatch, `--condition has ${config.condition.length} values but target ${quote(target.name)} has conditionDim = ${conditionDim}`, {});
    }
    if (config.smoothing !== null) {
      throw new MinevoError(ErrorCode.InvalidArgument, `--smoothing is for unconditional runs; the conditional sampler fits log π̃(x, y) itself`, { flag: "smoothing" });
    }
    if (config.defensive !== null) {
      throw new MinevoError(ErrorCode.InvalidArgument, `--defensive is for unconditional runs`, { flag: "defensive" });
    }
    if (config.defensiveLatent !== null) {
      throw new MinevoError(ErrorCode.InvalidArgument, `--defensive-latent is for unconditional runs`, { flag: "defensive-latent" });
    }
    if (config.standardize !== null) {
      throw new MinevoError(ErrorCode.InvalidArgument, `--standardize is for unconditional runs`, { flag: "standardize" });
    }
    if (config.fitGramPrecision !== "auto") {
      throw new MinevoError(ErrorCode.InvalidArgument, `--fit-gram-precision is for unconditional runs`, { flag: "fit-gram-precision" });
    }
    if (config.pointSource !== "broad") {
      throw new MinevoError(ErrorCode.InvalidArgument, `--point-source ${config.pointSource} is for unconditional runs; a conditional run draws its points (x, y) from the broad reference`, { flag: "point-source" });
    }
    return runConditionalSample(run, target, config.condition, started);
  }
  if (config.defensive !== null && config.pointSource !== "smc" && config.standardize === null) {
    throw new MinevoError(ErrorCode.InvalidArgument, `--defensive needs an estimate of log Z for the floor's height: add --point-source smc or --standardize (their tempered SMC gives it)`, { flag: "defensive" });
  }
  const backend = await selectBackend(config.backend, { log: (line) => progress.log(line) });
  noteBackend(backend, progress);
  const tf = backend.tf;
  await probeTarget(tf, target, config.condition);
  progress.log(`target ${target.name}: ${target.description}; d = ${target.dim}, ${config.samples} samples, seed ${config.seed}${run.resume ? `; resuming from ${checkpointFile} (${run.resume.phase})` : ""}`);

  const checkpoints = checkpointing(run);
  const result: OuSamplerResult = await runOuSampler({
    tf,
    target,
    ...solverOptions(config),
    pointSource:
      config.pointSource === "broad"
        ? "broad"
        : { kind: config.pointSource, fraction: config.pointFraction, fitJitter: config.fitJitter, ...(config.fitJitterMaxDrop !== null ? { fitJitterMaxDrop: config.fitJitterMaxDrop } : {}) },
    // Passed only when chosen, so that the checkpoints of runs without it keep their fingerprint.
    ...(config.fitGramPrecision !== "auto" ? { fitGramPrecision: config.fitGramPrecision } : {}),
    ...(config.smoothing !== null ? { smoothing: config.smoothingMethod === "laplace" ? { scale: config.smoothing, method: "laplace" as const } : config.smoothing } : {}),
    ...(config.standardize !== null ? { standardize: config.standardize } : {}),
    ...(config.defensive !== null ? { defensive: { weight: config.defensive } } : {}),
    ...(config.defensiveLatent !== null ? { defensiveLatent: config.defensiveLatent } : {}),
    samplerIntegrator: config.samplerIntegrator.name as never,
    samplerIntegratorOptions: config.samplerIntegrator.options as never,
    ...checkpoints.options,
    onProgress: progressHandler(progress, config),
  }).catch(checkpoints.explainAbort);
  progress.done("fit", fitSummary(result.fit));
  progress.done("forward", `${result.forward.status}, ${result.forward.acceptedSteps} steps (+${result.forward.rejectedSteps} rejected)`);
  progress.done("sampling", `${result.sampler.acceptedSteps} steps (+${result.sampler.rejectedSteps} rejected)`);
  const saturation = sketchSaturationWarning(result.diagnostics.forwardSteps, config.sketch);
  const warnings = [...result.fit.warnings, ...(saturation !== undefined ? [saturation] : [])];
  for (const warning of warnings) progress.log(`warning: ${warning}`);

  const outputStart = performance.now();
  const d = target.dim;
  const header = Array.from({ length: d }, (_, k) => `x${k}`);
  const files: string[] = [];
  await writeFileAtomic(join(outDir, "samples.csv"), toCsv([...header, "logWeight"], result.samples, d, result.logWeights));
  files.push("samples.csv");
  await writeFileAtomic(join(outDir, "resampled.csv"), toCsv(header, result.resampled, d));
  files.push("resampled.csv");

  if (config.plots) {
    const caption = `${target.name}, d = ${d}, M = ${config.samples}, seed ${config.seed}: ESS/M = ${result.essFraction.toFixed(4)}, log Ẑ = ${result.logZ.toFixed(4)}`;
    if (d === 2) {
      // The raw draws cover where the sampler put mass, the resampled ones where π has it.
      const window = window2d(result.samples);
      const grid = await densityGrid(tf, target, window, config.condition);
      files.push(...(await writeFigure(outDir, "samples", samplesFigure({ title: `resampled draws over the target's density`, samples: result.resampled, grid, caption }))));
      if (result.pointPaths.times.length > 1) {
        const n = result.collocationPoints.length / d;
        const paths: PointPaths = {
          times: Array.from(result.pointPaths.times),
          points: Array.from(result.pointPaths.times, (_, k) => result.pointPaths.points.subarray(k * n * d, (k + 1) * n * d)),
        };
        const pathGrid = await densityGrid(tf, target, pathsWindow(paths), config.condition, 101);
        const caption = `${target.name}: collocation points moved by the forward evolution (π̃ contours underneath)`;
        files.push(...(await writeFigure(outDir, "point-paths", pointPathsFigure({ title: "collocation points X(t), t from 0 to T", paths, grid: pathGrid, caption }))));
      }
    }
    files.push(...(await writeFigure(outDir, "marginals", marginalsFigure({ samples: result.samples, weights: result.normalisedWeights, dim: d, caption }))));
    files.push(
      ...(await writeFigure(
        outDir,
        "steps",
        stepsFigure({ forward: result.diagnostics.forwardSteps, sampler: result.diagnostics.samplerSteps, horizon: config.horizon, caption: `${target.name}: integrator steps` }),
      )),
    );
  }

  const mean = weightedMean(result.samples, result.normalisedWeights, d);
  const exactMean = target.moments?.mean;
  const exact: Record<string, unknown> = {};
  if (target.logZ !== undefined) {
    exact.logZ = target.logZ;
    exact.logZError = result.logZ - target.logZ;
    exact.logZForwardError = result.logZForward - target.logZ;
  }
  if (exactMean !== undefined) {
    exact.mean = Array.from(exactMean);
    exact.meanError = mean.map((m, k) => m - (exactMean[k] as number));
  }
  const forwardSteps = result.diagnostics.forwardSteps;
  const summary: Record<string, unknown> = {
    command: "sample",
    target: { name: target.name, description: target.description, dim: d, conditionDim },
    numSamples: config.samples,
    dim: d,
    seed: config.seed,
    logZ: result.logZ,
    logZForward: result.logZForward,
    terminalSpread: result.terminalSpread,
    flowInconsistency: result.flowInconsistency,
    ess: result.ess,
    essFraction: result.essFraction,
    weightedMean: mean,
    ...(Object.keys(exact).length > 0 ? { exact } : {}),
    warnings,
    independenceChain: { acceptanceRate: result.chain.acceptanceRate },
    backend: describeBackend(backend),
    fit: fitRecord(result.fit),
    ...(result.smoothing !== undefined ? { smoothing: result.smoothing } : {}),
    ...(result.defensiveLatent !== undefined ? { defensiveLatent: result.defensiveLatent } : {}),
    ...(result.standardization !== undefined
      ? { standardization: { shift: Array.from(result.standardization.shift), scale: Array.from(result.standardization.scale), ...(result.standardization.pilot !== undefined ? { pilot: result.standardization.pilot } : {}) } }
      : {}),
    diagnostics: {
      forward: {
        status: result.forward.status,
        acceptedSteps: result.forward.acceptedSteps,
        rejectedSteps: result.forward.rejectedSteps,
        rhsEvaluations: result.forward.rhsEvaluations,
        steps: forwardSteps.map((s) => ({ t: s.t, stepSize: s.stepSize, effectiveRank: Number.isFinite(s.effectiveRank) ? s.effectiveRank : null, rejectedAttempts: s.rejectedAttempts })),
      },
      sampler: {
        acceptedSteps: result.sampler.acceptedSteps,
        rejectedSteps: result.sampler.rejectedSteps,
        rhsEvaluations: result.sampler.rhsEvaluations,
        steps: result.diagnostics.samplerSteps.map((s) => ({ t: s.t, stepSize: s.stepSize })),
      },
    },
    timings: {
      points: result.timings.points,
      fit: result.timings.fit,
      forward: result.timings.forward,
      sample: result.timings.sample,
      weights: result.timings.weights,
      output: (performance.now() - outputStart) / 1000,
      total: (performance.now() - started) / 1000,
    },
    resumedFrom: run.resume?.phase ?? null,
    files: [...files, resultFile, configFile, checkpointFile],
    config,
  };
  await writeFileAtomic(join(outDir, resultFile), toJson(summary));
  return { result: summary, files };
}

/**
 * `--condition y=…` on a joint target π̃(x, y): @minevo/diffusion's conditional sampler (fit over
 * (x, y), forward evolution in x, reverse flow at the given y). Same files as the unconditional
 * run; log Ẑ is log Z(y) = log ∫ π̃(x, y) dx. Checkpointed like the unconditional run (after the
 * fit, every K forward steps, on SIGINT/SIGTERM); `minevo resume` continues from the checkpoint.
 */
/** The run options both samplers take from the config: sizes, fit, horizon, seed and the solver's components. */
function solverOptions(config: ResolvedSampleConfig) {
  return {
    numSamples: config.samples,
    numPoints: config.points,
    pointScale: config.pointScale,
    fitIterations: config.fitIterations,
    fitGradients: config.fitGradients,
    numExtraFitPoints: config.extraFitPoints,
    weightDecay: config.weightDecay,
    horizon: config.horizon,
    maxTerminalSpread: config.maxTerminalSpread ?? Number.POSITIVE_INFINITY,
    maxFlowInconsistency: config.maxFlowInconsistency ?? Number.POSITIVE_INFINITY,
    form: config.form,
    seed: config.seed,
    network: config.network.name as never,
    networkOptions: config.network.options as never,
    sketch: config.sketch.name as never,
    sketchOptions: config.sketch.options as never,
    integrator: config.integrator.name as never,
    integratorOptions: config.integrator.options as never,
  };
}

async function runConditionalSample(run: SampleRun, target: SamplingTarget, condition: readonly number[], started: number): Promise<SampleSummary> {
  const { config, outDir, progress } = run;
  if (run.signal?.aborted === true) throw new MinevoError(ErrorCode.Aborted, "stopped before the conditional run started");
  const backend = await selectBackend(config.backend, { log: (line) => progress.log(line) });
  noteBackend(backend, progress);
  const tf = backend.tf;
  await probeTarget(tf, target, condition);
  const d = target.dim;
  progress.log(
    `target ${target.name}: ${target.description}; x | y = (${condition.join(", ")}), d = ${d}, ${config.samples} samples, seed ${config.seed}${run.resume ? `; resuming from ${checkpointFile} (${run.resume.phase})` : ""}`,
  );
  const checkpoints = checkpointing(run);
  const result = await runConditionalOuSampler({
    tf,
    target,
    conditions: [Float64Array.from(condition)],
    ...solverOptions(config),
    samplerTolerance: (config.samplerIntegrator.options.rtol as number | undefined) ?? 1e-6,
    ...checkpoints.options,
  }).catch(checkpoints.explainAbort);
  const slice = result.perCondition[0] as (typeof result.perCondition)[number];
  const indices = systematicResample(slice.logWeights, RandomStream.fromSeed(config.seed).derive("resample"));
  const resampled = new Float64Array(indices.length * d);
  indices.forEach((j, k) => resampled.set(slice.samples.subarray(j * d, (j + 1) * d), k * d));
  const outputStart = performance.now();
  const header = Array.from({ length: d }, (_, k) => `x${k}`);
  const files: string[] = [];
  await writeFileAtomic(join(outDir, "samples.csv"), toCsv([...header, "logWeight"], slice.samples, d, slice.logWeights));
  await writeFileAtomic(join(outDir, "resampled.csv"), toCsv(header, resampled, d));
  files.push("samples.csv", "resampled.csv");
  if (config.plots) {
    const caption = `${target.name} given y = (${condition.join(", ")}), M = ${config.samples}: ESS/M = ${slice.essFraction.toFixed(4)}, log Ẑ(y) = ${slice.logZ.toFixed(4)}`;
    if (d === 2) {
      const grid = await densityGrid(tf, target, window2d(slice.samples), condition);
      files.push(...(await writeFigure(outDir, "samples", samplesFigure({ title: "resampled draws of x | y over π̃(x, y)", samples: resampled, grid, caption }))));
    }
    files.push(...(await writeFigure(outDir, "marginals", marginalsFigure({ samples: slice.samples, weights: slice.normalisedWeights, dim: d, caption }))));
  }
  const exact: Record<string, unknown> = {};
  const facts = target.conditional;
  if (facts !== undefined) {
    const y = Float64Array.from(condition);
    const logZ = facts.logMarginal(y);
    const moments = facts.conditionalMoments(y);
    Object.assign(exact, { logZ, logZError: slice.logZ - logZ, mean: Array.from(moments.mean), meanError: Array.from(slice.mean, (m, k) => m - (moments.mean[k] as number)) });
  }
  const summary: Record<string, unknown> = {
    command: "sample",
    target: { name: target.name, description: target.description, dim: d, conditionDim: target.conditionDim ?? 0 },
    condition,
    numSamples: config.samples,
    dim: d,
    seed: config.seed,
    logZ: slice.logZ,
    logZForward: slice.logZForward,
    terminalSpread: slice.terminalSpread,
    flowInconsistency: slice.flowInconsistency,
    ess: slice.ess,
    essFraction: slice.essFraction,
    weightedMean: Array.from(slice.mean),
    ...(Object.keys(exact).length > 0 ? { exact } : {}),
    backend: describeBackend(backend),
    fit: fitRecord(result.fit),
    diagnostics: { forward: result.forward, sampler: slice.sampler },
    timings: { ...result.timings, output: (performance.now() - outputStart) / 1000, total: (performance.now() - started) / 1000 },
    resumedFrom: run.resume?.phase ?? null,
    files: [...files, resultFile, configFile],
    config,
  };
  await writeFileAtomic(join(outDir, resultFile), toJson(summary));
  return { result: summary, files };
}

/** The fit's report in result.json. */
function fitRecord(fit: OuSamplerResult["fit"]) {
  return {
    iterations: fit.iterations,
    stopReason: fit.stopReason,
    valueRms: fit.valueRms,
    valueMaxAbs: fit.valueMaxAbs,
    ...(fit.gradientRelativeRms !== undefined ? { gradientRelativeRms: fit.gradientRelativeRms } : {}),
    warnings: fit.warnings,
  };
}

/** The fit's line of the progress summary: iterations, value RMS, and the score's error at the points where the target gave one. */
function fitSummary(fit: OuSamplerResult["fit"]): string {
  const score = fit.gradientRelativeRms !== undefined ? `, score relative RMS ${fit.gradientRelativeRms.toExponential(2)}` : "";
  return `${fit.iterations} iterations, value RMS ${fit.valueRms.toExponential(2)}${score}`;
}
