/**
 * Compute backends: the contract that backend packages implement, and selection by name or
 * `auto`. Core never imports TensorFlow.js at run time; an active backend hands out the `tf`
 * namespace it initialised, so every package uses the one engine the user chose.
 */
import type * as TensorFlowCore from "@tensorflow/tfjs-core";
import { ErrorCode, MinevoError, quote } from "./errors.js";
import { registries, type PluginChoice, type Registry } from "./registry.js";

/** The TensorFlow.js namespace (`@tensorflow/tfjs-core`). */
export type TensorFlow = typeof TensorFlowCore;

/** What a backend reports about whether it can run here. */
export interface BackendProbe {
  readonly available: boolean;
  /** Why it is or is not available, in words a user can act on. */
  readonly reason: string;
  /** True when it computes on an accelerator (a GPU, not a software rasteriser). */
  readonly accelerated: boolean;
}

/** A backend after initialisation: the tf namespace to compute with and what it runs on. */
export interface ActiveBackend {
  /** The minevo backend name (`cpu`, `wasm`, `webgpu`, `node-gpu`, …). */
  readonly name: string;
  /** The TensorFlow.js backend name in use (`tf.getBackend()`). */
  readonly tfBackend: string;
  /** The engine underneath, e.g. "tfjs-node-gpu (CUDA)" or "Dawn/Vulkan: llvmpipe". */
  readonly engine: string;
  readonly accelerated: boolean;
  /** Remarks gathered while selecting and initialising (fallbacks and their reasons). */
  readonly notes: readonly string[];
  readonly tf: TensorFlow;
}

/** The instance a backend plugin creates. */
export interface BackendProvider {
  /** `auto` prefers higher priorities among the available backends. */
  readonly priority: number;
  probe(): Promise<BackendProbe>;
  activate(): Promise<ActiveBackend>;
}

export interface SelectBackendOptions {
  readonly registry?: Registry<"backend">;
  /** Receives one line for each fallback `auto` makes, and the final choice. */
  readonly log?: (line: string) => void;
}

/**
 * Selects and activates a backend. `"auto"` probes every registered backend and activates the
 * available one of highest priority, logging why each better one was passed over; naming a
 * backend that cannot run here throws {@link ErrorCode.BackendUnavailable} with the reason.
 */
export async function selectBackend(
  choice: "auto" | PluginChoice<"backend"> | { readonly name: string; readonly options?: unknown } | string,
  options: SelectBackendOptions = {},
): Promise<ActiveBackend> {
  const registry = options.registry ?? registries.backend;
  const log = options.log ?? (() => undefined);
  if (choice !== "auto") {
    const configured = registry.resolve(choice);
    const provider = configured.create() as BackendProvider;
    const probe = await provider.probe();
    if (!probe.available) {
      throw new MinevoError(
        ErrorCode.BackendUnavailable,
        `backend "${configured.plugin.name}" is not available here: ${probe.reason}`,
        { backend: configured.plugin.name, reason: probe.reason },
      );
    }
    const active = await provider.activate();
    log(`backend: ${active.name} (${active.engine})`);
    return active;
  }
  const names = registry.names();
  if (names.length === 0) {
    throw new MinevoError(
      ErrorCode.BackendUnavailable,
      "no backend is registered: import a backend package such as @minevo/backend-cpu",
    );
  }
  const candidates = names.map((name) => ({ name, provider: registry.configure(name, {}).create() as BackendProvider }));
  candidates.sort((a, b) => b.provider.priority - a.provider.priority);
  const notes: string[] = [];
  for (const { name, provider } of candidates) {
    let probe: BackendProbe;
    try {
      probe = await provider.probe();
    } catch (error) {
      probe = { available: false, accelerated: false, reason: error instanceof Error ? error.message : quote(error) };
    }
    if (!probe.available) {
      const line = `backend "${name}" skipped: ${probe.reason}`;
      notes.push(line);
      log(line);
      continue;
    }
    try {
      const active = await provider.activate();
      log(`backend: ${active.name} (${active.engine})`);
      return { ...active, notes: [...notes, ...active.notes] };
    } catch (error) {
      const line = `backend "${name}" failed to initialise: ${error instanceof Error ? error.message : quote(error)}`;
      notes.push(line);
      log(line);
    }
  }
  throw new MinevoError(ErrorCode.BackendUnavailable, `no registered backend can run here: ${notes.join("; ")}`, { notes });
}

/**
 * Switches TensorFlow.js to `tfBackend` and proves it happened: `tf.setBackend` resolves to false
 * (it does not throw) when initialisation fails, and tfjs then quietly computes on whatever
 * backend it falls back to. A minevo backend must either really run on its engine or fail loudly
 * with {@link ErrorCode.BackendUnavailable}; `hint` says what the user can do about it.
 */
export async function setTensorFlowBackend(tf: TensorFlow, tfBackend: string, hint: string): Promise<void> {
  let switched: boolean;
  try {
    switched = await tf.setBackend(tfBackend);
    await tf.ready();
  } catch (error) {
    throw new MinevoError(
      ErrorCode.BackendUnavailable,
      `TensorFlow.js could not initialise its "${tfBackend}" backend: ${error instanceof Error ? error.message : String(error)}; ${hint}`,
      { tfBackend },
      { cause: error },
    );
  }
  const active = tf.getBackend();
  if (!switched || active !== tfBackend) {
    throw new MinevoError(
      ErrorCode.BackendUnavailable,
      `TensorFlow.js did not switch to its "${tfBackend}" backend (setBackend returned ${String(switched)}, the active backend is "${active}"); ${hint}`,
      { tfBackend, active, switched },
    );
  }
}
