/**
 * The benchmarks' recipe solver and what goes with it, free of Node's modules so that a browser
 * page (bench:backends' browser rows) measures with the very same code: the one TensorFlow.js,
 * the recipe solver (tanh MLP + learnable quadratic, OU in log-density form, λ = 1e-6·tr K/N,
 * dopri5) and its broad collocation points.
 */
import * as tf from "@tensorflow/tfjs-core";
import { RandomStream } from "@minevo/core";
import "@minevo/diffusion"; // registers the Ornstein–Uhlenbeck equation
import "@minevo/integrators";
import "@minevo/networks";
import "@minevo/sketching";
import { createSolver, type Solver } from "@minevo/evolution";

export { tf };

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export interface RecipeOptions {
  readonly dim: number;
  readonly hiddenWidths: readonly number[];
  readonly sketch: "gaussian" | "dense" | "nystrom";
  readonly sketchSize?: number;
  readonly rtol?: number;
  readonly seed?: number;
}

export function recipeSolver(options: RecipeOptions): Solver {
  const d = options.dim;
  const rtol = options.rtol ?? 1e-4;
  const regularisation = { kind: "relative-trace" as const, epsilon: 1e-6 };
  return createSolver({
    tf,
    network: "mlp",
    networkOptions: {
      inputDim: d,
      hiddenWidths: [...options.hiddenWidths],
      activation: "tanh",
      inputLengthScale: 2,
      quadratic: { form: d <= 8 ? "symmetric" : "diagonal", learnable: true, initial: 0 },
    },
    ...(options.sketch === "dense"
      ? { sketch: "dense" as const, sketchOptions: { regularisation } }
      : options.sketch === "nystrom"
        ? { sketch: "nystrom" as const, sketchOptions: { sketchSize: options.sketchSize ?? 100, regularisation } }
        : { sketch: "gaussian" as const, sketchOptions: { sketchSize: options.sketchSize ?? 100, regularisation } }),
    integrator: "dopri5",
    integratorOptions: { rtol, atol: rtol },
    equation: "ornstein-uhlenbeck",
    equationOptions: { form: "log-density" },
    seed: options.seed ?? 0,
  });
}

/** N collocation points from N(0, 4I), the recipe's broad start (a fixed stream per N and d). */
export function collocationPoints(numPoints: number, d: number, seed = 0): Float64Array {
  return RandomStream.fromSeed(`bench-points-${seed}-${d}`).derive(`N${numPoints}`).fillNormal(new Float64Array(numPoints * d), 0, 2);
}
