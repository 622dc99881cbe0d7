/**
 * Self-normalised importance weights in float64 (METHOD.md §5): from log wⱼ = log π̃(xⱼ) − log q(xⱼ)
 * to normalised weights, the effective sample size (Σw)²/Σw² and the unbiased Ẑ = mean w.
 * Everything goes through log-sum-exp: the weights of a 32-dimensional target span hundreds of
 * orders of magnitude and would overflow if exponentiated directly.
 */
import { ErrorCode, MinevoError } from "@minevo/core";

export interface ImportanceWeights {
  /** w̄ⱼ = wⱼ / Σw, summing to one. */
  readonly normalisedWeights: Float64Array;
  /** log Σ wⱼ. */
  readonly logSumWeights: number;
  /** log Ẑ = log((1/n) Σ wⱼ): the log of the unbiased estimate of Z. */
  readonly logMeanWeight: number;
  /** (Σw)² / Σw², between 1 and n. */
  readonly effectiveSampleSize: number;
  /** effectiveSampleSize / n. */
  readonly relativeEffectiveSampleSize: number;
}

/** log Σ exp(vⱼ), exact for −∞ entries; −∞ when every entry is −∞. */
export function logSumExp(values: ArrayLike<number>, scale = 1): number {
  let peak = -Infinity;
  for (let j = 0; j < values.length; j++) peak = Math.max(peak, scale * (values[j] as number));
  if (peak === -Infinity) return -Infinity;
  let s = 0;
  for (let j = 0; j < values.length; j++) s += Math.exp(scale * (values[j] as number) - peak);
  return peak + Math.log(s);
}

/**
 * Throws unless every log-weight is finite or −∞ (a point where π̃ vanishes) and at least one is
 * finite: NaN or +∞ would silently corrupt every estimate that uses the weights.
 */
export function checkLogWeights(logWeights: ArrayLike<number>, what: string): void {
  if (logWeights.length === 0) throw new MinevoError(ErrorCode.InvalidArgument, `${what}: no log-weights given`);
  let anyFinite = false;
  for (let j = 0; j < logWeights.length; j++) {
    const v = logWeights[j] as number;
    if (Number.isNaN(v) || v === Infinity) {
      throw new MinevoError(
        ErrorCode.NonFinite,
        `${what}: log-weight ${j} is ${String(v)}; log-weights must be finite or −Infinity (zero weight). Check log π̃ and log q at that point`,
        { index: j, value: v },
      );
    }
    if (Number.isFinite(v)) anyFinite = true;
  }
  if (!anyFinite) {
    throw new MinevoError(ErrorCode.NonFinite, `${what}: all ${logWeights.length} log-weights are −Infinity; no draw has positive weight`);
  }
}

export function importanceWeights(logWeights: ArrayLike<number>): ImportanceWeights {
  checkLogWeights(logWeights, "importanceWeights");
  const n = logWeights.length;
  const logSum = logSumExp(logWeights);
  const normalisedWeights = new Float64Array(n);
  for (let j = 0; j < n; j++) normalisedWeights[j] = Math.exp((logWeights[j] as number) - logSum);
  // (Σw)²/Σw² = exp(2 log Σw − log Σw²).
  const effectiveSampleSize = Math.exp(2 * logSum - logSumExp(logWeights, 2));
  return {
    normalisedWeights,
    logSumWeights: logSum,
    logMeanWeight: logSum - Math.log(n),
    effectiveSampleSize,
    relativeEffectiveSampleSize: effectiveSampleSize / n,
  };
}
