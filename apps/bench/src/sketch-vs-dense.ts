/**
 * Sketched vs dense MNE on the exact OU solution of a Gaussian mixture, with FITTED networks.
 *
 * Part A (grid): the recipe network (tanh MLP [32, 32] + learnable quadratic, p = 1188) fitted to
 * the reference 2-D mixture; for N ∈ {500, 1000, 2000, 4000} collocation points and Gaussian
 * sketches n ∈ {25, 50, 100, 200}: seconds per right-hand side (every cell, dense included), the
 * effective rank r_λ seen, and — for whole evolutions to T = 5 (dopri5, rtol = atol = 1e-4) — the
 * relative score error against the exact solution at t = 0.5, 1, 2, 5. Dense evolutions run only
 * while their predicted time fits the budget (BENCH_DENSE_BUDGET_S, default 300 s); the others
 * are reported as omitted, their whole-run time extrapolated from the per-RHS time.
 *
 * Part B (issue 4's target): N = 2000, p ≈ 5000 ([68, 68] in d = 2, [59, 59] in d = 20), networks
 * fitted to the mixture (the d = 20 one: the reference mixture in its first two coordinates,
 * N(0, 0.8) in the rest). A sketched evolution (n = 200) gives fitted states at t = 0, 1, 5; at
 * each, θ̇ from dense and from the Gaussian sketch and the Nyström strategy (BENCH_B_STRATEGIES)
 * with n ∈ {100, 200, 400, 800} (BENCH_B_SKETCHES) is compared on held-out exact
 * samples of ρ_t: error = ‖J(X_test)θ̇ − f(X_test)‖/‖f(X_test)‖ with f the OU right-hand side of
 * the network itself (the best the function class can do is the dense ridge θ̇). A whole dense
 * evolution at this size (~200 right-hand sides of ~10 s) does not fit in this benchmark.
 *
 * Collocation points: N(0, 4I), or with BENCH_B_POINTS=mala the end points of MALA chains on the
 * mixture's formula with fit points around them (bench:time-to-accuracy's points), saved apart.
 *
 * Part C: Part B's comparison on the heat equation from Fourier modes (its comment below).
 *
 * Run: pnpm --filter @minevo/bench bench:sketch-vs-dense   (BENCH_PARTS=A, B or C to run one part;
 *   BENCH_B_DIMS=2,20 BENCH_B_POINTS=broad|mala; BENCH_C_DIMS=2,20)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { RandomStream } from "@minevo/core";
import { referenceMixture, type ExactOuMixture } from "@minevo/diffusion";
import { createSolver, type Solver } from "@minevo/evolution";
import { benchRoot, collocationPoints, exactFor, fitRecipe, malaCollocation, median, mixtureInDimension, recipeSolver, relativeScoreError, tf, timePerRhs, useWasm } from "./ou-common.js";
import { writeSection } from "./report.js";

await useWasm();
const parts = (process.env["BENCH_PARTS"] ?? "A,B").split(",");
const Ns = (process.env["BENCH_NS"] ?? "500,1000,2000,4000").split(",").map(Number);
const ns = (process.env["BENCH_SKETCHES"] ?? "25,50,100,200").split(",").map(Number);
const denseBudget = Number(process.env["BENCH_DENSE_BUDGET_S"] ?? 300);
const checkTimes = [0.5, 1, 2, 5];
const denseMaxN = Number(process.env["BENCH_DENSE_MAX_N"] ?? 2000);
const horizonB = Number(process.env["BENCH_HORIZON_B"] ?? 1);
const resultsDir = resolve(benchRoot, "results");
mkdirSync(resultsDir, { recursive: true });
/** Each N of part A and each d of part B is saved on its own, so cells can be (re)run separately and the section shows them all. */
const save = (name: string, value: unknown) => writeFileSync(resolve(resultsDir, name), JSON.stringify({ date: new Date().toISOString(), ...(value as object) }, null, 1));
const lines: string[] = [];
const fmt = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? "—" : v.toExponential(digits));

interface Evolution {
  readonly seconds: number;
  readonly rhs: number;
  readonly errors: number[];
  readonly status: string;
}

async function evolveAndScore(solver: Solver, parameters: Float64Array, points: Float64Array, exact: ExactOuMixture): Promise<Evolution> {
  const start = performance.now();
  const result = await solver.evolve({ parameters, points }, { t1: 5, saveAt: checkTimes });
  const seconds = (performance.now() - start) / 1000;
  const errors: number[] = [];
  for (const t of checkTimes) {
    const snapshot = result.saved.find((s) => Math.abs(s.t - t) < 1e-9);
    errors.push(snapshot === undefined ? Number.NaN : await relativeScoreError(solver.network, snapshot.parameters, exact, t));
  }
  return { seconds, rhs: result.stats.rhsEvaluations, errors, status: result.status };
}

