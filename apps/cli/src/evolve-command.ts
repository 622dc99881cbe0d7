/**
 * `minevo evolve --config pde.json`: one MNE evolution of a registered equation (heat,
 * advection, ornstein-uhlenbeck, …) or of an equation exported by a user's module, from an
 * initial condition the config names, with the outputs:
 *
 *   DIR/result.json      status, steps, diagnostics per step, timings, the relative L2 and max
 *                        error against the exact solution where the equation and initial
 *                        condition have one (at held-out test points, at t1 and at saveAt times)
 *   DIR/parameters.json  the network as JSON (name, options, θ) at t1 and at each saveAt time
 *   DIR/checkpoint.bin   every K steps and on SIGINT/SIGTERM; `minevo resume DIR` continues
 *
 * Initial conditions (u₀ of x ∈ ℝᵈ):
 *   gaussian      A·exp(−|x − m|²/(2s²))          exact for heat (the spreading Gaussian) and advection
 *   log-gaussian  log N(x; m, s²I)                 exact for heat (u₀ − κdt/s²), advection, and the
 *                                                  OU equation in its log-density form (a Gaussian stays Gaussian)
 *   sines         Σₖ sin(kᵀx) over wave vectors     exact for heat (e^{−κ|k|²t}) and advection
 */
import { basename, isAbsolute, join, resolve as resolvePath, dirname } from "node:path";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import {
  ErrorCode,
  MinevoError,
  RandomStream,
  isMinevoError,
  parseWithSchema,
  quote,
  registries,
  selectBackend,
  type EquationInput,
  type EvolutionEquation,
  type PluginDefinition,
  type TensorFlow,
} from "@minevo/core";
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { createSolver, decodeEvolutionCheckpoint, encodeEvolutionCheckpoint, type EvolutionCheckpoint, type EvolutionResult, type InitialConditionTarget, type Solver } from "@minevo/evolution";
import { prepareOutputDirectory, readText, toJson, writeFileAtomic } from "./files.js";
import type { OptionTree } from "./options.js";
import type { ProgressSink } from "./progress.js";
import { noteBackend } from "./backend-note.js";
import { backendNames, pluginChoiceSchema, type ResolvedChoice } from "./sample-config.js";
import { mergeOptions } from "./options.js";

const initialSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("gaussian"), mean: z.array(z.number().finite()).min(1), width: z.number().positive().default(1), amplitude: z.number().finite().default(1) }),
  z.strictObject({ kind: z.literal("log-gaussian"), mean: z.array(z.number().finite()).min(1), width: z.number().positive().default(1) }),
  z.strictObject({ kind: z.literal("sines"), waveVectors: z.array(z.array(z.number().finite()).min(1)).min(1), amplitudes: z.array(z.number().finite()).optional() }),
]);
type Initial = z.output<typeof initialSchema>;

const domainSchema = z.discriminatedUnion("kind", [
  /** A regular grid with `points[i]` nodes from min[i] to max[i]. */
  z.strictObject({ kind: z.literal("grid"), min: z.array(z.number().finite()).min(1), max: z.array(z.number().finite()).min(1), points: z.array(z.number().int().min(2)).min(1) }),
  /** `count` points from N(mean, scale²I). */
  z.strictObject({ kind: z.literal("normal"), count: z.number().int().positive(), mean: z.array(z.number().finite()).min(1), scale: z.number().positive() }),
]);

export const evolveConfigSchema = z.strictObject({
  command: z.literal("evolve").optional(),
  equation: z.union([pluginChoiceSchema, z.strictObject({ module: z.string().min(1), options: z.record(z.string(), z.unknown()).optional() })]),
  initial: initialSchema,
  domain: domainSchema,
  t0: z.number().finite().default(0),
  t1: z.number().finite(),
  saveAt: z.array(z.number().finite()).default([]),
  network: pluginChoiceSchema.default("mlp"),
  sketch: pluginChoiceSchema.default("dense"),
  integrator: pluginChoiceSchema.default({ name: "dopri5", options: { rtol: 1e-6, atol: 1e-6 } }),
  fitIterations: z.number().int().positive().default(50),
  weightDecay: z.number().nonnegative().default(1e-8),
  /** Held-out points for the error: `count` uniform points in [min, max] (default the domain's middle half). */
  testPoints: z.strictObject({ count: z.number().int().positive().default(400), min: z.array(z.number()).optional(), max: z.array(z.number()).optional() }).prefault({}),
  seed: z.number().int().default(0),
  backend: z.enum(backendNames).default("auto"),
  checkpointEvery: z.number().int().positive().default(10),
});
export type EvolveConfig = z.output<typeof evolveConfigSchema>;

