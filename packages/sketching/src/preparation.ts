/**
 * What every strategy does around its own algebra: remember the run's sizes and random state,
 * check each step's input, download tensors, and refuse to hand back a non-finite θ̇.
 */
import {
  ErrorCode,
  MinevoError,
  assertFinite,
  quote,
  type RandomStream,
  type RandomStreamState,
  type SketchPrepareContext,
  type SketchSolveInput,
  type SketchState,
  type TensorFlow,
  type RowMajor,
} from "@minevo/core";
import type { Tensor2D } from "@tensorflow/tfjs-core";

export interface Prepared {
  readonly numPoints: number;
  readonly numParameters: number;
  readonly tf: TensorFlow;
  /** The stream's state when `prepare` was called. */
  readonly initialRandom: RandomStreamState;
  /** The strategy's own copy of the stream (the caller's is never advanced). */
  readonly random: RandomStream;
}

export function checkPrepareContext(name: string, context: SketchPrepareContext): Prepared {
  const { numPoints, numParameters, random, tf } = context;
  for (const [label, value] of [
    ["numPoints", numPoints],
    ["numParameters", numParameters],
  ] as const) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new MinevoError(ErrorCode.InvalidArgument, `sketch "${name}": ${label} ${quote(value)} must be a positive integer`, {
        [label]: value,
      });
    }
  }
  if (typeof random?.clone !== "function") {
    throw new MinevoError(ErrorCode.InvalidArgument, `sketch "${name}": prepare needs a RandomStream as \`random\`, got ${quote(random)}`);
  }
  if (typeof tf?.tensor2d !== "function") {
    throw new MinevoError(ErrorCode.InvalidArgument, `sketch "${name}": prepare needs the TensorFlow.js namespace as \`tf\``);
  }
  return { numPoints, numParameters, tf, initialRandom: random.getState(), random: random.clone() };
}

export function requirePrepared(name: string, prepared: Prepared | undefined): Prepared {
  if (prepared === undefined) {
    throw new MinevoError(
      ErrorCode.InvalidState,
      `sketch "${name}" is not prepared (or was disposed): call prepare({ numPoints, numParameters, random, tf }) first`,
    );
  }
  return prepared;
}

/** Checks J's shape and f's length and finiteness against the prepared sizes. */
export function checkSolveInput(name: string, prepared: Prepared, input: SketchSolveInput): TensorFlow {
  const { jacobian, rhs } = input;
  if (jacobian.numPoints !== prepared.numPoints || jacobian.numParameters !== prepared.numParameters) {
    throw new MinevoError(
      ErrorCode.DimensionMismatch,
      `sketch "${name}": the Jacobian is ${jacobian.numPoints}×${jacobian.numParameters}, but the strategy was prepared ` +
        `for N×p = ${prepared.numPoints}×${prepared.numParameters}; prepare again when N or p changes`,
      { numPoints: jacobian.numPoints, numParameters: jacobian.numParameters },
    );
  }
  if (!(rhs instanceof Float64Array)) {
    throw new MinevoError(ErrorCode.InvalidArgument, `sketch "${name}": the right-hand side f must be a Float64Array, got ${quote(rhs)}`);
  }
  if (rhs.length !== prepared.numPoints) {
    throw new MinevoError(
      ErrorCode.DimensionMismatch,
      `sketch "${name}": the right-hand side f has length ${rhs.length}, expected N = ${prepared.numPoints} (one value per collocation point)`,
      { length: rhs.length, numPoints: prepared.numPoints },
    );
  }
  assertFinite(rhs, `sketch "${name}": the right-hand side f`, "the equation's right-hand side blew up or was evaluated at a bad state");
  return input.tf ?? prepared.tf;
}

/** Reads a rows×cols tensor back (checked finite); disposes it unless `dispose` is false. */
export async function download(tensor: Tensor2D, rows: number, cols: number, what: string, dispose = true): Promise<RowMajor> {
  try {
    const [r, c] = tensor.shape;
    if (r !== rows || c !== cols) {
      throw new MinevoError(ErrorCode.DimensionMismatch, `${what} has shape ${r}×${c}, expected ${rows}×${cols}`, {
        shape: tensor.shape,
        expected: [rows, cols],
      });
    }
    const data = (await tensor.data()) as Float32Array;
    assertFinite(data, what, "the Jacobian has NaN or infinite entries (a blown-up network?)");
    return { rows, cols, data };
  } finally {
    if (dispose) tensor.dispose();
  }
}

export function checkThetaDot(name: string, thetaDot: Float64Array): Float64Array {
  assertFinite(thetaDot, `sketch "${name}": θ̇`, "the small system is too ill-conditioned for λ; increase the regularisation");
  return thetaDot;
}

export function stateOf(name: string, prepared: Prepared | undefined, random: "initial" | "current"): SketchState {
  const p = requirePrepared(name, prepared);
  return {
    strategy: name,
    numPoints: p.numPoints,
    numParameters: p.numParameters,
    random: random === "initial" ? p.initialRandom : p.random.getState(),
  };
}
