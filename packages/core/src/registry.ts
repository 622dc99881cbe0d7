/**
 * Typed plugin registries.
 *
 * Each slot (network, sketch, integrator, equation, target, backend) has an empty map interface
 * that the package defining a plugin augments by declaration merging. The map entry's type is the
 * plugin definition itself, so a registered name selects its options type at compile time, and
 * the same zod schema validates JSON options at run time.
 */
import type { z } from "zod";
import { ErrorCode, MinevoError, quote } from "./errors.js";

/**
 * Networks by name. Extend it next to your plugin's definition:
 *
 * ```ts
 * export const myNet = defineNetwork({ name: "my-net", description: "…", options: schema, create });
 * declare module "@minevo/core" { interface NetworkMap { "my-net": typeof myNet } }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface NetworkMap {}
/**
 * Sketching strategies by name. Extend it next to your plugin's definition:
 *
 * ```ts
 * declare module "@minevo/core" { interface SketchMap { "my-sketch": typeof mySketch } }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SketchMap {}
/**
 * Integrators by name. Extend it next to your plugin's definition:
 *
 * ```ts
 * declare module "@minevo/core" { interface IntegratorMap { "my-rk": typeof myRk } }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface IntegratorMap {}
/**
 * Evolution equations by name. Extend it next to your plugin's definition:
 *
 * ```ts
 * declare module "@minevo/core" { interface EquationMap { "my-pde": typeof myPde } }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EquationMap {}
/**
 * Sampling targets by name. Extend it next to your plugin's definition:
 *
 * ```ts
 * declare module "@minevo/core" { interface TargetMap { "my-target": typeof myTarget } }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TargetMap {}
/**
 * Compute backends by name. Extend it next to your plugin's definition:
 *
 * ```ts
 * declare module "@minevo/core" { interface BackendMap { "my-backend": typeof myBackend } }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BackendMap {}

/** The map interface of every slot. */
export interface SlotMaps {
  network: NetworkMap;
  sketch: SketchMap;
  integrator: IntegratorMap;
  equation: EquationMap;
  target: TargetMap;
  backend: BackendMap;
}

export type SlotName = keyof SlotMaps;

export const slotNames: readonly SlotName[] = ["network", "sketch", "integrator", "equation", "target", "backend"];

/** Any zod schema describing a plugin's options. */
export type OptionsSchema = z.ZodType;

/**
 * A plugin: a name, a schema for its options, and a factory. The value form
 * `plugin.with(options)` gives a {@link ConfiguredPlugin} usable with no registry at all.
 */
export interface PluginDefinition<
  K extends SlotName = SlotName,
  N extends string = string,
  S extends OptionsSchema = OptionsSchema,
  I = unknown,
> {
  readonly kind: K;
  readonly name: N;
  readonly description: string;
  readonly options: S;
  /** Builds an instance from options that already passed the schema. */
  create(options: z.output<S>): I;
  /** Validates `options` (throwing a {@link MinevoError} naming the bad field) and binds them. */
  with(options?: z.input<S>): ConfiguredPlugin<K, N, S, I>;
  /** Validates options from any source (a JSON config, say) and returns the parsed value. */
  parseOptions(options: unknown): z.output<S>;
}

/** A plugin together with validated options: the "by value" form of a choice. */
export interface ConfiguredPlugin<
  K extends SlotName = SlotName,
  N extends string = string,
  S extends OptionsSchema = OptionsSchema,
  I = unknown,
> {
  readonly kind: K;
  readonly plugin: PluginDefinition<K, N, S, I>;
  readonly options: z.output<S>;
  create(): I;
  /** The JSON form `{ name, options }` that a registry can turn back into this value. */
  toJSON(): { name: N; options: z.output<S> };
}

/** What `definePlugin` needs from a plugin author. */
export interface PluginSpec<N extends string, S extends OptionsSchema, I> {
  readonly name: N;
  readonly description: string;
  readonly options: S;
  create(options: z.output<S>): I;
}

