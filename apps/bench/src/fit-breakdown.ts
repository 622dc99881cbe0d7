/**
 * Where the initial fit's time goes (issue 9.1/9.7 for the fit, the slow part of the main job):
 * the recipe's Levenberg–Marquardt fit of log ρ₀ of the reference 2-D mixture (tanh MLP [32, 32]
 * + learnable quadratic, p = 1188; 2000 broad points N(0, 9I) + 1000 collocation points N(0, 4I);
 * weight decay 1e-4), run for BENCH_FIT_ITERATIONS (default 20 and 100) iterations on the wasm
 * backend under both damping rules (the reference's fixed factors, the default; the gain ratio),
 * with the fit's own phase timings (`InitialFitReport.timings`) as fractions and
 * per iteration; then the Gram matrix at the fit's shape, one full product against row blocks.
 * Then the float64 Cholesky at the fit's size, before/after: a textbook unblocked
 * Cholesky–Banachiewicz and the previous core version with 2×2 register tiles (both kept here as
 * baselines) against @minevo/core's `cholesky` with 4×4 tiles, on one thread and with its worker
 * (two threads), same matrices, same run.
 *
 * Run: pnpm --filter @minevo/bench bench:fit
 */
import { RandomStream, cholesky, gramOfColumns, startCholeskyWorker, stopCholeskyWorker } from "@minevo/core";
import { backendGram, type InitialFitReport } from "@minevo/evolution";
import { referenceMixture } from "@minevo/diffusion";
import { collocationPoints, exactFor, median, recipeSolver, tf, useWasm } from "./ou-common.js";
import { writeSection } from "./report.js";

await useWasm();

const exact = exactFor(referenceMixture);
const solver = recipeSolver({ dim: 2, hiddenWidths: [32, 32], sketch: "gaussian" });
const p = solver.network.numParameters;
const random = RandomStream.fromSeed("bench-fit-breakdown");
const fitPoints = new Float64Array(3000 * 2);
fitPoints.set(random.derive("broad").fillNormal(new Float64Array(2000 * 2), 0, 3));
fitPoints.set(collocationPoints(1000, 2), 2000 * 2);
const at0 = (x: Float64Array) => exact.evaluate(0, x);
const iterationCounts = (process.env["BENCH_FIT_ITERATIONS"] ?? "20,100").split(",").map(Number);
for (const count of iterationCounts) if (!Number.isInteger(count) || count < 1) throw new Error(`BENCH_FIT_ITERATIONS = ${String(process.env["BENCH_FIT_ITERATIONS"])}: give positive integers, comma-separated`);
const variants = [
  { label: "fixed factors (the reference's rule; the default)", dampingUpdate: "fixed-factors" },
  { label: "gain ratio", dampingUpdate: "gain-ratio" },
] as const;
const runs: { label: string; report: InitialFitReport }[] = [];
for (const maxIterations of iterationCounts) {
  for (const variant of variants) {
    const report = await solver.fitInitialCondition({
      points: fitPoints,
      checkPoints: collocationPoints(1000, 2),
      target: { value: (x) => at0(x).logDensity[0] as number, gradient: (x) => at0(x).score, laplacian: (x) => at0(x).laplacian[0] as number },
      weightDecay: 1e-4,
      maxIterations,
      tolerance: 0,
      dampingUpdate: variant.dampingUpdate,
    });
    runs.push({ label: variant.label, report });
    console.log(`${variant.label}: ${report.iterations} iterations, ${report.trials} trials, ${report.timings.total.toFixed(1)} s, value RMS ${report.valueRms.toExponential(2)}`);
  }
}

const lines: string[] = [];
lines.push(
  `The recipe's LM fit of log ρ₀ of the reference 2-D mixture (tanh MLP [32, 32] + learnable quadratic, p = ${p}; 3000 fit points from a fixed stream; weight decay 1e-4; the same starting θ) on the wasm backend (the Gram matrix JᵀJ by float32 matMuls, read back and solved in float64), timed by the fit itself (\`InitialFitReport.timings\`). ` +
    "Two damping rules (`dampingUpdate`): the float64 reference's fixed factors (μ/3 after an accepted step, 4μ after a rejected one; the default) and the gain-ratio rule. A trial is one LM step tried, one factorisation; a rejected trial is a factorisation spent for nothing.",
);
lines.push("");
lines.push("| damping rule | iterations | trials | fit s | s per iteration | Jacobian | Gram + Jᵀr | Cholesky + solve | residuals | value RMS at the collocation points |");
lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const { label, report } of runs) {
  const t = report.timings;
  const share = (x: number) => `${((100 * x) / t.total).toFixed(0)} %`;
  lines.push(
    `| ${label} | ${report.iterations} | ${report.trials} | ${t.total.toFixed(1)} | ${(t.total / report.iterations).toFixed(3)} | ${share(t.jacobian)} | ${share(t.gram)} | ${share(t.solve)} | ${share(t.residuals)} | ${report.valueRms.toExponential(2)} |`,
  );
}
{
  // The largest iteration budget under each rule.
  const [fixed, gain] = runs.slice(-2) as [(typeof runs)[number], (typeof runs)[number]];
  lines.push("");
  lines.push(
    `With ${iterationCounts[iterationCounts.length - 1] as number} iterations allowed, the gain-ratio rule took ${(fixed.report.timings.total / gain.report.timings.total).toFixed(2)}× less time than the fixed factors (${fixed.report.trials} → ${gain.report.trials} trials), value RMS ${fixed.report.valueRms.toExponential(2)} → ${gain.report.valueRms.toExponential(2)}.`,
  );
}
lines.push("");

