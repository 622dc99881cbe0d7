/**
 * Diagnosis of the funnel case: the sampler's model against the exact ρ_t over the forward run.
 *
 * Neal's funnel (d = 10: X₀ ~ N(0, 9), Xᵢ | X₀ ~ N(0, e^{X₀})), blurred by N(0, s²I) (the
 * sampler's `smoothing`) and moved by the OU transition Y = aX + √(1 − a²)Z, a = e^{−t}, stays
 * Gaussian given X₀:
 *
 *     Y₀ | X₀ ~ N(aX₀, a²s² + 1 − a²),   Yᵢ | X₀ ~ N(0, a²(e^{X₀} + s²) + 1 − a²),
 *
 * so ρ_t and its score are a 1-D integral over X₀ (a grid of 8001 nodes on [−20, 20]), and exact
 * draws of ρ_t are exact funnel draws moved by the blur and the transition.
 *
 * Run (apps/bench): node --conditions=@minevo/source --import tsx src/acceptance/funnel-diagnosis.ts
 *   [--smoothing 0.2] [--sketch gaussian] [--n 400] [--epsilon 1e-6] [--points 1500]
 *   [--extra-fit-points 1500] [--fit-jitter 0.2] [--mala-fraction 0.8] [--widths 32,32]
 *   [--input-length-scale 3] [--fit-iterations 100] [--weight-decay 1e-4] [--dt 0.1]
 *   [--points-only]   (malaPoints alone, as the recipe runs them: the quantiles of x₀ over the chains' end points, and the neck's share P(x₀ < −3), P(x₀ < −6))
 *   [--step-adaptation global|per-chain] [--chain-steps 300] [--restart-below <the sampler's default, 10 + 3√(d/2)>] [--point-scale 1]
 *   [--point-source smc --smc-reference 6 --smc-moves 50 --smc-ess 0.95 --smc-temperature 1]   (tempered SMC particles instead of the chains; below temperature 1 they follow π^β with raised tails, above 1 π̃^β sharpened toward the neck)
 *   [--hierarchical [--hierarchical-weights 1,0,0,0,0,0,0,0,0,0] [--hierarchical-initial 0] [--hierarchical-floor 1]]
 *        (the mlp's hierarchical term, its v starting at these weights or 0, its q at this value or these d values, e^k at this floor)
 *   [--tail-temperature β]   (with --point-source smc: the points that would be broad are SMC particles at the last
 *                             temperature β instead — π with raised tails, most of them in the mouth — and the
 *                             fit points are every collocation point jittered by --fit-jitter)
 *   [--tail-reference s]   (the tail SMC's reference N(0, s²I); default --smc-reference)
 *   [--quadratic-form symmetric|diagonal|isotropic] [--quadratic-length-scale 1]   (the quadratic term's form and ℓ_q)
 *   [--input-warp asinh]   (the mlp's inputs asinh(x/ℓ): linear in the neck, logarithmic in the mouth)
 *   [--radial-length-scale ℓ]   (the mlp also sees ½ log(1 + (x₁² + … + x₉²)/ℓ²), the log-radius of the funnel's exchangeable coordinates)
 *   (--smoothing 0: no blur)
 */
import { RandomStream, registries, type SamplingTarget } from "@minevo/core";
import { malaPoints, smcPoints, type SmcPointSource } from "@minevo/diffusion";
import { tf, useWasm } from "../ou-common.js";
import { diagnoseForward, diagnosisArguments } from "./forward-diagnosis.js";
import { samplerCases } from "./sampler-cases.js";

const { values, smoothing: s, run, widths, inputLengthScale, dt } = diagnosisArguments(
  { smoothing: 0.2, n: 400, points: 1500, extraFitPoints: 1500, fitJitter: 0.2, malaFraction: 0.8, inputLengthScale: 3, fitIterations: 100 },
  {
    "chain-steps": { type: "string", default: "300" },
    "points-only": { type: "boolean", default: false },
    hierarchical: { type: "boolean", default: false },
    "hierarchical-weights": { type: "string" },
    "hierarchical-initial": { type: "string", default: "0" },
    "hierarchical-floor": { type: "string", default: "1" },
    "radial-length-scale": { type: "string" },
    "input-warp": { type: "string" },
    "tail-temperature": { type: "string" },
    "tail-reference": { type: "string" },
    "quadratic-form": { type: "string", default: "symmetric" },
    "quadratic-length-scale": { type: "string", default: "1" },
  },
  1,
);
const d = 10;
const variance0 = 9;
const funnelCase = samplerCases.find((c) => c.name === "funnel")!;
const count = 1000;

