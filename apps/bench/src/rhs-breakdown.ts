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
 * Another regularisation, printed only: BENCH_DIMS=20 BENCH_AB_ROUNDS=0 BENCH_EPSILON=1e-3 pnpm --filter @minevo/bench bench:rhs
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { RandomStream, gramOfRows, registries, setTensorFlowBackend, transposeTimesVector, type JacobianOperator, type Network, type SketchStrategy } from "@minevo/core";
import { solveRegularised } from "@minevo/sketching";
import "@minevo/networks";
import "@minevo/sketching";
import { createHeatEquation } from "@minevo/evolution";
import { readFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSection } from "./report.js";

const numPoints = Number(process.env["BENCH_N"] ?? 2000);
const numTest = 500;
const dims = (process.env["BENCH_DIMS"] ?? "2,20").split(",").map(Number);
const repeats = Number(process.env["BENCH_REPEATS"] ?? 3);
/** "before" / "after" an optimisation: each run's rows are kept in results/, and the section compares the two. */
const label = process.env["BENCH_LABEL"] ?? "after";
const resultsDir = resolve(dirname(fileURLToPath(import.meta.url)), "../results");
const kappa = 1;
/**
 * ε of λ = ε·tr K/N for every strategy (BENCH_EPSILON). Any value but the recorded 1e-6 is a look
 * at the regularisation (docs/design.md, the d = 20 sweep): it prints its rows and leaves
 * docs/benchmarks.md and results/ alone.
 */
const epsilon = Number(process.env["BENCH_EPSILON"] ?? 1e-6);
const recorded = epsilon === 1e-6;

await setTensorFlowBackend(tf, "wasm", "the wasm backend is needed for this benchmark");

function trace(m: { rows: number; data: Float64Array }): number {
  let s = 0;
  for (let i = 0; i < m.rows; i++) s += m.data[i * m.rows + i] as number;
  return s;
}

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

// On wasm (and cpu) every kernel runs when it is called, so the time to a returned tensor is its
// compute time and `await tensor.data()` afterwards is the transfer alone.

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
  readonly transferMs: number;
  readonly solveMs: number;
  readonly totalMs: number;
  readonly error: number;
  readonly effectiveRank: number;
  readonly flopFraction: number | undefined;
}

/**
 * Before/after the optimisations of task H5, interleaved in this one run so that both see the same
 * machine load: each "before" is the previous implementation, kept here verbatim in spirit.
 *  - dense: before = the N×p J on the backend, read back, K = JJᵀ by float64 dot products of its
 *    rows (N²p/2); after = the strategy as it is (K from J's factors, N²F/2).
 *  - JᵀΩ (n = 100): before = each block formed N×w and transposed (two passes), approximated by
 *    transposing the dense J; after = transposeTimes (blocks formed transposed from the factors).
 * (A cheaper Nyström float64 part, Tᵀ(YᵀY)T instead of the Gram of YT, was tried and reverted: the
 * congruence of a Gram matrix by a large T is not positive semi-definite in float64, and the
 * n×n solve failed at N = 2000, n = 200.)
 */
const abRounds = Number(process.env["BENCH_AB_ROUNDS"] ?? 1);
interface AbRow {
  readonly dim: number;
  readonly what: string;
  readonly beforeMs: number;
  readonly afterMs: number;
}
const abRows: AbRow[] = [];

