/**
 * Where the initial fit's time goes (issue 9.1/9.7 for the fit, the slow part of the main job):
 * the recipe's Levenberg–Marquardt fit of log ρ₀ of the reference 2-D mixture (tanh MLP [32, 32]
 * + learnable quadratic, p = 1188; 2000 broad points N(0, 9I) + 1000 collocation points N(0, 4I);
 * weight decay 1e-4), run for BENCH_FIT_ITERATIONS (default 20 and 100) iterations on the wasm
 * backend under both damping rules (the reference's fixed factors, the default; the gain ratio), with
 * the fit's own phase timings (`InitialFitReport.timings`) as fractions and per iteration.
 * Then the float64 Cholesky at the fit's size, before/after: a textbook unblocked
 * Cholesky–Banachiewicz (kept here as the baseline) against @minevo/core's register-blocked
 * `cholesky`, same matrices, same run.
 *
 * Run: pnpm --filter @minevo/bench bench:fit
 */
import { RandomStream, cholesky, gramOfColumns } from "@minevo/core";
import type { InitialFitReport } from "@minevo/evolution";
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
const rules = ["fixed-factors", "gain-ratio"] as const;
const runs: { rule: (typeof rules)[number]; report: InitialFitReport }[] = [];
for (const maxIterations of iterationCounts) {
  for (const rule of rules) {
    const report = await solver.fitInitialCondition({
      points: fitPoints,
      checkPoints: collocationPoints(1000, 2),
      target: { value: (x) => at0(x).logDensity[0] as number, gradient: (x) => at0(x).score, laplacian: (x) => at0(x).laplacian[0] as number },
      weightDecay: 1e-4,
      maxIterations,
      tolerance: 0,
      dampingUpdate: rule,
    });
    runs.push({ rule, report });
    console.log(`${rule}: ${report.iterations} iterations, ${report.trials} trials, ${report.timings.total.toFixed(1)} s, value RMS ${report.valueRms.toExponential(2)}`);
  }
}

const lines: string[] = [];
lines.push(
  `The recipe's LM fit of log ρ₀ of the reference 2-D mixture (tanh MLP [32, 32] + learnable quadratic, p = ${p}; 3000 fit points from a fixed stream; weight decay 1e-4; the same starting θ) on the wasm backend (the Gram matrix JᵀJ by one float32 matMul, read back and factored in float64), timed by the fit itself (\`InitialFitReport.timings\`). ` +
    "Two damping rules (`dampingUpdate`): the float64 reference's fixed factors (μ/3 after an accepted step, 4μ after a rejected one; the default) and the gain-ratio rule. A trial is one factorisation; a rejected trial is a factorisation spent for nothing.",
);
lines.push("");
lines.push("| damping rule | iterations | trials | fit s | s per iteration | Jacobian | Gram + Jᵀr | Cholesky + solve | residuals | value RMS at the collocation points |");
lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const { rule, report } of runs) {
  const t = report.timings;
  const share = (x: number) => `${((100 * x) / t.total).toFixed(0)} %`;
  lines.push(
    `| ${rule} | ${report.iterations} | ${report.trials} | ${t.total.toFixed(1)} | ${(t.total / report.iterations).toFixed(3)} | ${share(t.jacobian)} | ${share(t.gram)} | ${share(t.solve)} | ${share(t.residuals)} | ${report.valueRms.toExponential(2)} |`,
  );
}
const last = iterationCounts[iterationCounts.length - 1] as number;
{
  // The last two runs: the largest iteration budget under each rule.
  const [before, after] = runs.slice(-2) as [(typeof runs)[number], (typeof runs)[number]];
  lines.push("");
  lines.push(
    `With ${last} iterations allowed, the gain-ratio rule took ${(before.report.timings.total / after.report.timings.total).toFixed(2)}× less time than the fixed factors (${before.report.trials} → ${after.report.trials} factorisations), value RMS ${before.report.valueRms.toExponential(2)} → ${after.report.valueRms.toExponential(2)}.`,
  );
}
lines.push("");

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
lines.push("The float64 Cholesky factorisation, before/after (median of 3 after a warm-up, same SPD matrix AᵀA + I with A 3000×n Gaussian): the textbook unblocked Cholesky–Banachiewicz against @minevo/core's 2×2 register-blocked `cholesky`.");
lines.push("");
lines.push("| n | textbook s | GFLOP/s | core `cholesky` s | GFLOP/s | speed-up |");
lines.push("|---:|---:|---:|---:|---:|---:|");
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
for (const n of [p, 2000]) {
  const a = RandomStream.fromSeed(`bench-cholesky-${n}`).fillNormal(new Float64Array(3000 * n), 0, 1);
  const spd = gramOfColumns({ rows: 3000, cols: n, data: a });
  for (let k = 0; k < n; k++) spd.data[k * n + k] = (spd.data[k * n + k] as number) + 1;
  const before = timed(() => void textbookCholesky(spd.data, n));
  const after = timed(() => void cholesky(spd));
  // The two must agree: the blocked factor is the same factor.
  const lOld = textbookCholesky(spd.data, n);
  const lNew = cholesky(spd).lower.data;
  let worst = 0;
  for (let i = 0; i < n * n; i++) worst = Math.max(worst, Math.abs((lOld[i] as number) - (lNew[i] as number)) / (Math.abs(lOld[i] as number) + 1e-300 + 1e-12));
  if (worst > 1e-8) throw new Error(`the two Cholesky factors differ (max relative ${worst.toExponential(2)})`);
  const flops = n ** 3 / 3;
  lines.push(`| ${n} | ${before.toFixed(3)} | ${(flops / before / 1e9).toFixed(2)} | ${after.toFixed(3)} | ${(flops / after / 1e9).toFixed(2)} | ${(before / after).toFixed(2)}× |`);
  console.log(`cholesky n = ${n}: textbook ${before.toFixed(3)} s, core ${after.toFixed(3)} s (${(before / after).toFixed(2)}×)`);
}
lines.push("");
lines.push("One run on the shared 2-core machine.");
console.log(`\n${lines.join("\n")}`);
writeSection("fit", "pnpm --filter @minevo/bench bench:fit", lines.join("\n"));
solver.dispose();
console.log(`live tensors at the end: ${tf.memory().numTensors}`);
