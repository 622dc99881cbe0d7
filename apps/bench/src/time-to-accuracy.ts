/**
 * Time to a fixed accuracy as d and N grow (issue 9.3), on OU problems with exact solutions: the
 * Gaussian and two-mode mixture targets of bench:scaling (ou-common.ts).
 *
 * bench:scaling fixes the recipe and prints the accuracy each cell happens to reach (from 2e-7 to
 * 1.3 there); this program fixes the accuracy instead. Each cell climbs a ladder of effort, the
 * number of Levenberg–Marquardt iterations of the initial fit (the fit is what limits the accuracy
 * at a fixed sketch: issue 5's records), and stops at the first rung whose forward evolution to
 * T = 5 reaches the tightest goal: relative score error ≤ goal at every t ∈ {0.5, 1, 2, 5},
 * measured on 2000 fresh exact samples of ρ_t. The cell's time to a goal is what a run with the
 * first rung that reached it costs from nothing: the collocation points (MALA on the formula),
 * the fit (its rungs' segments, each continuing the last — LM's damping restarts at every
 * segment) and that evolution. The evolutions of the rungs below it are listed, not counted.
 *
 * Recipe: tanh MLP [32, 32] + learnable quadratic (symmetric for d ≤ 8, diagonal above); N
 * collocation points, the end points of 300-step MALA chains on the target's formula (library
 * `malaPoints`, no exact samples); 2N fit points (those points and the same moved by N(0, 0.5²I)),
 * weight decay 1e-4, values only; Gaussian sketch n = 100, λ = 1e-6·tr K/N, dopri5
 * rtol = atol = 1e-4, at most 3000 right-hand sides.
 *
 * Run: pnpm --filter @minevo/bench bench:time-to-accuracy   (BENCH_SKETCH_SIZE=100 BENCH_MERGE=1 keeps
 *   the saved cells and replaces or adds the ones run now)
 *   BENCH_GOALS=1e-2,1e-3 BENCH_RUNGS=5,10,20,40,80,160 BENCH_DIMS=2,8,32,100 BENCH_NS=500,2000,4000
 *   BENCH_TARGETS=gaussian,mixture BENCH_CELL_BUDGET_S=900; BENCH_REPORT_ONLY=1 rewrites the
 *   section from results/time-to-accuracy.json without running.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { RandomStream } from "@minevo/core";
import type { MixtureSpec } from "@minevo/diffusion";
import { benchRoot, exactFor, exactInitialCondition, gaussianInDimension, logLogFit, malaCollocation, mixtureInDimension, recipeSolver, relativeScoreError, tf, useWasm } from "./ou-common.js";
import { writeSection } from "./report.js";

/** Accuracy goals; a cell climbs until the tightest is reached. */
const goals = (process.env["BENCH_GOALS"] ?? "1e-2,1e-3").split(",").map(Number).sort((a, b) => b - a);
const tightest = goals[goals.length - 1] as number;
const rungs = (process.env["BENCH_RUNGS"] ?? "5,10,20,40,80,160").split(",").map(Number);
const dims = (process.env["BENCH_DIMS"] ?? "2,8,32,100").split(",").map(Number);
const extraNs = (process.env["BENCH_NS"] ?? "500,2000,4000").split(",").filter((v) => v !== "").map(Number);
const targets = (process.env["BENCH_TARGETS"] ?? "gaussian,mixture").split(",") as ("gaussian" | "mixture")[];
const cellBudgetSeconds = Number(process.env["BENCH_CELL_BUDGET_S"] ?? 900);
const checkTimes = [0.5, 1, 2, 5];
/** The Gaussian sketch's n (BENCH_SKETCH_SIZE); cells record theirs. */
const sketchSize = Number(process.env["BENCH_SKETCH_SIZE"] ?? 100);
const resultsFile = resolve(benchRoot, "results/time-to-accuracy.json");

