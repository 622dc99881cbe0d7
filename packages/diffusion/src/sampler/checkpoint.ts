/**
 * The OU sampler's checkpoint: what `runOuSampler` needs to continue an interrupted run with
 * bitwise the same numbers, and its file form (see @minevo/evolution's checkpoint-file.ts for the bytes).
 *
 * What is in it, and why it suffices: the options that determine the numbers (`settings`, with a
 * fingerprint so that a resume with other options is refused), the run's root random stream (every
 * other stream — points, θ₀, Ω, z, resampling, chain — derives from it by label and so is
 * recreated exactly), the sketch's state (a per-step sketch continues its draws from it; a fixed
 * sketch redraws the same Ω), the collocation points X(0), the fitted θ₀ with the fit report, and
 * for the forward run the integrator's solve snapshot: the stepper (t, y = (θ, X, …), the next h,
 * the controller's error history, the first-same-as-last derivative, the statistics) and the dense
 * output accepted so far, which the reverse flow interpolates θ(t) from.
 */
import { ErrorCode, MinevoError, quote, type RandomStreamState, type SketchState, type SolveSnapshot } from "@minevo/core";
import { crc32, decodeCheckpointTree, encodeCheckpointTree, type InitialFitReport, type MneState } from "@minevo/evolution";

/** One accepted forward step, as recorded in the result's diagnostics and in checkpoints. */
export interface OuSamplerForwardStep {
  readonly t: number;
  readonly stepSize: number;
  readonly effectiveRank: number;
  readonly rejectedAttempts: number;
}

/**
 * Where a checkpoint was taken: after the fit, during the forward run, or after it (the reverse
 * flow and the weights are recomputed from there; they take a minute, not the forward run's ten).
 */
export type OuSamplerPhase = "fit-complete" | "forward" | "forward-complete";

export interface OuSamplerCheckpoint {
  readonly version: 1;
  readonly phase: OuSamplerPhase;
  /** CRC-32 (hex) of `settings` as canonical JSON. */
  readonly fingerprint: string;
  /** The options that determine the run's numbers, as canonical plain data. */
  readonly settings: { readonly [key: string]: unknown };
  /** The run's root stream (all its streams derive from it by label). */
  readonly random: RandomStreamState;
  /** The sketch strategy's state when the checkpoint was taken (null before the forward run). */
  readonly sketch: SketchState | null;
  /** X(0), N×d. */
  readonly collocationPoints: Float64Array;
  /** The initial fit (θ₀ = fit.parameters). */
  readonly fit: InitialFitReport;
  /** The forward solve so far (null in phase "fit-complete"). */
  readonly forward: SolveSnapshot<MneState> | null;
  readonly forwardSteps: readonly OuSamplerForwardStep[];
  /** Seconds spent so far, carried into the resumed run's timings. */
  readonly timings: { readonly fit: number; readonly forward: number };
}

/** Refuses a malformed `checkpoint` option (both samplers take the same one). */
export function checkCheckpointOptions(checkpoint: { readonly everySteps: number; readonly save: unknown } | undefined): void {
  if (checkpoint !== undefined && (!(Number.isSafeInteger(checkpoint.everySteps) && checkpoint.everySteps >= 1) || typeof checkpoint.save !== "function")) {
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `checkpoint must be { everySteps: a whole number ≥ 1, save: (checkpoint) => … }, got everySteps ${quote(checkpoint.everySteps)} and save ${typeof checkpoint.save}`,
      { field: "checkpoint" },
    );
  }
}

/**
 * The fingerprint of a run's `settings`, after checking that `resume` (when given) is a
 * well-formed checkpoint saved by a run with these same settings.
 */
export function resumableFingerprint(settings: { readonly [key: string]: unknown }, resume: OuSamplerCheckpoint | undefined): string {
  const fingerprint = checkpointFingerprint(settings);
  if (resume !== undefined) {
    checkCheckpoint(resume, "the resume checkpoint");
    if (resume.fingerprint !== fingerprint) {
      throw new MinevoError(
        ErrorCode.InvalidOptions,
        `the checkpoint was saved by a run with other options — ${describeDifferences(resume.settings, settings)}: resume with the options of the interrupted run`,
        { field: "resume", fingerprint: resume.fingerprint, expected: fingerprint },
      );
    }
  }
  return fingerprint;
}

/** What every checkpoint of one run carries whatever its phase. */
export interface CheckpointRun {
  readonly fingerprint: string;
  readonly settings: { readonly [key: string]: unknown };
  readonly random: RandomStreamState;
  readonly collocationPoints: Float64Array;
  readonly fit: InitialFitReport;
}

/** The checkpoint after the fit (no forward state yet). */
export function fitCompleteCheckpoint(run: CheckpointRun, fitSeconds: number): OuSamplerCheckpoint {
  return { version: 1, phase: "fit-complete", ...run, collocationPoints: Float64Array.from(run.collocationPoints), sketch: null, forward: null, forwardSteps: [], timings: { fit: fitSeconds, forward: 0 } };
}

/** A checkpoint of the forward run: "forward" mid-run, "forward-complete" once it has reached T. */
export function forwardCheckpoint(
  run: CheckpointRun,
  snapshot: SolveSnapshot<MneState>,
  sketch: SketchState,
  forwardSteps: readonly OuSamplerForwardStep[],
  timings: { readonly fit: number; readonly forward: number },
): OuSamplerCheckpoint {
  return {
    version: 1,
    phase: snapshot.stepper.status === "success" ? "forward-complete" : "forward",
    ...run,
    collocationPoints: Float64Array.from(run.collocationPoints),
    sketch,
    forward: snapshot,
    forwardSteps: [...forwardSteps],
    timings,
  };
}