interface ExactSolution {
  (t: number, x: Float64Array): number;
}

function dimOf(config: EvolveConfig): number {
  return config.domain.kind === "grid" ? config.domain.min.length : config.domain.mean.length;
}

function initialFunction(initial: Initial, d: number): InitialConditionTarget {
  const check = (length: number, what: string): void => {
    if (length !== d) throw new MinevoError(ErrorCode.DimensionMismatch, `initial.${what} has ${length} entries but the domain has d = ${d}`, { field: `initial.${what}` });
  };
  switch (initial.kind) {
    case "gaussian": {
      check(initial.mean.length, "mean");
      const { mean, width: s, amplitude: A } = initial;
      const r2 = (x: Float64Array): number => mean.reduce((acc, m, k) => acc + ((x[k] as number) - m) ** 2, 0);
      return {
        value: (x) => A * Math.exp(-r2(x) / (2 * s * s)),
        gradient: (x) => mean.map((m, k) => (-A * Math.exp(-r2(x) / (2 * s * s)) * ((x[k] as number) - m)) / (s * s)),
        laplacian: (x) => A * Math.exp(-r2(x) / (2 * s * s)) * (r2(x) / s ** 4 - d / (s * s)),
      };
    }
    case "log-gaussian": {
      check(initial.mean.length, "mean");
      const { mean, width: s } = initial;
      return {
        value: (x) => -mean.reduce((acc, m, k) => acc + ((x[k] as number) - m) ** 2, 0) / (2 * s * s) - 0.5 * d * Math.log(2 * Math.PI * s * s),
        gradient: (x) => mean.map((m, k) => -((x[k] as number) - m) / (s * s)),
        laplacian: () => -d / (s * s),
      };
    }
    case "sines": {
      initial.waveVectors.forEach((k, i) => check(k.length, `waveVectors[${i}]`));
      const amplitudes = initial.amplitudes ?? initial.waveVectors.map(() => 1);
      const phase = (k: number[], x: Float64Array): number => k.reduce((acc, kj, j) => acc + kj * (x[j] as number), 0);
      const norm2 = (k: number[]): number => k.reduce((acc, kj) => acc + kj * kj, 0);
      return {
        value: (x) => initial.waveVectors.reduce((acc, k, i) => acc + (amplitudes[i] ?? 1) * Math.sin(phase(k, x)), 0),
        gradient: (x) => Array.from({ length: d }, (_, j) => initial.waveVectors.reduce((acc, k, i) => acc + (amplitudes[i] ?? 1) * Math.cos(phase(k, x)) * (k[j] as number), 0)),
        laplacian: (x) => initial.waveVectors.reduce((acc, k, i) => acc - (amplitudes[i] ?? 1) * norm2(k) * Math.sin(phase(k, x)), 0),
      };
    }
  }
}

