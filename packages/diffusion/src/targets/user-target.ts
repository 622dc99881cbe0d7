/**
 * `userTarget`: a target from a user's log-density written with TensorFlow.js ops. The score
 * ∇ₓ log π̃ comes from reverse-mode autodiff (`tf.valueAndGrad`), one backward pass for all M
 * points since the points do not interact (∇ of Σₘ log π̃(xₘ) in xₘ is the score at xₘ).
 *
 * A user's formula is the likeliest source of a wrong shape or a NaN, and both would otherwise
 * surface far away (a broadcast error in a sampler, a step-size collapse in the integrator), so
 * every output is checked here and the first bad point is quoted.
 *
 * Gradients: TensorFlow.js registers its gradient functions only when
 * `@tensorflow/tfjs-core/dist/register_all_gradients` (or `@tensorflow/tfjs`, or
 * `@tensorflow/tfjs-node`) is imported. That deep path is ESM without file extensions, which a
 * bundler (Vite, webpack, vitest) loads but plain Node cannot, so this module does not import it
 * itself; a missing gradient becomes a {@link ErrorCode.BackendUnavailable} error that says
 * what to import.
 */
import type { Scalar, Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { ErrorCode, MinevoError, quote, type SamplingTarget, type TensorFlow } from "@minevo/core";
import { checkPoints } from "./formula-target.js";

export interface UserTargetSpec {
  /** d_x. */
  readonly dim: number;
  /** d_y for a joint π̃(x, y); the score is then ∇ₓ only. */
  readonly conditionDim?: number;
  /** log π̃ at each row of `points` ([M, dim + conditionDim]), returning shape [M]. */
  readonly logDensity: (points: Tensor2D, tf: TensorFlow) => Tensor1D;
  readonly name?: string;
  readonly description?: string;
  /** log Z, if the user knows it. */
  readonly logZ?: number;
  /**
   * Check every output for shape and finiteness (default true). The finiteness check reads the
   * M values back from the backend; turn it off only for a formula already known to be sound.
   */
  readonly validate?: boolean;
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === "object" && value !== null && "shape" in value && "dataSync" in value && "dispose" in value;
}

function checkPositiveInteger(value: number | undefined, field: string, allowZero: boolean): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new MinevoError(
      ErrorCode.InvalidArgument,
      `userTarget: ${field} must be a ${allowZero ? "non-negative" : "positive"} integer, got ${quote(value)}`,
      { field },
    );
  }
}