interface Attempt {
  /** LM iterations done in all (the rung). */
  readonly iterations: number;
  /** Fit seconds up to and including this rung. */
  readonly fitSeconds: number;
  readonly valueRms: number;
  readonly evolveSeconds: number;
  readonly rhs: number;
  readonly status: string;
  /** Relative score error at each of checkTimes (NaN where the run did not get there). */
  readonly errors: number[];
  readonly worst: number;
  /** The largest r_λ the sketch reported in the evolution (n = 100: r_λ ≈ n means saturated); absent in older records. */
  readonly maxEffectiveRank?: number;
}

interface Cell {
  readonly target: string;
  readonly d: number;
  readonly N: number;
  readonly p: number;
  /** The sketch's n (absent in older records: 100). */
  readonly sketchSize?: number;
  readonly pointsSeconds: number;
  readonly attempts: Attempt[];
  /** Everything the cell spent, the failed rungs' evolutions included. */
  readonly totalSeconds: number;
}

function specFor(target: "gaussian" | "mixture", d: number): MixtureSpec {
  return target === "gaussian" ? gaussianInDimension(d) : mixtureInDimension(d);
}

async function runCell(target: "gaussian" | "mixture", d: number, N: number): Promise<Cell> {
  const spec = specFor(target, d);
  const exact = exactFor(spec);
  const solver = recipeSolver({ dim: d, hiddenWidths: [32, 32], sketch: "gaussian", sketchSize });
  const p = solver.network.numParameters;
  const random = RandomStream.fromSeed(`bench-time-to-accuracy-${target}-${d}-${N}`);
  const cellStart = performance.now();
  try {
    // Collocation points from the formula alone: MALA chains on π̃ (the gmm target of the spec).
    let start = performance.now();
    const chains = malaCollocation(spec, N, random);
    const pointsSeconds = (performance.now() - start) / 1000;
    const { points, fitPoints } = chains;
    console.log(`${target} d = ${d} N = ${N} p = ${p}: ${N} MALA points in ${pointsSeconds.toFixed(1)} s (step ${chains.stepSize.toPrecision(3)}, ${chains.restarted} restarted)`);

    const attempts: Attempt[] = [];
    let parameters: Float64Array | undefined;
    let done = 0;
    let fitSeconds = 0;
    for (const rung of rungs) {
      if (rung <= done) continue;
      start = performance.now();
      const fit = await solver.fitInitialCondition({
        ...(parameters === undefined ? {} : { parameters }),
        points: fitPoints,
        checkPoints: points,
        target: exactInitialCondition(exact),
        weightDecay: 1e-4,
        maxIterations: rung - done,
      });
      fitSeconds += (performance.now() - start) / 1000;
      parameters = fit.parameters;
      done += fit.iterations;
      start = performance.now();
      let status: string;
      let rhs = 0;
      const errors: number[] = checkTimes.map(() => Number.NaN);
      let maxEffectiveRank = 0;
      try {
        const result = await solver.evolve(
          { parameters, points },
          { t1: 5, saveAt: checkTimes, maxRhsEvaluations: 3000, onEvaluation: (diagnostics) => (maxEffectiveRank = Math.max(maxEffectiveRank, diagnostics.effectiveRank)) },
        );
        status = result.status;
        rhs = result.stats.rhsEvaluations;
        for (const [k, t] of checkTimes.entries()) {
          const saved = result.saved.find((s) => Math.abs(s.t - t) < 1e-9);
          if (saved !== undefined) errors[k] = await relativeScoreError(solver.network, saved.parameters, exact, t);
        }
      } catch (error) {
        status = `error: ${error instanceof Error ? error.message.slice(0, 80) : String(error)}`;
      }
      const evolveSeconds = (performance.now() - start) / 1000;
      const worst = errors.some((e) => !Number.isFinite(e)) ? Number.POSITIVE_INFINITY : Math.max(...errors);
      attempts.push({ iterations: done, fitSeconds, valueRms: fit.valueRms, evolveSeconds, rhs, status, errors, worst, maxEffectiveRank });
      console.log(
        `  ${done} LM iterations (fit ${fitSeconds.toFixed(0)} s, value RMS ${fit.valueRms.toExponential(2)}): evolution ${status} ${evolveSeconds.toFixed(1)} s, ${rhs} RHS, max r_λ ${maxEffectiveRank.toFixed(1)}, score errors ${errors.map((e) => e.toExponential(1)).join(" / ")}`,
      );
      if (status === "success" && worst <= tightest) break;
      if (fit.stopReason !== "max_iterations") {
        console.log(`  the fit stopped by itself (${fit.stopReason}): more iterations would not change it`);
        break;
      }
      if ((performance.now() - cellStart) / 1000 > cellBudgetSeconds) {
        console.log(`  cell budget of ${cellBudgetSeconds} s spent`);
        break;
      }
    }
    return { target, d, N, p, sketchSize, pointsSeconds, attempts, totalSeconds: (performance.now() - cellStart) / 1000 };
  } finally {
    solver.dispose();
  }
}