if (parts.includes("A") && Ns.length > 0) {
  const exact = exactFor(referenceMixture);
  const fitSolver = recipeSolver({ dim: 2, hiddenWidths: [32, 32], sketch: "gaussian" });
  const fit = await fitRecipe(fitSolver, exact, "mixture-d2-32x32");
  fitSolver.dispose();
  console.log(`fit (p = 1188): ${fit.cached ? "cached" : `${fit.seconds.toFixed(0)} s`}, value RMS ${fit.valueRms.toExponential(2)}`);
  let budgetLeft = denseBudget;
  let lastDense: { N: number; seconds: number } | undefined;
  for (const N of Ns) {
    const points = collocationPoints(N, 2);
    const dense = recipeSolver({ dim: 2, hiddenWidths: [32, 32], sketch: "dense" });
    // Above BENCH_DENSE_MAX_N the dense per-RHS time is extrapolated as N³ (Cholesky and r_λ dominate) from the largest measured N.
    const measuredDense = N <= denseMaxN;
    const densePerRhs = measuredDense
      ? await timePerRhs(dense, fit.parameters, points, N >= 2000 ? 1 : 2)
      : { seconds: (lastDense?.seconds ?? Number.NaN) * (N / (lastDense?.N ?? Number.NaN)) ** 3, effectiveRank: Number.NaN };
    if (measuredDense) lastDense = { N, seconds: densePerRhs.seconds };
    console.log(`N = ${N}: dense ${(densePerRhs.seconds * 1000).toFixed(0)} ms per RHS, r_λ ${densePerRhs.effectiveRank.toFixed(1)}`);
    const sketched: { n: number; perRhs: number; rank: number; evolution: Evolution }[] = [];
    for (const n of ns) {
      if (n > N) continue;
      const solver = recipeSolver({ dim: 2, hiddenWidths: [32, 32], sketch: "gaussian", sketchSize: n });
      const perRhs = await timePerRhs(solver, fit.parameters, points, 3);
      const evolution = await evolveAndScore(solver, fit.parameters, points, exact);
      solver.dispose();
      sketched.push({ n, perRhs: perRhs.seconds, rank: perRhs.effectiveRank, evolution });
      console.log(
        `  n = ${n}: ${(perRhs.seconds * 1000).toFixed(1)} ms per RHS, r_λ ${perRhs.effectiveRank.toFixed(1)}; evolution ${evolution.status} ${evolution.seconds.toFixed(1)} s, ${evolution.rhs} RHS, errors ${evolution.errors.map((e) => fmt(e)).join(" ")}`,
      );
    }
    const typicalRhs = median(sketched.map((s) => s.evolution.rhs));
    const predicted = densePerRhs.seconds * typicalRhs;
    let denseEvolution: Evolution | undefined;
    if (measuredDense && predicted <= budgetLeft) {
      denseEvolution = await evolveAndScore(dense, fit.parameters, points, exact);
      budgetLeft -= denseEvolution.seconds;
      console.log(`  dense evolution ${denseEvolution.status} ${denseEvolution.seconds.toFixed(1)} s, ${denseEvolution.rhs} RHS, errors ${denseEvolution.errors.map((e) => fmt(e)).join(" ")}`);
    } else console.log(`  dense evolution omitted: predicted ${predicted.toFixed(0)} s > budget left ${budgetLeft.toFixed(0)} s`);
    dense.dispose();
    const rows: string[] = [];
    rows.push(
      `| ${N} | dense | ${(densePerRhs.seconds * 1000).toFixed(0)}${measuredDense ? "" : " (extrapolated ∝ N³)"} | 1 | ${densePerRhs.effectiveRank.toFixed(1)} | ${denseEvolution ? `${denseEvolution.seconds.toFixed(0)} (${denseEvolution.rhs})` : `omitted; ≈ ${predicted.toFixed(0)} extrapolated`} | ${denseEvolution ? denseEvolution.errors.map((e) => fmt(e)).join(" / ") : "—"} | — |`,
    );
    for (const s of sketched) {
      const ratios = denseEvolution ? s.evolution.errors.map((e, i) => (e / (denseEvolution.errors[i] as number)).toFixed(2)).join(" / ") : "—";
      rows.push(
        `| ${N} | gaussian n = ${s.n} | ${(s.perRhs * 1000).toFixed(1)} | ${(densePerRhs.seconds / s.perRhs).toFixed(1)}× | ${s.rank.toFixed(1)} | ${s.evolution.seconds.toFixed(1)} (${s.evolution.rhs}) | ${s.evolution.errors.map((e) => fmt(e)).join(" / ")} | ${ratios} |`,
      );
    }
    save(`sketch-vs-dense-A-${String(N).padStart(5, "0")}.json`, { N, rows, fitValueRms: fit.valueRms });
  }
}
{
  const files = existsSync(resultsDir) ? readdirSync(resultsDir).filter((f) => f.startsWith("sketch-vs-dense-A-")).sort() : [];
  const saved = files.map((f) => JSON.parse(readFileSync(resolve(resultsDir, f), "utf8")) as { date: string; N: number; rows: string[]; fitValueRms: number });
  const rows = saved.flatMap((r) => r.rows);
  const fit = { valueRms: saved[0]?.fitValueRms ?? Number.NaN };
  const runs = saved.map((r) => `N = ${r.N}: ${r.date.slice(0, 16)}Z`).join(", ");
  lines.push(
    `**Part A — grid.** Recipe network (tanh MLP [32, 32] + learnable symmetric quadratic, p = 1188) fitted once to log ρ₀ of the reference 2-D mixture (LM, 100 iterations, weight decay 1e-4; value RMS ${fit.valueRms.toExponential(2)}); N collocation points from N(0, 4I); OU in log-density form, λ = 1e-6·tr K/N, dopri5 rtol = atol = 1e-4 to T = 5. ` +
      "Per-RHS time at t = 0 (median of 3 after a warm-up; dense: 1–2); *speed* = dense per-RHS time / sketched per-RHS time; r_λ as the strategy reports it (for the sketch: of its n×n system); " +
      "errors = relative score error E|∇u_θ − ∇log ρ_t|²/E|∇log ρ_t|² on 2000 fresh exact samples at t = 0.5 / 1 / 2 / 5; *error ratio* = sketched / dense at the same t. " +
      `Dense whole evolutions ran while their predicted time fitted the budget given to the run (BENCH_DENSE_BUDGET_S); the others are omitted, their time extrapolated as per-RHS time × the sketched runs' median RHS count. Runs: ${runs}.`,
  );
  lines.push("");
  lines.push("| N | strategy | ms per RHS | speed vs dense | r_λ | evolution s (RHS count) | score error t = 0.5 / 1 / 2 / 5 | error ratio vs dense |");
  lines.push("|---:|---|---:|---:|---:|---|---|---|");
  lines.push(...rows);
  lines.push("");
}