await useWasm();
const networkOptions = {
  inputDim: d,
  hiddenWidths: widths,
  activation: "tanh" as const,
  inputLengthScale,
  ...(values["input-warp"] !== undefined ? { inputWarp: String(values["input-warp"]) as "asinh" } : {}),
  ...(values["radial-length-scale"] !== undefined ? { radialFeatures: { groups: [Array.from({ length: d - 1 }, (_, i) => i + 1)], lengthScale: Number(values["radial-length-scale"]) } } : {}),
  quadratic: { form: String(values["quadratic-form"]) as "symmetric", learnable: true, initial: 0, lengthScale: Number(values["quadratic-length-scale"]) },
  ...(values["hierarchical"] === true
    ? {
        hierarchical: {
          initial: String(values["hierarchical-initial"]).includes(",") ? String(values["hierarchical-initial"]).split(",").map(Number) : Number(values["hierarchical-initial"]),
          ...(values["hierarchical-weights"] !== undefined ? { initialWeights: String(values["hierarchical-weights"]).split(",").map(Number) } : {}),
          initialFloor: Number(values["hierarchical-floor"]),
        },
      }
    : {}),
};
const funnel = registries.target.configure("funnel", {}).create() as SamplingTarget;
const draws = funnel.sample!(RandomStream.fromSeed("funnel-diagnosis"), count);
const noise = RandomStream.fromSeed("funnel-diagnosis-noise").fillNormal(new Float64Array(d * count), 0, 1);
const grid = Float64Array.from({ length: 8001 }, (_, i) => -20 + i * 0.005);

/** Exact draws of ρ_t and ∇log ρ_t there. */
function exactAt(t: number): { points: Float64Array; score: Float64Array } {
  const a = Math.exp(-t);
  const spread = a * a * s * s + 1 - a * a;
  const points = new Float64Array(d * count);
  for (let i = 0; i < d * count; i++) points[i] = a * (draws[i] as number) + Math.sqrt(spread) * (noise[i] as number);
  // Per grid node: the variance of Yᵢ given X₀ = x.
  const varianceRest = Float64Array.from(grid, (x) => a * a * (Math.exp(x) + s * s) + 1 - a * a);
  const score = new Float64Array(d * count);
  const logWeight = new Float64Array(grid.length);
  for (let j = 0; j < count; j++) {
    const y0 = points[j * d] as number;
    let sumSquares = 0;
    for (let k = 1; k < d; k++) sumSquares += (points[j * d + k] as number) ** 2;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < grid.length; i++) {
      const x = grid[i] as number;
      const v = varianceRest[i] as number;
      const r = y0 - a * x;
      logWeight[i] = (-x * x) / (2 * variance0) - (r * r) / (2 * spread) - sumSquares / (2 * v) - ((d - 1) / 2) * Math.log(v);
      max = Math.max(max, logWeight[i] as number);
    }
    let total = 0;
    let g0 = 0;
    let precision = 0;
    for (let i = 0; i < grid.length; i++) {
      const w = Math.exp((logWeight[i] as number) - max);
      if (w < 1e-300) continue;
      total += w;
      g0 -= (w * (y0 - a * (grid[i] as number))) / spread;
      precision += w / (varianceRest[i] as number);
    }
    score[j * d] = g0 / total;
    for (let k = 1; k < d; k++) score[j * d + k] = (-(points[j * d + k] as number) * precision) / total;
  }
  return { points, score };
}

if (values["points-only"]) {
  const chains = Math.round(Number(values["mala-fraction"]) * Number(values["points"]));
  const smc = run.pointSource !== undefined && typeof run.pointSource === "object" && run.pointSource.kind === "smc" ? run.pointSource : undefined;
  const result = smc !== undefined ? smcFunnelPoints(chains, smc) : malaPoints({
    tf,
    target: funnel,
    random: RandomStream.fromSeed("funnel-diagnosis-points"),
    count: chains,
    steps: Number(values["chain-steps"]),
    start: Number(values["point-scale"]),
    ...(values["restart-below"] !== undefined ? { restartBelow: Number(values["restart-below"]) } : {}),
    stepAdaptation: values["step-adaptation"] as "global",
  });
  const x0 = Array.from({ length: chains }, (_, j) => result.points[j * d] as number).sort((p, q) => p - q);
  const levels = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];
  const exactQuantile = (p: number) => 3 * Math.SQRT2 * inverseErf(2 * p - 1);
  console.log(`${chains} ${smc !== undefined ? "particles" : `chains, ${result.restarted} restarted`}, step ${result.stepSize.toExponential(2)}; x₀ quantiles ${levels.map((p) => `${p * 100} %: ${(x0[Math.floor(p * (chains - 1))] as number).toFixed(2)} (π: ${exactQuantile(p).toFixed(2)})`).join(", ")}`);
  // The neck's share: P(x₀ < −3) = Φ(−1) = 0.1587 and P(x₀ < −6) = Φ(−2) = 0.0228 under π.
  const below = (c: number) => (x0.filter((v) => v < c).length / chains).toFixed(4);
  console.log(`P(x₀ < −3) ${below(-3)} (π: 0.1587), P(x₀ < −6) ${below(-6)} (π: 0.0228)`);
  process.exit(0);
}

