/**
 * Exact-solution tests through the whole stack: the real `mlp` network, `dense`/`gaussian`
 * sketches and `dopri5` from their packages, composed by registry name by createSolver, with the
 * initial condition fitted by fitInitialCondition.
 *
 * Domains. The `mlp` ansatz is not periodic, and MNE imposes the equation at the collocation
 * points only: a truncated domain has no boundary condition, so u_θ drifts freely near its
 * edges (measured: error 5e-2 at the edge of [0, 2π] by t = 0.05, 4e-5 in the middle). The
 * periodic heat tests therefore place the collocation points on the period plus a margin D and
 * measure on held-out points of the central period, where the edges' influence is of order
 * erfc(D / 2√(κt)): 9e-6 in 1-D (D = 2π, κt = 1) and 7e-6 in 2-D (D = 2, κt = 0.1).
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { RandomStream } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import { createSolver, type EvolutionProgress } from "./index.js";
import { cellCentres, jitteredGrid, relativeL2 } from "./test-support/grids.js";
import { valuesAt } from "./test-support/evaluate.js";
import { gaussianOf, gaussianParameters, quadraticNetwork } from "./test-support/quadratic-network.js";
import { ouLogDensityEquation } from "./test-support/ou-log-density.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const twoPi = 2 * Math.PI;

describe("periodic heat equation ∂t u = κΔu from Fourier modes", () => {
  it("1-D: u₀ = sin x + ½cos 2x, relative L2 error < 1e-3 at t = 1 on held-out points", async () => {
    const solver = createSolver({
      tf,
      network: "mlp",
      networkOptions: { inputDim: 1, hiddenWidths: [16, 16], inputLengthScale: 3, fourierFeatures: { count: 12, scale: 3 } },
      sketch: "dense",
      integrator: "dopri5",
      integratorOptions: { rtol: 1e-6, atol: 1e-6 },
      equation: "heat",
      equationOptions: { diffusivity: 1 },
      seed: 1,
    });
    const u0 = (x: number) => Math.sin(x) + 0.5 * Math.cos(2 * x);
    const exact = (t: number, x: number) => Math.exp(-t) * Math.sin(x) + 0.5 * Math.exp(-4 * t) * Math.cos(2 * x);
    // Collocation on [−2π, 4π]: the central period plus a margin of one period each side.
    const points = cellCentres(-twoPi, 2 * twoPi, 240);
    const fitPoints = cellCentres(-twoPi, 2 * twoPi, 480, 0);
    const fit = await solver.fitInitialCondition({
      points: fitPoints,
      checkPoints: points,
      target: {
        value: (x) => u0(x[0] as number),
        gradient: (x) => [Math.cos(x[0] as number) - Math.sin(2 * (x[0] as number))],
        laplacian: (x) => -Math.sin(x[0] as number) - 2 * Math.cos(2 * (x[0] as number)),
      },
      weightDecay: 1e-8,
      maxIterations: 25,
    });
    expect(fit.valueRms).toBeLessThan(3e-4);
    expect(fit.laplacianGuard.ok).toBe(true);

    const progress: EvolutionProgress[] = [];
    const result = await solver.evolve({ parameters: fit.parameters, points }, { t1: 1, saveAt: [0.5], onProgress: (p) => progress.push(p) });
    solver.dispose();
    expect(result.status).toBe("success");
    expect(result.final.t).toBe(1);

    const heldOut = cellCentres(0, twoPi, 257, 0.37);
    for (const [t, parameters] of [
      [0.5, result.saved[0]!.parameters],
      [1, result.final.parameters],
    ] as const) {
      const u = await valuesAt(tf, solver.network, parameters, heldOut);
      const error = relativeL2(u, Array.from(heldOut, (x) => exact(t, x)));
      expect(error, `relative L2 error at t = ${t}`).toBeLessThan(1e-3);
    }
    // Progress reports every accepted step, with the diagnostics an app shows.
    expect(progress.length).toBe(result.stats.acceptedSteps);
    expect(progress.at(-1)!.t).toBe(1);
    for (const p of progress) {
      expect(p.stepSize).toBeGreaterThan(0);
      expect(p.effectiveRank).toBeGreaterThan(1);
      expect(p.effectiveRank).toBeLessThanOrEqual(240);
      expect(Number.isFinite(p.maxAbsRhs) && Number.isFinite(p.thetaDotNorm)).toBe(true);
    }
    // max|f| = max|Δu| decays like the solution (≈ 3 at t = 0 down to ≈ 0.4 at t = 1).
    expect(progress[0]!.maxAbsRhs).toBeGreaterThan(progress.at(-1)!.maxAbsRhs);
  });

  it("2-D: u₀ = sin x sin y with κ = 0.1, relative L2 error < 1e-3 at t = 1 on held-out points", async () => {
    const kappa = 0.1;
    const solver = createSolver({
      tf,
      network: "mlp",
      networkOptions: { inputDim: 2, hiddenWidths: [16, 16], inputLengthScale: 2, fourierFeatures: { count: 12, scale: 2 } },
      sketch: "dense",
      integrator: { name: "dopri5", options: { rtol: 1e-5, atol: 1e-5 } },
      equation: { name: "heat", options: { diffusivity: kappa } },
      seed: 1,
    });
    const u0 = (x: number, y: number) => Math.sin(x) * Math.sin(y);
    const margin = 2;
    const random = RandomStream.fromSeed(2);
    const points = jitteredGrid(-Math.PI - margin, twoPi + 2 * margin, 25, random);
    const fit = await solver.fitInitialCondition({
      points,
      target: { value: (x) => u0(x[0] as number, x[1] as number), laplacian: (x) => -2 * u0(x[0] as number, x[1] as number) },
      weightDecay: 1e-8,
      maxIterations: 40,
    });
    expect(fit.laplacianGuard.ok).toBe(true);
    const result = await solver.evolve({ parameters: fit.parameters, points }, { t1: 1 });
    solver.dispose();
    expect(result.status).toBe("success");

    const heldOut = new Float64Array(2 * 400);
    for (let i = 0; i < heldOut.length; i++) heldOut[i] = -Math.PI + twoPi * random.uniform();
    const u = await valuesAt(tf, solver.network, result.final.parameters, heldOut);
    const exact = Array.from({ length: 400 }, (_, i) => Math.exp(-2 * kappa) * u0(heldOut[2 * i] as number, heldOut[2 * i + 1] as number));
    expect(relativeL2(u, exact)).toBeLessThan(1e-3);
  });
});

describe("linear advection ∂t u = −c·∇u with a travelling solution", () => {
  for (const movePoints of [false, true]) {
    it(`u₀ = exp(−x²) travels to exp(−(x − t)²) (${movePoints ? "points moving with c" : "fixed points"})`, async () => {
      const solver = createSolver({
        tf,
        network: "mlp",
        networkOptions: { inputDim: 1, hiddenWidths: [16, 16], inputLengthScale: 2 },
        sketch: "dense",
        integrator: "dopri5",
        integratorOptions: { rtol: 1e-6, atol: 1e-6 },
        equation: "advection",
        equationOptions: { velocity: [1], movePoints },
        seed: 1,
      });
      const u0 = (x: number) => Math.exp(-x * x);
      const points = cellCentres(-4, 5, 150);
      const fit = await solver.fitInitialCondition({
        points: cellCentres(-4, 5, 300, 0),
        checkPoints: points,
        target: { value: (x) => u0(x[0] as number), laplacian: (x) => (4 * (x[0] as number) ** 2 - 2) * u0(x[0] as number) },
        weightDecay: 1e-8,
        maxIterations: 40,
      });
      expect(fit.valueRms).toBeLessThan(3e-4);
      const result = await solver.evolve({ parameters: fit.parameters, points }, { t1: 1 });
      solver.dispose();
      expect(result.status).toBe("success");
      // Moving points travel exactly with c; fixed points stay put.
      const shift = movePoints ? 1 : 0;
      for (let i = 0; i < points.length; i++) expect(result.final.points[i]).toBeCloseTo((points[i] as number) + shift, 6);

      const heldOut = cellCentres(-2, 4, 301, 0.37);
      const u = await valuesAt(tf, solver.network, result.final.parameters, heldOut);
      expect(relativeL2(u, Array.from(heldOut, (x) => u0(x - 1)))).toBeLessThan(1e-3);
    });
  }
});

describe("Ornstein–Uhlenbeck log-density on a Gaussian with the quadratic ansatz", () => {
  it("reproduces N(e⁻ᵗm, e⁻²ᵗS + (1 − e⁻²ᵗ)I) to 1e-6, with the log-density carried along the flow", async () => {
    const d = 2;
    const mean = [1, -0.5];
    const covariance = [
      [0.5, 0.2],
      [0.2, 0.8],
    ];
    const solver = createSolver({
      tf,
      network: quadraticNetwork(d),
      sketch: { name: "gaussian", options: { sketchSize: 20, regularisation: { kind: "relative-trace", epsilon: 1e-10 } } },
      integrator: "dopri5",
      integratorOptions: { rtol: 1e-8, atol: 1e-8 },
      equation: ouLogDensityEquation(),
      seed: 3,
    });
    // Points: exact samples of N(m, S) through its Cholesky factor.
    const random = RandomStream.fromSeed(5);
    const numPoints = 100;
    const points = new Float64Array(numPoints * d);
    const l11 = Math.sqrt(0.5);
    const l21 = 0.2 / l11;
    const l22 = Math.sqrt(0.8 - l21 * l21);
    for (let i = 0; i < numPoints; i++) {
      const z0 = random.normal();
      const z1 = random.normal();
      points[2 * i] = (mean[0] as number) + l11 * z0;
      points[2 * i + 1] = (mean[1] as number) + l21 * z0 + l22 * z1;
    }
    const logDensity = (theta: Float64Array, x: ArrayLike<number>) => quadraticNetwork(d).referenceValues!(theta, Float64Array.from(x), 1)[0] as number;
    const exact0 = gaussianParameters(mean, covariance);

    // The quadratic ansatz contains the Gaussian, so the unregularised fit from θ = 0 is exact.
    const fit = await solver.fitInitialCondition({
      parameters: new Float64Array(solver.network.numParameters),
      points,
      target: { value: (x) => logDensity(exact0, x) },
      weightDecay: 0,
      maxIterations: 20,
    });
    const initial = gaussianOf(fit.parameters, d);
    for (let i = 0; i < d; i++) {
      expect(Math.abs((initial.mean[i] as number) - (mean[i] as number))).toBeLessThan(1e-6);
      for (let j = 0; j < d; j++) expect(Math.abs(initial.covariance[i]![j]! - covariance[i]![j]!)).toBeLessThan(1e-6);
    }

    const extra = { logDensity: Array.from({ length: numPoints }, (_, i) => logDensity(exact0, points.subarray(2 * i, 2 * i + 2))) };
    const result = await solver.evolve({ parameters: fit.parameters, points, extra }, { t1: 1, saveAt: [0.25, 0.5] });
    solver.dispose();
    expect(result.status).toBe("success");
    for (const snapshot of [...result.saved, result.final]) {
      const a = Math.exp(-snapshot.t);
      const exactMean = mean.map((m) => a * m);
      const exactCovariance = covariance.map((row, i) => row.map((s, j) => a * a * s + (i === j ? 1 - a * a : 0)));
      const model = gaussianOf(snapshot.parameters, d);
      for (let i = 0; i < d; i++) {
        expect(Math.abs((model.mean[i] as number) - (exactMean[i] as number)), `mean ${i} at t = ${snapshot.t}`).toBeLessThan(1e-6);
        for (let j = 0; j < d; j++) {
          expect(Math.abs(model.covariance[i]![j]! - exactCovariance[i]![j]!), `covariance ${i}${j} at t = ${snapshot.t}`).toBeLessThan(1e-6);
        }
      }
      // The log-density carried along the probability flow is the exact log ρ_t at the moved points.
      const exactTheta = gaussianParameters(exactMean, exactCovariance);
      const carried = snapshot.extra.logDensity!;
      for (let i = 0; i < numPoints; i++) {
        expect(Math.abs((carried[i] as number) - logDensity(exactTheta, snapshot.points.subarray(2 * i, 2 * i + 2)))).toBeLessThan(1e-5);
      }
    }
  });
});
