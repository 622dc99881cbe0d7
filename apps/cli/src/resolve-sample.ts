/**
 * From the command line (and an optional config file) to a {@link ResolvedSampleConfig}: flags
 * are converted with errors that quote the bad text, the file is validated by its zod schema,
 * flags override the file, the target is resolved (a module is loaded to learn its dimension) and
 * every plugin choice is validated by its registry's schema before anything expensive starts.
 */
import { dirname } from "node:path";
import { ErrorCode, MinevoError, quote, registries, type SamplingTarget } from "@minevo/core";
import { standardizeDefaults } from "@minevo/diffusion";
import { readText } from "./files.js";
import { parseKeyValuePairs, type OptionTree } from "./options.js";
import {
  absoluteTarget,
  backendNames,
  looksLikePath,
  overlay,
  parseSampleConfig,
  resolvePluginChoice,
  sampleDefaults,
  type ResolvedSampleConfig,
  type ResolvedTarget,
  type SampleConfigInput,
  type SampleFlags,
} from "./sample-config.js";
import { loadTargetModule } from "./target-module.js";

/** The flags of `minevo sample` as commander hands them over (strings, string lists, booleans). */
export interface SampleCommandLine {
  readonly config?: string;
  readonly target?: string;
  readonly targetOption?: readonly string[];
  readonly samples?: string;
  readonly seed?: string;
  readonly backend?: string;
  readonly points?: string;
  readonly fitIterations?: string;
  readonly fitGradients?: boolean;
  readonly smoothing?: string;
  readonly pointSource?: string;
  readonly pointFraction?: string;
  readonly fitJitter?: string;
  readonly fitJitterMaxDrop?: string;
  readonly defensiveLatent?: string;
  readonly pointScale?: string;
  readonly fitGramPrecision?: string;
  readonly smoothingMethod?: string;
  readonly standardize?: boolean;
  readonly defensive?: string;
  readonly standardizeReference?: string;
  readonly extraFitPoints?: string;
  readonly weightDecay?: string;
  readonly horizon?: string;
  readonly maxTerminalSpread?: string;
  readonly maxFlowInconsistency?: string;
  readonly form?: string;
  readonly network?: string;
  readonly networkOption?: readonly string[];
  readonly sketch?: string;
  readonly sketchOption?: readonly string[];
  readonly integrator?: string;
  readonly integratorOption?: readonly string[];
  readonly samplerIntegrator?: string;
  readonly samplerIntegratorOption?: readonly string[];
  readonly condition?: string;
  readonly checkpointEvery?: string;
  readonly plots?: boolean;
}

function pointSourceFlag(text: string | undefined): "broad" | "mala" | "smc" | undefined {
  if (text === undefined || text === "broad" || text === "mala" || text === "smc") return text;
  throw new MinevoError(ErrorCode.InvalidArgument, `--point-source must be broad, mala or smc, got ${quote(text)}`, { flag: "point-source" });
}

function smoothingMethodFlag(text: string | undefined): "draws" | "laplace" | undefined {
  if (text === undefined || text === "draws" || text === "laplace") return text;
  throw new MinevoError(ErrorCode.InvalidArgument, `--smoothing-method must be draws or laplace, got ${quote(text)}`, { flag: "smoothing-method" });
}

function gramPrecisionFlag(text: string | undefined): "auto" | "float64" | "float32" | undefined {
  if (text === undefined || text === "auto" || text === "float64" || text === "float32") return text;
  throw new MinevoError(ErrorCode.InvalidArgument, `--fit-gram-precision must be auto, float64 or float32, got ${quote(text)}`, { flag: "fit-gram-precision" });
}

/** `--standardize` and `--standardize-reference <s>` (which implies the first). */
function standardizeFlags(on: boolean | undefined, reference: string | undefined): SampleFlags["standardize"] {
  const scale = positiveFlag("standardize-reference", reference);
  if (scale !== undefined) return { reference: scale };
  return on === true ? true : undefined;
}

/** A number strictly between 0 and 1, or in (0, 1] with `oneAllowed`. */
function fractionFlag(flag: string, text: string | undefined, oneAllowed = false): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0 && (oneAllowed ? value <= 1 : value < 1))) {
    throw new MinevoError(ErrorCode.InvalidArgument, `--${flag} must be a number ${oneAllowed ? "in (0, 1]" : "strictly between 0 and 1"}, got ${quote(text)}`, { flag });
  }
  return value;
}

