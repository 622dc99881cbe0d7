/**
 * How a solver's components are chosen: a registered name (its options typed by the registry
 * map), `{ name, options }`, a configured value `plugin.with(options)`, or a ready instance.
 * Evolution never imports the packages that define them.
 */
import {
  ErrorCode,
  MinevoError,
  quote,
  registries,
  type EvolutionEquation,
  type Integrator,
  type Network,
  type PluginChoice,
  type PluginName,
  type SketchStrategy,
} from "@minevo/core";

/** The contract each solver slot's plugins create. */
export interface SolverSlotInstances {
  network: Network;
  sketch: SketchStrategy;
  integrator: Integrator;
  equation: EvolutionEquation;
}

export type SolverSlot = keyof SolverSlotInstances;

/** One slot's choice: a name, `{ name, options }`, `plugin.with(options)`, or an instance. */
export type ComponentChoice<K extends SolverSlot> = PluginName<K> | PluginChoice<K> | SolverSlotInstances[K];

/** The methods that identify an instance of each slot's contract. */
const instanceMethods: { readonly [K in SolverSlot]: readonly string[] } = {
  network: ["evaluate", "initialParameters"],
  sketch: ["prepare", "solve"],
  integrator: ["createStepper", "solve"],
  equation: ["rhs"],
};

function isInstance<K extends SolverSlot>(slot: K, value: unknown): value is SolverSlotInstances[K] {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return instanceMethods[slot].every((method) => typeof record[method] === "function");
}

/**
 * The instance for one slot. `options` goes with a bare name only (the `integratorOptions`
 * form); with any other choice it is an error, since the choice already carries its options.
 */
export function resolveComponent<K extends SolverSlot>(slot: K, choice: unknown, options?: unknown): SolverSlotInstances[K] {
  if (choice === undefined || choice === null) {
    throw new MinevoError(ErrorCode.InvalidOptions, `createSolver needs a ${slot}: a registered name, { name, options }, or a configured plugin`, {
      field: slot,
    });
  }
  if (options !== undefined && typeof choice !== "string") {
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `${slot}Options goes with a ${slot} given by name; this ${slot} choice already carries its options (${quote(choice)})`,
      { field: `${slot}Options` },
    );
  }
  if (isInstance(slot, choice)) return choice;
  const registry = registries[slot];
  const configured =
    typeof choice === "string" ? registry.configure(choice, options ?? {}) : registry.resolve(choice as PluginChoice<K> | { readonly name: string; readonly options?: unknown });
  const instance = configured.create();
  if (!isInstance(slot, instance)) {
    throw new MinevoError(
      ErrorCode.InvalidArgument,
      `the ${slot} plugin "${configured.plugin.name}" created something that is not a ${slot} (it lacks ${instanceMethods[slot].join(", ")})`,
      { field: slot, name: configured.plugin.name },
    );
  }
  return instance;
}
