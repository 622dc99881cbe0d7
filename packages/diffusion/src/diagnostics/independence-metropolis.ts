/**
 * An independence Metropolis–Hastings chain over draws x₁ … xₙ from a proposal q with importance
 * log-weights log wⱼ = log π̃(xⱼ) − log q(xⱼ) (METHOD.md §5). Proposal j replaces the current
 * state s with probability min(1, wⱼ / wₛ); the draws are independent, so taking them in order as
 * the proposals is a valid chain whose stationary law is π, and its states are exact π-samples
 * in the limit even when the weights' ESS is low.
 */
import { ErrorCode, MinevoError, quote, type RandomStream } from "@minevo/core";
import { checkLogWeights } from "./importance-weights.js";

export interface IndependenceChain {
  /** The state after each proposal: indices into the draws, length n (state 0 = `start`). */
  readonly indices: Int32Array;
  /** Accepted proposals / (n − 1). */
  readonly acceptanceRate: number;
}

/**
 * Runs the chain through proposals 1 … n−1, starting at draw `start` (default: the first draw of
 * finite weight, so the chain never starts where π̃ vanishes).
 */
export function independenceMetropolisHastings(logWeights: ArrayLike<number>, random: RandomStream, start?: number): IndependenceChain {
  checkLogWeights(logWeights, "independenceMetropolisHastings");
  const n = logWeights.length;
  let state = start ?? 0;
  if (start === undefined) {
    while (!Number.isFinite(logWeights[state])) state++;
  } else if (!Number.isSafeInteger(start) || start < 0 || start >= n || !Number.isFinite(logWeights[start])) {
    throw new MinevoError(ErrorCode.InvalidArgument, `independenceMetropolisHastings: start ${quote(start)} must index a draw of finite weight in [0, ${n})`);
  }
  const indices = new Int32Array(n);
  indices[0] = state;
  let accepted = 0;
  for (let j = 1; j < n; j++) {
    const logRatio = (logWeights[j] as number) - (logWeights[state] as number);
    if (Math.log(random.uniformOpen()) < logRatio) {
      state = j;
      accepted++;
    }
    indices[j] = state;
  }
  return { indices, acceptanceRate: n > 1 ? accepted / (n - 1) : 0 };
}
