/**
 * Where the time of one MNE right-hand-side evaluation goes, dense kernel vs fixed Gaussian
 * sketches, at N = 2000 collocation points and p ≈ 5000 parameters, d = 2 and d = 20, on the
 * wasm backend — with the accuracy of each θ̇ on the heat equation and the evaluation's flop
 * rate as a fraction of the backend's own matMul rate, all measured in this one run.
 *
 * Accuracy: for the heat equation ∂t u = κΔu the exact time derivative of the model is known at
 * any point, so the error of the projected derivative J(X_test) θ̇ against κΔu_θ(X_test) on
 * held-out points measures how well each strategy's θ̇ realises the equation (the dense ridge
 * solve is the best the function class can do at this λ).
 *
 * Run: pnpm --filter @minevo/bench bench:rhs   (writes its section of docs/benchmarks.md)
 * Sizes can be reduced for a quick look: BENCH_N=500 BENCH_DIMS=2 pnpm --filter @minevo/bench bench:rhs
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { RandomStream, registries, setTensorFlowBackend, type JacobianOperator, type Network, type SketchStrategy } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import { createHeatEquation } from "@minevo/evolution";
import { writeSection } from "./report.js";

const numPoints = Number(process.env["BENCH_N"] ?? 2000);
const numTest = 500;
const dims = (process.env["BENCH_DIMS"] ?? "2,20").split(",").map(Number);
const repeats = Number(process.env["BENCH_REPEATS"] ?? 3);
const kappa = 1;

await setTensorFlowBackend(tf, "wasm", "the wasm backend is needed for this benchmark");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function timeIt<T>(body: () => Promise<T>, count = repeats): Promise<{ ms: number; value: T }> {
  let value = await body(); // warm-up: shader/kernel set-up and allocations
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    value = await body();
    times.push(performance.now() - start);
  }
  return { ms: median(times), value };
}

/** The backend's own matMul rate, the yardstick for every flop rate below. */
async function matMulRate(): Promise<number> {
  const a = tf.randomNormal([1000, 2000]) as Tensor2D;
  const b = tf.randomNormal([2000, 1000]) as Tensor2D;
  const { ms } = await timeIt(async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  });
  a.dispose();
  b.dispose();
  return (2 * 1000 * 2000 * 1000) / (ms / 1000);
}

function hiddenWidthFor(d: number, targetP: number, quadraticSize: number): number {
  // p = d·w + w + w² + w + w + 1 + quadratic
  let w = 1;
  while (d * (w + 1) + 3 * (w + 1) + (w + 1) ** 2 + 1 + quadraticSize <= targetP) w++;
  return w;
}

function uniformPoints(random: RandomStream, n: number, d: number): Float32Array {
  return random.fillUniform(new Float32Array(n * d), -Math.PI, Math.PI);
}

/** Network flops of one evaluation with value, Δu and J (the forward pass carries d+1 directions). */
function networkFlops(n: number, d: number, width: number, p: number): number {
  const matmulWork = d * width + width * width + width;
  return 2 * n * matmulWork * (d + 2) + 2 * n * p;
}

interface Row {
  readonly dim: number;
  readonly p: number;
  readonly strategy: string;
  readonly networkMs: number;
  readonly productMs: number;
  readonly solveMs: number;
  readonly totalMs: number;
  readonly error: number;
  readonly effectiveRank: number;
  readonly flopFraction: number | undefined;
}

const rate = await matMulRate();
console.log(`wasm matMul rate: ${(rate / 1e9).toFixed(2)} GFLOP/s (1000×2000 · 2000×1000, median of ${repeats})`);
const rows: Row[] = [];

