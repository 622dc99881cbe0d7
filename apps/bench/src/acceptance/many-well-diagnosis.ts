/**
 * Diagnosis of the many-well case: the sampler's model against the exact ρ_t over the forward run.
 *
 * The many-well (d = 32) is 16 independent copies of a 2-D well, π(a, c) ∝ e^{−a⁴+6a²+a/2}·N(c; 0, 1).
 * Blurred by N(0, s²I) (the sampler's `smoothing`) and moved by the OU transition
 * Y = aX + √(1 − a²)Z, a = e^{−t}, it stays a product: each c stays Gaussian,
 * N(0, a²(1 + s²) + 1 − a²), and each a-coordinate's density is a 1-D integral against the
 * well's marginal (a grid of 4001 nodes on [−4, 4]). Exact draws of ρ_t are exact many-well
 * draws moved by the blur and the transition.
 *
 * Run (apps/bench): node --conditions=@minevo/source --import tsx src/acceptance/many-well-diagnosis.ts
 *   [--smoothing 0] [--sketch gaussian] [--n 400] [--epsilon 1e-6] [--points 2000]
 *   [--extra-fit-points 2000] [--fit-jitter 0.3] [--mala-fraction 1] [--widths 32,32]
 *   [--input-length-scale 2] [--quartic] [--quartic-length-scale 1] [--fit-iterations 60] [--weight-decay 1e-4] [--dt 0.1]
 *   [--restart-below <the sampler's default>] [--step-adaptation global|per-chain]
 *   [--additive]   (the additive network: one mlp of a well's (a, c), these options, summed over the 16 wells)
 *   [--dim 32]     (d/2 wells: --dim 2 is one double well)
 */
import { RandomStream, registries, type SamplingTarget } from "@minevo/core";
import { doubleWellLogMarginal } from "@minevo/diffusion";
import { useWasm } from "../ou-common.js";
import { diagnoseForward, diagnosisArguments } from "./forward-diagnosis.js";

const { values, smoothing: s, run, widths, inputLengthScale, dt } = diagnosisArguments(
  { smoothing: 0, n: 400, points: 2000, extraFitPoints: 2000, fitJitter: 0.3, malaFraction: 1, inputLengthScale: 2, fitIterations: 60 },
  { quartic: { type: "boolean", default: false }, "quartic-length-scale": { type: "string", default: "1" }, additive: { type: "boolean", default: false }, dim: { type: "string", default: "32" } },
  1.5,
);
const d = Number(values["dim"]);
const count = 1000;

await useWasm();
const mlpOptions = {
  inputDim: d,
  hiddenWidths: widths,
  activation: "tanh" as const,
  inputLengthScale,
  quadratic: { form: "diagonal" as const, learnable: true, initial: 0 },
  ...(values["quartic"] === true ? { quartic: { initial: 0, lengthScale: Number(values["quartic-length-scale"]) } } : {}),
};
const additive = values["additive"] === true;
const { inputDim: _, ...innerOptions } = mlpOptions;
const networkOptions: Record<string, unknown> = additive ? { inputDim: d, blockSize: 2, inner: { name: "mlp", options: innerOptions } } : mlpOptions;
const manyWell = registries.target.configure("many-well", { dim: d }).create() as SamplingTarget;
const draws = manyWell.sample!(RandomStream.fromSeed("many-well-diagnosis"), count);
const noise = RandomStream.fromSeed("many-well-diagnosis-noise").fillNormal(new Float64Array(d * count), 0, 1);
const grid = Float64Array.from({ length: 4001 }, (_, i) => -4 + i * 0.002);
const logMarginal = Float64Array.from(grid, doubleWellLogMarginal);

/** Exact draws of ρ_t and ∇log ρ_t there. */
function exactAt(t: number): { points: Float64Array; score: Float64Array } {
  const a = Math.exp(-t);
  const spread = a * a * s * s + 1 - a * a;
  const points = new Float64Array(d * count);
  for (let i = 0; i < d * count; i++) points[i] = a * (draws[i] as number) + Math.sqrt(spread) * (noise[i] as number);
  const score = new Float64Array(d * count);
  const cVariance = a * a * (1 + s * s) + 1 - a * a;
  const logWeight = new Float64Array(grid.length);
  for (let j = 0; j < count; j++) {
    for (let k = 0; k < d; k += 2) {
      const y = points[j * d + k] as number;
      let max = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < grid.length; i++) {
        const r = y - a * (grid[i] as number);
        logWeight[i] = (logMarginal[i] as number) - (r * r) / (2 * spread);
        max = Math.max(max, logWeight[i] as number);
      }
      let total = 0;
      let g = 0;
      for (let i = 0; i < grid.length; i++) {
        const w = Math.exp((logWeight[i] as number) - max);
        if (w < 1e-300) continue;
        total += w;
        g -= (w * (y - a * (grid[i] as number))) / spread;
      }
      score[j * d + k] = g / total;
      score[j * d + k + 1] = -(points[j * d + k + 1] as number) / cVariance;
    }
  }
  return { points, score };
}

await diagnoseForward({
  network: additive ? "additive" : "mlp",
  networkOptions,
  target: manyWell,
  exactAt,
  dt,
  show: Math.min(4, d),
  logZ: manyWell.logZ!,
  run,
});
