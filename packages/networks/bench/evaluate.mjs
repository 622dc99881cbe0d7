// Micro-benchmark of one full network evaluation (u, ∇ₓu, Δₓu and the factored J) at N = 2000
// points, plus the sketch product JᵀΩ (n = 100) and the dense J, on the cpu and wasm backends.
// Not a test. Run after building: `pnpm --filter @minevo/core build && pnpm --filter @minevo/networks bench`
// (or `node bench/evaluate.mjs [cpu|wasm ...]` from packages/networks).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { RandomStream, registries } from "@minevo/core";
import "../dist/index.js";

const N = 2000;
const SKETCH = 100;
const configs = [
  { label: "recipe d=2 [32,32] +quadratic", options: { inputDim: 2, hiddenWidths: [32, 32], inputLengthScale: 2, quadratic: {} } },
  { label: "wide   d=2 [68,68] +quadratic", options: { inputDim: 2, hiddenWidths: [68, 68], inputLengthScale: 2, quadratic: {} } },
  { label: "high-d d=100 [32,32] +diag quadratic", options: { inputDim: 100, hiddenWidths: [32, 32], quadratic: { form: "diagonal" } } },
];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(body, repeats) {
  body();
  const samples = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    body();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

const backends = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["cpu", "wasm"];
for (const backend of backends) {
  await tf.setBackend(backend);
  await tf.ready();
  console.log(`\nbackend ${tf.getBackend()}, N = ${N}, sketch n = ${SKETCH} (median ms)`);
  for (const { label, options } of configs) {
    const network = registries.network.create("mlp", options);
    const theta = tf.tensor1d(Float32Array.from(network.initialParameters(RandomStream.fromSeed(0))));
    const points = tf.randomNormal([N, options.inputDim], 0, 1, "float32", 1);
    const omega = tf.randomNormal([N, SKETCH], 0, 0.1, "float32", 2);
    const before = tf.memory().numTensors;
    const repeats = options.inputDim > 10 ? 3 : 5;
    const evaluateMs = time(() => {
      const e = network.evaluate(tf, theta, points, { value: true, gradient: true, laplacian: true, jacobian: true });
      e.value.dataSync();
      e.gradient.dataSync();
      e.laplacian.dataSync();
      e.dispose();
    }, repeats);
    const e = network.evaluate(tf, theta, points, { value: true, gradient: true, laplacian: true, jacobian: true });
    const sketchMs = time(() => {
      const z = e.jacobian.transposeTimes(omega);
      z.dataSync();
      z.dispose();
    }, repeats);
    const denseMs = time(() => {
      const j = e.jacobian.dense();
      j.dataSync();
      j.dispose();
    }, repeats);
    e.dispose();
    const leaked = tf.memory().numTensors - before;
    console.log(
      `${label.padEnd(38)} p = ${String(network.numParameters).padStart(5)}  u+∇u+Δu+J ${evaluateMs.toFixed(1).padStart(7)}  JᵀΩ ${sketchMs.toFixed(1).padStart(7)}  dense J ${denseMs.toFixed(1).padStart(7)}${leaked ? `  LEAKED ${leaked}` : ""}`,
    );
    tf.dispose([theta, points, omega]);
  }
}