for (const d of dims) {
  const quadraticSize = d === 2 ? 3 : d;
  const width = hiddenWidthFor(d, 5000, quadraticSize);
  const network: Network = registries.network.create("mlp", {
    inputDim: d,
    hiddenWidths: [width, width],
    activation: "tanh",
    quadratic: { form: d === 2 ? "symmetric" : "diagonal", initial: 0.5 },
    initialization: { outputScale: 1 },
  });
  const p = network.numParameters;
  const random = RandomStream.fromSeed(`bench-rhs-${d}`);
  const theta = network.initialParameters(random.derive("theta"));
  const thetaTensor = tf.tensor1d(Float32Array.from(theta));
  const points = tf.tensor2d(uniformPoints(random.derive("points"), numPoints, d), [numPoints, d]);
  const testPoints = tf.tensor2d(uniformPoints(random.derive("test"), numTest, d), [numTest, d]);
  const equation = createHeatEquation({ diffusivity: kappa });
  console.log(`\nd = ${d}: mlp [${width}, ${width}] + quadratic, p = ${p}, N = ${numPoints}`);

  // 1. The network: u, Δu and J at the N points, and f = κΔu read back to the CPU.
  let jacobian: JacobianOperator | undefined;
  let rhs = new Float64Array(numPoints);
  const network1 = await timeIt(async () => {
    jacobian?.dispose();
    const evaluation = network.evaluate(tf, thetaTensor, points, { value: true, laplacian: true, jacobian: true });
    const f = tf.tidy(() =>
      equation.rhs({ tf, t: 0, points, value: evaluation.value!, laplacian: evaluation.laplacian!, extra: {}, inputDim: d, conditionDim: 0 }),
    );
    rhs = Float64Array.from(await f.data());
    f.dispose();
    jacobian = evaluation.jacobian!;
    evaluation.value?.dispose();
    evaluation.laplacian?.dispose();
    return 0;
  });
  const networkMs = network1.ms;
  const jacobianAtPoints = jacobian as unknown as JacobianOperator;

  // Held-out truth: ∂t u = κΔu_θ at the test points, and J there to apply each θ̇.
  const test = network.evaluate(tf, thetaTensor, testPoints, { laplacian: true, jacobian: true });
  const exactRate = Float64Array.from(await test.laplacian!.data()).map((v) => kappa * v);
  const testJacobian = test.jacobian!;

  async function heldOutError(thetaDot: Float64Array): Promise<number> {
    const v = tf.tensor2d(Float32Array.from(thetaDot), [p, 1]);
    const predicted = testJacobian.times(v);
    const values = await predicted.data();
    v.dispose();
    predicted.dispose();
    let num = 0;
    let den = 0;
    for (let i = 0; i < numTest; i++) {
      num += ((values[i] as number) - (exactRate[i] as number)) ** 2;
      den += (exactRate[i] as number) ** 2;
    }
    return Math.sqrt(num / den);
  }

  const strategies: { label: string; name: "dense" | "gaussian" | "nystrom"; options: Record<string, unknown>; n: number }[] = [
    { label: "dense (N×N, float64 Cholesky)", name: "dense", options: {}, n: numPoints },
    ...[50, 100, 200, 400, 800].map((n) => ({ label: `gaussian n = ${n}`, name: "gaussian" as const, options: { sketchSize: n }, n })),
    ...[100, 200, 400].map((n) => ({ label: `nystrom n = ${n}`, name: "nystrom" as const, options: { sketchSize: n }, n })),
  ];
  for (const choice of strategies) {
    const strategy = registries.sketch.configure(choice.name, choice.options).create() as SketchStrategy;
    strategy.prepare({ numPoints, numParameters: p, random: random.derive("sketch"), tf });
    const solveCount = choice.name === "dense" ? 1 : repeats;
    const solved = await timeIt(() => strategy.solve({ jacobian: jacobianAtPoints, rhs }), solveCount);
    // The backend product alone: Z = JᵀΩ (sketch) or the dense J brought to the CPU (dense).
    const product = await timeIt(async () => {
      if (choice.name === "dense") {
        const j = jacobianAtPoints.dense();
        await j.data();
        j.dispose();
      } else {
        const omega = tf.randomNormal([numPoints, choice.n]) as Tensor2D;
        const z = jacobianAtPoints.transposeTimes(omega);
        await z.data();
        z.dispose();
        omega.dispose();
      }
      return 0;
    }, solveCount);
    const error = await heldOutError(solved.value.thetaDot);
    const totalMs = networkMs + solved.ms;
    const flops =
      choice.name === "dense"
        ? undefined
        : networkFlops(numPoints, d, width, p) +
          2 * numPoints * p * choice.n * (choice.name === "nystrom" ? 2 : 1) +
          (p + (choice.name === "nystrom" ? numPoints : 0)) * choice.n * choice.n +
          2 * p * choice.n;
    const row: Row = {
      dim: d,
      p,
      strategy: choice.label,
      networkMs,
      productMs: product.ms,
      solveMs: Math.max(0, solved.ms - product.ms),
      totalMs,
      error,
      effectiveRank: solved.value.effectiveRank,
      flopFraction: flops === undefined ? undefined : flops / (totalMs / 1000) / rate,
    };
    rows.push(row);
    console.log(
      `  ${choice.label.padEnd(32)} total ${totalMs.toFixed(0).padStart(7)} ms  (network ${networkMs.toFixed(0)}, product ${product.ms.toFixed(0)}, float64 solve ${row.solveMs.toFixed(0)})  held-out error ${error.toExponential(2)}  r_λ ${row.effectiveRank.toFixed(1)}${row.flopFraction === undefined ? "" : `  ${(100 * row.flopFraction).toFixed(0)}% of matMul rate`}`,
    );
    strategy.dispose();
  }
  jacobianAtPoints.dispose();
  testJacobian.dispose();
  test.dispose();
  thetaTensor.dispose();
  points.dispose();
  testPoints.dispose();
}

const lines: string[] = [];
lines.push(`Backend wasm (Node, SIMD, one thread); its matMul rate in this run: **${(rate / 1e9).toFixed(2)} GFLOP/s**. N = ${numPoints} collocation points, heat equation ∂t u = Δu, held-out error = ‖J(X_test)θ̇ − Δu_θ(X_test)‖/‖Δu_θ(X_test)‖ on ${numTest} points; λ = 1e-6·tr K/N.`);
lines.push("");
lines.push("| d | p | strategy | network ms | J/Z product ms | float64 solve ms | total ms | speed vs dense | held-out error | error vs dense | r_λ | flop rate / matMul rate |");
lines.push("|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const row of rows) {
  const dense = rows.find((r) => r.dim === row.dim && r.strategy.startsWith("dense"));
  const speed = dense ? dense.totalMs / row.totalMs : Number.NaN;
  const errorRatio = dense ? row.error / dense.error : Number.NaN;
  lines.push(
    `| ${row.dim} | ${row.p} | ${row.strategy} | ${row.networkMs.toFixed(0)} | ${row.productMs.toFixed(0)} | ${row.solveMs.toFixed(0)} | ${row.totalMs.toFixed(0)} | ${speed.toFixed(1)}× | ${row.error.toExponential(2)} | ${errorRatio.toFixed(2)} | ${row.effectiveRank.toFixed(1)} | ${row.flopFraction === undefined ? "—" : `${(100 * row.flopFraction).toFixed(0)}%`} |`,
  );
}
console.log(`\n${lines.join("\n")}`);
writeSection("rhs-breakdown", "pnpm --filter @minevo/bench bench:rhs", lines.join("\n"));
console.log(`\nlive tensors at the end: ${tf.memory().numTensors}`);