/** Formats zod issues as `field "a.b": message` lines. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String).join(".");
      return path ? `field "${path}": ${issue.message}` : issue.message;
    })
    .join("; ");
}

/**
 * Validates `value` against `schema`; on failure throws {@link ErrorCode.InvalidOptions} whose
 * message names each bad field.
 */
export function parseWithSchema<S extends OptionsSchema>(schema: S, value: unknown, context: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const firstPath = result.error.issues[0]?.path.map(String).join(".") ?? "";
    throw new MinevoError(ErrorCode.InvalidOptions, `invalid options for ${context}: ${describeIssues(result.error.issues)}`, {
      field: firstPath,
      issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    });
  }
  return result.data;
}

/** Defines a plugin of slot `kind`. Prefer the slot helpers (`defineIntegrator`, …). */
export function definePlugin<K extends SlotName, N extends string, S extends OptionsSchema, I>(
  kind: K,
  spec: PluginSpec<N, S, I>,
): PluginDefinition<K, N, S, I> {
  const context = `${kind} "${spec.name}"`;
  const definition: PluginDefinition<K, N, S, I> = {
    kind,
    name: spec.name,
    description: spec.description,
    options: spec.options,
    create: (options) => spec.create(options),
    parseOptions: (options) => parseWithSchema(spec.options, options ?? {}, context),
    with(options) {
      const parsed = definition.parseOptions(options ?? {});
      return {
        kind,
        plugin: definition,
        options: parsed,
        create: () => spec.create(parsed),
        toJSON: () => ({ name: spec.name, options: parsed }),
      };
    },
  };
  return Object.freeze(definition);
}

export const defineNetwork = <N extends string, S extends OptionsSchema, I>(spec: PluginSpec<N, S, I>) => definePlugin("network", spec);
export const defineSketch = <N extends string, S extends OptionsSchema, I>(spec: PluginSpec<N, S, I>) => definePlugin("sketch", spec);
export const defineIntegrator = <N extends string, S extends OptionsSchema, I>(spec: PluginSpec<N, S, I>) => definePlugin("integrator", spec);
export const defineEquation = <N extends string, S extends OptionsSchema, I>(spec: PluginSpec<N, S, I>) => definePlugin("equation", spec);
export const defineTarget = <N extends string, S extends OptionsSchema, I>(spec: PluginSpec<N, S, I>) => definePlugin("target", spec);
export const defineBackend = <N extends string, S extends OptionsSchema, I>(spec: PluginSpec<N, S, I>) => definePlugin("backend", spec);

/** The names registered for slot K at compile time. */
export type PluginName<K extends SlotName> = Extract<keyof SlotMaps[K], string>;

type EntryOf<K extends SlotName, N extends PluginName<K>> = SlotMaps[K][N];

/** The options type (input form: defaults may be omitted) of plugin N in slot K. */
export type PluginOptions<K extends SlotName, N extends PluginName<K>> =
  EntryOf<K, N> extends { readonly options: infer S extends OptionsSchema } ? z.input<S> : never;

/** The instance type that plugin N of slot K creates. */
export type PluginInstance<K extends SlotName, N extends PluginName<K>> =
  EntryOf<K, N> extends { create(options: never): infer I } ? I : never;

/**
 * One choice of plugin for slot K, as a config or `createSolver` takes it: a registered name with
 * its options (checked against that name's schema), or a configured value.
 */
export type PluginChoice<K extends SlotName> =
  | { [N in PluginName<K>]: { readonly name: N; readonly options?: PluginOptions<K, N> } }[PluginName<K>]
  | ConfiguredPlugin<K>;

export interface RegisterOptions {
  /** Replace a different plugin already registered under the same name. */
  readonly override?: boolean;
}

/**
 * The registry of one slot. Registering the same definition twice is a no-op; registering a
 * different one under a taken name throws unless `override` is set.
 */
export class Registry<K extends SlotName> {
  readonly kind: K;
  readonly #entries = new Map<string, PluginDefinition<K>>();