async function optimisationsAB(d: number, p: number, jacobian: JacobianOperator, f: Float64Array): Promise<AbRow[]> {
  const out: AbRow[] = [];
  const time = async (body: () => Promise<unknown>) => {
    const start = performance.now();
    await body();
    return performance.now() - start;
  };
  // Dense right-hand side solve.
  const policy = { kind: "relative-trace" as const, epsilon: 1e-6 };
  const denseBefore = async () => {
    const j = jacobian.dense();
    const data = (await j.data()) as Float32Array;
    j.dispose();
    const j64 = { rows: numPoints, cols: p, data: Float64Array.from(data) };
    const kernel = gramOfRows(j64);
    const { solution } = solveRegularised(kernel, f, policy, trace(kernel), numPoints);
    return transposeTimesVector(j64, solution);
  };
  const dense = registries.sketch.create("dense", { regularisation: policy }) as SketchStrategy;
  dense.prepare({ numPoints, numParameters: p, random: RandomStream.fromSeed("ab"), tf });
  const denseAfter = () => dense.solve({ jacobian, rhs: f });
  // Product Z = JᵀΩ at n = 100.
  const omega = tf.randomNormal([numPoints, 100]) as Tensor2D;
  const productBefore = async () => {
    const z = tf.tidy(() => tf.matMul(tf.transpose(jacobian.dense()), omega));
    await z.data();
    z.dispose();
  };
  const productAfter = async () => {
    const z = jacobian.transposeTimes(omega);
    await z.data();
    z.dispose();
  };
  const pairs: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
    ["dense solve (K, Cholesky, r_λ, θ̇)", denseBefore, denseAfter],
    ["product Z = JᵀΩ, n = 100 (with readback)", productBefore, productAfter],
  ];
  for (const [what, before, after] of pairs) {
    await before();
    await after();
    const b: number[] = [];
    const a: number[] = [];
    const rounds = what.startsWith("dense") ? abRounds : Math.max(3, abRounds);
    for (let r = 0; r < rounds; r++) {
      b.push(await time(before));
      a.push(await time(after));
    }
    const row = { dim: d, what, beforeMs: median(b), afterMs: median(a) };
    console.log(`  A/B ${what}: before ${row.beforeMs.toFixed(0)} ms, after ${row.afterMs.toFixed(0)} ms (${(row.beforeMs / row.afterMs).toFixed(1)}×)`);
    out.push(row);
  }
  omega.dispose();
  dense.dispose();
  return out;
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

  // 1. The network: u, Δu and J at the N points (backend), then f = κΔu read back to the CPU
  //    (timed separately: the transfer).
  let jacobian: JacobianOperator | undefined;
  let rhs = new Float64Array(numPoints);
  const networkTimes: number[] = [];
  const rhsTransferTimes: number[] = [];
  for (let round = 0; round <= repeats; round++) {
    jacobian?.dispose();
    const start = performance.now();
    const evaluation = network.evaluate(tf, thetaTensor, points, { value: true, laplacian: true, jacobian: true });
    const f = tf.tidy(() =>
      equation.rhs({ tf, t: 0, points, value: evaluation.value!, laplacian: evaluation.laplacian!, extra: {}, inputDim: d, conditionDim: 0 }),
    );
    const computed = performance.now();
    rhs = Float64Array.from(await f.data());
    const read = performance.now();
    f.dispose();
    jacobian = evaluation.jacobian!;
    evaluation.value?.dispose();
    evaluation.laplacian?.dispose();
    if (round > 0) {
      networkTimes.push(computed - start);
      rhsTransferTimes.push(read - computed);
    }
  }
  const networkMs = median(networkTimes);
  const rhsTransferMs = median(rhsTransferTimes);
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
    ...[100, 150, 200, 400].map((n) => ({ label: `nystrom n = ${n}`, name: "nystrom" as const, options: { sketchSize: n }, n })),
  ];
  for (const choice of strategies) {
    const strategy = registries.sketch.configure(choice.name, { ...choice.options, regularisation: { kind: "relative-trace", epsilon } }).create() as SketchStrategy;
    strategy.prepare({ numPoints, numParameters: p, random: random.derive("sketch"), tf });
    const solveCount = repeats;
    const solved = await timeIt(() => strategy.solve({ jacobian: jacobianAtPoints, rhs }), solveCount);
    // The backend products alone (Z = JᵀΩ, and Y = JZ for Nyström; the dense J for dense), and
    // their readback to the CPU, timed apart; the float64 part is the rest of the solve.
    const productTimes: number[] = [];
    const transferTimes: number[] = [];
    for (let round = 0; round <= solveCount; round++) {
      const omega = choice.name === "dense" ? undefined : (tf.randomNormal([numPoints, choice.n]) as Tensor2D);
      const start = performance.now();
      const outputs: Tensor2D[] = [];
      if (omega === undefined) outputs.push(jacobianAtPoints.dense());
      else {
        const z = jacobianAtPoints.transposeTimes(omega);
        outputs.push(z);
        if (choice.name === "nystrom") outputs.push(jacobianAtPoints.times(z));
      }
      const computed = performance.now();
      for (const output of outputs) await output.data();
      const read = performance.now();
      for (const output of outputs) output.dispose();
      omega?.dispose();
      if (round > 0) {
        productTimes.push(computed - start);
        transferTimes.push(read - computed);
      }
    }
    const product = { ms: median(productTimes) };
    const transferMs = median(transferTimes);
    const error = await heldOutError(solved.value.thetaDot);
    const totalMs = networkMs + rhsTransferMs + solved.ms;
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
      transferMs: rhsTransferMs + transferMs,
      solveMs: Math.max(0, solved.ms - product.ms - transferMs),
      totalMs: networkMs + rhsTransferMs + solved.ms,
      error,
      effectiveRank: solved.value.effectiveRank,
      flopFraction: flops === undefined ? undefined : flops / (totalMs / 1000) / rate,
    };
    rows.push(row);
    console.log(
      `  ${choice.label.padEnd(32)} total ${totalMs.toFixed(0).padStart(7)} ms  (network ${networkMs.toFixed(0)}, product ${product.ms.toFixed(0)}, transfers ${row.transferMs.toFixed(1)}, float64 solve ${row.solveMs.toFixed(0)})  held-out error ${error.toExponential(2)}  r_λ ${row.effectiveRank.toFixed(1)}${row.flopFraction === undefined ? "" : `  ${(100 * row.flopFraction).toFixed(0)}% of matMul rate`}`,
    );
    strategy.dispose();
  }
  if (abRounds > 0) abRows.push(...(await optimisationsAB(d, p, jacobianAtPoints, rhs)));
  jacobianAtPoints.dispose();
  testJacobian.dispose();
  test.dispose();
  thetaTensor.dispose();
  points.dispose();
  testPoints.dispose();
}

