/**
 * Diagnosis of the 3-mode d = 2 accuracy case: the score error at t = 0 (the fit alone) and at
 * early times, where on the exact samples the error sits, and how far those samples are from the
 * collocation points. Variants: `--variant values` (the recorded recipe) or `gradients` (the
 * fit also matches ∇ log ρ₀, the initial-fit option fitGradients).
 *
 * Run: node --conditions=@minevo/source --import tsx src/acceptance/three-mode-diagnosis.ts --variant values
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { RandomStream, setTensorFlowBackend } from "@minevo/core";
import "@minevo/integrators";
import "@minevo/networks";
import "@minevo/sketching";
import { exactOuMixture } from "@minevo/diffusion";
import { createSolver } from "@minevo/evolution";
import { benchRoot } from "../ou-common.js";
import { exactCases } from "./exact-accuracy.js";

const { values } = parseArgs({
  options: {
    variant: { type: "string", default: "values" },
    case: { type: "string", default: "exact-3mode-d2" },
    horizon: { type: "string", default: "1" },
    sketch: { type: "string", default: "" },
    iterations: { type: "string", default: "" },
    width: { type: "string", default: "32" },
    points: { type: "string", default: "" },
    rtol: { type: "string", default: "1e-4" },
    epsilon: { type: "string", default: "" },
  },
});
await setTensorFlowBackend(tf, "wasm", "wasm needed");
const spec = exactCases.find((c) => c.name === values.case)!;
const { recipe, mixture } = spec;
const d = 2;
const exact = exactOuMixture(mixture);
const random = RandomStream.fromSeed(0);
const solver = createSolver({
  tf,
  network: "mlp",
  networkOptions: { inputDim: d, hiddenWidths: [Number(values.width), Number(values.width)], activation: "tanh", inputLengthScale: 2, quadratic: { form: "symmetric", learnable: true, initial: 0 } },
  sketch: "gaussian",
  sketchOptions: { sketchSize: values.sketch === "" ? recipe.sketchSize : Number(values.sketch), regularisation: { kind: "relative-trace", epsilon: values.epsilon === "" ? recipe.epsilon : Number(values.epsilon) } },
  integrator: "dopri5",
  integratorOptions: { rtol: Number(values.rtol), atol: Number(values.rtol) },
  equation: "ornstein-uhlenbeck",
  equationOptions: { form: "log-density" },
  seed: 0,
});
const points = random.derive("points").fillNormal(new Float64Array(recipe.numPoints * d), 0, recipe.pointScale);
const fitPoints = new Float64Array((recipe.numExtraFitPoints + recipe.numPoints) * d);
fitPoints.set(random.derive("fit-points").fillNormal(new Float64Array(recipe.numExtraFitPoints * d), 0, recipe.fitPointScale));
fitPoints.set(points, recipe.numExtraFitPoints * d);
const at0 = (x: Float64Array) => exact.evaluate(0, x);
const start = performance.now();
// The fit is cached by variant, iterations and width: sketch-size experiments reuse it.
const cacheFile = resolve(benchRoot, ".cache", `${values.case === "exact-3mode-d2" ? "three-mode" : values.case}-${values.variant}-${values.iterations || recipe.fitIterations}-${values.width}.json`);
const cached = existsSync(cacheFile) ? (JSON.parse(readFileSync(cacheFile, "utf8")) as { parameters: number[] }) : undefined;
const fit = cached !== undefined ? await solver.fitInitialCondition({ points: fitPoints, checkPoints: points, target: { value: (x) => at0(x).logDensity[0] as number, gradient: (x) => at0(x).score, laplacian: (x) => at0(x).laplacian[0] as number }, parameters: Float64Array.from(cached.parameters), maxIterations: 0, weightDecay: recipe.weightDecay }) : await solver.fitInitialCondition({
  points: fitPoints,
  checkPoints: points,
  target: { value: (x) => at0(x).logDensity[0] as number, gradient: (x) => at0(x).score, laplacian: (x) => at0(x).laplacian[0] as number },
  weightDecay: recipe.weightDecay,
  maxIterations: values.iterations === "" ? recipe.fitIterations : Number(values.iterations),
  fitGradients: values.variant === "gradients",
});
if (cached === undefined) {
  mkdirSync(dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, JSON.stringify({ parameters: Array.from(fit.parameters) }));
}
console.log(`p = ${solver.network.numParameters}, sketch ${values.sketch || recipe.sketchSize}`);
console.log(`fit (${values.variant}): ${fit.iterations} its, ${((performance.now() - start) / 1000).toFixed(0)} s, value RMS ${fit.valueRms.toExponential(2)}, grad rel RMS ${fit.gradientRelativeRms?.toExponential(2)}, max|Δu| ${fit.laplacianGuard.modelMaxAbs.toFixed(1)} vs ${fit.laplacianGuard.targetMaxAbs?.toFixed(1)}; ${fit.warnings.join("; ")}`);

async function scoreError(parameters: Float64Array, t: number, label: string, cloud: Float64Array): Promise<void> {
  const count = 2000;
  const samples = exact.sample(t, random.derive(`check-${t}`), count);
  const truth = exact.evaluate(t, samples);
  const x = tf.tensor2d(Float32Array.from(samples), [count, d]);
  const evaluation = solver.network.evaluate(tf, parameters, x, { gradient: true });
  const gradient = await evaluation.gradient!.data();
  evaluation.dispose();
  x.dispose();
  let num = 0;
  let den = 0;
  const perSample: { j: number; e: number }[] = [];
  for (let j = 0; j < count; j++) {
    let e = 0;
    for (let i = 0; i < d; i++) {
      e += ((gradient[j * d + i] as number) - (truth.score[j * d + i] as number)) ** 2;
      den += (truth.score[j * d + i] as number) ** 2;
    }
    num += e;
    perSample.push({ j, e });
  }
  perSample.sort((a, b) => b.e - a.e);
  const top = perSample.slice(0, 5).map(({ j, e }) => {
    let nearest = Infinity;
    const n = cloud.length / d;
    for (let k = 0; k < n; k++) nearest = Math.min(nearest, Math.hypot((samples[j * d] as number) - (cloud[k * d] as number), (samples[j * d + 1] as number) - (cloud[k * d + 1] as number)));
    return `(${(samples[j * d] as number).toFixed(2)}, ${(samples[j * d + 1] as number).toFixed(2)}) e=${e.toExponential(1)} ρ=${Math.exp(truth.logDensity[j] as number).toExponential(1)} near ${nearest.toFixed(2)}`;
  });
  const share = perSample.slice(0, 20).reduce((s, v) => s + v.e, 0) / num;
  console.log(`${label} t=${t}: rel score error ${(num / den).toExponential(2)}; top-20 share ${(share * 100).toFixed(0)}%; worst: ${top.join(" | ")}`);
}

await scoreError(fit.parameters, 0, "fit", points);

// The MNE step at t = 0: the residual at the points, and at exact samples of ρ₀ the predicted
// ∂t u = J θ̇ against the model's own f and against the exact ∂t log ρ (finite difference in t).
{
  const probe = solver.prepare({ parameters: fit.parameters, points }, { computeResidual: true });
  const rate = (await probe.rhs(0, probe.initialState)) as { theta: Float64Array };
  console.log(`t = 0 MNE step: relative residual at the points ${probe.vectorField.lastDiagnostics?.relativeResidual?.toExponential(2)}, r_λ ${probe.vectorField.lastDiagnostics?.effectiveRank.toFixed(0)}, |θ̇| ${probe.vectorField.lastDiagnostics?.thetaDotNorm.toExponential(2)}`);
  probe.dispose();
  const count = 1000;
  const samples = exact.sample(0, random.derive("residual-probe"), count);
  const h = 1e-4;
  const later = exact.evaluate(h, samples).logDensity;
  const now = exact.evaluate(0, samples);
  const x = tf.tensor2d(Float32Array.from(samples), [count, d]);
  const evaluation = solver.network.evaluate(tf, fit.parameters, x, { value: true, gradient: true, laplacian: true, jacobian: true });
  const jacobian = evaluation.jacobian!.dense();
  const jData = await jacobian.data();
  const grad = await evaluation.gradient!.data();
  const lap = await evaluation.laplacian!.data();
  jacobian.dispose();
  evaluation.dispose();
  x.dispose();
  const p = solver.network.numParameters;
  let numModel = 0;
  let numExact = 0;
  let denModel = 0;
  let denExact = 0;
  for (let j = 0; j < count; j++) {
    let predicted = 0;
    for (let k = 0; k < p; k++) predicted += (jData[j * p + k] as number) * (rate.theta[k] as number);
    let xg = 0;
    let g2 = 0;
    for (let i = 0; i < d; i++) {
      xg += (samples[j * d + i] as number) * (grad[j * d + i] as number);
      g2 += (grad[j * d + i] as number) ** 2;
    }
    const fModel = d + xg + (lap[j] as number) + g2;
    const fExact = ((later[j] as number) - (now.logDensity[j] as number)) / h;
    numModel += (predicted - fModel) ** 2;
    denModel += fModel ** 2;
    numExact += (predicted - fExact) ** 2;
    denExact += fExact ** 2;
  }
  console.log(`t = 0 at exact samples: ‖Jθ̇ − f_model‖/‖f_model‖ ${Math.sqrt(numModel / denModel).toExponential(2)}, ‖Jθ̇ − ∂t log ρ‖/‖∂t log ρ‖ ${Math.sqrt(numExact / denExact).toExponential(2)}`);
}
const horizon = Number(values.horizon);
const saveAt = [0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 2, 5].filter((t) => t <= horizon);
// The evolution's collocation points: the fit's own, or `--points N` fresh ones from N(0, 4I).
const evolvePoints = values.points === "" ? points : random.derive("evolve-points").fillNormal(new Float64Array(Number(values.points) * d), 0, recipe.pointScale);
console.log(`evolving with N = ${evolvePoints.length / d}, rtol ${values.rtol}`);
const evolveStart = performance.now();
const result = await solver.evolve(
  { parameters: fit.parameters, points: evolvePoints },
  {
    t1: horizon,
    saveAt,
    onProgress: (p) => {
      if (p.acceptedSteps % 20 === 0) console.log(`  t = ${p.t.toFixed(4)} steps ${p.acceptedSteps} (+${p.rejectedSteps}) dt ${p.stepSize.toExponential(2)} r_λ ${p.effectiveRank.toFixed(0)} max|f| ${p.maxAbsRhs.toExponential(2)} |θ̇| ${p.thetaDotNorm.toExponential(2)}`);
    },
  },
);
console.log(`evolve: ${result.status} ${((performance.now() - evolveStart) / 1000).toFixed(0)} s, ${result.stats.acceptedSteps} steps (+${result.stats.rejectedSteps})`);
for (const snapshot of result.saved) await scoreError(snapshot.parameters, snapshot.t, "evolved", snapshot.points);
solver.dispose();