// The Gram matrix at the fit's shape, before/after: one full float32 product against the
// staircase of row blocks the fit now uses (10/16 of the multiply-adds).
{
  const rows = 3000;
  const jacobian = RandomStream.fromSeed("bench-fit-gram").fillNormal(new Float64Array(rows * p), 0, 1);
  const full = async () => {
    const product = tf.tidy(() => {
      const j = tf.tensor2d(Float32Array.from(jacobian), [rows, p]);
      return tf.matMul(tf.transpose(j), j);
    });
    await product.data();
    product.dispose();
  };
  const timedAsync = async (f: () => Promise<unknown>): Promise<number> => {
    await f();
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      await f();
      times.push((performance.now() - t0) / 1000);
    }
    return median(times);
  };
  const before = await timedAsync(full);
  const after = await timedAsync(() => backendGram(tf, jacobian, rows, p, true));
  lines.push(
    `The Gram matrix JᵀJ at the fit's shape (J ${rows}×${p}, upload, products, read-back; median of 3 after a warm-up): one full float32 matMul ${before.toFixed(3)} s, the staircase of 4 row blocks ${after.toFixed(3)} s (${(before / after).toFixed(2)}×).`,
  );
  lines.push("");
  console.log(`Gram: full ${before.toFixed(3)} s, blocks ${after.toFixed(3)} s`);
}

// Cholesky before/after at the fit's size and at N = 2000 (the dense MNE step's kernel).
function textbookCholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * n + k] as number) * (l[j * n + k] as number);
      if (i === j) {
        if (!(s > 0)) throw new Error(`textbook Cholesky: pivot ${i} is ${s}`);
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / (l[j * n + j] as number);
      }
    }
  }
  return l;
}
/** The previous core Cholesky (2×2 register tiles), kept as a baseline for the 4×4 tiling. */
function previousCholesky(src: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const r0 = i * n;
    const r1 = r0 + n;
    for (let j = 0; j + 1 < i; j += 2) {
      const c0 = j * n;
      const c1 = c0 + n;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let k = 0; k < j; k++) {
        const a0 = l[r0 + k] as number;
        const a1 = l[r1 + k] as number;
        const b0 = l[c0 + k] as number;
        const b1 = l[c1 + k] as number;
        s00 += a0 * b0;
        s01 += a0 * b1;
        s10 += a1 * b0;
        s11 += a1 * b1;
      }
      const ljj = l[c0 + j] as number;
      const lj1j = l[c1 + j] as number;
      const lj1j1 = l[c1 + j + 1] as number;
      const x0 = ((src[r0 + j] as number) - s00) / ljj;
      const x1 = ((src[r1 + j] as number) - s10) / ljj;
      l[r0 + j] = x0;
      l[r1 + j] = x1;
      l[r0 + j + 1] = ((src[r0 + j + 1] as number) - s01 - x0 * lj1j) / lj1j1;
      l[r1 + j + 1] = ((src[r1 + j + 1] as number) - s11 - x1 * lj1j) / lj1j1;
    }
    // The 2×2 block on the diagonal.
    let s00 = 0;
    let s10 = 0;
    let s11 = 0;
    for (let k = 0; k < i; k++) {
      const a0 = l[r0 + k] as number;
      const a1 = l[r1 + k] as number;
      s00 += a0 * a0;
      s10 += a1 * a0;
      s11 += a1 * a1;
    }
    const pivot0 = (src[r0 + i] as number) - s00;
    if (!(pivot0 > 0)) fail(i, pivot0);
    const lii = Math.sqrt(pivot0);
    l[r0 + i] = lii;
    const x = ((src[r1 + i] as number) - s10) / lii;
    l[r1 + i] = x;
    const pivot1 = (src[r1 + i + 1] as number) - s11 - x * x;
    if (!(pivot1 > 0)) fail(i + 1, pivot1);
    l[r1 + i + 1] = Math.sqrt(pivot1);
  }
  if (i < n) {
    // The last row of an odd order, entry by entry.
    const r0 = i * n;
    for (let j = 0; j <= i; j++) {
      const c0 = j * n;
      let sum = 0;
      for (let k = 0; k < j; k++) sum += (l[r0 + k] as number) * (l[c0 + k] as number);
      const value = (src[r0 + j] as number) - sum;
      if (j < i) {
        l[r0 + j] = value / (l[c0 + j] as number);
      } else {
        if (!(value > 0)) fail(i, value);
        l[r0 + i] = Math.sqrt(value);
      }
    }
  }
  return l;
}

