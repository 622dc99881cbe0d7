/**
 * The `minevo sample` configuration: the JSON file's schema, the command-line flags mapped onto
 * it (flags override the file), and the resolved form — every choice explicit, plugin options
 * parsed by the plugin's own zod schema — that result.json records and `minevo resume` reruns.
 */
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { ErrorCode, MinevoError, parseWithSchema, quote, registries, type SlotName } from "@minevo/core";
import { samplerPointDefaults } from "@minevo/diffusion";
import { mergeOptions, type OptionTree } from "./options.js";

export const backendNames = ["auto", "cpu", "wasm", "webgpu", "node-gpu"] as const;

const optionsRecord = z.record(z.string(), z.unknown());
/** A plugin choice in a config: `"name"` or `{ name, options }`. */
export const pluginChoiceSchema = z.union([z.string().min(1), z.strictObject({ name: z.string().min(1), options: optionsRecord.optional() })]);
/** A choice as the file or the flags give it (flags may carry options without a name). */
export type PluginChoiceInput = string | { readonly name?: string | undefined; readonly options?: OptionTree | undefined };

/** A target: a registered name, `{ name, options }`, or `{ module: "./my-target.mjs" }`. */
export const targetChoiceSchema = z.union([
  z.string().min(1),
  z.strictObject({ name: z.string().min(1), options: optionsRecord.optional() }),
  z.strictObject({ module: z.string().min(1) }),
]);

/** The config file of `minevo sample` (every field optional; flags override). */
export const sampleConfigSchema = z.strictObject({
  command: z.literal("sample").optional(),
  target: targetChoiceSchema.optional(),
  /** M: samples drawn by the reverse flow. */
  samples: z.number().int().positive().optional(),
  seed: z.number().int().optional(),
  backend: z.enum(backendNames).optional(),
  /** N: collocation points. */
  points: z.number().int().positive().optional(),
  fitIterations: z.number().int().positive().optional(),
  /** Fit the target's score too (the fit's rows: d + 1 per point). */
  fitGradients: z.boolean().optional(),
  /** "broad": N(0, 4I); "mala": 2/3 of the points from short MALA chains on π̃; "smc": 2/3 from tempered SMC (runOuSampler's pointSource). */
  pointSource: z.enum(["broad", "mala", "smc"]).optional(),
  /** The share of the points from a "mala" or "smc" source (the rest from N(0, pointScale²I)). */
  pointFraction: z.number().gt(0).lte(1).optional(),
  /** With a "mala" or "smc" source: fit points around its points, moved by N(0, fitJitter²I). */
  fitJitter: z.number().nonnegative().finite().optional(),
  /** Δ, with a "mala" or "smc" source: a fit point more than Δ below its particle's log π̃ is moved back toward it (runOuSampler's pointSource.fitJitterMaxDrop); null: none. */
  fitJitterMaxDrop: z.number().positive().finite().nullable().optional(),
  /** A share of the latent draws from N(0, scale²I) (runOuSampler's defensiveLatent); null: none. */
  defensiveLatent: z.strictObject({ scale: z.number().gt(1).finite(), weight: z.number().gt(0).lt(1) }).nullable().optional(),
  /** s: broad collocation points, chain starts and the SMC's reference from N(0, s²I). */
  pointScale: z.number().positive().finite().optional(),
  /** The initial fit's Gram matrix precision (runOuSampler's fitGramPrecision). */
  fitGramPrecision: z.enum(["auto", "float64", "float32"]).optional(),
  /** s: fit log(π̃ ∗ N(0, s²I)) instead of log π̃ (runOuSampler's smoothing); null: none. */
  smoothing: z.number().positive().finite().nullable().optional(),
  /** How the blur is estimated and removed (runOuSampler's smoothing.method); needs smoothing. */
  smoothingMethod: z.enum(["draws", "laplace"]).optional(),
  /** w: fit log(π̃ + c·N(0, 4I)), the initial density (1 − w)π + w·N(0, 4I) (runOuSampler's defensive); null: none. */
  defensive: z.number().gt(0).lt(1).nullable().optional(),
  /**
   * Run in z = (x − m)/s from a tempered-SMC pilot on π̃ (runOuSampler's standardize): true, or
   * { particles, reference } (the pilot's particle count and reference scale in x); false or null: off.
   */
  standardize: z.union([z.boolean(), z.strictObject({ particles: z.number().int().min(2).optional(), reference: z.number().positive().finite().optional() })]).nullable().optional(),
  /** Fit points from N(0, 3²I) besides the collocation points. */
  extraFitPoints: z.number().int().nonnegative().optional(),
  /** The fit's weight decay. */
  weightDecay: z.number().nonnegative().finite().optional(),
  /** T. */
  horizon: z.number().positive().finite().optional(),
  /** The sampler's checks (see runOuSampler): a bound, or null to turn the check off. */
  maxTerminalSpread: z.number().positive().finite().nullable().optional(),
  maxFlowInconsistency: z.number().positive().finite().nullable().optional(),
  form: z.enum(["log-density", "log-ratio"]).optional(),
  network: pluginChoiceSchema.optional(),
  sketch: pluginChoiceSchema.optional(),
  integrator: pluginChoiceSchema.optional(),
  samplerIntegrator: pluginChoiceSchema.optional(),
  /** y for conditional sampling of a joint target π̃(x, y). */
  condition: z.array(z.number().finite()).min(1).optional(),
  /** Save DIR/checkpoint.bin every K accepted forward steps. */
  checkpointEvery: z.number().int().positive().optional(),
  plots: z.boolean().optional(),
});
export type SampleConfigInput = Omit<z.output<typeof sampleConfigSchema>, "network" | "sketch" | "integrator" | "samplerIntegrator" | "target"> & {
  readonly target?: PluginChoiceInput | { readonly module: string } | undefined;
  readonly network?: PluginChoiceInput | undefined;
  readonly sketch?: PluginChoiceInput | undefined;
  readonly integrator?: PluginChoiceInput | undefined;
  readonly samplerIntegrator?: PluginChoiceInput | undefined;
};
/** What the command line gives: the same fields, each possibly absent. */
export type SampleFlags = { readonly [K in keyof SampleConfigInput]?: SampleConfigInput[K] | undefined };

