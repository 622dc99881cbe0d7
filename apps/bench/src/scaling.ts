/**
 * Scaling of the whole MNE pipeline with the dimension d and the number of collocation points N,
 * on OU problems with exact solutions: a Gaussian target and a two-mode mixture target (the
 * reference mixture in its first two coordinates, N(0, 0.8) in the rest), each fitted by the
 * recipe (tanh MLP [32, 32] + learnable quadratic, LM with weight decay) and evolved to T = 5 with
 * a fixed Gaussian sketch n = 100 (dopri5, rtol = atol = 1e-4, λ = 1e-6·tr K/N).
 *
 * For each run: fit seconds, evolution seconds, right-hand sides, seconds per right-hand side and
 * the relative score error against the exact solution at t = 1 and t = 5; growth exponents k of
 * time ∝ d^k (N = 1000) and time ∝ N^k (d = 2) by least squares on log–log.
 *
 * The recipe is fixed, not the accuracy: the errors reached are printed next to the times (a
 * search over n or rtol per cell to hit one error level did not fit in this machine's time).
 *
 * Run: pnpm --filter @minevo/bench bench:scaling   (BENCH_DIMS=2,8,32,100 BENCH_NS=500,1000,2000,4000;
 * BENCH_REPORT_ONLY=1 rewrites the section from results/scaling.json without running)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { benchRoot, collocationPoints, exactFor, fitRecipe, gaussianInDimension, logLogFit, mixtureInDimension, recipeSolver, relativeScoreError, tf, useWasm } from "./ou-common.js";
import { writeSection } from "./report.js";
import { lineChart } from "./svg.js";

await useWasm();
const dims = (process.env["BENCH_DIMS"] ?? "2,8,32,100").split(",").map(Number);
const Ns = (process.env["BENCH_NS"] ?? "500,1000,2000,4000").split(",").map(Number);
const fitIterations = Number(process.env["BENCH_FIT_ITERATIONS"] ?? 15);
const sketchSize = 100;

interface Cell {
  readonly target: string;
  readonly d: number;
  readonly N: number;
  readonly p: number;
  readonly fitSeconds: number;
  readonly evolveSeconds: number;
  readonly rhs: number;
  readonly status: string;
  readonly error1: number;
  readonly error5: number;
}

async function runCell(target: "gaussian" | "mixture", d: number, N: number): Promise<Cell> {
  const exact = exactFor(target === "gaussian" ? gaussianInDimension(d) : mixtureInDimension(d));
  const solver = recipeSolver({ dim: d, hiddenWidths: [32, 32], sketch: "gaussian", sketchSize });
  const key = d === 2 && target === "mixture" ? "mixture-d2-32x32" : `${target}-d${d}-32x32`;
  const fit = await fitRecipe(solver, exact, key, d === 2 && target === "mixture" ? {} : { iterations: fitIterations, numFit: 1000 });
  const points = collocationPoints(N, d);
  console.log(`${target} d = ${d} N = ${N}: fitted (${fit.cached ? "cached" : `${fit.seconds.toFixed(0)} s`}), evolving`);
  const start = performance.now();
  const result = await solver.evolve({ parameters: fit.parameters, points }, { t1: 5, saveAt: [1, 5], maxRhsEvaluations: 3000 });
  const evolveSeconds = (performance.now() - start) / 1000;
  const at = (t: number) => result.saved.find((s) => Math.abs(s.t - t) < 1e-9);
  const s1 = at(1);
  const s5 = at(5);
  const cell: Cell = {
    target,
    d,
    N,
    p: solver.network.numParameters,
    fitSeconds: fit.seconds,
    evolveSeconds,
    rhs: result.stats.rhsEvaluations,
    status: result.status,
    error1: s1 ? await relativeScoreError(solver.network, s1.parameters, exact, 1) : Number.NaN,
    error5: s5 ? await relativeScoreError(solver.network, s5.parameters, exact, 5) : Number.NaN,
  };
  solver.dispose();
  console.log(
    `${target} d = ${d} N = ${N} p = ${cell.p}: fit ${fit.seconds.toFixed(0)} s${fit.cached ? " (cached)" : ""}, evolution ${result.status} ${evolveSeconds.toFixed(1)} s, ${cell.rhs} RHS, score error t=1 ${cell.error1.toExponential(2)}, t=5 ${cell.error5.toExponential(2)}`,
  );
  return cell;
}

const cells: Cell[] = [];
const reportOnly = process.env["BENCH_REPORT_ONLY"] === "1";
if (reportOnly) {
  // Rewrite the section from the saved cells, without running any.
  // JSON keeps NaN as null: back to NaN.
  const saved = JSON.parse(readFileSync(resolve(benchRoot, "results/scaling.json"), "utf8"), (_key, value: unknown) => (value === null ? Number.NaN : value)) as Cell[];
  cells.push(...saved);
  report();
}
// The section is rewritten after every cell, so a run cut short still reports what it measured.
for (const target of reportOnly ? [] : (["gaussian", "mixture"] as const)) {
  for (const d of dims) {
    cells.push(await runCell(target, d, 1000));
    report();
  }
  for (const N of Ns) {
    if (N === 1000) continue;
    cells.push(await runCell(target, 2, N));
    report();
  }
}
console.log(`live tensors at the end: ${tf.memory().numTensors}`);

function report(): void {
mkdirSync(resolve(benchRoot, "results"), { recursive: true });
writeFileSync(resolve(benchRoot, "results/scaling.json"), JSON.stringify(cells, null, 1));

const lines: string[] = [];
lines.push(
  `Recipe: tanh MLP [32, 32] + learnable quadratic (symmetric for d ≤ 8, diagonal above), fitted by LM (${fitIterations} iterations at 1000 points N(0, 9I) + 1000 collocation points; the 2-D mixture's fit is the 100-iteration, 2000 + 1000-point one of bench:sketch-vs-dense, shared through apps/bench/.cache); ` +
    `OU in log-density form to T = 5, Gaussian sketch n = ${sketchSize}, λ = 1e-6·tr K/N, dopri5 rtol = atol = 1e-4; N collocation points from N(0, 4I). ` +
    "Gaussian target: N(m, S) with m = e₁, S = diag(0.5 … 1.5). Mixture: the reference mixture in x₁, x₂, N(0, 0.8) in the other coordinates. Score error = relative score error on 2000 exact samples of ρ_t. " +
    "Fit seconds are for an uncached fit; a cached one reports the seconds it took when it was made. An evolution is stopped after 3000 right-hand sides (status `max_rhs_evaluations`).",
);
lines.push("");
lines.push("| target | d | N | p | fit s | evolution s | RHS | s per RHS | score error t = 1 | t = 5 | status |");
lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
for (const c of cells) {
  lines.push(
    `| ${c.target} | ${c.d} | ${c.N} | ${c.p} | ${c.fitSeconds.toFixed(0)} | ${c.evolveSeconds.toFixed(1)} | ${c.rhs} | ${(c.evolveSeconds / c.rhs).toFixed(3)} | ${c.error1.toExponential(1)} | ${c.error5.toExponential(1)} | ${c.status} |`,
  );
}
lines.push("");
lines.push("Growth exponents (least squares of log time on log d at N = 1000, and on log N at d = 2):");
lines.push("");
lines.push("| target | variable | evolution time ∝ | time per RHS ∝ | fit time ∝ | range |");
lines.push("|---|---|---|---|---|---|");
const series: { name: string; points: { x: number; y: number }[] }[] = [];
for (const target of ["gaussian", "mixture"] as const) {
  const byD = dims.flatMap((d) => cells.filter((c) => c.target === target && c.d === d && c.N === 1000 && Number.isFinite(c.evolveSeconds)));
  const byN = Ns.flatMap((N) => cells.filter((c) => c.target === target && c.d === 2 && c.N === N));
  for (const [variable, group, xs] of [
    ["d", byD, byD.map((c) => c.d)],
    ["N", byN, byN.map((c) => c.N)],
  ] as const) {
    if (group.length < 2) continue;
    const evolve = logLogFit(xs, group.map((c) => c.evolveSeconds));
    const perRhs = logLogFit(xs, group.map((c) => c.evolveSeconds / c.rhs));
    // Fit time over the cells fitted by the same recipe (d > 2: 15 iterations at 2000 points; the
    // 2-D fits are the 100-iteration ones of other benchmarks, shared through the cache).
    const sameFit = group.filter((c) => c.d > 2);
    const fit =
      variable === "d" && sameFit.length >= 2 ? `d^${logLogFit(sameFit.map((c) => c.d), sameFit.map((c) => c.fitSeconds)).exponent.toFixed(2)} (d ≥ 8)` : variable === "d" ? "—" : "— (same fit)";
    lines.push(`| ${target} | ${variable} | ${variable}^${evolve.exponent.toFixed(2)} | ${variable}^${perRhs.exponent.toFixed(2)} | ${fit} | ${xs[0]}–${xs[xs.length - 1]} |`);
    console.log(`${target}: evolution time ∝ ${variable}^${evolve.exponent.toFixed(2)}, per RHS ∝ ${variable}^${perRhs.exponent.toFixed(2)}`);
    series.push({ name: `${target}, per RHS vs ${variable}`, points: group.map((c, i) => ({ x: xs[i] as number, y: c.evolveSeconds / c.rhs })) });
  }
}
const svg = lineChart({
  title: "MNE seconds per right-hand side (wasm, n = 100)",
  xLabel: "d (N = 1000)  or  N (d = 2)",
  yLabel: "seconds per RHS",
  logX: true,
  logY: true,
  series,
});
mkdirSync(resolve(benchRoot, "../../docs/benchmarks"), { recursive: true });
writeFileSync(resolve(benchRoot, "../../docs/benchmarks/scaling.svg"), svg);
lines.push("");
lines.push("![seconds per right-hand side against d and N](benchmarks/scaling.svg)");
lines.push("");
lines.push("One run on the shared 2-core machine (other jobs running): single times can be off by tens of per cent.");
console.log(`\n${lines.join("\n")}`);
writeSection("scaling", "pnpm --filter @minevo/bench bench:scaling", lines.join("\n"));
}