/** The exact solution of the equation from the initial condition, where one is known. */
function exactSolution(equation: ResolvedChoice | { module: string }, initial: Initial, d: number, t0: number): ExactSolution | undefined {
  if ("module" in equation) return undefined;
  const u0 = initialFunction(initial, d).value;
  const o = equation.options;
  if (equation.name === "heat") {
    const kappa = o.diffusivity as number;
    if (initial.kind === "gaussian") {
      const { mean, width: s, amplitude: A } = initial;
      return (t, x) => {
        const v = s * s + 2 * kappa * (t - t0);
        return A * (s * s / v) ** (d / 2) * Math.exp(-mean.reduce((acc, m, k) => acc + ((x[k] as number) - m) ** 2, 0) / (2 * v));
      };
    }
    if (initial.kind === "log-gaussian") return (t, x) => u0(x) - (kappa * d * (t - t0)) / initial.width ** 2;
    const amplitudes = initial.amplitudes ?? initial.waveVectors.map(() => 1);
    return (t, x) =>
      initial.waveVectors.reduce(
        (acc, k, i) => acc + (amplitudes[i] ?? 1) * Math.exp(-kappa * k.reduce((a, kj) => a + kj * kj, 0) * (t - t0)) * Math.sin(k.reduce((a, kj, j) => a + kj * (x[j] as number), 0)),
        0,
      );
  }
  if (equation.name === "advection") {
    const c = o.velocity as number[];
    return (t, x) => u0(Float64Array.from(x, (xk, k) => xk - (c[k] as number) * (t - t0)));
  }
  if (equation.name === "ornstein-uhlenbeck" && o.form === "log-density" && initial.kind === "log-gaussian" && o.trackLogDensity !== true) {
    const gamma = o.rate as number;
    const D = o.diffusion as number;
    return (t, x) => {
      const e = Math.exp(-gamma * (t - t0));
      const variance = initial.width ** 2 * e * e + (D / gamma) * (1 - e * e);
      const r2 = initial.mean.reduce((acc, m, k) => acc + ((x[k] as number) - m * e) ** 2, 0);
      return -r2 / (2 * variance) - 0.5 * d * Math.log(2 * Math.PI * variance);
    };
  }
  return undefined;
}

function collocationPoints(config: EvolveConfig, random: RandomStream): Float64Array {
  const domain = config.domain;
  if (domain.kind === "normal") return Float64Array.from(random.derive("points").normals(domain.count * domain.mean.length), (z, i) => (domain.mean[i % domain.mean.length] as number) + domain.scale * z);
  const d = domain.min.length;
  if (domain.max.length !== d || domain.points.length !== d) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `domain.min, domain.max and domain.points must have the same length (d); got ${domain.min.length}, ${domain.max.length}, ${domain.points.length}`, { field: "domain" });
  }
  const total = domain.points.reduce((a, b) => a * b, 1);
  const out = new Float64Array(total * d);
  for (let index = 0; index < total; index++) {
    let rest = index;
    for (let k = 0; k < d; k++) {
      const n = domain.points[k] as number;
      const i = rest % n;
      rest = Math.floor(rest / n);
      out[index * d + k] = (domain.min[k] as number) + (((domain.max[k] as number) - (domain.min[k] as number)) * i) / (n - 1);
    }
  }
  return out;
}

function testPoints(config: EvolveConfig, points: Float64Array, d: number, random: RandomStream): Float64Array {
  const lo = config.testPoints.min ?? Array.from({ length: d }, (_, k) => quantileBox(points, d, k, 0.25));
  const hi = config.testPoints.max ?? Array.from({ length: d }, (_, k) => quantileBox(points, d, k, 0.75));
  const stream = random.derive("test-points");
  return Float64Array.from({ length: config.testPoints.count * d }, (_, i) => (lo[i % d] as number) + ((hi[i % d] as number) - (lo[i % d] as number)) * stream.uniform());
}

/** The `q` quantile of coordinate k of the points. */
function quantileBox(points: Float64Array, d: number, k: number, q: number): number {
  const values = Float64Array.from({ length: points.length / d }, (_, j) => points[j * d + k] as number).sort();
  return values[Math.round(q * (values.length - 1))] as number;
}

async function networkValues(tf: TensorFlow, solver: Solver, parameters: Float64Array, points: Float64Array, d: number): Promise<Float64Array> {
  if (solver.network.referenceValues !== undefined) return solver.network.referenceValues(parameters, points, points.length / d);
  const x = tf.tensor2d(Float32Array.from(points), [points.length / d, d]);
  try {
    const evaluation = solver.network.evaluate(tf, parameters, x, { value: true });
    try {
      return Float64Array.from(await evaluation.value!.data());
    } finally {
      evaluation.dispose();
    }
  } finally {
    x.dispose();
  }
}

