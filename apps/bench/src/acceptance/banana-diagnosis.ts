/**
 * Diagnosis of the banana case: the sampler's model against the exact ρ_t over the forward run.
 *
 * The banana (Haario, b = 0.1, v = 100) is a twisted Gaussian, X₂ = u − bX₁² + bv with
 * X₁ ~ N(0, v), u ~ N(0, 1). Blurred by N(0, s²I) (the sampler's `smoothing`) and moved by the OU
 * transition Y = aX + √(1 − a²)Z, a = e^{−t}, it stays Gaussian given X₁:
 *
 *     Y₁ | X₁ ~ N(aX₁, a²s² + 1 − a²),   Y₂ | X₁ ~ N(a(bv − bX₁²), a²(1 + s²) + 1 − a²),
 *
 * so ρ_t and its score are a 1-D integral over X₁ (a grid of 12001 nodes on [−60, 60]), and exact
 * draws of ρ_t are exact banana draws moved by the blur and the transition. At every `--dt` of
 * forward time the relative score error E|∇u_θ − ∇log ρ_t|²/E|∇log ρ_t|² on 1000 such draws is
 * printed, with where the worst draws sit, beside r_λ and max|f|.
 *
 * Run (apps/bench): node --conditions=@minevo/source --import tsx src/acceptance/banana-diagnosis.ts
 *   [--smoothing 0.5] [--sketch gaussian] [--n 200] [--epsilon 1e-6] [--gradients]
 *   [--quadratic-length-scale 1] [--input-length-scale 5] [--fit-iterations 100] [--dt 0.1]
 *   [--mala-fraction 0.667]   (--smoothing 0: no blur)
 * (docs/benchmarks.md, the banana's attempts 8–14, quote its output.)
 */
import { parseArgs } from "node:util";
import { RandomStream, registries, type SamplingTarget } from "@minevo/core";
import { useWasm } from "../ou-common.js";
import { diagnoseForward } from "./forward-diagnosis.js";

const { values } = parseArgs({
  options: {
    smoothing: { type: "string", default: "0.5" },
    sketch: { type: "string", default: "gaussian" },
    n: { type: "string", default: "200" },
    epsilon: { type: "string", default: "1e-6" },
    gradients: { type: "boolean", default: false },
    "quadratic-length-scale": { type: "string", default: "1" },
    "input-length-scale": { type: "string", default: "5" },
    "fit-iterations": { type: "string", default: "100" },
    dt: { type: "string", default: "0.1" },
    "mala-fraction": { type: "string", default: "0.6666666666666666" },
  },
});
const s = Number(values.smoothing);
const b = 0.1;
const v = 100;
const count = 1000;

await useWasm();
const networkOptions = {
  inputDim: 2,
  hiddenWidths: [32, 32],
  activation: "tanh" as const,
  inputLengthScale: Number(values["input-length-scale"]),
  quadratic: { form: "symmetric" as const, learnable: true, initial: 0, lengthScale: Number(values["quadratic-length-scale"]) },
};
const banana = registries.target.configure("banana", {}).create() as SamplingTarget;
const draws = banana.sample!(RandomStream.fromSeed("banana-diagnosis"), count);
const noise = RandomStream.fromSeed("banana-diagnosis-noise").fillNormal(new Float64Array(2 * count), 0, 1);
const grid = Float64Array.from({ length: 12001 }, (_, i) => -60 + i * 0.01);

/** Exact draws of ρ_t and ∇log ρ_t there. */
function exactAt(t: number): { points: Float64Array; score: Float64Array } {
  const a = Math.exp(-t);
  const variance1 = a * a * s * s + 1 - a * a;
  const variance2 = a * a * (1 + s * s) + 1 - a * a;
  const points = new Float64Array(2 * count);
  for (let j = 0; j < count; j++) {
    points[2 * j] = a * (draws[2 * j] as number) + Math.sqrt(variance1) * (noise[2 * j] as number);
    points[2 * j + 1] = a * (draws[2 * j + 1] as number) + Math.sqrt(variance1) * (noise[2 * j + 1] as number);
  }
  const score = new Float64Array(2 * count);
  const logWeight = new Float64Array(grid.length);
  for (let j = 0; j < count; j++) {
    const y1 = points[2 * j] as number;
    const y2 = points[2 * j + 1] as number;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < grid.length; i++) {
      const x = grid[i] as number;
      const r1 = y1 - a * x;
      const r2 = y2 - a * (b * v - b * x * x);
      logWeight[i] = (-x * x) / (2 * v) - (r1 * r1) / (2 * variance1) - (r2 * r2) / (2 * variance2);
      max = Math.max(max, logWeight[i] as number);
    }
    let total = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < grid.length; i++) {
      const w = Math.exp((logWeight[i] as number) - max);
      if (w < 1e-300) continue;
      const x = grid[i] as number;
      total += w;
      g1 -= (w * (y1 - a * x)) / variance1;
      g2 -= (w * (y2 - a * (b * v - b * x * x))) / variance2;
    }
    score[2 * j] = g1 / total;
    score[2 * j + 1] = g2 / total;
  }
  return { points, score };
}

await diagnoseForward({
  networkOptions,
  target: banana,
  exactAt,
  dt: Number(values.dt),
  show: 2,
  logZ: Math.log(20 * Math.PI),
  run: {
    numPoints: 1000,
    numSamples: 2000,
    fitIterations: Number(values["fit-iterations"]),
    fitGradients: values.gradients,
    pointSource: { kind: "mala", fraction: Number(values["mala-fraction"]) },
    ...(s > 0 ? { smoothing: s } : {}),
    sketch: values.sketch as "gaussian",
    sketchOptions: { sketchSize: Number(values.n), regularisation: { kind: "relative-trace", epsilon: Number(values.epsilon) } },
    seed: 0,
  },
});