function integerFlag(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(value) || value < min) {
    throw new MinevoError(ErrorCode.InvalidArgument, `--${flag} must be ${min > 0 ? "a positive" : "an"} integer, got ${quote(text)}`, { flag });
  }
  return value;
}

function positiveFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) throw new MinevoError(ErrorCode.InvalidArgument, `--${flag} must be a finite positive number, got ${quote(text)}`, { flag });
  return value;
}

/** A check's bound: a finite positive number, or "off" (null). */
function boundFlag(flag: string, text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text.trim().toLowerCase() === "off") return null;
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) throw new MinevoError(ErrorCode.InvalidArgument, `--${flag} must be a finite positive number or "off", got ${quote(text)}`, { flag });
  return value;
}

function nonNegativeFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !(Number.isFinite(value) && value >= 0)) throw new MinevoError(ErrorCode.InvalidArgument, `--${flag} must be a finite number ≥ 0, got ${quote(text)}`, { flag });
  return value;
}

/** `--defensive-latent scale,weight`: scale > 1, weight in (0, 1). */
function defensiveLatentFlag(text: string | undefined): { scale: number; weight: number } | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(",").map((v) => v.trim());
  const [scale, weight] = parts.map(Number);
  if (parts.length !== 2 || !(Number.isFinite(scale) && scale! > 1) || !(weight! > 0 && weight! < 1)) {
    throw new MinevoError(ErrorCode.InvalidArgument, `--defensive-latent must be scale,weight with scale > 1 and weight in (0, 1), e.g. 1.5,0.2; got ${quote(text)}`, { flag: "defensive-latent" });
  }
  return { scale: scale!, weight: weight! };
}

/** `--condition y=1.5,-2` (or `1.5,-2`): the condition values. */
export function parseCondition(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const body = text.includes("=") ? text.slice(text.indexOf("=") + 1) : text;
  const values = body.split(",").map((v) => v.trim());
  const numbers = values.map(Number);
  if (values.length === 0 || values.some((v, i) => v === "" || !Number.isFinite(numbers[i]))) {
    throw new MinevoError(ErrorCode.InvalidArgument, `--condition takes y=v1,v2,… with finite numbers, got ${quote(text)}`, { flag: "condition" });
  }
  return numbers;
}

function choiceFlag(name: string | undefined, pairs: readonly string[] | undefined, flag: string): { name?: string; options?: OptionTree } | undefined {
  const options = pairs !== undefined && pairs.length > 0 ? parseKeyValuePairs(pairs, `--${flag}-option`) : undefined;
  if (name === undefined && options === undefined) return undefined;
  return { ...(name !== undefined ? { name } : {}), ...(options !== undefined ? { options } : {}) };
}