function errors(model: Float64Array, exact: Float64Array): { relativeL2: number; maxAbs: number } {
  let num = 0;
  let den = 0;
  let maxAbs = 0;
  for (let i = 0; i < model.length; i++) {
    const e = (model[i] as number) - (exact[i] as number);
    num += e * e;
    den += (exact[i] as number) ** 2;
    maxAbs = Math.max(maxAbs, Math.abs(e));
  }
  return { relativeL2: Math.sqrt(num / Math.max(den, 1e-300)), maxAbs };
}

/** What a user's equation module gives: the equation, and its exact solution where it knows one. */
interface LoadedEquationModule {
  readonly equation: EvolutionEquation;
  readonly exactSolution?: ExactSolution;
}

/**
 * A user's equation module, in one of two forms:
 *
 *  - `export const equation = defineEquation({...})` (from @minevo/core, when the module can
 *    import the workspace packages), configured with the config's `equation.options`; or
 *  - plain exports that need no install at all: `rhs(input, options)` returning A_t[u] at the
 *    points as a tensor of N values, computed with the TensorFlow.js ops of `input.tf` from
 *    `input.u`, `input.gradient` (N×d), `input.laplacian` (N), `input.points`, `input.t`;
 *    optional `requirements` ({ gradient, laplacian }: which derivatives rhs reads, default
 *    both), `pointVelocity(input, options)` (N×d; default: the points stay fixed), and `name`.
 *
 * Either form may export `exactSolution(t, x, options)` (x a Float64Array of d numbers): the
 * command then reports the error against it at held-out points, as it does for built-in cases.
 */
async function loadEquationModule(path: string, options: Record<string, unknown>): Promise<LoadedEquationModule> {
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new MinevoError(ErrorCode.InvalidArgument, `equation module ${quote(path)} failed to load: ${error instanceof Error ? error.message : String(error)}`, { path });
  }
  const exact = loaded.exactSolution;
  if (exact !== undefined && typeof exact !== "function") {
    throw new MinevoError(ErrorCode.InvalidArgument, `equation module ${quote(path)}: exactSolution must be a function (t, x, options) → number, got ${typeof exact}`, { path });
  }
  const exactSolution = exact === undefined ? undefined : checkedExact(path, exact as (t: number, x: Float64Array, o: Record<string, unknown>) => unknown, options);
  const definition = (loaded.equation ?? loaded.default) as PluginDefinition<"equation"> | undefined;
  if (definition !== undefined && definition.kind === "equation" && typeof definition.with === "function") {
    const equation = definition.with(definition.parseOptions(options)).create() as EvolutionEquation;
    return { equation: guardEquation(path, equation), ...(exactSolution !== undefined ? { exactSolution } : {}) };
  }
  if (typeof loaded.rhs !== "function") {
    throw new MinevoError(
      ErrorCode.InvalidArgument,
      `equation module ${quote(path)} must export \`rhs(input, options)\` (plain form) or \`equation\` made with defineEquation from @minevo/core; it exports ${quote(Object.keys(loaded).join(", ") || "nothing")}`,
      { path },
    );
  }
  const requirements = (loaded.requirements ?? { gradient: true, laplacian: true }) as { gradient?: unknown; laplacian?: unknown };
  if (typeof requirements !== "object" || requirements === null || (requirements.gradient !== undefined && typeof requirements.gradient !== "boolean") || (requirements.laplacian !== undefined && typeof requirements.laplacian !== "boolean")) {
    throw new MinevoError(ErrorCode.InvalidArgument, `equation module ${quote(path)}: requirements must be { gradient: boolean, laplacian: boolean }`, { path });
  }
  const rhs = loaded.rhs as (input: EquationInput, o: Record<string, unknown>) => Tensor1D;
  const velocity = loaded.pointVelocity as ((input: EquationInput, o: Record<string, unknown>) => Tensor2D) | undefined;
  if (velocity !== undefined && typeof velocity !== "function") {
    throw new MinevoError(ErrorCode.InvalidArgument, `equation module ${quote(path)}: pointVelocity must be a function (input, options) → N×d tensor`, { path });
  }
  const equation: EvolutionEquation = {
    name: typeof loaded.name === "string" ? loaded.name : basename(path),
    requirements: { gradient: requirements.gradient !== false, laplacian: requirements.laplacian !== false },
    extraState: [],
    rhs: (input) => rhs(input, options),
    ...(velocity !== undefined ? { pointVelocity: (input: EquationInput) => velocity(input, options) } : {}),
  };
  return { equation: guardEquation(path, equation), ...(exactSolution !== undefined ? { exactSolution } : {}) };
}