/** The sampler's SMC particles alone (`--point-source smc --points-only`), with the SMC's own log Ẑ (exact 0). */
function smcFunnelPoints(count: number, source: SmcPointSource): { points: Float64Array; stepSize: number; restarted: number } {
  const started = performance.now();
  const result = smcPoints({
    tf,
    target: funnel,
    random: RandomStream.fromSeed("funnel-diagnosis-points"),
    count,
    start: source.reference ?? Number(values["point-scale"]),
    movesPerStage: source.movesPerStage!,
    essFraction: source.essFraction!,
    ...(source.temperature !== undefined ? { temperature: source.temperature } : {}),
  });
  console.log(`SMC: ${result.betas.length - 1} stages, log Ẑ ${result.logZ.toFixed(3)} (exact 0), ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { ...result, restarted: 0 };
}

/** erf⁻¹ by Newton's method on erf (Abramowitz–Stegun 7.1.26 is too coarse in the tails). */
function inverseErf(y: number): number {
  const erf = (x: number): number => {
    // erf by its series (|x| ≤ 3 here).
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  };
  let x = 0;
  for (let i = 0; i < 50; i++) x -= (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
}

/**
 * `--tail-temperature β`: the collocation points as the recipe's SMC particles (β = 1) plus, in
 * place of its broad share, particles of π^β with raised tails, each blurred by the smoothing (the
 * sampler blurs the points it draws itself); fit points are jittered copies of all of them.
 */
function tailPoints(beta: number): { collocationPoints: Float64Array; extraFitPoints: Float64Array } {
  const source = run.pointSource as SmcPointSource;
  const total = run.numPoints!;
  const bulk = Math.round(source.fraction! * total);
  const reference = source.reference ?? Number(values["point-scale"]);
  const tailReference = values["tail-reference"] === undefined ? reference : Number(values["tail-reference"]);
  const draw = (count: number, temperature: number, name: string) =>
    smcPoints({ tf, target: funnel, random: RandomStream.fromSeed(`funnel-diagnosis-${name}`), count, start: temperature === 1 ? reference : tailReference, movesPerStage: source.movesPerStage!, essFraction: source.essFraction!, temperature }).points;
  const points = new Float64Array(total * d);
  points.set(draw(bulk, 1, "bulk"));
  points.set(draw(total - bulk, beta, "tails"), bulk * d);
  const blur = RandomStream.fromSeed("funnel-diagnosis-blur").fillNormal(new Float64Array(total * d), 0, s);
  for (let i = 0; i < total * d; i++) points[i] = (points[i] as number) + (blur[i] as number);
  const extra = run.numExtraFitPoints!;
  const jitter = RandomStream.fromSeed("funnel-diagnosis-jitter").fillNormal(new Float64Array(extra * d), 0, source.fitJitter!);
  for (let j = 0; j < extra; j++) for (let k = 0; k < d; k++) jitter[j * d + k] = (jitter[j * d + k] as number) + (points[(j % total) * d + k] as number);
  const x0 = Array.from({ length: total - bulk }, (_, j) => points[(bulk + j) * d] as number).sort((a, b) => a - b);
  console.log(`tail points (β = ${beta}): x₀ quantiles 5 % ${x0[Math.floor(0.05 * x0.length)]!.toFixed(2)}, 50 % ${x0[Math.floor(0.5 * x0.length)]!.toFixed(2)}, 95 % ${x0[Math.floor(0.95 * x0.length)]!.toFixed(2)}`);
  return { collocationPoints: points, extraFitPoints: jitter };
}
const tailTemperature = values["tail-temperature"] === undefined ? undefined : Number(values["tail-temperature"]);
if (tailTemperature !== undefined && (run.pointSource as { kind: string }).kind !== "smc") throw new Error("--tail-temperature goes with --point-source smc");
const { pointSource: _drawn, ...withoutSource } = run;
const runOptions =
  tailTemperature !== undefined
    ? { ...withoutSource, ...tailPoints(tailTemperature) }
    : { ...run, pointSource: (run.pointSource as { kind: string }).kind === "mala" ? { ...(run.pointSource as object), kind: "mala", steps: Number(values["chain-steps"]) } : run.pointSource! };

await diagnoseForward({
  networkOptions,
  target: funnel,
  exactAt,
  dt,
  show: 2,
  logZ: 0,
  // The acceptance case's own measure, so the last line reads as its criterion (≤ 0.1).
  describeResult: (samples, weights) => {
    // Where the proposal's x₀ reaches, against π's N(0, 9): the weighted mass in each tail, and the draws' own range.
    let below = 0;
    let above = 0;
    const x0: number[] = [];
    for (let j = 0; j < weights.length; j++) {
      const x = samples[j * d] as number;
      x0.push(x);
      if (x < -5) below += weights[j] as number;
      if (x > 5) above += weights[j] as number;
    }
    x0.sort((a, b) => a - b);
    const at = (p: number) => (x0[Math.floor(p * (x0.length - 1))] as number).toFixed(2);
    return (
      `reweighted ${funnelCase.error.label} = ${funnelCase.error.compute(samples, weights, d).toPrecision(3)}; ` +
      `weighted P(x₀ < −5) ${below.toFixed(4)}, P(x₀ > 5) ${above.toFixed(4)} (π: 0.0478 each); draws' x₀ 0.1/1/99/99.9 % ${at(0.001)} ${at(0.01)} ${at(0.99)} ${at(0.999)} (π: −9.27 −6.98 6.98 9.27)`
    );
  },
  run: runOptions as never,
});