/** The OU right-hand side of the network itself at held-out points, and J there. */
async function heldOut(solver: Solver, parameters: Float64Array, samples: Float64Array, d: number, t: number) {
  const count = samples.length / d;
  const x = tf.tensor2d(Float32Array.from(samples), [count, d]);
  const evaluation = solver.network.evaluate(tf, parameters, x, { value: true, gradient: true, laplacian: true, jacobian: true });
  const f = tf.tidy(() =>
    solver.equation.rhs({ tf, t, points: x, value: evaluation.value!, gradient: evaluation.gradient!, laplacian: evaluation.laplacian!, extra: {}, inputDim: d, conditionDim: 0 }),
  );
  const rate = Float64Array.from(await f.data());
  f.dispose();
  return {
    async error(thetaDot: Float64Array): Promise<number> {
      const v = tf.tensor2d(Float32Array.from(thetaDot), [thetaDot.length, 1]);
      const predicted = evaluation.jacobian!.times(v);
      const values = await predicted.data();
      v.dispose();
      predicted.dispose();
      let num = 0;
      let den = 0;
      for (let i = 0; i < count; i++) {
        num += ((values[i] as number) - (rate[i] as number)) ** 2;
        den += (rate[i] as number) ** 2;
      }
      return Math.sqrt(num / den);
    },
    dispose() {
      evaluation.dispose();
      x.dispose();
    },
  };
}

type Strategy = "dense" | "gaussian" | "nystrom";
interface StrategyResult {
  readonly label: string;
  readonly key: string;
  readonly n: number;
  readonly seconds: number;
  readonly error: number;
  readonly rank: number;
}

/**
 * θ̇ at one state from every strategy in `cells`, each scored by `test`. Every cell is prepared at
 * once and timed round-robin — one untimed warm-up round, then 3 timed rounds, each calling every
 * cell once — so that a slow spell of the shared machine falls on all cells alike instead of on
 * one cell's three calls; each cell's time is its median.
 */
