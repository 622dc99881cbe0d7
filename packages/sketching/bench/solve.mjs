// Micro-benchmark: wall time of one MNE solve (θ̇ from J and f) per strategy on the wasm backend.
// Not a test. Run after building:  pnpm --filter @minevo/sketching bench
// Sizes: N = 2000 collocation points, p = 5000 parameters, a random Gaussian J (options:
// BENCH_N, BENCH_P, BENCH_REPEATS environment variables).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { RandomStream, registries } from "@minevo/core";
import { denseJacobianOperator } from "../dist/index.js";

const numPoints = Number(process.env.BENCH_N ?? 2000);
const numParameters = Number(process.env.BENCH_P ?? 5000);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);

await tf.setBackend("wasm");
await tf.ready();

const random = RandomStream.fromSeed("bench");
const jacobianValues = new Float32Array(numPoints * numParameters);
random.fillNormal(jacobianValues, 0, 1 / Math.sqrt(numParameters));
const rhs = random.normals(numPoints);
const jacobianTensor = tf.tensor2d(jacobianValues, [numPoints, numParameters]);
const jacobian = denseJacobianOperator(tf, jacobianTensor);
jacobianTensor.dispose();

const cases = [
  ["dense", {}],
  ["dense", { gramPrecision: "float32" }],
  ["gaussian", { sketchSize: 50 }],
  ["gaussian", { sketchSize: 100 }],
  ["gaussian", { sketchSize: 200 }],
  ["srft", { sketchSize: 100 }],
  ["nystrom", { sketchSize: 100 }],
  ["column", { numColumns: 200 }],
];

console.log(`backend ${tf.getBackend()}, N = ${numPoints}, p = ${numParameters}, median of ${repeats} solves after one warm-up`);
console.log("strategy                          median ms   min ms   r_λ      n");
for (const [name, options] of cases) {
  const strategy = registries.sketch.create(name, options);
  const prepareStart = performance.now();
  strategy.prepare({ numPoints, numParameters, random: RandomStream.fromSeed("bench").derive("sketch"), tf });
  const prepareMs = performance.now() - prepareStart;
  let result = await strategy.solve({ jacobian, rhs });
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    result = await strategy.solve({ jacobian, rhs });
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const label = `${name} ${JSON.stringify(options)}`.padEnd(32);
  console.log(
    `${label}  ${times[Math.floor(times.length / 2)].toFixed(1).padStart(9)}  ${times[0].toFixed(1).padStart(7)}  ${result.effectiveRank.toFixed(1).padStart(6)}  ${String(result.systemSize).padStart(5)}   (prepare ${prepareMs.toFixed(0)} ms)`,
  );
  strategy.dispose();
}
jacobian.dispose();
console.log(`live tensors at the end: ${tf.memory().numTensors}`);