/** The module's exact solution, refusing a non-finite value with the point that gave it. */
function checkedExact(path: string, exact: (t: number, x: Float64Array, o: Record<string, unknown>) => unknown, options: Record<string, unknown>): ExactSolution {
  return (t, x) => {
    const value = exact(t, x, options);
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new MinevoError(ErrorCode.NonFinite, `equation module ${quote(path)}: exactSolution(${t}, [${Array.from(x).join(", ")}]) returned ${quote(value)}; it must return a finite number`, { path });
    }
    return value;
  };
}

/**
 * The user's rhs (and velocity) with their failures named: an exception inside the module, or a
 * result that is not a tensor of N values, becomes a one-line error saying which module.
 */
function guardEquation(path: string, equation: EvolutionEquation): EvolutionEquation {
  const call = <T>(what: string, input: EquationInput, f: (input: EquationInput) => T, shape: (n: number, d: number) => number[]): T => {
    let value: T;
    try {
      value = f(input);
    } catch (error) {
      if (isMinevoError(error)) throw error;
      throw new MinevoError(ErrorCode.InvalidArgument, `equation module ${quote(path)}: ${what} threw: ${error instanceof Error ? error.message : String(error)}`, { path });
    }
    const expected = shape(input.points.shape[0], input.points.shape[1]);
    const actual = (value as { shape?: unknown }).shape;
    if (!Array.isArray(actual) || actual.length !== expected.length || actual.some((n, i) => n !== expected[i])) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `equation module ${quote(path)}: ${what} must return a tensor of shape [${expected.join(", ")}], got ${Array.isArray(actual) ? `[${actual.join(", ")}]` : quote(value)}`,
        { path },
      );
    }
    return value;
  };
  const pointVelocity = equation.pointVelocity;
  return {
    ...equation,
    rhs: (input) => call("rhs", input, (i) => equation.rhs(i), (n) => [n]),
    ...(pointVelocity !== undefined ? { pointVelocity: (input: EquationInput) => call("pointVelocity", input, (i) => pointVelocity.call(equation, i), (n, d) => [n, d]) } : {}),
  };
}

function resolveChoice(slot: "network" | "sketch" | "integrator", choice: EvolveConfig["network"], recipe: OptionTree): ResolvedChoice {
  const name = typeof choice === "string" ? choice : choice.name;
  const options = typeof choice === "string" ? {} : (choice.options ?? {});
  const definition = registries[slot].lookup(name);
  return { name, options: parseWithSchema(definition.options, mergeOptions(name === "mlp" ? recipe : {}, options), `${slot} "${name}"`) as OptionTree };
}