async function compareStrategies(
  snapshot: { t: number; parameters: Float64Array; points: Float64Array },
  cells: readonly { strategy: Strategy; n: number }[],
  solverFor: (strategy: Strategy, n: number) => Solver,
  test: { error(thetaDot: Float64Array): Promise<number> },
): Promise<StrategyResult[]> {
  const prepared = cells.map(({ strategy, n }) => {
    const solver = solverFor(strategy, n);
    const run = solver.prepare({ parameters: snapshot.parameters, points: snapshot.points });
    return { strategy, n, solver, run, times: [] as number[], thetaDot: new Float64Array(0) as Float64Array, rank: Number.NaN };
  });
  for (let round = 0; round <= 3; round++) {
    for (const cell of prepared) {
      const t0 = performance.now();
      cell.thetaDot = (await cell.run.rhs(snapshot.t, { ...cell.run.initialState, theta: Float64Array.from(snapshot.parameters) })).theta;
      if (round > 0) cell.times.push((performance.now() - t0) / 1000);
      cell.rank = cell.run.vectorField.lastDiagnostics?.effectiveRank ?? Number.NaN;
    }
  }
  const results: StrategyResult[] = [];
  for (const cell of prepared) {
    const { strategy, n } = cell;
    results.push({ label: n === 0 ? "dense" : `${strategy} n = ${n}`, key: `${strategy} n = ${n}`, n, seconds: median(cell.times), error: await test.error(cell.thetaDot), rank: cell.rank });
    cell.run.dispose();
    cell.solver.dispose();
  }
  return results;
}

