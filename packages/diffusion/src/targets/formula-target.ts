/**
 * The shared shell of every built-in target: input checks, then the target's own batched formula.
 * A wrong point width is a programming error that would otherwise surface as an opaque broadcast
 * failure deep inside a sampler, so it is caught here with the shapes named.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { ErrorCode, MinevoError, type SamplingTarget, type TargetScore, type TensorFlow } from "@minevo/core";

/** What a formula target provides; `formulaTarget` adds the checks. */
export type FormulaTargetSpec = Omit<SamplingTarget, "logDensity" | "scoreAndLogDensity"> & {
  logDensity(points: Tensor2D, tf: TensorFlow): Tensor1D;
  scoreAndLogDensity(points: Tensor2D, tf: TensorFlow): TargetScore;
};

/** The width of a point row: d_x plus d_y for a joint target. */
export function pointDimOf(target: Pick<SamplingTarget, "dim" | "conditionDim">): number {
  return target.dim + (target.conditionDim ?? 0);
}

/** Throws {@link ErrorCode.DimensionMismatch} unless `points` is [M, pointDim] with M ≥ 1. */
export function checkPoints(points: Tensor2D, pointDim: number, where: string): void {
  const shape = points.shape as readonly number[];
  if (shape.length !== 2 || shape[1] !== pointDim || (shape[0] ?? 0) < 1) {
    throw new MinevoError(
      ErrorCode.DimensionMismatch,
      `${where}: points must have shape [M, ${pointDim}] with M ≥ 1 (one row per point: x then any condition y), got [${shape.join(", ")}]`,
      { received: [...shape], expected: ["M", pointDim] },
    );
  }
}

export function formulaTarget(spec: FormulaTargetSpec): SamplingTarget {
  const pointDim = pointDimOf(spec);
  return {
    ...spec,
    logDensity(points, tf) {
      checkPoints(points, pointDim, `target "${spec.name}" logDensity`);
      return spec.logDensity(points, tf);
    },
    scoreAndLogDensity(points, tf) {
      checkPoints(points, pointDim, `target "${spec.name}" scoreAndLogDensity`);
      return spec.scoreAndLogDensity(points, tf);
    },
  };
}