/** Reads pde.json (module paths relative to it). */
export async function readEvolveConfig(path: string): Promise<EvolveConfig> {
  let value: unknown;
  try {
    value = JSON.parse(await readText(path, "config"));
  } catch (error) {
    if (isMinevoError(error)) throw error;
    throw new MinevoError(ErrorCode.InvalidOptions, `config ${quote(path)} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { path });
  }
  const config = parseWithSchema(evolveConfigSchema, value, `config ${quote(path)}`);
  if (typeof config.equation === "object" && "module" in config.equation && !isAbsolute(config.equation.module)) {
    return { ...config, equation: { ...config.equation, module: resolvePath(dirname(path), config.equation.module) } };
  }
  return config;
}

export async function runEvolve(options: Record<string, unknown>, progress: ProgressSink, resumeDir?: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const outDir = resolvePath(resumeDir ?? (typeof options.out === "string" ? options.out : "minevo-evolve-out"));
  const configPath = resumeDir !== undefined ? join(outDir, "config.json") : resolvePath(String(options.config));
  let config = await readEvolveConfig(configPath);
  if (typeof options.backend === "string") config = { ...config, backend: options.backend as EvolveConfig["backend"] };
  const d = dimOf(config);
  // Equation: a registered name with options (validated by its schema), or a module's definition.
  let equationChoice: ResolvedChoice | { module: string };
  let equationValue: unknown;
  let moduleExact: ExactSolution | undefined;
  if (typeof config.equation === "object" && "module" in config.equation) {
    const loaded = await loadEquationModule(config.equation.module, config.equation.options ?? {});
    equationChoice = { module: config.equation.module };
    equationValue = loaded.equation;
    moduleExact = loaded.exactSolution;
  } else {
    const name = typeof config.equation === "string" ? config.equation : config.equation.name;
    const configured = registries.equation.configure(name, typeof config.equation === "string" ? {} : (config.equation.options ?? {}));
    equationChoice = { name, options: configured.options as OptionTree };
    equationValue = configured;
  }
  const network = resolveChoice("network", config.network, { inputDim: d, hiddenWidths: [32, 32], activation: "tanh" });
  const sketch = resolveChoice("sketch", config.sketch, {});
  const integrator = resolveChoice("integrator", config.integrator, {});
  const initial = initialFunction(config.initial, d);
  await prepareOutputDirectory(outDir);
  // `command` marks the folder as an evolve run for `minevo resume`.
  if (resumeDir === undefined) await writeFileAtomic(join(outDir, "config.json"), toJson({ ...config, command: "evolve" }));
  let resume: EvolutionCheckpoint | undefined;
  const checkpointPath = join(outDir, "checkpoint.bin");
  if (resumeDir !== undefined && existsSync(checkpointPath)) {
    const bytes = await readFile(checkpointPath);
    try {
      resume = decodeEvolutionCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (error) {
      if (isMinevoError(error)) throw new MinevoError(error.code, `${checkpointPath}: ${error.message}; delete it to restart the run`, error.details, { cause: error });
      throw error;
    }
  }

  const backend = await selectBackend(config.backend, { log: (line) => progress.log(line) });
  noteBackend(backend, progress);
  const tf = backend.tf;
  const solver = createSolver({
    tf,
    network: network.name as never,
    networkOptions: network.options as never,
    sketch: sketch.name as never,
    sketchOptions: sketch.options as never,
    integrator: integrator.name as never,
    integratorOptions: integrator.options as never,
    equation: equationValue as never,
    seed: config.seed,
  });
  try {
    const random = RandomStream.fromSeed(config.seed);
    const points = collocationPoints(config, random);
    const started = performance.now();
    // The fit is deterministic (seeded θ₀, LM), so a resumed run refits to the same θ₀.
    const fit = await solver.fitInitialCondition({
      points,
      target: initial,
      weightDecay: config.weightDecay,
      maxIterations: config.fitIterations,
      onIteration: (p) => progress.update("fit", { fraction: p.iteration / config.fitIterations, detail: `iteration ${p.iteration}/${config.fitIterations}  value RMS ${p.valueRms.toExponential(2)}` }),
    });
    progress.done("fit", `${fit.iterations} iterations, value RMS ${fit.valueRms.toExponential(2)}`);
    const fitSeconds = (performance.now() - started) / 1000;
    // The per-step record is saved beside each checkpoint (the checkpoint holds the state, not
    // the history), so a resumed run reports every step, those before the interruption included.
    const stepsPath = join(outDir, "checkpoint-steps.json");
    type StepRecord = { t: number; stepSize: number; effectiveRank: number | null; rejectedAttempts: number };
    const steps: StepRecord[] = [];
    if (resume !== undefined && existsSync(stepsPath)) {
      const saved = JSON.parse(await readText(stepsPath, "step record")) as StepRecord[];
      const direction = Math.sign(config.t1 - config.t0);
      steps.push(...saved.filter((step) => direction * (step.t - resume.stepper.t) <= 0));
    }
    const evolveStart = performance.now();
    let lastCheckpoint = "";
    const result: EvolutionResult = await solver.evolve(
      { parameters: fit.parameters, points },
      {
        t0: config.t0,
        t1: config.t1,
        saveAt: config.saveAt,
        ...(signal !== undefined ? { signal } : {}),
        ...(resume !== undefined ? { resume } : {}),
        checkpoint: {
          everySteps: config.checkpointEvery,
          save: async (checkpoint) => {
            await writeFileAtomic(stepsPath, JSON.stringify(steps));
            await writeFileAtomic(checkpointPath, encodeEvolutionCheckpoint(checkpoint));
            lastCheckpoint = `t = ${checkpoint.stepper.t}`;
          },
        },
        onProgress: (p) => {
          steps.push({ t: p.t, stepSize: p.stepSize, effectiveRank: Number.isFinite(p.effectiveRank) ? p.effectiveRank : null, rejectedAttempts: p.rejectedAttempts });
          progress.update("evolve", {
            fraction: (p.t - config.t0) / (config.t1 - config.t0),
            detail: `t = ${p.t.toFixed(4)}/${config.t1}  dt = ${p.stepSize.toExponential(2)}  steps ${p.acceptedSteps} (+${p.rejectedSteps} rejected)  rank ${p.effectiveRank.toFixed(1)}`,
          });
        },
      },
    );
    if (result.status === "aborted") {
      throw new MinevoError(ErrorCode.Aborted, `${result.message}${lastCheckpoint ? `; checkpoint saved (${lastCheckpoint})` : ""}`, { status: result.status });
    }
    progress.done("evolve", `${result.status}, ${result.stats.acceptedSteps} steps (+${result.stats.rejectedSteps} rejected)`);
    if (result.status !== "success") {
      throw new MinevoError(ErrorCode.IntegrationFailed, `the evolution stopped (${result.status}): ${result.message}`, { status: result.status, t: result.final.t });
    }
    const evolveSeconds = (performance.now() - evolveStart) / 1000;
    const exact = moduleExact ?? exactSolution(equationChoice, config.initial, d, config.t0);
    const test = testPoints(config, points, d, random);
    const snapshots = [...result.saved.filter((s) => s.t !== result.final.t), result.final];
    const accuracy: Record<string, unknown>[] = [];
    if (exact !== undefined) {
      for (const snapshot of snapshots) {
        const model = await networkValues(tf, solver, snapshot.parameters, test, d);
        const truth = Float64Array.from({ length: test.length / d }, (_, j) => exact(snapshot.t, test.subarray(j * d, (j + 1) * d)));
        accuracy.push({ t: snapshot.t, ...errors(model, truth) });
      }
    }
    const parameters = {
      network: network.name,
      options: network.options,
      snapshots: snapshots.map((s) => ({ t: s.t, ...solver.network.toJSON(s.parameters) })),
    };
    await writeFileAtomic(join(outDir, "parameters.json"), toJson(parameters));
    const summary: Record<string, unknown> = {
      command: "evolve",
      equation: equationChoice,
      dim: d,
      numPoints: points.length / d,
      numParameters: solver.network.numParameters,
      status: result.status,
      t0: config.t0,
      t1: config.t1,
      seed: config.seed,
      backend: { name: backend.name, tfBackend: backend.tfBackend, engine: backend.engine },
      fit: { iterations: fit.iterations, stopReason: fit.stopReason, valueRms: fit.valueRms, warnings: fit.warnings },
      error: exact !== undefined ? { testPoints: test.length / d, snapshots: accuracy } : null,
      diagnostics: { acceptedSteps: result.stats.acceptedSteps, rejectedSteps: result.stats.rejectedSteps, rhsEvaluations: result.stats.rhsEvaluations, steps },
      timings: { fit: fitSeconds, evolve: evolveSeconds },
      resumedFrom: resume !== undefined ? resume.stepper.t : null,
      files: ["result.json", "parameters.json", "config.json", "checkpoint.bin", "checkpoint-steps.json"],
      config,
    };
    await writeFileAtomic(join(outDir, "result.json"), toJson(summary));
    const last = accuracy.at(-1) as { relativeL2: number; maxAbs: number } | undefined;
    process.stdout.write(
      `${result.status} at t = ${result.final.t}: ${result.stats.acceptedSteps} steps${last !== undefined ? `; relative L2 error ${last.relativeL2.toExponential(2)}, max ${last.maxAbs.toExponential(2)} vs the exact solution` : ""}\nwrote ${join(outDir, "result.json")} and parameters.json\n`,
    );
    return summary;
  } finally {
    solver.dispose();
  }
}
