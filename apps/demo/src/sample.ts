/**
 * The main job until the `minevo` command lands: sample from a built-in 2-D target known only by
 * its formula, with the MNE Ornstein–Uhlenbeck sampler of @minevo/diffusion —
 *
 *   1. fit u_θ(0) ≈ log π̃ (values and scores of the formula at broad points; no samples of π),
 *   2. evolve (θ, collocation points) forward to T = 5 (fixed Gaussian sketch, dopri5),
 *   3. draw z ~ N(0, I) at T and integrate the reverse probability flow to t = 0, carrying the
 *      divergence integral, so every sample comes with its exact model log-density log q₀,
 *   4. importance weights w = π̃/q₀: ESS, log Ẑ, systematic resampling, an independence MH chain.
 *
 * For targets whose log Z and moments are known, the printout compares with them.
 *
 * Run: pnpm --filter @minevo/demo sample [--target gmm2-reference --samples 5000 --seed 0 --backend auto]
 */
import * as tf from "@tensorflow/tfjs-core";
import "@minevo/backend-cpu";
import "@minevo/integrators";
import "@minevo/networks";
import "@minevo/sketching";
import { ErrorCode, MinevoError, registries, selectBackend, type SamplingTarget } from "@minevo/core";
import { runOuSampler } from "@minevo/diffusion";
import { integer, parseOptions, positiveInteger, positiveNumber, run } from "./command-line.js";

const options = {
  target: { type: "string", default: "gmm2-reference" },
  samples: { type: "string", default: "5000" },
  seed: { type: "string", default: "0" },
  points: { type: "string", default: "1000" },
  "fit-iterations": { type: "string", default: "100" },
  horizon: { type: "string", default: "5" },
  backend: { type: "string", default: "auto" },
} as const;

async function main(): Promise<void> {
  const args = parseOptions(options);
  const seed = integer("seed", args.seed);
  const numSamples = positiveInteger("samples", args.samples);
  const numPoints = positiveInteger("points", args.points);
  const fitIterations = positiveInteger("fit-iterations", args["fit-iterations"]);
  const horizon = positiveNumber("horizon", args.horizon);
  const targetName = args.target;

  const backend = await selectBackend(args.backend, { log: (line) => console.log(line) });
  if (backend.tf !== tf) throw new Error("the backend package loaded a second copy of TensorFlow.js");
  const target = registries.target.configure(targetName, {}).create() as SamplingTarget;
  if (target.dim !== 2 || (target.conditionDim ?? 0) !== 0) {
    throw new MinevoError(
      ErrorCode.InvalidArgument,
      `target "${targetName}" has dimension ${target.dim}; this demo runs the 2-D recipe (try gmm2-reference, banana or gaussian)`,
    );
  }
  console.log(`target ${targetName}: ${target.description}; ${numSamples} samples, seed ${seed}`);

  let lastForward = -5;
  const result = await runOuSampler({
    tf,
    target,
    numSamples,
    numPoints,
    fitIterations,
    horizon,
    seed,
    onProgress: (p) => {
      if (p.stage === "fit" && p.iteration % 10 === 0) console.log(`  fit iteration ${p.iteration}: value RMS ${p.valueRms.toExponential(2)}`);
      if (p.stage === "forward" && p.acceptedSteps - lastForward >= 5) {
        lastForward = p.acceptedSteps;
        console.log(`  forward t = ${p.t.toFixed(3)}  dt = ${p.stepSize.toExponential(2)}  steps ${p.acceptedSteps}`);
      }
      if (p.stage === "sample" && p.acceptedSteps % 10 === 0) console.log(`  reverse flow t = ${p.t.toFixed(3)}  steps ${p.acceptedSteps}`);
    },
  });

  console.log(
    `\nfit: ${result.fit.iterations} iterations, value RMS ${result.fit.valueRms.toExponential(2)}; ` +
      `forward: ${result.forward.status}, ${result.forward.acceptedSteps} steps (+${result.forward.rejectedSteps} rejected); ` +
      `reverse flow: ${result.sampler.acceptedSteps} steps (+${result.sampler.rejectedSteps} rejected)`,
  );
  for (const warning of result.fit.warnings) console.log(`  warning: ${warning}`);
  const exactLogZ = target.logZ;
  console.log(`ESS/M          ${result.essFraction.toFixed(5)}   (ESS ${result.ess.toFixed(0)} of ${numSamples})`);
  console.log(`log Ẑ          ${result.logZ.toFixed(5)}${exactLogZ === undefined ? "" : `   (exact ${exactLogZ.toFixed(5)}, error ${(result.logZ - exactLogZ).toExponential(2)})`}`);
  console.log(`log Z forward  ${result.logZForward.toFixed(5)}   (from u_θ(T), METHOD.md §4)`);
  console.log(`independence MH acceptance ${result.chain.acceptanceRate.toFixed(3)}`);
  const mean = [0, 0];
  for (let j = 0; j < numSamples; j++) {
    for (let i = 0; i < 2; i++) mean[i] = (mean[i] as number) + (result.normalisedWeights[j] as number) * (result.samples[2 * j + i] as number);
  }
  const exactMean = target.moments?.mean;
  console.log(`weighted mean  (${mean.map((m) => m.toFixed(4)).join(", ")})${exactMean ? `   (exact (${Array.from(exactMean, (m) => m.toFixed(4)).join(", ")}))` : ""}`);
  const t = result.timings;
  console.log(`seconds: fit ${t.fit.toFixed(1)}, forward ${t.forward.toFixed(1)}, sampling ${t.sample.toFixed(1)}, weights ${t.weights.toFixed(2)}`);
  console.log(`live tensors at the end: ${tf.memory().numTensors}; backend ${backend.name}`);
  if (result.forward.status !== "success") process.exitCode = 1;
}

run(main);