export interface ResolvedChoice {
  readonly name: string;
  readonly options: OptionTree;
}

export type ResolvedTarget = { readonly name: string; readonly options: OptionTree } | { readonly module: string };

/** Everything a run needs, explicit: written to result.json and DIR/config.json. */
export interface ResolvedSampleConfig {
  readonly command: "sample";
  readonly target: ResolvedTarget;
  readonly samples: number;
  readonly seed: number;
  readonly backend: (typeof backendNames)[number];
  readonly points: number;
  readonly fitIterations: number;
  readonly fitGradients: boolean;
  readonly pointSource: "broad" | "mala" | "smc";
  readonly pointFraction: number;
  readonly fitJitter: number;
  /** null: the plain jitter. */
  readonly fitJitterMaxDrop: number | null;
  /** null: latent draws from N(0, I) only. */
  readonly defensiveLatent: { readonly scale: number; readonly weight: number } | null;
  readonly pointScale: number;
  readonly fitGramPrecision: "auto" | "float64" | "float32";
  /** null: no blur. */
  readonly smoothing: number | null;
  readonly smoothingMethod: "draws" | "laplace";
  /** null: no floor. */
  readonly defensive: number | null;
  /** null: in x. */
  readonly standardize: { readonly particles: number; readonly reference: number } | null;
  readonly extraFitPoints: number;
  readonly weightDecay: number;
  readonly horizon: number;
  /** null: the check is off. */
  readonly maxTerminalSpread: number | null;
  readonly maxFlowInconsistency: number | null;
  readonly form: "log-density" | "log-ratio";
  readonly network: ResolvedChoice;
  readonly sketch: ResolvedChoice;
  readonly integrator: ResolvedChoice;
  readonly samplerIntegrator: ResolvedChoice;
  readonly condition?: readonly number[];
  readonly checkpointEvery: number;
  readonly plots: boolean;
}

/** The defaults: the stable recipe of shared/reference/STABILITY.md, as runOuSampler uses it. */
export const sampleDefaults = {
  target: "gmm2-reference",
  samples: 5000,
  seed: 0,
  backend: "auto",
  points: 1000,
  fitIterations: 100,
  fitGradients: false,
  pointSource: "broad",
  pointFraction: samplerPointDefaults.fraction,
  fitJitter: samplerPointDefaults.fitJitter,
  fitJitterMaxDrop: null,
  defensiveLatent: null,
  pointScale: samplerPointDefaults.pointScale,
  fitGramPrecision: "auto",
  smoothing: null,
  smoothingMethod: "draws",
  standardize: null,
  defensive: null,
  extraFitPoints: 2000,
  weightDecay: 1e-4,
  horizon: 5,
  maxTerminalSpread: 10,
  maxFlowInconsistency: 10,
  form: "log-density",
  checkpointEvery: 10,
  plots: true,
} as const;

/** Recipe options of the default plugins; a user's options for the same plugin are merged on top. */
export function recipeOptions(slot: "network" | "sketch" | "integrator" | "samplerIntegrator", name: string, dim: number, conditionDim: number): OptionTree {
  if (slot === "network" && name === "mlp") {
    return {
      inputDim: dim,
      ...(conditionDim > 0 ? { conditionDim } : {}),
      hiddenWidths: [32, 32],
      activation: "tanh",
      inputLengthScale: 2,
      quadratic: { form: "symmetric", learnable: true, initial: 0 },
    };
  }
  // The additive network takes the run's dimension; blockSize and the inner network are the user's.
  if (slot === "network" && name === "additive") return { inputDim: dim, ...(conditionDim > 0 ? { conditionDim } : {}) };
  if (slot === "sketch" && name === "gaussian") return { sketchSize: 100, regularisation: { kind: "relative-trace", epsilon: 1e-6 } };
  if (slot === "integrator" && name === "dopri5") return { rtol: 1e-4, atol: 1e-4 };
  if (slot === "samplerIntegrator" && name === "dopri5") return { rtol: 1e-6, atol: 1e-6 };
  return {};
}