/** The flags as a (partial) config; paths resolved against the working directory. */
export function flagsToConfig(line: SampleCommandLine, cwd: string): SampleFlags {
  if (line.backend !== undefined && !(backendNames as readonly string[]).includes(line.backend)) {
    throw new MinevoError(ErrorCode.InvalidArgument, `--backend must be one of ${backendNames.join(", ")}; got ${quote(line.backend)}`, { flag: "backend" });
  }
  if (line.form !== undefined && line.form !== "log-density" && line.form !== "log-ratio") {
    throw new MinevoError(ErrorCode.InvalidArgument, `--form must be log-density or log-ratio, got ${quote(line.form)}`, { flag: "form" });
  }
  let target: SampleFlags["target"];
  const targetOptions = line.targetOption !== undefined && line.targetOption.length > 0 ? parseKeyValuePairs(line.targetOption, "--target-option") : undefined;
  if (line.target !== undefined && looksLikePath(line.target)) {
    if (targetOptions !== undefined) {
      throw new MinevoError(ErrorCode.InvalidArgument, `--target-option applies to registered targets; the module ${quote(line.target)} takes no options`, { flag: "target-option" });
    }
    target = absoluteTarget(line.target, cwd);
  } else if (line.target !== undefined || targetOptions !== undefined) {
    target = { ...(line.target !== undefined ? { name: line.target } : {}), ...(targetOptions !== undefined ? { options: targetOptions } : {}) };
  }
  return {
    target,
    samples: integerFlag("samples", line.samples, 1),
    seed: integerFlag("seed", line.seed, Number.MIN_SAFE_INTEGER),
    backend: line.backend as SampleFlags["backend"],
    points: integerFlag("points", line.points, 1),
    fitIterations: integerFlag("fit-iterations", line.fitIterations, 1),
    fitGradients: line.fitGradients === true ? true : undefined,
    pointSource: pointSourceFlag(line.pointSource),
    pointFraction: fractionFlag("point-fraction", line.pointFraction, true),
    fitJitter: nonNegativeFlag("fit-jitter", line.fitJitter),
    fitJitterMaxDrop: positiveFlag("fit-jitter-max-drop", line.fitJitterMaxDrop),
    defensiveLatent: defensiveLatentFlag(line.defensiveLatent),
    pointScale: positiveFlag("point-scale", line.pointScale),
    fitGramPrecision: gramPrecisionFlag(line.fitGramPrecision),
    smoothing: positiveFlag("smoothing", line.smoothing),
    smoothingMethod: smoothingMethodFlag(line.smoothingMethod),
    standardize: standardizeFlags(line.standardize, line.standardizeReference),
    defensive: fractionFlag("defensive", line.defensive),
    extraFitPoints: integerFlag("extra-fit-points", line.extraFitPoints, 0),
    weightDecay: nonNegativeFlag("weight-decay", line.weightDecay),
    horizon: positiveFlag("horizon", line.horizon),
    maxTerminalSpread: boundFlag("max-terminal-spread", line.maxTerminalSpread),
    maxFlowInconsistency: boundFlag("max-flow-inconsistency", line.maxFlowInconsistency),
    form: line.form as SampleFlags["form"],
    network: choiceFlag(line.network, line.networkOption, "network"),
    sketch: choiceFlag(line.sketch, line.sketchOption, "sketch"),
    integrator: choiceFlag(line.integrator, line.integratorOption, "integrator"),
    samplerIntegrator: choiceFlag(line.samplerIntegrator, line.samplerIntegratorOption, "sampler-integrator"),
    condition: parseCondition(line.condition),
    checkpointEvery: integerFlag("checkpoint-every", line.checkpointEvery, 1),
    plots: line.plots === false ? false : undefined,
  };
}

/** Reads and validates a config file; module paths in it are relative to the file's folder. */
export async function readSampleConfigFile(path: string): Promise<SampleConfigInput> {
  const parsed = parseSampleConfig(await readText(path, "config"), path);
  return { ...parsed, target: absoluteTarget(parsed.target, dirname(path)) };
}

/** The target choice made explicit, and the target itself (for its dimensions). */
async function resolveTarget(choice: SampleConfigInput["target"]): Promise<{ resolved: ResolvedTarget; target: SamplingTarget }> {
  if (choice !== undefined && typeof choice === "object" && "module" in choice) {
    return { resolved: { module: choice.module }, target: await loadTargetModule(choice.module) };
  }
  const name = typeof choice === "string" ? choice : (choice?.name ?? sampleDefaults.target);
  const options = typeof choice === "object" ? (choice.options ?? {}) : {};
  const configured = registries.target.configure(name, options);
  return { resolved: { name, options: configured.options as OptionTree }, target: configured.create() as SamplingTarget };
}

