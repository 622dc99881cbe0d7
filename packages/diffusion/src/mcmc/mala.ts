/**
 * The Metropolis-adjusted Langevin algorithm (Roberts and Tweedie 1996), many chains at once:
 *
 *     y = x + h ∇log π̃(x) + √(2h) ξ,   ξ ~ N(0, I),
 *     log α = log π̃(y) − log π̃(x) + log q(x | y) − log q(y | x),
 *     log q(b | a) = −|b − a − h ∇log π̃(a)|² / (4h)
 *
 * (the proposal of the numpy reference, shared/reference/mne.py). The time step h adapts during
 * warm-up toward acceptance 0.574, the optimum of Roberts and Rosenthal (1998). For a joint
 * target only x moves; the condition y of each chain stays where it started.
 */
import { acceptInto, metropolisDecisions, runChains, type ChainContext, type ChainState, type McmcOptions, type McmcResult, type TransitionKernel, type TransitionStatistics } from "./chains.js";

export type MalaOptions = McmcOptions;

/**
 * One MALA move of every chain, chain c with time step stepOf(c): propose, evaluate all proposals
 * in one batched call, accept or reject. Shared by `runMala` (one step for all chains) and
 * `malaPoints`' per-chain step sizes.
 */
export function malaTransition(context: ChainContext, state: ChainState, stepOf: (chain: number) => number): TransitionStatistics {
  const { numChains: C, dim: d, pointDim: P, random } = context;
  const proposal = Float64Array.from(state.points);
  const forward = new Float64Array(C); // log q(y | x) = −|ξ|²/2
  for (let c = 0; c < C; c++) {
    const h = stepOf(c);
    const noiseScale = Math.sqrt(2 * h);
    let squared = 0;
    for (let i = 0; i < d; i++) {
      const xi = random.normal();
      squared += xi * xi;
      proposal[c * P + i] = (state.points[c * P + i] as number) + h * (state.score[c * d + i] as number) + noiseScale * xi;
    }
    forward[c] = -0.5 * squared;
  }
  const at = context.evaluate(proposal);
  const logAcceptance = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const h = stepOf(c);
    let backward = 0;
    for (let i = 0; i < d; i++) {
      const r = (state.points[c * P + i] as number) - (proposal[c * P + i] as number) - h * (at.score[c * d + i] as number);
      backward += r * r;
    }
    logAcceptance[c] = (at.logDensity[c] as number) - (state.logDensity[c] as number) - backward / (4 * h) - (forward[c] as number);
  }
  const stats = metropolisDecisions(logAcceptance, random);
  acceptInto(state, proposal, at, stats.accepted, context);
  return stats;
}

const malaKernel: TransitionKernel = (context, state, h) => malaTransition(context, state, () => h);

/** Runs MALA chains: warm-up with step-size adaptation, then `numSamples` kept draws per chain. */
export function runMala(options: MalaOptions): McmcResult {
  return runChains(options, malaKernel, { stepSize: 0.1, targetAcceptance: 0.574 }, "MALA");
}