const cells: Cell[] = [];
const saved = (): Cell[] => JSON.parse(readFileSync(resultsFile, "utf8"), (_key, value: unknown) => (value === null ? Number.NaN : value)) as Cell[];
const nOf = (c: Cell) => c.sketchSize ?? 100;
/** Adds a cell, replacing a saved one of the same target, d, N and n (BENCH_MERGE=1 reruns). */
function record(cell: Cell): void {
  const at = cells.findIndex((c) => c.target === cell.target && c.d === cell.d && c.N === cell.N && nOf(c) === nOf(cell));
  if (at >= 0) cells[at] = cell;
  else cells.push(cell);
}
if (process.env["BENCH_REPORT_ONLY"] === "1") {
  cells.push(...saved());
  report();
} else {
  // BENCH_MERGE=1: keep the saved cells and replace or add only the ones run now.
  if (process.env["BENCH_MERGE"] === "1") cells.push(...saved());
  await useWasm();
  // The section is rewritten after every cell, so a run cut short still reports what it measured.
  for (const target of targets) {
    for (const d of dims) {
      record(await runCell(target, d, 1000));
      report();
    }
    for (const N of extraNs) {
      record(await runCell(target, 2, N));
      report();
    }
  }
  console.log(`live tensors at the end: ${tf.memory().numTensors}`);
}

/** The first rung that reached `goal`, and the time to it from nothing. */
function reachedAt(c: Cell, goal: number): { attempt: Attempt; seconds: number } | undefined {
  const attempt = c.attempts.find((a) => a.status === "success" && a.worst <= goal);
  return attempt === undefined ? undefined : { attempt, seconds: c.pointsSeconds + attempt.fitSeconds + attempt.evolveSeconds };
}