if (!recorded) {
  console.log(`BENCH_EPSILON = ${epsilon}: rows printed above; docs/benchmarks.md and results/ left as they are`);
  process.exit(0);
}
mkdirSync(resultsDir, { recursive: true });
writeFileSync(resolve(resultsDir, `rhs-breakdown-${label}.json`), JSON.stringify({ date: new Date().toISOString(), rate, numPoints, rows }, null, 1));
const otherLabel = label === "after" ? "before" : "after";
const otherFile = resolve(resultsDir, `rhs-breakdown-${otherLabel}.json`);
const other = existsSync(otherFile) ? (JSON.parse(readFileSync(otherFile, "utf8")) as { date: string; rate: number; rows: Row[] }) : undefined;
const before = label === "before" ? { date: new Date().toISOString(), rate, rows } : other;
const after = label === "after" ? { date: new Date().toISOString(), rate, rows } : other;

const percent = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;
const lines: string[] = [];
lines.push(
  `Backend wasm (Node, SIMD, one thread); its matMul rate in this run: **${(rate / 1e9).toFixed(2)} GFLOP/s**. N = ${numPoints} collocation points, heat equation ∂t u = Δu, held-out error = ‖J(X_test)θ̇ − Δu_θ(X_test)‖/‖Δu_θ(X_test)‖ on ${numTest} points; λ = 1e-6·tr K/N. ` +
    "Parts of one right-hand side: *network* = u, Δu and the factored J on the backend; *products* = Z = JᵀΩ (and JQ, Q = ZT, for Nyström; the dense N×p J for dense) on the backend; " +
    "*transfers* = reading f and Z (Y, J) back to the CPU; *float64* = the Gram matrix, the n×n (N×N) solve, r_λ and θ̇ on the CPU. Times are medians of " +
    `${repeats} (dense included) after a warm-up, on the shared 2-core machine (other jobs running: single figures can be off by tens of per cent; every ratio comes from one run).`,
);
lines.push("");
lines.push("| d | p | strategy | total ms | network | products | transfers | float64 | speed vs dense | held-out error | error vs dense | r_λ | flop rate / matMul rate |");
lines.push("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const row of rows) {
  const dense = rows.find((r) => r.dim === row.dim && r.strategy.startsWith("dense"));
  const speed = dense ? dense.totalMs / row.totalMs : Number.NaN;
  const errorRatio = dense ? row.error / dense.error : Number.NaN;
  lines.push(
    `| ${row.dim} | ${row.p} | ${row.strategy} | ${row.totalMs.toFixed(0)} | ${percent(row.networkMs, row.totalMs)} | ${percent(row.productMs, row.totalMs)} | ${percent(row.transferMs, row.totalMs)} | ${percent(row.solveMs, row.totalMs)} | ${speed.toFixed(1)}× | ${row.error.toExponential(2)} | ${errorRatio.toFixed(2)} | ${row.effectiveRank.toFixed(1)} | ${row.flopFraction === undefined ? "—" : percent(row.flopFraction, 1)} |`,
  );
}
if (abRows.length > 0) {
  lines.push("");
  lines.push(
    "**Before / after the optimisations, interleaved in this run** (the previous implementation and the current one alternated on the same J and f, so both see the same machine load; medians; dense: " +
      `${abRounds} round): dense = K from J's factors instead of the N×p J (N²F/2 instead of N²p/2 multiply-adds); product = weight blocks formed transposed from the factors.`,
  );
  lines.push("");
  lines.push("| d | part | before ms | after ms | speed-up |");
  lines.push("|---|---|---:|---:|---:|");
  for (const row of abRows) lines.push(`| ${row.dim} | ${row.what} | ${row.beforeMs.toFixed(0)} | ${row.afterMs.toFixed(0)} | ${(row.beforeMs / row.afterMs).toFixed(1)}× |`);
}
if (before !== undefined && after !== undefined) {
  lines.push("");
  lines.push(
    `Before / after the optimisations of task H5 (same command; "before" run ${before.date.slice(0, 16)}Z at a matMul rate of ${(before.rate / 1e9).toFixed(1)} GFLOP/s, "after" run ${after.date.slice(0, 16)}Z at ${(after.rate / 1e9).toFixed(1)} GFLOP/s; ms per right-hand side):`,
  );
  lines.push("");
  lines.push("| d | strategy | before ms | after ms | after/before | before: products / float64 ms | after: products / float64 ms |");
  lines.push("|---|---|---:|---:|---:|---:|---:|");
  for (const row of after.rows) {
    const old = before.rows.find((r) => r.dim === row.dim && r.strategy === row.strategy);
    if (old === undefined) continue;
    lines.push(
      `| ${row.dim} | ${row.strategy} | ${old.totalMs.toFixed(0)} | ${row.totalMs.toFixed(0)} | ${(row.totalMs / old.totalMs).toFixed(2)} | ${old.productMs.toFixed(0)} / ${old.solveMs.toFixed(0)} | ${row.productMs.toFixed(0)} / ${row.solveMs.toFixed(0)} |`,
    );
  }
}
console.log(`\n${lines.join("\n")}`);
writeSection("rhs-breakdown", "pnpm --filter @minevo/bench bench:rhs", lines.join("\n"));
console.log(`\nlive tensors at the end: ${tf.memory().numTensors}`);