const kind = "minevo/ou-sampler-checkpoint";

/** The checkpoint as bytes: versioned, float64s bit-exact, with a CRC-32 checksum. */
export function encodeCheckpoint(checkpoint: OuSamplerCheckpoint): Uint8Array {
  checkCheckpoint(checkpoint, "the checkpoint to encode");
  return encodeCheckpointTree(kind, checkpoint);
}

/**
 * The checkpoint in `bytes`. Throws MinevoError CorruptCheckpoint, saying what is wrong, for a
 * truncated, modified or foreign file, another format version, or a malformed checkpoint.
 */
export function decodeCheckpoint(bytes: Uint8Array): OuSamplerCheckpoint {
  const value = decodeCheckpointTree(bytes, kind);
  checkCheckpoint(value, "the decoded checkpoint");
  return value;
}

/** Canonical JSON: object keys sorted, undefined and functions left out. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "function") return undefined;
    if (v instanceof Float64Array) return Array.from(v);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  });
}

export function checkpointFingerprint(settings: unknown): string {
  return crc32(new TextEncoder().encode(canonicalJson(settings))).toString(16).padStart(8, "0");
}

/** A short description of where two settings objects differ (for the mismatch error). */
export function describeDifferences(saved: Readonly<Record<string, unknown>>, current: Readonly<Record<string, unknown>>): string {
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(current)])].sort();
  return keys
    .filter((k) => canonicalJson(saved[k]) !== canonicalJson(current[k]))
    .map((k) => `${k} (checkpoint ${quote(saved[k] ?? null)}, now ${quote(current[k] ?? null)})`)
    .join("; ");
}

function malformed(what: string, field: string, value: unknown): MinevoError {
  return new MinevoError(ErrorCode.CorruptCheckpoint, `${what} is malformed: ${field} is ${quote(value)}; pass what runOuSampler's checkpoint.save received, or decodeCheckpoint's output`, {
    field,
  });
}

const isFloat64 = (v: unknown): v is Float64Array => v instanceof Float64Array;
const isState = (v: unknown): boolean =>
  typeof v === "object" && v !== null && isFloat64((v as { theta?: unknown }).theta);

/** Throws CorruptCheckpoint unless `value` has the shape of an {@link OuSamplerCheckpoint}. */
export function checkCheckpoint(value: unknown, what: string): asserts value is OuSamplerCheckpoint {
  if (typeof value !== "object" || value === null) throw malformed(what, "the checkpoint", value);
  const c = value as Record<string, unknown>;
  if (c.version !== 1) throw malformed(what, "version", c.version);
  if (c.phase !== "fit-complete" && c.phase !== "forward" && c.phase !== "forward-complete") throw malformed(what, "phase", c.phase);
  if (typeof c.fingerprint !== "string") throw malformed(what, "fingerprint", c.fingerprint);
  if (typeof c.settings !== "object" || c.settings === null) throw malformed(what, "settings", c.settings);
  if (c.fingerprint !== checkpointFingerprint(c.settings)) {
    throw new MinevoError(ErrorCode.CorruptCheckpoint, `${what} is inconsistent: its settings do not match its fingerprint ${quote(c.fingerprint)} (edited by hand?)`);
  }
  const random = c.random as RandomStreamState | undefined;
  if (typeof random !== "object" || random === null || typeof random.key !== "string" || !Array.isArray(random.generator)) throw malformed(what, "random", random);
  if (c.sketch !== null && (typeof c.sketch !== "object" || typeof (c.sketch as SketchState).strategy !== "string")) throw malformed(what, "sketch", c.sketch);
  if (!isFloat64(c.collocationPoints) || c.collocationPoints.length === 0) throw malformed(what, "collocationPoints", c.collocationPoints);
  const fit = c.fit as InitialFitReport | undefined;
  if (typeof fit !== "object" || fit === null || !isFloat64(fit.parameters) || !Array.isArray(fit.warnings)) throw malformed(what, "fit", fit);
  const forward = c.forward as SolveSnapshot<MneState> | null | undefined;
  if (c.phase === "fit-complete") {
    if (forward !== null) throw malformed(what, "forward (must be null after the fit)", forward);
  } else {
    const ok =
      typeof forward === "object" &&
      forward !== null &&
      typeof forward.stepper === "object" &&
      forward.stepper !== null &&
      isState(forward.stepper.y) &&
      (forward.stepper.derivative === null || isState(forward.stepper.derivative)) &&
      Array.isArray(forward.segments) &&
      forward.segments.every((s) => isState(s.y0) && isState(s.y1) && Array.isArray(s.derivatives) && s.derivatives.every(isState)) &&
      Array.isArray(forward.ts);
    if (!ok) throw malformed(what, "forward", forward === undefined ? undefined : "(a solve snapshot with missing parts)");
    if ((c.phase === "forward-complete") !== (forward.stepper.status === "success")) {
      throw malformed(what, `phase ${quote(c.phase)} with the forward stepper's status`, forward.stepper.status);
    }
  }
  if (!Array.isArray(c.forwardSteps)) throw malformed(what, "forwardSteps", c.forwardSteps);
  const timings = c.timings as { fit?: unknown; forward?: unknown } | undefined;
  if (typeof timings !== "object" || timings === null || typeof timings.fit !== "number" || typeof timings.forward !== "number") throw malformed(what, "timings", timings);
}