function report(): void {
  mkdirSync(resolve(benchRoot, "results"), { recursive: true });
  writeFileSync(resultsFile, JSON.stringify(cells, null, 1));
  const e = (v: number) => (Number.isFinite(v) ? v.toExponential(1) : "—");
  const lines: string[] = [];
  lines.push(
    `Goals: relative score error ≤ ${goals.map((g) => g.toExponential(0)).join(" and ≤ ")} at every t ∈ {${checkTimes.join(", ")}} (2000 fresh exact samples of ρ_t). Ladder: the initial fit's LM iterations, ${rungs.join(" → ")}, each rung continuing the last (LM's damping restarts at every rung), then a forward evolution to T = 5; a cell stops at the first rung that reaches the tightest goal, when the fit stops by itself, or once it has spent ${cellBudgetSeconds} s. ` +
      "Recipe: tanh MLP [32, 32] + learnable quadratic (symmetric for d ≤ 8, diagonal above); N collocation points from 300-step MALA chains on the target's formula (no exact samples); 2N fit points (those and the same moved by N(0, 0.5²I)), weight decay 1e-4, values only; Gaussian sketch n = 100 unless the table says otherwise , λ = 1e-6·tr K/N, dopri5 rtol = atol = 1e-4, at most 3000 right-hand sides. " +
      "Targets as in bench:scaling: Gaussian N(e₁, diag(0.5 … 1.5)); the reference mixture in x₁, x₂ with N(0, 0.8) in the other coordinates. " +
      "*Time to goal* = points + fit up to the first rung that reached it + that rung's evolution: what a run with that rung's recipe costs from nothing (in parentheses: the rung's LM iterations); *spent* also counts the other rungs' evolutions." +
      (process.env["BENCH_NOTE"] !== undefined ? ` ${process.env["BENCH_NOTE"]}` : ""),
  );
  lines.push("");
  lines.push(`| target | d | N | n | p | points s | ${goals.map((g) => `**time to ≤ ${g.toExponential(0)}** s (LM its)`).join(" | ")} | ladder: LM its, fit s → worst error (evolution s, largest r_λ, status) | spent s |`);
  lines.push(`|---|---:|---:|---:|---:|---:|${goals.map(() => "---:|").join("")}---|---:|`);
  for (const c of cells) {
    const ladder = c.attempts
      .map(
        (a) =>
          `${a.iterations}, ${a.fitSeconds.toFixed(0)} s → ${e(a.worst)} (${a.evolveSeconds.toFixed(0)} s${a.maxEffectiveRank === undefined ? "" : `, r_λ ≤ ${a.maxEffectiveRank.toFixed(0)}`}${a.status === "success" ? "" : `, ${a.status.slice(0, 40)}`})`,
      )
      .join("; ");
    const times = goals.map((g) => {
      const r = reachedAt(c, g);
      return r === undefined ? "not reached" : `**${r.seconds.toFixed(0)}** (${r.attempt.iterations})`;
    });
    lines.push(`| ${c.target} | ${c.d} | ${c.N} | ${nOf(c)} | ${c.p} | ${c.pointsSeconds.toFixed(1)} | ${times.join(" | ")} | ${ladder} | ${c.totalSeconds.toFixed(0)} |`);
  }
  lines.push("");
  lines.push("Growth exponents of the time to each goal (least squares of log time on log d at N = 1000, and on log N at d = 2, over the quickest cell that reached it at each d or N, whatever its n):");
  lines.push("");
  lines.push("| target | goal | variable | time to goal ∝ | its fit part ∝ | its evolution part ∝ | cells |");
  lines.push("|---|---|---|---|---|---|---|");
  for (const target of targets) {
    for (const goal of goals) {
      for (const variable of ["d", "N"] as const) {
        // Per d (or N), the quickest cell that reached the goal, whatever its n.
        const reachedCells = cells.filter((c) => c.target === target && (variable === "d" ? c.N === 1000 : c.d === 2) && reachedAt(c, goal) !== undefined);
        const best = new Map<number, Cell>();
        for (const c of reachedCells) {
          const key = variable === "d" ? c.d : c.N;
          const held = best.get(key);
          if (held === undefined || (reachedAt(c, goal)?.seconds ?? Infinity) < (reachedAt(held, goal)?.seconds ?? Infinity)) best.set(key, c);
        }
        const group = [...best.values()].sort((a, b) => (variable === "d" ? a.d - b.d : a.N - b.N));
        const xs = group.map((c) => (variable === "d" ? c.d : c.N));
        if (new Set(xs).size < 2) {
          lines.push(`| ${target} | ${goal.toExponential(0)} | ${variable} | — (reached at ${xs.length === 0 ? "no" : variable + " = " + xs.join(", ")} cell${xs.length === 1 ? "" : "s"}) | | | |`);
          continue;
        }
        const reached = group.map((c) => reachedAt(c, goal) as { attempt: Attempt; seconds: number });
        const k = (ys: number[]) => `${variable}^${logLogFit(xs, ys).exponent.toFixed(2)}`;
        lines.push(
          `| ${target} | ${goal.toExponential(0)} | ${variable} | ${k(reached.map((r) => r.seconds))} | ${k(reached.map((r) => r.attempt.fitSeconds))} | ${k(reached.map((r) => r.attempt.evolveSeconds))} | ${group.map((c) => `${variable === "d" ? c.d : c.N}${nOf(c) === 100 ? "" : ` (n = ${nOf(c)})`}`).join(", ")} |`,
        );
      }
    }
  }
  lines.push("");
  lines.push("One run on the shared 2-core machine: single times can be off by tens of per cent.");
  console.log(`\n${lines.join("\n")}`);
  writeSection("time-to-accuracy", "pnpm --filter @minevo/bench bench:time-to-accuracy", lines.join("\n"));
}