if (parts.includes("B")) {
  const N = 2000;
  const sketchSizes = (process.env["BENCH_B_SKETCHES"] ?? "100,200,400,800").split(",").map(Number);
  const strategiesB = (process.env["BENCH_B_STRATEGIES"] ?? "gaussian,nystrom").split(",") as ("gaussian" | "nystrom")[];
  const pointsB = process.env["BENCH_B_POINTS"] ?? "broad";
  // BENCH_B_SOLUTIONS=1: also whole evolutions per strategy, scored against the exact ρ_t;
  // BENCH_B_STEPS=0: without the per-step comparison.
  const solutionsB = process.env["BENCH_B_SOLUTIONS"] === "1";
  const stepsB = process.env["BENCH_B_STEPS"] !== "0";
  if (pointsB !== "broad" && pointsB !== "mala") throw new Error(`BENCH_B_POINTS = "${pointsB}": use broad (N(0, 4I)) or mala (chains on the formula)`);
  for (const s of strategiesB) if (s !== "gaussian" && s !== "nystrom") throw new Error(`BENCH_B_STRATEGIES: unknown strategy "${String(s)}"; use gaussian and/or nystrom`);
  for (const { d, width } of [
    { d: 2, width: 68 },
    { d: 20, width: 59 },
  ].filter((c) => (process.env["BENCH_B_DIMS"] ?? "2,20").split(",").map(Number).includes(c.d))) {
    const rows: string[] = [];
    const exact = exactFor(d === 2 ? referenceMixture : mixtureInDimension(d));
    const widths = [width, width];
    const driver = recipeSolver({ dim: d, hiddenWidths: widths, sketch: "gaussian", sketchSize: 200 });
    const p = driver.network.numParameters;
    // BENCH_B_POINTS=mala: collocation points where the mass is (MALA chains on the formula) and
    // fit points around them, as time-to-accuracy draws them; default: broad N(0, 4I) points.
    const spec = d === 2 ? referenceMixture : mixtureInDimension(d);
    const mala = pointsB === "mala" ? malaCollocation(spec, N, RandomStream.fromSeed(`bench-B-points-${d}`)) : undefined;
    const fit = await fitRecipe(driver, exact, `mixture-d${d}-${width}x${width}${mala === undefined ? "" : "-mala"}`, {
      iterations: Number(process.env["BENCH_FIT_ITERATIONS"] ?? 15),
      numFit: 1000,
      ...(mala === undefined ? {} : { given: { fitPoints: mala.fitPoints, checkPoints: mala.points } }),
    });
    console.log(`d = ${d}, p = ${p}: fit ${fit.cached ? "cached" : `${fit.seconds.toFixed(0)} s`} (${fit.iterations} iterations), value RMS ${fit.valueRms.toExponential(2)}`);
    const points = mala?.points ?? collocationPoints(N, d);
    const tag = `d${String(d).padStart(3, "0")}${mala === undefined ? "" : "-mala"}`;
    if (solutionsB) {
      // Whole evolutions to the horizon from the same fit and points, one per strategy, each scored
      // against the exact solution: what a step's error costs the solution, and the time it takes.
      const solutionRows: string[] = [];
      let denseRun: { seconds: number; error: number } | undefined;
      for (const { strategy, n } of [{ strategy: "dense" as const, n: 0 }, ...strategiesB.flatMap((strategy) => sketchSizes.map((n) => ({ strategy, n })))]) {
        const solver = recipeSolver({ dim: d, hiddenWidths: widths, sketch: strategy, sketchSize: n });
        let largestRank = 0;
        const begin = performance.now();
        let result: Awaited<ReturnType<Solver["evolve"]>>;
        let seconds: number;
        let error: number;
        try {
          result = await solver.evolve(
            { parameters: fit.parameters, points },
            { t1: horizonB, saveAt: [horizonB], onEvaluation: (diagnostics) => (largestRank = Math.max(largestRank, diagnostics.effectiveRank)) },
          );
          seconds = (performance.now() - begin) / 1000;
          const last = result.saved.find((snapshot) => Math.abs(snapshot.t - horizonB) < 1e-9);
          error = last === undefined ? Number.NaN : await relativeScoreError(solver.network, last.parameters, exact, horizonB);
        } finally {
          solver.dispose();
        }
        if (n === 0) denseRun = { seconds, error };
        const label = n === 0 ? "dense" : `${strategy} n = ${n}`;
        const speed = denseRun === undefined ? Number.NaN : denseRun.seconds / seconds;
        const ratio = denseRun === undefined ? Number.NaN : error / denseRun.error;
        console.log(`  solution to t = ${horizonB}, ${label}: ${result.status}, ${seconds.toFixed(1)} s, ${result.stats.rhsEvaluations} RHS, largest r_λ ${largestRank.toFixed(1)}, score error ${error.toExponential(2)}`);
        solutionRows.push(
          `| ${d}${mala === undefined ? "" : " (MALA points)"} | ${p} | ${label} | ${seconds.toFixed(1)} (${result.stats.rhsEvaluations}, ${result.status}) | ${speed.toFixed(1)}× | ${largestRank.toFixed(1)} | ${error.toExponential(2)} | ${ratio.toFixed(2)} |`,
        );
      }
      save(`sketch-vs-dense-B-${tag}-solutions.json`, { d, rows: solutionRows, horizon: horizonB, fitIterations: fit.iterations });
    }
    if (!stepsB) {
      driver.dispose();
      continue;
    }
    const start = performance.now();
    const trajectory = await driver.evolve({ parameters: fit.parameters, points }, { t1: horizonB, saveAt: [...new Set([0, Math.min(1, horizonB), horizonB])] });
    const sketchedSeconds = (performance.now() - start) / 1000;
    console.log(`  sketched evolution (n = 200) to t = ${horizonB}: ${trajectory.status}, ${trajectory.stats.rhsEvaluations} RHS, ${sketchedSeconds.toFixed(0)} s`);
    const best = new Map<string, { speed: number; ratio: number }[]>();
    const denseSeconds: number[] = [];
    for (const snapshot of trajectory.saved) {
      const samples = exact.sample(snapshot.t, RandomStream.fromSeed(`bench-heldout-${d}-${snapshot.t}`), 500);
      const test = await heldOut(driver, snapshot.parameters, samples, d, snapshot.t);
      const cells = [{ strategy: "dense" as const, n: 0 }, ...strategiesB.flatMap((strategy) => sketchSizes.map((n) => ({ strategy, n })))];
      const results = await compareStrategies(snapshot, cells, (strategy, n) => recipeSolver({ dim: d, hiddenWidths: widths, sketch: strategy, sketchSize: n }), test);
      test.dispose();
      const dense = results[0]!;
      denseSeconds.push(dense.seconds);
      for (const r of results) {
        const speed = dense.seconds / r.seconds;
        const ratio = r.error / dense.error;
        if (r.n > 0) best.set(r.key, [...(best.get(r.key) ?? []), { speed, ratio }]);
        rows.push(`| ${d}${mala === undefined ? "" : " (MALA points)"} | ${p} | ${snapshot.t} | ${r.label} | ${(r.seconds * 1000).toFixed(0)} | ${speed.toFixed(1)}× | ${r.rank.toFixed(1)} | ${r.error.toExponential(2)} | ${ratio.toFixed(2)} |`);
        console.log(`  t = ${snapshot.t} ${r.label.padEnd(18)} ${(r.seconds * 1000).toFixed(0)} ms  ${speed.toFixed(1)}×  r_λ ${r.rank.toFixed(1)}  held-out error ${r.error.toExponential(2)} (${ratio.toFixed(2)}× dense)`);
      }
    }
    const meets = [...best.entries()].filter(([, cells]) => cells.every((c) => c.speed >= 10 && c.ratio <= 1.5)).map(([key]) => key);
    const verdict = (
      `d = ${d}${mala === undefined ? "" : " with MALA points"} (p = ${p}): ${meets.length > 0 ? `**met** by ${meets.join(", ")} at every fitted state (≥ 10× faster per RHS, error ≤ 1.5× dense)` : "**not met**: no sketch size is both ≥ 10× faster and within 1.5× of the dense error at every fitted state"}; ` +
        `the sketched evolution (n = 200) to t = ${horizonB} took ${sketchedSeconds.toFixed(0)} s for ${trajectory.stats.rhsEvaluations} RHS (${trajectory.status}); a dense one would take ≈ ${(denseSeconds.length > 0 ? (median(denseSeconds) * trajectory.stats.rhsEvaluations) / 60 : Number.NaN).toFixed(0)} min (that many RHS × the dense per-RHS time; not run).`
    );
    driver.dispose();
    save(`sketch-vs-dense-B-${tag}.json`, { d, rows, verdict, fitIterations: fit.iterations, horizon: horizonB });
  }
}
{
  const allFiles = existsSync(resultsDir) ? readdirSync(resultsDir).filter((f) => f.startsWith("sketch-vs-dense-B-")).sort() : [];
  const files = allFiles.filter((f) => !f.endsWith("-solutions.json"));
  const solutionFiles = allFiles.filter((f) => f.endsWith("-solutions.json"));
  const saved = files.map((f) => JSON.parse(readFileSync(resolve(resultsDir, f), "utf8")) as { date: string; d: number; rows: string[]; verdict: string; fitIterations: number; horizon: number });
  const rows = saved.flatMap((r) => r.rows);
  const verdicts = saved.map((r) => `${r.verdict} (run ${r.date.slice(0, 16)}Z, fit ${r.fitIterations} LM iterations, states up to t = ${r.horizon})`);
  lines.push(
    "**Part B — issue 4's target** (sketched ≥ 10× faster than dense at equal accuracy within 1.5×; N = 2000, p ≈ 5000, fitted networks, OU on the mixture). " +
      "Networks fitted by LM to log ρ₀ (iterations below); states at t = 0 and t = 1 (BENCH_HORIZON_B) from a sketched (n = 200) evolution; at each, θ̇ from each strategy at the same state; " +
      "held-out error = ‖J(X_test)θ̇ − f(X_test)‖/‖f(X_test)‖ on 500 fresh exact samples of ρ_t, f the network's own OU right-hand side. " +
      "Collocation points from N(0, 4I) and fit points from N(0, 9I), or — rows marked *MALA points* (BENCH_B_POINTS=mala) — the end points of 300-step MALA chains on the mixture's formula and fit points around them (as bench:time-to-accuracy draws them): in d = 20 the broad points lie far outside ρ_t's mass (E|x|² = 80 against about 20 under ρ_t), where the held-out samples are. Per-RHS time: whole right-hand side (network, products, transfers, float64), median of 3, timed round-robin over all strategies (one untimed warm-up round, then 3 rounds each calling every strategy once), so that the shared machine's slow spells fall on all alike.",
  );
  lines.push("");
  lines.push("| d | p | t | strategy | ms per RHS | speed vs dense | r_λ | held-out error | error vs dense |");
  lines.push("|---:|---:|---:|---|---:|---:|---:|---:|---:|");
  lines.push(...rows);
  lines.push("");
  for (const v of verdicts) lines.push(`- ${v}`);
  lines.push("");
  if (solutionFiles.length > 0) {
    const solutions = solutionFiles.map((f) => JSON.parse(readFileSync(resolve(resultsDir, f), "utf8")) as { date: string; rows: string[]; horizon: number; fitIterations: number });
    lines.push(
      `**Part B, whole solutions** (BENCH_B_SOLUTIONS=1; runs ${solutions.map((r) => r.date.slice(0, 16)).join(", ")}Z): from the same fitted network and points, one forward evolution per strategy to t = ${solutions.map((r) => r.horizon).join(", ")} (dopri5, rtol = atol = 1e-4), ` +
        "scored by the relative score error E|∇u_θ − ∇log ρ_t|²/E|∇log ρ_t|² on 2000 fresh exact samples of ρ_t; *speed* = dense evolution time / this one's, *error ratio* = this error / the dense one's.",
    );
    lines.push("");
    lines.push("| d | p | strategy | evolution s (RHS, status) | speed vs dense | largest r_λ | score error | error vs dense |");
    lines.push("|---:|---:|---|---:|---:|---:|---:|---:|");
    lines.push(...solutions.flatMap((r) => r.rows));
    lines.push("");
  }
}

