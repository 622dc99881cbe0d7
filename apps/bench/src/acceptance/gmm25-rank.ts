/**
 * How far the 25-mode grid is from the sketched step's reach: fit the recipe network to log π̃ at
 * the gmm25 case's formula-only points (1000 MALA-on-π̃ + 1000 broad collocation points, 3000 fit
 * points from N(0, 3.5²I)), then take one dense MNE step at t = 0 and print the NTK's effective
 * rank r_λ (λ = 1e-6·tr K/N) and max|f|. A fixed sketch needs n above r_λ (docs/design.md).
 *
 * Run (in apps/bench): node --conditions=@minevo/source --import tsx src/acceptance/gmm25-rank.ts [widths] [iterations]
 *   e.g. "[48,48]" 60
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { RandomStream, registries, setTensorFlowBackend, type SamplingTarget } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import { createSolver } from "@minevo/evolution";
import { runMala } from "@minevo/diffusion";

await setTensorFlowBackend(tf, "wasm", "the gmm25 rank probe uses the wasm backend");
const target = registries.target.configure("gmm25", {}).create() as SamplingTarget;
const widths = JSON.parse(process.argv[2] ?? "[48,48]") as number[];
const iterations = Number(process.argv[3] ?? "60");
const d = 2;
const random = RandomStream.fromSeed(0);
const start = random.derive("s").fillNormal(new Float64Array(1000 * d), 0, 3);
const chains = runMala({ target, tf, random: random.derive("c"), initialPoints: start, warmupSteps: 200, numSamples: 4, initialStepSize: 0.02 });
const points = new Float64Array(2000 * d);
points.set(chains.finalPoints);
points.set(random.derive("b").fillNormal(new Float64Array(1000 * d), 0, 3), 1000 * d);
const fitPoints = new Float64Array(5000 * d);
fitPoints.set(random.derive("f").fillNormal(new Float64Array(3000 * d), 0, 3.5));
fitPoints.set(points, 3000 * d);

// log π̃ and its score at every fit point, looked up by the point's coordinates during the fit.
const pointsTensor = tf.tensor2d(Float32Array.from(fitPoints), [5000, d]);
const values = target.scoreAndLogDensity(pointsTensor, tf);
const logDensity = Float64Array.from(await values.logDensity.data());
const score = Float64Array.from(await values.score.data());
values.logDensity.dispose();
values.score.dispose();
pointsTensor.dispose();
const index = new Map<string, number>();
for (let i = 0; i < 5000; i++) index.set(`${fitPoints[2 * i]},${fitPoints[2 * i + 1]}`, i);
const rowOf = (x: Float64Array): number => index.get(`${x[0]},${x[1]}`) as number;

const solver = createSolver({
  tf,
  network: "mlp",
  networkOptions: { inputDim: d, hiddenWidths: widths, activation: "tanh", inputLengthScale: 1, quadratic: { form: "symmetric", learnable: true, initial: 0 } },
  sketch: "dense",
  sketchOptions: { regularisation: { kind: "relative-trace", epsilon: 1e-6 } },
  integrator: "dopri5",
  integratorOptions: { rtol: 1e-4, atol: 1e-4 },
  equation: "ornstein-uhlenbeck",
  equationOptions: { form: "log-density" },
  seed: 0,
});
const fitStart = performance.now();
const fit = await solver.fitInitialCondition({
  points: fitPoints,
  checkPoints: points,
  target: { value: (x) => logDensity[rowOf(x)] as number, gradient: (x) => score.subarray(2 * rowOf(x), 2 * rowOf(x) + 2) },
  weightDecay: 1e-4,
  maxIterations: iterations,
  onIteration: (p) => {
    if (p.iteration % 10 === 0) console.log(`LM ${p.iteration}: value RMS ${p.valueRms.toExponential(2)} (${((performance.now() - fitStart) / 1000).toFixed(0)} s)`);
  },
});
console.log(`p = ${solver.network.numParameters}; after ${fit.iterations} LM iterations the value RMS at the collocation points is ${fit.valueRms.toExponential(2)} (${fit.stopReason})`);
const run = solver.prepare({ parameters: fit.parameters, points });
const stepStart = performance.now();
await run.rhs(0, run.initialState);
const diagnostics = run.vectorField.lastDiagnostics;
console.log(`dense step at t = 0: r_λ = ${diagnostics?.effectiveRank.toFixed(1)} of N = 2000, max|f| = ${diagnostics?.maxAbsRhs.toExponential(2)} (${((performance.now() - stepStart) / 1000).toFixed(1)} s)`);
run.dispose();
solver.dispose();
console.log(`live tensors at the end: ${tf.memory().numTensors}`);
