/**
 * The one error class of minevo. Every failure a user can meet carries a stable `code` (safe to
 * match on across versions) and a message that quotes the bad value and says what to do.
 */

/** Stable error codes. New codes may be added; existing ones never change meaning. */
export const ErrorCode = {
  /** A registry was asked for a name it does not hold. */
  UnknownPlugin: "MINEVO_UNKNOWN_PLUGIN",
  /** A second, different plugin was registered under a name already taken. */
  DuplicatePlugin: "MINEVO_DUPLICATE_PLUGIN",
  /** Options (from code or JSON) failed validation. */
  InvalidOptions: "MINEVO_INVALID_OPTIONS",
  /** An argument has the wrong shape, size or value. */
  InvalidArgument: "MINEVO_INVALID_ARGUMENT",
  /** A NaN or infinity appeared where a finite number is required. */
  NonFinite: "MINEVO_NONFINITE",
  /** A dimension does not match what the problem declares. */
  DimensionMismatch: "MINEVO_DIMENSION_MISMATCH",
  /** The requested compute backend cannot run in this environment. */
  BackendUnavailable: "MINEVO_BACKEND_UNAVAILABLE",
  /** An adaptive integrator's step size fell below its floor. */
  StepSizeCollapse: "MINEVO_STEP_SIZE_COLLAPSE",
  /** An integration stopped early: too many steps, or too many consecutive rejections. */
  IntegrationFailed: "MINEVO_INTEGRATION_FAILED",
  /** A matrix that must be symmetric positive definite is not (numerically). */
  NotPositiveDefinite: "MINEVO_NOT_POSITIVE_DEFINITE",
  /** A matrix is singular to working precision. */
  SingularMatrix: "MINEVO_SINGULAR_MATRIX",
  /** A serialised state (random stream, checkpoint) is malformed. */
  InvalidState: "MINEVO_INVALID_STATE",
  /** Tensors were created and not disposed. */
  TensorLeak: "MINEVO_TENSOR_LEAK",
  /** A checkpoint file is truncated, modified, foreign, of another format version, or malformed. */
  CorruptCheckpoint: "MINEVO_CORRUPT_CHECKPOINT",
  /** An evolved model left the solution while staying finite (a sampler's terminal check). */
  ModelBlowUp: "MINEVO_MODEL_BLOW_UP",
  /** A run was stopped by its AbortSignal (after saving a checkpoint, when one was configured). */
  Aborted: "MINEVO_ABORTED",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Structured context attached to an error, for programs that want more than the message. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

export class MinevoError extends Error {
  override readonly name = "MinevoError";
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

/** True when `error` is a {@link MinevoError}, optionally with the given code. */
export function isMinevoError(error: unknown, code?: ErrorCode): error is MinevoError {
  return error instanceof MinevoError && (code === undefined || error.code === code);
}

/** Formats a value for an error message: short, and exact for numbers. */
export function quote(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (value === undefined) return "undefined";
  try {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Throws {@link ErrorCode.NonFinite} unless every entry of `values` is finite. */
export function assertFinite(values: ArrayLike<number>, what: string, hint = ""): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) {
      throw new MinevoError(
        ErrorCode.NonFinite,
        `${what} has a non-finite value ${String(v)} at index ${i}${hint ? `: ${hint}` : ""}`,
        { index: i, value: v },
      );
    }
  }
}