const defaultPlugin = { network: "mlp", sketch: "gaussian", integrator: "dopri5", samplerIntegrator: "dopri5" } as const;
const registrySlot: Record<keyof typeof defaultPlugin, SlotName> = { network: "network", sketch: "sketch", integrator: "integrator", samplerIntegrator: "integrator" };

function normaliseChoice(choice: PluginChoiceInput | undefined): { name: string | undefined; options: OptionTree } {
  if (choice === undefined) return { name: undefined, options: {} };
  if (typeof choice === "string") return { name: choice, options: {} };
  return { name: choice.name, options: choice.options ?? {} };
}

/**
 * One plugin choice resolved: the name (default if absent), the recipe options for that name and
 * dimension with the user's options on top, validated by the plugin's schema so an unknown name
 * lists the registered ones and a bad option names its field.
 */
export function resolvePluginChoice(
  slot: keyof typeof defaultPlugin,
  choice: PluginChoiceInput | undefined,
  dim: number,
  conditionDim: number,
): ResolvedChoice {
  const { name: given, options } = normaliseChoice(choice);
  const name = given ?? defaultPlugin[slot];
  const registry = registries[registrySlot[slot]];
  const definition = registry.lookup(name);
  const merged = mergeOptions(recipeOptions(slot, name, dim, conditionDim), options) as OptionTree;
  const parsed = parseWithSchema(definition.options, merged, `${slot === "samplerIntegrator" ? "sampler integrator" : slot} "${name}" (--${flagOf(slot)}-option key=value)`);
  return { name, options: parsed as OptionTree };
}

function flagOf(slot: keyof typeof defaultPlugin): string {
  return slot === "samplerIntegrator" ? "sampler-integrator" : slot;
}

/** Parses a config file's text: JSON syntax and schema errors name the file and the field. */
export function parseSampleConfig(text: string, file: string): SampleConfigInput {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new MinevoError(ErrorCode.InvalidOptions, `config ${quote(file)} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
  return parseWithSchema(sampleConfigSchema, value, `config ${quote(file)}`);
}

/** Makes a module path in a target choice absolute, relative to `base` (the config's folder or the cwd). */
export function absoluteTarget(target: SampleConfigInput["target"], base: string): SampleConfigInput["target"] {
  if (target === undefined) return undefined;
  if (typeof target === "string") return looksLikePath(target) ? { module: resolve(base, target) } : target;
  if ("module" in target) return { module: isAbsolute(target.module) ? target.module : resolve(base, target.module) };
  return target;
}

/** A target given as a path (`./t.mjs`, `/abs/t.js`, `t.mjs`) rather than a registered name. */
export function looksLikePath(text: string): boolean {
  return text.startsWith(".") || text.startsWith("/") || /\.(m|c)?[jt]s$/.test(text);
}

/** The config file overlaid with the flags' values (flags win; options objects merge). */
export function overlay(file: SampleConfigInput, flags: SampleFlags): SampleConfigInput {
  const out: Record<string, unknown> = { ...file };
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    const before = out[key];
    if ((key === "network" || key === "sketch" || key === "integrator" || key === "samplerIntegrator" || key === "target") && before !== undefined) {
      out[key] = overlayChoice(before as PluginChoiceInput, value as PluginChoiceInput);
    } else {
      out[key] = value;
    }
  }
  return out as SampleConfigInput;
}

/**
 * A flag's plugin choice over the file's: a new name replaces the file's choice (and its
 * options); options given without a name (`--sketch-option` alone) merge onto the file's options.
 */
function overlayChoice(file: PluginChoiceInput | { module: string }, flag: PluginChoiceInput | { module: string }): unknown {
  if (typeof flag === "string" || "module" in flag) return flag;
  if (flag.name === undefined) {
    if (typeof file === "string") return { name: file, options: flag.options };
    if ("module" in file) {
      throw new MinevoError(ErrorCode.InvalidOptions, `--target-option applies to a registered target, but the config's target is the module ${quote(file.module)}`);
    }
    return { name: file.name, options: mergeOptions(file.options ?? {}, flag.options ?? {}) };
  }
  const fileName = typeof file === "string" ? file : "module" in file ? undefined : file.name;
  const fileOptions = typeof file === "object" && "options" in file ? (file.options ?? {}) : {};
  return fileName === flag.name ? { name: flag.name, options: mergeOptions(fileOptions, flag.options ?? {}) } : flag;
}