export function userTarget(spec: UserTargetSpec): SamplingTarget {
  checkPositiveInteger(spec.dim, "dim", false);
  checkPositiveInteger(spec.conditionDim, "conditionDim", true);
  if (typeof spec.logDensity !== "function") {
    throw new MinevoError(ErrorCode.InvalidArgument, `userTarget: logDensity must be a function (points, tf) => Tensor1D, got ${quote(spec.logDensity)}`);
  }
  const name = spec.name ?? "user";
  const dim = spec.dim;
  const conditionDim = spec.conditionDim ?? 0;
  const pointDim = dim + conditionDim;
  const validate = spec.validate ?? true;
  const fn = `logDensity of target "${name}"`;

  function checkShape(output: unknown, M: number): void {
    if (!isTensor(output)) {
      throw new MinevoError(ErrorCode.DimensionMismatch, `${fn} must return a tensor of shape [${M}], got ${quote(output)}`, {
        expected: [M],
      });
    }
    const shape = output.shape as readonly number[];
    if (shape.length !== 1 || shape[0] !== M) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `${fn} returned shape [${shape.join(", ")}] for ${M} points of dimension ${pointDim}; it must return shape [${M}], one log-density per row (reduce over axis 1, e.g. tf.sum(..., 1))`,
        { received: [...shape], expected: [M] },
      );
    }
  }

  /** Throws {@link ErrorCode.NonFinite} quoting the first point whose `values` entry is not finite. */
  function checkFinite(values: Tensor, points: Tensor2D, what: string): void {
    const data = values.dataSync();
    const width = values.shape.length === 2 ? (values.shape[1] as number) : 1;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        const row = Math.floor(i / width);
        const point = Array.from(points.dataSync().subarray(row * pointDim, (row + 1) * pointDim));
        throw new MinevoError(
          ErrorCode.NonFinite,
          `${what} is ${String(data[i])} at point ${row} = ${quote(point)}; the log-density must be finite wherever it is evaluated (clamp, or use a log-sum-exp form)`,
          { index: row, point, value: data[i] },
        );
      }
    }
  }

  function evaluate(points: Tensor2D, tf: TensorFlow): Tensor1D {
    return tf.tidy(() => {
      const output: unknown = spec.logDensity(points, tf);
      checkShape(output, points.shape[0]);
      return output as Tensor1D;
    });
  }

  const target: SamplingTarget = {
    name,
    description: spec.description ?? `a user's log-density in ${dim} dimensions${conditionDim ? ` given ${conditionDim} condition coordinates` : ""}`,
    dim,
    ...(conditionDim > 0 ? { conditionDim } : {}),
    ...(spec.logZ !== undefined ? { logZ: spec.logZ } : {}),
    logDensity(points, tf) {
      checkPoints(points, pointDim, fn);
      const logDensity = evaluate(points, tf);
      if (validate) {
        try {
          checkFinite(logDensity, points, fn);
        } catch (error) {
          logDensity.dispose();
          throw error;
        }
      }
      return logDensity;
    },
    scoreAndLogDensity(points, tf) {
      checkPoints(points, pointDim, fn);
      // Throwing inside the tape would leak the tensors it saved for the backward pass, so the
      // forward pass only records what it got; shape errors are thrown after the gradient.
      const forward: { logDensity?: Tensor1D; notATensor?: unknown } = {};
      let gradient: Tensor2D;
      try {
        gradient = tf.tidy(() => {
          const { grad } = tf.valueAndGrad((p: Tensor2D): Scalar => {
            // 0·Σp ties the value to the points, so a formula that ignores some or all of x gets
            // a zero score there instead of TensorFlow.js's "cannot compute gradient" error
            // (thrown after the forward pass, it would strand the tape's saved tensors).
            const tie: Scalar = tf.mul(tf.sum(p), 0);
            const output: unknown = spec.logDensity(p, tf);
            if (!isTensor(output)) {
              forward.notATensor = output;
              return tie;
            }
            forward.logDensity = tf.keep(output as Tensor1D);
            return tf.add(tf.sum(forward.logDensity), tie) as Scalar;
          })(points);
          return grad as Tensor2D;
        });
      } catch (error) {
        forward.logDensity?.dispose();
        throw translateGradientError(error, fn);
      }
      const logDensity = forward.logDensity;
      try {
        checkShape(logDensity ?? forward.notATensor, points.shape[0]);
      } catch (error) {
        gradient.dispose();
        logDensity?.dispose();
        throw error;
      }
      const checkedLogDensity = logDensity as Tensor1D;
      const score = conditionDim > 0 ? tf.tidy(() => tf.slice(gradient, [0, 0], [-1, dim])) : gradient;
      if (score !== gradient) gradient.dispose();
      if (validate) {
        try {
          checkFinite(checkedLogDensity, points, fn);
          checkFinite(score, points, `the gradient of ${fn}`);
        } catch (error) {
          checkedLogDensity.dispose();
          score.dispose();
          throw error;
        }
      }
      return { logDensity: checkedLogDensity, score };
    },
  };
  return target;
}

function translateGradientError(error: unknown, fn: string): unknown {
  if (error instanceof MinevoError || !(error instanceof Error)) return error;
  if (/gradient function not found/i.test(error.message)) {
    return new MinevoError(
      ErrorCode.BackendUnavailable,
      `${fn}: TensorFlow.js has no gradients registered (${error.message}). Import "@tensorflow/tfjs-core/dist/register_all_gradients" once in a bundled app (Vite, webpack), or import "@tensorflow/tfjs" or "@tensorflow/tfjs-node" in Node, before asking for scores`,
      {},
      { cause: error },
    );
  }
  return error;
}