function fail(pivot: number, value: number): never {
  throw new Error(`previous Cholesky: pivot ${pivot} is ${value}`);
}
lines.push(
  "The float64 Cholesky factorisation, before/after (median of 3 after a warm-up, same SPD matrix AᵀA + I with A 3000×n Gaussian): the textbook unblocked Cholesky–Banachiewicz, the previous core version (2×2 register tiles) and @minevo/core's `cholesky` (4×4 register tiles) on one thread, " +
    "and the same with its worker (`startCholeskyWorker`, which the fit starts: a second thread takes every other 4-row panel; the factor is checked bitwise equal to the one-thread factor).",
);
lines.push("");
lines.push("| n | textbook s | GFLOP/s | previous (2×2) s | GFLOP/s | core `cholesky` (4×4) s | GFLOP/s | two threads s | GFLOP/s | vs textbook | vs previous | two threads vs one |");
lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
const timed = (f: () => void): number => {
  f();
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    f();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
};
for (const n of [600, p, 2000]) {
  const a = RandomStream.fromSeed(`bench-cholesky-${n}`).fillNormal(new Float64Array(3000 * n), 0, 1);
  const spd = gramOfColumns({ rows: 3000, cols: n, data: a });
  for (let k = 0; k < n; k++) spd.data[k * n + k] = (spd.data[k * n + k] as number) + 1;
  const before = timed(() => void textbookCholesky(spd.data, n));
  const previous = timed(() => void previousCholesky(spd.data, n));
  await stopCholeskyWorker();
  const after = timed(() => void cholesky(spd));
  // The two must agree: the blocked factor is the same factor.
  const lNew = cholesky(spd).lower.data;
  if (!(await startCholeskyWorker())) throw new Error("the Cholesky worker did not start");
  const parallel = timed(() => void cholesky(spd));
  const lParallel = cholesky(spd).lower.data;
  if (!(lParallel.buffer instanceof SharedArrayBuffer)) throw new Error(`cholesky did not hand n = ${n} to its worker`);
  if (lParallel.some((v, i) => !Object.is(v, lNew[i]))) throw new Error("the two-thread factor is not bitwise the one-thread factor");
  for (const lOld of [textbookCholesky(spd.data, n), previousCholesky(spd.data, n)]) {
    let worst = 0;
    for (let i = 0; i < n * n; i++) worst = Math.max(worst, Math.abs((lOld[i] as number) - (lNew[i] as number)) / (Math.abs(lOld[i] as number) + 1e-12));
    if (worst > 1e-8) throw new Error(`the Cholesky factors differ (max relative ${worst.toExponential(2)})`);
  }
  const flops = n ** 3 / 3;
  const rate = (seconds: number) => (flops / seconds / 1e9).toFixed(2);
  lines.push(
    `| ${n} | ${before.toFixed(3)} | ${rate(before)} | ${previous.toFixed(3)} | ${rate(previous)} | ${after.toFixed(3)} | ${rate(after)} | ${parallel.toFixed(3)} | ${rate(parallel)} | ${(before / after).toFixed(2)}× | ${(previous / after).toFixed(2)}× | ${(after / parallel).toFixed(2)}× |`,
  );
  console.log(`cholesky n = ${n}: textbook ${before.toFixed(3)} s, previous ${previous.toFixed(3)} s, core ${after.toFixed(3)} s, two threads ${parallel.toFixed(3)} s (${(before / after).toFixed(2)}×, ${(previous / after).toFixed(2)}×, ${(after / parallel).toFixed(2)}×)`);
}
lines.push("");
lines.push("One run on the shared 2-core machine.");
console.log(`\n${lines.join("\n")}`);
writeSection("fit", "pnpm --filter @minevo/bench bench:fit", lines.join("\n"));
solver.dispose();
console.log(`live tensors at the end: ${tf.memory().numTensors}`);
