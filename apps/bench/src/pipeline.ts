/**
 * The whole sampling pipeline of issue 9.5 on each side, as functions: minevo's `runOuSampler` on
 * the reference 2-D mixture with the reference's recipe, on whatever backend TensorFlow.js is set
 * to, and the float64 numpy/scipy reference (apps/bench/python/reference_pipeline.py over
 * shared/reference, its modules unchanged). Used by bench:reference and by the device kit.
 */
import { execFileSync } from "node:child_process";
import { registries, type SamplingTarget } from "@minevo/core";
import { exactOuMixture, referenceMixture, runOuSampler } from "@minevo/diffusion";
import { relativeScoreError, tf } from "./ou-common.js";

export const pipelineCheckTimes = [0.5, 1, 2, 5] as const;

export interface PipelineRun {
  readonly wall: number;
  readonly fit: number;
  readonly forward: number;
  readonly sample: number;
  readonly rhsEvaluations: number;
  /** Relative score error at `pipelineCheckTimes` on 2000 exact samples of ρ_t. */
  readonly errors: readonly number[];
  readonly essFraction: number;
  readonly logZ: number;
  readonly numParameters: number;
  /** The LM fit's iterations (one Gram matrix each) and trials (one float64 factorisation each). */
  readonly fitIterations: number;
  readonly fitTrials: number;
}

/**
 * N = 1000 collocation points from N(0, 4I), tanh MLP [32, 32] + learnable quadratic, LM fit 100
 * iterations (weight decay 1e-4) to the float64 formula, Gaussian sketch n = 100, forward dopri5
 * rtol = atol = 1e-4 to T = 5, M = 5000 reverse-flow samples, seed 0.
 */
export async function runMinevoPipeline(): Promise<PipelineRun> {
  const exact = exactOuMixture(referenceMixture);
  const at0 = (x: Float64Array) => exact.evaluate(0, x);
  const target = registries.target.configure("gmm2-reference", {}).create() as SamplingTarget;
  const start = performance.now();
  const ours = await runOuSampler({
    tf,
    target,
    initialCondition: {
      value: (x) => at0(x).logDensity[0] as number,
      gradient: (x) => at0(x).score,
      laplacian: (x) => at0(x).laplacian[0] as number,
    },
    numPoints: 1000,
    numSamples: 5000,
    fitIterations: 100,
    horizon: 5,
    seed: 0,
    recordPathSteps: 11,
  });
  const wall = (performance.now() - start) / 1000;
  const network = registries.network.create(ours.network.name as "mlp", ours.network.options as never);
  const p = network.numParameters;
  const errors: number[] = [];
  for (const t of pipelineCheckTimes) {
    const index = Array.from(ours.parameterPath.times).findIndex((s) => Math.abs(s - t) < 1e-9);
    errors.push(index < 0 ? Number.NaN : await relativeScoreError(network, ours.parameterPath.parameters.slice(index * p, (index + 1) * p), exact, t));
  }
  return {
    wall,
    fit: ours.timings.fit,
    forward: ours.timings.forward,
    sample: ours.timings.sample,
    rhsEvaluations: ours.forward.rhsEvaluations,
    errors,
    essFraction: ours.essFraction,
    logZ: ours.logZ,
    numParameters: p,
    fitIterations: ours.fit.iterations,
    fitTrials: ours.fit.trials,
  };
}

export interface ReferenceRun {
  /** Seconds inside python, and with the interpreter's start-up. */
  readonly wall: number;
  readonly wallWithStartup: number;
  readonly fit: number;
  readonly forward: number;
  readonly sample: number;
  readonly status: string;
  readonly nfev: number;
  readonly errors: readonly number[];
  readonly essFraction: number;
  readonly logZ: number;
}

/** The reference's pipeline, run as `python3 <script> <referenceDir>` (one JSON line back). */
export function runReferencePipeline(script: string, referenceDir: string, python = "python3"): ReferenceRun {
  const start = performance.now();
  const output = execFileSync(python, [script, referenceDir], { encoding: "utf8", maxBuffer: 1 << 24 });
  const wallWithStartup = (performance.now() - start) / 1000;
  const run = JSON.parse(output.trim().split("\n").pop() as string) as {
    wall: number;
    fit: number;
    forward: number;
    sample: number;
    status: string;
    nfev: number;
    errors: Record<string, number>;
    ess_over_m: number;
    log_z: number;
  };
  const errorAt = (t: number) => run.errors[String(t)] ?? run.errors[t.toFixed(1)] ?? Number.NaN;
  return {
    wall: run.wall,
    wallWithStartup,
    fit: run.fit,
    forward: run.forward,
    sample: run.sample,
    status: run.status,
    nfev: run.nfev,
    errors: pipelineCheckTimes.map(errorAt),
    essFraction: run.ess_over_m,
    logZ: run.log_z,
  };
}
