/**
 * One backend's two figures, measured the same way wherever it runs (bench:backends here, the
 * device kit on a GPU machine): its own matMul rate and the time of one MNE right-hand side of the
 * main job's size, with the right-hand side's flop rate as a fraction of that matMul rate.
 */
import type { ActiveBackend } from "@minevo/core";
import { collocationPoints, median, recipeSolver, tf } from "./recipe.js";

export interface BackendResult {
  readonly backend: string;
  readonly engine: string;
  readonly matMulGflops: number;
  readonly rhsMs: number;
  readonly rhsFlopFraction: number;
  readonly error?: string;
}

/**
 * matMul rate: 1000×2000 · 2000×1000 float32 (`small`: 500×1000 · 1000×500), median of `repeats`
 * after a warm-up, each with a one-number readback so that asynchronous backends finish. One RHS:
 * OU on the reference mixture, tanh MLP [32, 32] + quadratic (p = 1188), N = 1000, Gaussian sketch
 * n = 100, θ as initialised (the cost does not depend on the fit), end to end.
 */
export async function measureBackend(active: ActiveBackend, options: { repeats: number; small?: boolean }): Promise<BackendResult> {
  if (active.tf !== tf) throw new Error("the backend package loaded a second copy of TensorFlow.js");
  const { repeats } = options;
  const size = options.small === true ? 500 : 1000;
  const a = tf.randomNormal([size, 2 * size]);
  const b = tf.randomNormal([2 * size, size]);
  const timeProduct = async () => {
    const start = performance.now();
    const s = tf.tidy(() => tf.sum(tf.matMul(a as never, b as never)));
    await s.data();
    s.dispose();
    return performance.now() - start;
  };
  await timeProduct();
  const productTimes: number[] = [];
  for (let i = 0; i < repeats; i++) productTimes.push(await timeProduct());
  a.dispose();
  b.dispose();
  const rate = (2 * size * 2 * size * size) / (median(productTimes) / 1000);

  const N = 1000;
  const solver = recipeSolver({ dim: 2, hiddenWidths: [32, 32], sketch: "gaussian", sketchSize: 100 });
  const run = solver.prepare({ parameters: solver.initialParameters(), points: collocationPoints(N, 2) });
  await run.rhs(0, run.initialState);
  const rhsTimes: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run.rhs(0, run.initialState);
    rhsTimes.push(performance.now() - start);
  }
  run.dispose();
  solver.dispose();
  const rhsMs = median(rhsTimes);
  // Flops of one RHS: the forward pass with d + 2 directions (value, ∇, Δ) through [32, 32],
  // Z = JᵀΩ (2Npn) and the float64 Gram (pn²).
  const p = 1188;
  const flops = 2 * N * (2 * 32 + 32 * 32 + 32) * 4 + 2 * N * p * 100 + p * 100 * 100;
  return { backend: active.name, engine: active.engine, matMulGflops: rate / 1e9, rhsMs, rhsFlopFraction: flops / (rhsMs / 1000) / rate };
}
