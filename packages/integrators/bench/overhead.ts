/**
 * Integrator overhead per step relative to a cheap right-hand side, for Float64Array and tensor
 * states. Prints ratios measured in this one run (no timing is asserted anywhere).
 *
 *   pnpm --filter @minevo/integrators bench
 *   (= node --conditions=@minevo/source --import tsx bench/overhead.ts)
 *
 * overhead per step = (time per step − evaluations per step × time per evaluation) / time per
 * evaluation: how many extra right-hand-side calls' worth of time the integrator adds per step.
 * The right-hand side is dy/dt = −y, one pass over the state: as cheap as a right-hand side
 * gets, so this is the worst case. Each figure is the median of 5 rounds, each round timing
 * the bare right-hand side and the solve back to back (the machine may be shared).
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { performance } from "node:perf_hooks";
import { registries } from "@minevo/core";
import type { Integrator, IntegrationProblem } from "@minevo/core";
import "../src/index.ts";

const ROUNDS = 5;

async function msPerCall(run: () => unknown, minMs: number): Promise<number> {
  await run();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    await run();
    calls++;
    elapsed = performance.now() - start;
  }
  return elapsed / calls;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

interface Row {
  state: string;
  n: number;
  method: string;
  path: string;
  evalUs: number;
  stepUs: number;
  evalsPerStep: number;
  overhead: number;
}
const rows: Row[] = [];

function integratorFor(method: string): Integrator {
  if (method === "rk4") return registries.integrator.create("rk4", { steps: 50 });
  return registries.integrator.create(method as "dopri5", { rtol: 1e-6, atol: 1e-6, dtmax: 0.01 });
}

async function measure<S>(
  state: string,
  n: number,
  method: string,
  path: string,
  rhsCall: () => unknown,
  solveOnce: (integrator: Integrator) => Promise<{ rhsEvaluations: number; attempts: number }>,
): Promise<void> {
  const integrator = integratorFor(method);
  const { rhsEvaluations, attempts } = await solveOnce(integrator);
  const evalsPerStep = rhsEvaluations / attempts;
  const evals: number[] = [];
  const steps: number[] = [];
  const overheads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const evalMs = await msPerCall(rhsCall, 40);
    const stepMs = (await msPerCall(() => solveOnce(integrator), 80)) / attempts;
    evals.push(evalMs * 1e3);
    steps.push(stepMs * 1e3);
    overheads.push((stepMs - evalsPerStep * evalMs) / evalMs);
  }
  rows.push({ state, n, method, path, evalUs: median(evals), stepUs: median(steps), evalsPerStep, overhead: median(overheads) });
}

async function benchFloat64(n: number): Promise<void> {
  const y0 = Float64Array.from({ length: n }, (_, i) => 1 + i / n);
  const rhs = (_t: number, y: Float64Array): Float64Array => {
    const out = new Float64Array(y.length);
    for (let i = 0; i < y.length; i++) out[i] = -(y[i] as number);
    return out;
  };
  const asyncRhs = async (t: number, y: Float64Array): Promise<Float64Array> => rhs(t, y);
  const problem: IntegrationProblem<Float64Array> = { rhs, t0: 0, t1: 0.5, y0 };
  for (const method of ["rk4", "dopri5", "tsit5", "dop853"]) {
    await measure("Float64Array", n, method, "solveSync", () => rhs(0, y0), async (integrator) => {
      const { stats } = integrator.solveSync(problem);
      return { rhsEvaluations: stats.rhsEvaluations, attempts: stats.acceptedSteps + stats.rejectedSteps };
    });
    await measure("Float64Array", n, method, "solve, async rhs", () => asyncRhs(0, y0), async (integrator) => {
      const { stats } = await integrator.solve({ ...problem, rhs: asyncRhs });
      return { rhsEvaluations: stats.rhsEvaluations, attempts: stats.acceptedSteps + stats.rejectedSteps };
    });
  }
}

async function benchTensor(n: number): Promise<void> {
  const y0 = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => 1 + i / n));
  const rhs = (_t: number, y: tf.Tensor): tf.Tensor => tf.neg(y);
  const problem: IntegrationProblem<tf.Tensor> = { rhs, t0: 0, t1: 0.5, y0 };
  const before = tf.memory().numTensors;
  for (const method of ["rk4", "dopri5", "dop853"]) {
    await measure("tensor (tfjs cpu)", n, method, "solve", () => rhs(0, y0).dispose(), async (integrator) => {
      const result = await integrator.solve(problem);
      result.dispose();
      return { rhsEvaluations: result.stats.rhsEvaluations, attempts: result.stats.acceptedSteps + result.stats.rejectedSteps };
    });
  }
  if (tf.memory().numTensors !== before) throw new Error(`tensor leak in the benchmark: ${tf.memory().numTensors - before}`);
  y0.dispose();
}

await tf.setBackend("cpu");
await tf.ready();
for (const n of [4, 1000, 20_000]) await benchFloat64(n);
for (const n of [1000, 20_000]) await benchTensor(n);

console.log(`node ${process.version}, tfjs-core ${tf.version_core}, backend ${tf.getBackend()}, median of ${ROUNDS} rounds`);
console.log("| state | n | method | path | rhs call (µs) | step (µs) | rhs calls / step | overhead / step (in rhs calls) |");
console.log("|---|---:|---|---|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(`| ${r.state} | ${r.n} | ${r.method} | ${r.path} | ${r.evalUs.toFixed(2)} | ${r.stepUs.toFixed(1)} | ${r.evalsPerStep.toFixed(2)} | ${r.overhead.toFixed(1)} |`);
}
