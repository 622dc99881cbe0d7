/**
 * Systematic resampling (Kitagawa 1996): one uniform u ~ U[0, 1/m) and the m evenly spaced
 * positions u + k/m through the cumulative weights. Unbiased (index j appears m·w̄ⱼ times in
 * expectation) with the least variance of the standard schemes, and each index appears either
 * ⌊m w̄ⱼ⌋ or ⌈m w̄ⱼ⌉ times.
 */
import { ErrorCode, MinevoError, quote, type RandomStream } from "@minevo/core";
import { checkLogWeights, logSumExp } from "./importance-weights.js";

/** m indices drawn systematically with probabilities ∝ exp(logWeights). */
export function systematicResample(logWeights: ArrayLike<number>, random: RandomStream, m = logWeights.length): Int32Array {
  checkLogWeights(logWeights, "systematicResample");
  if (!Number.isSafeInteger(m) || m < 1) {
    throw new MinevoError(ErrorCode.InvalidArgument, `systematicResample: the number of draws must be a positive integer, got ${quote(m)}`);
  }
  const n = logWeights.length;
  const logSum = logSumExp(logWeights);
  const out = new Int32Array(m);
  const u = random.uniform() / m;
  let cumulative = Math.exp((logWeights[0] as number) - logSum);
  let j = 0;
  for (let k = 0; k < m; k++) {
    const position = u + k / m;
    // The last index absorbs the rounding of the cumulative sum (it can end a hair below 1).
    while (position >= cumulative && j < n - 1) {
      j++;
      cumulative += Math.exp((logWeights[j] as number) - logSum);
    }
    out[k] = j;
  }
  return out;
}
