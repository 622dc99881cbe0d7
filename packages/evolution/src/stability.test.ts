/**
 * STABILITY.md in miniature: the initial fit's weight decay decides how stiff the evolution is.
 * A target with a rough component (amplitude 0.1, far above the point spacing's frequency) on
 * top of sin x: unregularised, the fit chases it and its curvature is off (the guard flags it),
 * and the heat evolution from it needs several times the right-hand-side evaluations of the
 * evolution from the weight-decayed fit, at the same tolerances.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, expect, it } from "vitest";
import { RandomStream } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import { createSolver } from "./index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

it("a fit without weight decay makes the evolution stiff; with weight decay it does not", async () => {
  const solver = createSolver({
    tf,
    network: "mlp",
    networkOptions: { inputDim: 1, hiddenWidths: [24, 24] },
    sketch: "dense",
    integrator: "dopri5",
    integratorOptions: { rtol: 1e-5, atol: 1e-5 },
    equation: "heat",
    seed: 1,
  });
  const points = Float64Array.from({ length: 40 }, (_, i) => -3 + (6 * (i + 0.5)) / 40);
  const start = solver.network.initialParameters(RandomStream.fromSeed(4));
  const target = {
    value: (x: Float64Array) => Math.sin(x[0] as number) + 0.1 * Math.sin(1000 * (x[0] as number)),
    laplacian: (x: Float64Array) => -Math.sin(x[0] as number),
  };
  const runs = [];
  for (const weightDecay of [0, 1e-3]) {
    const fit = await solver.fitInitialCondition({ parameters: start, points, target, weightDecay, maxIterations: 60 });
    const result = await solver.evolve({ parameters: fit.parameters, points }, { t1: 0.2 });
    expect(result.status).toBe("success");
    runs.push({ fit, result });
  }
  solver.dispose();
  const [rough, smooth] = runs as [(typeof runs)[0], (typeof runs)[0]];
  expect(rough.fit.laplacianGuard.ok).toBe(false);
  expect(smooth.fit.laplacianGuard.ok).toBe(true);
  expect(rough.result.stats.rhsEvaluations).toBeGreaterThan(2 * smooth.result.stats.rhsEvaluations);
});