  constructor(kind: K) {
    this.kind = kind;
  }

  register(definition: PluginDefinition<K, string, OptionsSchema, unknown>, options: RegisterOptions = {}): this {
    if (definition.kind !== this.kind) {
      throw new MinevoError(
        ErrorCode.InvalidArgument,
        `cannot register ${definition.kind} "${definition.name}" in the ${this.kind} registry: define it with the ${this.kind} helper`,
        { kind: definition.kind, name: definition.name },
      );
    }
    const existing = this.#entries.get(definition.name);
    if (existing !== undefined && existing !== definition && options.override !== true) {
      throw new MinevoError(
        ErrorCode.DuplicatePlugin,
        `a different ${this.kind} is already registered as "${definition.name}": choose another name, or pass { override: true } to replace it`,
        { kind: this.kind, name: definition.name },
      );
    }
    this.#entries.set(definition.name, definition);
    return this;
  }

  unregister(name: string): boolean {
    return this.#entries.delete(name);
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /** The definition registered as `name` (a name known at compile time). */
  get<N extends PluginName<K>>(name: N): EntryOf<K, N> {
    return this.lookup(name) as EntryOf<K, N>;
  }

  /**
   * The definition registered as `name`, for names known only at run time (a JSON config, a
   * command line); throws {@link ErrorCode.UnknownPlugin} listing the registered names.
   */
  lookup(name: string): PluginDefinition<K> {
    const definition = this.#entries.get(name);
    if (definition === undefined) {
      const known = this.names();
      throw new MinevoError(
        ErrorCode.UnknownPlugin,
        `unknown ${this.kind} ${quote(name)}: registered ${this.kind}s are ${known.length ? known.map((n) => `"${n}"`).join(", ") : "(none — import the package that defines it)"}`,
        { kind: this.kind, name, registered: known },
      );
    }
    return definition;
  }

  /** Creates plugin `name` with typed options (validated against its schema at run time too). */
  create<N extends PluginName<K>>(name: N, options?: PluginOptions<K, N>): PluginInstance<K, N> {
    return this.configure(name, options).create() as PluginInstance<K, N>;
  }

  /** Validates `options` for plugin `name` (from JSON, say) and binds them. */
  configure(name: string, options?: unknown): ConfiguredPlugin<K> {
    const definition = this.lookup(name);
    return definition.with(definition.parseOptions(options ?? {}));
  }

  /**
   * Resolves a choice — a configured value, or `{ name, options }` from code or JSON — to a
   * configured plugin. JSON input is validated at run time with the plugin's schema.
   */
  resolve(choice: PluginChoice<K> | { readonly name: string; readonly options?: unknown } | string): ConfiguredPlugin<K> {
    if (typeof choice === "string") return this.configure(choice, {});
    if (isConfiguredPlugin(choice)) {
      if (choice.kind !== this.kind) {
        throw new MinevoError(ErrorCode.InvalidArgument, `a ${choice.kind} was given where a ${this.kind} is expected`, {
          kind: choice.kind,
        });
      }
      return choice as ConfiguredPlugin<K>;
    }
    if (typeof choice !== "object" || choice === null || typeof (choice as { name?: unknown }).name !== "string") {
      throw new MinevoError(
        ErrorCode.InvalidOptions,
        `a ${this.kind} choice must be a name, { name, options }, or a configured plugin; got ${quote(choice)}`,
      );
    }
    return this.configure(choice.name, (choice as { options?: unknown }).options);
  }
}

function isConfiguredPlugin(value: unknown): value is ConfiguredPlugin {
  return typeof value === "object" && value !== null && "plugin" in value && "create" in value && "kind" in value;
}

/** The process-wide registries that packages register their built-in plugins into. */
export const registries: { readonly [K in SlotName]: Registry<K> } = {
  network: new Registry("network"),
  sketch: new Registry("sketch"),
  integrator: new Registry("integrator"),
  equation: new Registry("equation"),
  target: new Registry("target"),
  backend: new Registry("backend"),
};