/** Everything explicit and validated. */
export async function resolveSampleConfig(input: SampleConfigInput): Promise<ResolvedSampleConfig> {
  const { resolved: target, target: instance } = await resolveTarget(input.target);
  const d = instance.dim;
  const c = instance.conditionDim ?? 0;
  // A resolved config records the defaults of both for broad points too; another value there would go unused.
  if ((input.pointSource ?? sampleDefaults.pointSource) === "broad") {
    for (const [field, given, fallback] of [
      ["pointFraction", input.pointFraction, sampleDefaults.pointFraction],
      ["fitJitter", input.fitJitter, sampleDefaults.fitJitter],
      ["fitJitterMaxDrop", input.fitJitterMaxDrop, sampleDefaults.fitJitterMaxDrop],
    ] as const) {
      if (given !== undefined && given !== fallback) {
        throw new MinevoError(ErrorCode.InvalidOptions, `${field} = ${quote(given)} applies to pointSource "mala" or "smc"; the points are broad here, so it would go unused: set pointSource or drop ${field}`, { field });
      }
    }
  }
  if ((input.smoothingMethod ?? sampleDefaults.smoothingMethod) !== sampleDefaults.smoothingMethod && (input.smoothing ?? null) === null) {
    throw new MinevoError(ErrorCode.InvalidOptions, `smoothingMethod = ${quote(input.smoothingMethod)} needs a blur to remove: give smoothing s (--smoothing s), or drop smoothingMethod`, { field: "smoothingMethod" });
  }
  return {
    command: "sample",
    target,
    samples: input.samples ?? sampleDefaults.samples,
    seed: input.seed ?? sampleDefaults.seed,
    backend: input.backend ?? sampleDefaults.backend,
    points: input.points ?? sampleDefaults.points,
    fitIterations: input.fitIterations ?? sampleDefaults.fitIterations,
    fitGradients: input.fitGradients ?? sampleDefaults.fitGradients,
    pointSource: input.pointSource ?? sampleDefaults.pointSource,
    pointFraction: input.pointFraction ?? sampleDefaults.pointFraction,
    fitJitter: input.fitJitter ?? sampleDefaults.fitJitter,
    fitJitterMaxDrop: input.fitJitterMaxDrop ?? sampleDefaults.fitJitterMaxDrop,
    defensiveLatent: input.defensiveLatent ?? sampleDefaults.defensiveLatent,
    pointScale: input.pointScale ?? sampleDefaults.pointScale,
    fitGramPrecision: input.fitGramPrecision ?? sampleDefaults.fitGramPrecision,
    smoothing: input.smoothing ?? sampleDefaults.smoothing,
    smoothingMethod: input.smoothingMethod ?? sampleDefaults.smoothingMethod,
    defensive: input.defensive ?? sampleDefaults.defensive,
    standardize:
      input.standardize === undefined || input.standardize === null || input.standardize === false
        ? sampleDefaults.standardize
        : {
            particles: (input.standardize === true ? undefined : input.standardize.particles) ?? standardizeDefaults.particles,
            reference: (input.standardize === true ? undefined : input.standardize.reference) ?? standardizeDefaults.reference,
          },
    extraFitPoints: input.extraFitPoints ?? sampleDefaults.extraFitPoints,
    weightDecay: input.weightDecay ?? sampleDefaults.weightDecay,
    horizon: input.horizon ?? sampleDefaults.horizon,
    maxTerminalSpread: input.maxTerminalSpread !== undefined ? input.maxTerminalSpread : sampleDefaults.maxTerminalSpread,
    maxFlowInconsistency: input.maxFlowInconsistency !== undefined ? input.maxFlowInconsistency : sampleDefaults.maxFlowInconsistency,
    form: input.form ?? sampleDefaults.form,
    network: resolvePluginChoice("network", input.network, d, c),
    sketch: resolvePluginChoice("sketch", input.sketch, d, c),
    integrator: resolvePluginChoice("integrator", input.integrator, d, c),
    samplerIntegrator: resolvePluginChoice("samplerIntegrator", input.samplerIntegrator, d, c),
    ...(input.condition !== undefined ? { condition: input.condition } : {}),
    checkpointEvery: input.checkpointEvery ?? sampleDefaults.checkpointEvery,
    plots: input.plots ?? sampleDefaults.plots,
  };
}

/** Flags over the optional config file, resolved. */
export async function sampleConfigFromCommandLine(line: SampleCommandLine, cwd: string): Promise<ResolvedSampleConfig> {
  const file = line.config !== undefined ? await readSampleConfigFile(absoluteFromCwd(line.config, cwd)) : {};
  const input = overlay(file, flagsToConfig(line, cwd));
  // A resolved config (config.json, `minevo resume`) records both for every source; a flag for broad points is a mistake.
  for (const [flag, given] of [
    ["point-fraction", line.pointFraction],
    ["fit-jitter", line.fitJitter],
    ["fit-jitter-max-drop", line.fitJitterMaxDrop],
  ] as const) {
    if (given !== undefined && (input.pointSource ?? sampleDefaults.pointSource) === "broad") {
      throw new MinevoError(ErrorCode.InvalidArgument, `--${flag} applies to --point-source mala or smc; the points are broad here`, { flag });
    }
  }
  return resolveSampleConfig(input);
}

function absoluteFromCwd(path: string, cwd: string): string {
  return path.startsWith("/") ? path : `${cwd}/${path}`;
}
