/**
 * The initial fit alone on the many-well with the additive network: 1000 exact draws of π, the
 * fit of u_θ to log π̃ (one mlp [32, 32] of a well's (a, c) with diagonal quadratic and quartic
 * term ℓ_r = 2, summed over the 16 wells), 100 Levenberg–Marquardt iterations; prints the value
 * RMS every 20. Compares the fit's Gram precision (docs/design.md: the additive network).
 *
 * Run (apps/bench): node --conditions=@minevo/source --import tsx src/acceptance/many-well-fit.ts [weightDecay = 1e-4] [auto|float64|float32]
 */
import * as tf from "@tensorflow/tfjs-core";
import { RandomStream, registries, type Network, type SamplingTarget } from "@minevo/core";
import "@minevo/networks";
import "@minevo/diffusion";
import { fitInitialCondition } from "@minevo/evolution";
import { doubleWellLogMarginal } from "@minevo/diffusion";
import { useWasm } from "../ou-common.js";

await useWasm();
const wd = Number(process.argv[2] ?? "1e-4");
const gram = (process.argv[3] ?? "auto") as "auto";
const d = 32;
const target = registries.target.configure("many-well", {}).create() as SamplingTarget;
const draws = target.sample!(RandomStream.fromSeed("scratch"), 1000);
const block = (p: Float64Array, o = 0) => doubleWellLogMarginal(p[o]!) - 0.5 * p[o + 1]! ** 2;
const inner = { hiddenWidths: [32, 32], activation: "tanh", inputLengthScale: 2, quadratic: { form: "diagonal", learnable: true, initial: 0 }, quartic: { initial: 0, lengthScale: 2 } };
const network = registries.network.configure("additive", { inputDim: d, blockSize: 2, inner: { name: "mlp", options: inner } }).create() as Network;
const value = (p: Float64Array) => { let s = 0; for (let k = 0; k < d; k += 2) s += block(p, k); return s; };
const report = await fitInitialCondition({
  tf, network, parameters: network.initialParameters(RandomStream.fromSeed(1)), points: draws, target: { value }, weightDecay: wd, maxIterations: 100, gramPrecision: gram,
  onIteration: (p) => { if (p.iteration % 20 === 0) console.log(p.iteration, p.valueRms.toExponential(3)); },
});
console.log("final", wd, gram, report.valueRms);
