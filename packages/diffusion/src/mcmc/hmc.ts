/**
 * Hamiltonian Monte Carlo (Duane et al. 1987; Neal 2011) with an identity mass matrix and a fixed
 * number L of leapfrog steps, many chains at once:
 *
 *     p ~ N(0, I);  L leapfrog steps of size ε on H(x, p) = −log π̃(x) + |p|²/2;
 *     accept with probability min(1, exp(H(x, p) − H(x', p'))).
 *
 * Each leapfrog step is one batched gradient evaluation of all chains. ε adapts during warm-up
 * toward acceptance 0.65 (Beskos et al. 2013 give 0.651 as the asymptotic optimum); as in Stan,
 * the kept draws use the averaged step ε̄, which is smaller than the iterates and so accepts
 * more often than the target rate (0.7–0.85 on a Gaussian). A trajectory
 * that leaves the region where π̃ is finite has a non-finite energy and is rejected.
 */
import { ErrorCode, MinevoError, quote } from "@minevo/core";
import { acceptInto, metropolisDecisions, runChains, type McmcOptions, type McmcResult, type TransitionKernel } from "./chains.js";

export interface HmcOptions extends McmcOptions {
  /** Leapfrog steps per iteration (default 10). */
  readonly leapfrogSteps?: number;
  /**
   * Each iteration's step is ε·(1 + j·(2u − 1)), u ~ U(0, 1), shared by all chains (default
   * j = 0.1). A fixed trajectory length can resonate with a period of the target (on a Gaussian,
   * L·ε near a half period gives near-antithetic, or near-stuck, chains); jitter breaks that.
   */
  readonly stepSizeJitter?: number;
}

function hmcKernel(leapfrogSteps: number, jitter: number): TransitionKernel {
  return (context, state, stepSize) => {
    const { numChains: C, dim: d, pointDim: P, random } = context;
    const epsilon = jitter > 0 ? stepSize * (1 + jitter * (2 * random.uniform() - 1)) : stepSize;
    const momentum = random.normals(C * d);
    const initialEnergy = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let kinetic = 0;
      for (let i = 0; i < d; i++) kinetic += 0.5 * (momentum[c * d + i] as number) ** 2;
      initialEnergy[c] = -(state.logDensity[c] as number) + kinetic;
    }
    const position = Float64Array.from(state.points);
    let at = { logDensity: state.logDensity, score: state.score };
    for (let l = 0; l < leapfrogSteps; l++) {
      const firstHalf = l === 0 ? 0.5 * epsilon : epsilon; // merged half steps between leapfrogs
      for (let c = 0; c < C; c++) {
        for (let i = 0; i < d; i++) {
          const k = c * d + i;
          momentum[k] = (momentum[k] as number) + firstHalf * (at.score[k] as number);
          position[c * P + i] = (position[c * P + i] as number) + epsilon * (momentum[k] as number);
        }
      }
      at = context.evaluate(position);
    }
    const logAcceptance = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let kinetic = 0;
      for (let i = 0; i < d; i++) {
        const k = c * d + i;
        momentum[k] = (momentum[k] as number) + 0.5 * epsilon * (at.score[k] as number);
        kinetic += 0.5 * (momentum[k] as number) ** 2;
      }
      logAcceptance[c] = (initialEnergy[c] as number) - (-(at.logDensity[c] as number) + kinetic);
    }
    const stats = metropolisDecisions(logAcceptance, random);
    acceptInto(state, position, at, stats.accepted, context);
    return stats;
  };
}

/** Runs HMC chains: warm-up with step-size adaptation, then `numSamples` kept draws per chain. */
export function runHmc(options: HmcOptions): McmcResult {
  const leapfrogSteps = options.leapfrogSteps ?? 10;
  if (!Number.isSafeInteger(leapfrogSteps) || leapfrogSteps < 1) {
    throw new MinevoError(ErrorCode.InvalidArgument, `HMC option leapfrogSteps must be an integer ≥ 1, got ${quote(leapfrogSteps)}`, {
      field: "leapfrogSteps",
    });
  }
  const jitter = options.stepSizeJitter ?? 0.1;
  if (!(jitter >= 0 && jitter < 1)) {
    throw new MinevoError(ErrorCode.InvalidArgument, `HMC option stepSizeJitter must be in [0, 1), got ${quote(jitter)}`, {
      field: "stepSizeJitter",
    });
  }
  return runChains(options, hmcKernel(leapfrogSteps, jitter), { stepSize: 0.1, targetAcceptance: 0.65 }, "HMC");
}