/**
 * Part C — issue 4's target on the heat equation ∂t u = Δu with fitted networks: u₀ a sum of six
 * Fourier modes a·cos(k·x + φ) with integer wave vectors of one to three ±1 entries (at most d;
 * |k|² = 1, 2, 3 in d = 20, 1, 2 in d = 2; drawn from a fixed stream), so u(t) = Σ a·e^{−|k|²t}cos(k·x + φ) exactly; N = 2000 collocation
 * points and 2000 more fit points from N(0, I); tanh MLP [68, 68] (d = 2) or [59, 59] (d = 20),
 * no quadratic term (p ≈ 5000); LM 15 iterations, weight decay 1e-4. States at t = 0 and 1 from a
 * Gaussian-sketched (n = 200) evolution; at each, θ̇ from every strategy, scored on 500 fresh
 * N(0, I) points by ‖J θ̇ − Δu_θ‖/‖Δu_θ‖.
 */
if (parts.includes("C")) {
  const N = 2000;
  const sketchSizes = (process.env["BENCH_C_SKETCHES"] ?? "100,200,400,800").split(",").map(Number);
  const regularisation = { kind: "relative-trace" as const, epsilon: 1e-6 };
  for (const { d, width } of [
    { d: 2, width: 68 },
    { d: 20, width: 59 },
  ].filter((c) => (process.env["BENCH_C_DIMS"] ?? "2,20").split(",").map(Number).includes(c.d))) {
    const solverFor = (strategy: Strategy, n: number): Solver =>
      createSolver({
        tf,
        network: "mlp",
        networkOptions: { inputDim: d, hiddenWidths: [width, width], activation: "tanh", inputLengthScale: 2 },
        ...(strategy === "dense" ? { sketch: "dense" as const, sketchOptions: { regularisation } } : { sketch: strategy, sketchOptions: { sketchSize: n, regularisation } }),
        integrator: "dopri5",
        integratorOptions: { rtol: 1e-4, atol: 1e-4 },
        equation: "heat",
        equationOptions: { diffusivity: 1 },
        seed: 0,
      });
    const random = RandomStream.fromSeed(`bench-heat-${d}`);
    const modes = Array.from({ length: 6 }, (_, j) => {
      const draw = random.derive(`mode-${j}`);
      const k = new Float64Array(d);
      const coordinates = draw.permutation(d);
      const signs = draw.fillUniform(new Float64Array(3));
      for (let i = 0; i < Math.min(1 + (j % 3), d); i++) k[coordinates[i] as number] = (signs[i] as number) < 0.5 ? -1 : 1;
      const [amplitude, phase] = draw.fillUniform(new Float64Array(2)) as unknown as [number, number];
      return { k, squared: k.reduce((sum, v) => sum + v * v, 0), amplitude: (0.5 + amplitude) / Math.sqrt(6), phase: 2 * Math.PI * phase };
    });
    const phaseOf = (m: (typeof modes)[number], x: ArrayLike<number>, offset = 0) => {
      let s = m.phase;
      for (let i = 0; i < d; i++) s += (m.k[i] as number) * (x[offset + i] as number);
      return s;
    };
    const exact = (t: number, x: ArrayLike<number>, offset = 0) => modes.reduce((sum, m) => sum + m.amplitude * Math.exp(-m.squared * t) * Math.cos(phaseOf(m, x, offset)), 0);
    const points = random.derive("points").fillNormal(new Float64Array(N * d));
    const fitPoints = new Float64Array(2 * N * d);
    fitPoints.set(random.derive("fit-points").fillNormal(new Float64Array(N * d)));
    fitPoints.set(points, N * d);
    const driver = solverFor("gaussian", 200);
    const p = driver.network.numParameters;
    const fitStart = performance.now();
    const fit = await driver.fitInitialCondition({
      points: fitPoints,
      checkPoints: points,
      target: {
        value: (x) => exact(0, x),
        gradient: (x) => {
          const g = new Array<number>(d).fill(0);
          for (const m of modes) {
            const s = -m.amplitude * Math.sin(phaseOf(m, x));
            for (let i = 0; i < d; i++) g[i] = (g[i] as number) + s * (m.k[i] as number);
          }
          return g;
        },
        laplacian: (x) => modes.reduce((sum, m) => sum - m.squared * m.amplitude * Math.cos(phaseOf(m, x)), 0),
      },
      weightDecay: 1e-4,
      maxIterations: Number(process.env["BENCH_FIT_ITERATIONS"] ?? 15),
    });
    const fitSeconds = (performance.now() - fitStart) / 1000;
    const testPoints = random.derive("test-points").fillNormal(new Float64Array(500 * d));
    /** Relative L2 error of u_θ against the exact solution on the test points (how good the state is). */
    const solutionError = async (parameters: Float64Array, t: number): Promise<number> => {
      const x = tf.tensor2d(Float32Array.from(testPoints), [500, d]);
      const evaluation = driver.network.evaluate(tf, parameters, x, { value: true });
      const values = await evaluation.value!.data();
      evaluation.dispose();
      x.dispose();
      let num = 0;
      let den = 0;
      for (let i = 0; i < 500; i++) {
        const e = exact(t, testPoints, i * d);
        num += ((values[i] as number) - e) ** 2;
        den += e * e;
      }
      return Math.sqrt(num / den);
    };
    console.log(`heat d = ${d}, p = ${p}: fit ${fitSeconds.toFixed(0)} s (${fit.iterations} iterations), value RMS ${fit.valueRms.toExponential(2)}, test error ${(await solutionError(fit.parameters, 0)).toExponential(2)}`);
    const trajectory = await driver.evolve({ parameters: fit.parameters, points }, { t1: 1, saveAt: [0, 1] });
    const rows: string[] = [];
    const best = new Map<string, { speed: number; ratio: number }[]>();
    const stateErrors: string[] = [];
    for (const snapshot of trajectory.saved) {
      const state = await solutionError(snapshot.parameters, snapshot.t);
      stateErrors.push(`t = ${snapshot.t}: ${state.toExponential(2)}`);
      const test = await heldOut(driver, snapshot.parameters, testPoints, d, snapshot.t);
      const cells = [{ strategy: "dense" as const, n: 0 }, ...(["gaussian", "nystrom"] as const).flatMap((strategy) => sketchSizes.map((n) => ({ strategy, n })))];
      const results = await compareStrategies(snapshot, cells, solverFor, test);
      test.dispose();
      const dense = results[0]!;
      for (const r of results) {
        const speed = dense.seconds / r.seconds;
        const ratio = r.error / dense.error;
        if (r.n > 0) best.set(r.key, [...(best.get(r.key) ?? []), { speed, ratio }]);
        rows.push(`| ${d} | ${p} | ${snapshot.t} | ${r.label} | ${(r.seconds * 1000).toFixed(0)} | ${speed.toFixed(1)}× | ${r.rank.toFixed(1)} | ${r.error.toExponential(2)} | ${ratio.toFixed(2)} |`);
        console.log(`  t = ${snapshot.t} ${r.label.padEnd(18)} ${(r.seconds * 1000).toFixed(0)} ms  ${speed.toFixed(1)}×  r_λ ${r.rank.toFixed(1)}  held-out error ${r.error.toExponential(2)} (${ratio.toFixed(2)}× dense)`);
      }
    }
    driver.dispose();
    const meets = [...best.entries()].filter(([, cells]) => cells.every((c) => c.speed >= 10 && c.ratio <= 1.5)).map(([key]) => key);
    const verdict =
      `d = ${d} (p = ${p}): ${meets.length > 0 ? `**met** by ${meets.join(", ")} at both states` : "**not met**: no sketch is both ≥ 10× faster and within 1.5× of the dense error at both states"}; ` +
      `fit ${fit.iterations} LM iterations, value RMS ${fit.valueRms.toExponential(2)}; the states' relative L2 error against the exact solution on the test points ${stateErrors.join(", ")} (the sketched run, n = 200).`;
    save(`sketch-vs-dense-C-d${String(d).padStart(3, "0")}.json`, { d, rows, verdict });
  }
}
{
  const files = existsSync(resultsDir) ? readdirSync(resultsDir).filter((f) => f.startsWith("sketch-vs-dense-C-")).sort() : [];
  if (files.length > 0) {
    const saved = files.map((f) => JSON.parse(readFileSync(resolve(resultsDir, f), "utf8")) as { date: string; d: number; rows: string[]; verdict: string });
    lines.push(
      `**Part C — issue 4's target on the heat equation** (BENCH_PARTS=C; runs ${saved.map((r) => r.date.slice(0, 16)).join(", ")}Z). ∂t u = Δu from u₀ = Σ a cos(k·x + φ), six Fourier modes with integer wave vectors of one to three ±1 entries, at most d (|k|² = 1, 2, 3 in d = 20; 1, 2 in d = 2), exact solution Σ a e^{−|k|²t} cos(k·x + φ); ` +
        "N = 2000 collocation points and 2000 more fit points from N(0, I); tanh MLP [68, 68] (d = 2) or [59, 59] (d = 20), no quadratic term; LM 15 iterations, weight decay 1e-4; λ = 1e-6·tr K/N. " +
        "States at t = 0 and 1 from a Gaussian-sketched (n = 200) evolution (dopri5, rtol = atol = 1e-4); at each, θ̇ from every strategy, timed round-robin as in Part B; held-out error = ‖J(X_test)θ̇ − Δu_θ(X_test)‖/‖Δu_θ(X_test)‖ on 500 fresh N(0, I) points.",
    );
    lines.push("");
    lines.push("| d | p | t | strategy | ms per RHS | speed vs dense | r_λ | held-out error | error vs dense |");
    lines.push("|---:|---:|---:|---|---:|---:|---:|---:|---:|");
    lines.push(...saved.flatMap((r) => r.rows));
    lines.push("");
    for (const r of saved) lines.push(`- ${r.verdict}`);
    lines.push("");
  }
}

lines.push(
  "Timings from one run on the shared 2-core machine (other engineers' jobs running): per-RHS times can be off by tens of per cent, and every ratio is taken within this run.",
);
console.log(`\n${lines.join("\n")}`);
writeSection("sketch-vs-dense", "pnpm --filter @minevo/bench bench:sketch-vs-dense", lines.join("\n"));
console.log(`live tensors at the end: ${tf.memory().numTensors}`);
