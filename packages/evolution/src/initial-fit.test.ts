/**
 * The Levenberg–Marquardt initial-condition fit: exactness on a linear model (both the primal
 * and the dual Woodbury solve, against the float64 ridge solution), the weight decay's effect
 * on the derivatives and the guard that flags a rough fit, gradient fitting, and input checks.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, RandomStream, isMinevoError, registries, solveLinear, denseMatrix } from "@minevo/core";
import "@minevo/networks";
import { fitInitialCondition, type InitialConditionTarget } from "./index.js";
import { backendGram } from "./initial-fit.js";
import { gramOfColumns, gramOfRows } from "@minevo/core";
import { quadraticNetwork } from "./test-support/quadratic-network.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** The ridge solution (ΦᵀΦ + νN I)⁻¹Φᵀg of the quadratic ansatz's linear least squares, float64. */
function ridgeSolution(points: Float64Array, numPoints: number, target: (x: Float64Array) => number, nu: number): Float64Array {
  const network = quadraticNetwork(2);
  const p = network.numParameters;
  const phi = new Float64Array(numPoints * p);
  for (let k = 0; k < p; k++) {
    const e = new Float64Array(p);
    e[k] = 1;
    const column = network.referenceValues!(e, points, numPoints);
    for (let i = 0; i < numPoints; i++) phi[i * p + k] = column[i] as number;
  }
  const normal = new Float64Array(p * p);
  const rhs = new Float64Array(p);
  for (let i = 0; i < numPoints; i++) {
    const g = target(points.subarray(2 * i, 2 * i + 2));
    for (let a = 0; a < p; a++) {
      rhs[a] = (rhs[a] as number) + (phi[i * p + a] as number) * g;
      for (let b = 0; b < p; b++) normal[a * p + b] = (normal[a * p + b] as number) + (phi[i * p + a] as number) * (phi[i * p + b] as number);
    }
  }
  for (let a = 0; a < p; a++) normal[a * p + a] = (normal[a * p + a] as number) + nu * numPoints;
  return solveLinear(denseMatrix(p, p, normal), rhs);
}

describe("fitInitialCondition", () => {
  const target = (x: Float64Array) => 0.3 + (x[0] as number) - 0.5 * (x[1] as number) - 0.4 * (x[0] as number) ** 2 + 0.2 * (x[0] as number) * (x[1] as number) - 0.7 * (x[1] as number) ** 2 + Math.sin(x[0] as number);

  for (const [numPoints, path, gramPrecision, dampingUpdate] of [
    [40, "primal p×p", "float64", "fixed-factors"],
    [4, "dual N×N (Woodbury)", "float64", "fixed-factors"],
    [40, "primal p×p, float32 Gram on the backend", "float32", "fixed-factors"],
    [4, "dual N×N, float32 Gram on the backend", "float32", "fixed-factors"],
    [40, "primal p×p, gain-ratio damping", "float64", "gain-ratio"],
    [4, "dual N×N, gain-ratio damping", "float64", "gain-ratio"],
  ] as const) {
    it(`converges to the float64 ridge solution of a linear model (${path})`, async () => {
      const points = RandomStream.fromSeed(7).normals(2 * numPoints);
      const nu = 1e-2;
      const report = await fitInitialCondition({
        tf,
        network: quadraticNetwork(2),
        parameters: new Float64Array(6),
        points,
        target: { value: target },
        weightDecay: nu,
        maxIterations: 50,
        gramPrecision,
        dampingUpdate,
      });
      const exact = ridgeSolution(points, numPoints, target, nu);
      // One factorisation per trial: at least one per iteration, and the timings add up.
      expect(report.trials).toBeGreaterThanOrEqual(report.iterations);
      const t = report.timings;
      expect(t.jacobian + t.gram + t.solve + t.residuals).toBeLessThanOrEqual(t.total + 1e-9);
      for (let k = 0; k < 6; k++) expect(Math.abs((report.parameters[k] as number) - (exact[k] as number))).toBeLessThan(2e-5);
      expect(report.stopReason).not.toBe("max_iterations");
      expect(report.warnings.some((w) => w.includes("iterations"))).toBe(false);
    });
  }

  it("flags a fit without weight decay whose Laplacian is far off, and passes it with weight decay", async () => {
    // Values with a rough component (amplitude 0.1, frequency far above the point spacing) on top
    // of sin x, whose Laplacian the formula gives: unregularised, the fit chases the rough part
    // through every point and its curvature is far from the formula's; weight decay ignores it.
    const network = registries.network.create("mlp", { inputDim: 1, hiddenWidths: [24, 24] });
    const points = Float64Array.from({ length: 40 }, (_, i) => -3 + (6 * (i + 0.5)) / 40);
    const target: InitialConditionTarget = {
      value: (x) => Math.sin(x[0] as number) + 0.1 * Math.sin(1000 * (x[0] as number)),
      laplacian: (x) => -Math.sin(x[0] as number),
    };
    const start = network.initialParameters(RandomStream.fromSeed(4));
    const rough = await fitInitialCondition({ tf, network, parameters: start, points, target, weightDecay: 0, maxIterations: 60 });
    const smooth = await fitInitialCondition({ tf, network, parameters: start, points, target, weightDecay: 1e-3, maxIterations: 60 });
    expect(rough.valueRms).toBeLessThan(1e-2);
    expect(rough.laplacianGuard.ok).toBe(false);
    expect(rough.laplacianGuard.ratio).toBeGreaterThan(2);
    expect(rough.laplacianGuard.ratio).toBeCloseTo(rough.laplacianGuard.modelMaxAbs / rough.laplacianGuard.targetMaxAbs!, 12);
    expect(rough.warnings.join(" ")).toMatch(/derivative guard: max\|Δu_θ\| = .* against max\|Δg\|/);
    expect(smooth.laplacianGuard.ok).toBe(true);
    expect(smooth.warnings.join(" ")).not.toMatch(/derivative guard/);
    expect(smooth.laplacianRms!).toBeLessThan(rough.laplacianRms! / 5);
    expect(smooth.parameterNorm).toBeLessThan(rough.parameterNorm);
  });

  it("fits gradients too when asked, lowering the gradient error", async () => {
    const network = registries.network.create("mlp", { inputDim: 1, hiddenWidths: [12, 12] });
    const points = Float64Array.from({ length: 30 }, (_, i) => -3 + (6 * i) / 29);
    const target: InitialConditionTarget = {
      value: (x) => Math.sin(2 * (x[0] as number)),
      gradient: (x) => [2 * Math.cos(2 * (x[0] as number))],
    };
    const start = network.initialParameters(RandomStream.fromSeed(5));
    const common = { tf, network, parameters: start, points, target, weightDecay: 1e-6, maxIterations: 40 };
    const valuesOnly = await fitInitialCondition(common);
    const withGradients = await fitInitialCondition({ ...common, fitGradients: true });
    expect(withGradients.gradientRelativeRms!).toBeLessThan(valuesOnly.gradientRelativeRms!);
    expect(withGradients.gradientRelativeRms!).toBeLessThan(1e-2);
    expect(withGradients.valueRms).toBeLessThan(1e-2);
  });

  it("forms the backend Gram matrix in row blocks (size > 512) equal to the float64 one to float32 rounding", async () => {
    for (const [rows, p, primal] of [
      [530, 520, true],
      [520, 530, false],
      [300, 200, true],
    ] as const) {
      const jacobian = RandomStream.fromSeed(`gram-${rows}-${p}`).normals(rows * p);
      const got = await backendGram(tf, jacobian, rows, p, primal);
      const want = primal ? gramOfColumns({ rows, cols: p, data: jacobian }) : gramOfRows({ rows, cols: p, data: jacobian });
      const size = primal ? p : rows;
      expect(got.rows).toBe(size);
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < size * size; i++) scale = Math.max(scale, Math.abs(want.data[i] as number));
      for (let a = 0; a < size; a++) {
        for (let b = 0; b < size; b++) {
          worst = Math.max(worst, Math.abs((got.data[a * size + b] as number) - (want.data[a * size + b] as number)));
          expect(got.data[a * size + b]).toBe(got.data[b * size + a]);
        }
      }
      expect(worst / scale).toBeLessThan(1e-5);
    }
  });

  for (const gramPrecision of ["float64", "float32"] as const) {
    it(`treats a system that is not positive definite as a rejected trial, raising μ (${gramPrecision} Gram)`, async () => {
      // Points on the line y = x make the columns of x and y (and of x², xy, y²) equal: JᵀJ has
      // rank 3 of 6, and with ν = μ₀ = 0 the first LM system is singular.
      const numPoints = 30;
      const line = RandomStream.fromSeed(11).normals(numPoints);
      const points = new Float64Array(2 * numPoints);
      for (let i = 0; i < numPoints; i++) points[2 * i] = points[2 * i + 1] = line[i] as number;
      const onLine = (x: Float64Array) => 0.5 + 2 * (x[0] as number) - 0.25 * (x[0] as number) ** 2;
      const report = await fitInitialCondition({
        tf,
        network: quadraticNetwork(2),
        parameters: new Float64Array(6),
        points,
        target: { value: onLine },
        weightDecay: 0,
        initialDamping: 0,
        maxIterations: 30,
        gramPrecision,
      });
      expect(report.warnings.some((w) => /not positive definite in float64 and were rejected/.test(w))).toBe(true);
      // The target restricted to the line is in the model class: the fit still reaches it.
      expect(report.valueRms).toBeLessThan(1e-4);
      expect(report.finalDamping).toBeGreaterThan(0);
    });
  }

  it("weight decay in the function's units: length scales of the explicit terms leave the fit alone", async () => {
    // The same functions, parametrised with ℓ_q = 3 and ℓ_r = 2 (their coefficients stored ×9 and ×16):
    // with the decay on sθ (s = parameterScales) the fitted functions agree; a decay on the stored θ
    // would shrink the explicit terms' coefficients 81 and 256 times harder.
    const options = (lq: number, lr: number) => ({ inputDim: 2, hiddenWidths: [6], quadratic: { form: "diagonal" as const, initial: 0.5, lengthScale: lq }, quartic: { initial: 0.1, lengthScale: lr } });
    const plain = registries.network.create("mlp", options(1, 1));
    const scaled = registries.network.create("mlp", options(3, 2));
    expect(plain.parameterScales).toBeUndefined();
    const q = scaled.parameterLayout.find((b) => b.name === "quadratic")!;
    const r = scaled.parameterLayout.find((b) => b.name === "quartic")!;
    expect(Array.from(scaled.parameterScales!.subarray(q.offset, q.offset + q.size))).toEqual([1 / 9, 1 / 9]);
    expect(Array.from(scaled.parameterScales!.subarray(r.offset, r.offset + r.size))).toEqual([1 / 16, 1 / 16]);
    expect(scaled.parameterScales![0]).toBe(1);
    const points = RandomStream.fromSeed(31).normals(2 * 60).map((v) => 1.5 * v);
    // A double well in x₁ and a Gaussian in x₂: the quartic and quadratic terms carry most of it.
    const target = { value: (x: Float64Array) => -((x[0] as number) ** 4) + 2 * (x[0] as number) ** 2 - 0.5 * (x[1] as number) ** 2 };
    const fit = (network: typeof plain) =>
      fitInitialCondition({ tf, network, parameters: network.initialParameters(RandomStream.fromSeed(32)), points, target, weightDecay: 1e-2, maxIterations: 40, tolerance: 0 });
    const [a, b] = [await fit(plain), await fit(scaled)];
    const ua = plain.referenceValues!(a.parameters, points, 60);
    const ub = scaled.referenceValues!(b.parameters, points, 60);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < 60; i++) {
      worst = Math.max(worst, Math.abs((ua[i] as number) - (ub[i] as number)));
      scale = Math.max(scale, Math.abs(ua[i] as number));
    }
    expect(worst).toBeLessThan(1e-3 * scale);
    // The same natural-unit coefficients: r stored ×16.
    expect(b.parameters[r.offset]! / 16).toBeCloseTo(a.parameters[r.offset]!, 3);
  });

  it("checks its inputs", async () => {
    const network = quadraticNetwork(2);
    const base = { tf, network, parameters: new Float64Array(6), points: new Float64Array([0, 1, 2, 3]), target: { value: () => 1 } };
    await expect(fitInitialCondition({ ...base, parameters: new Float64Array(5) })).rejects.toThrow(/p = 6/);
    await expect(fitInitialCondition({ ...base, points: new Float64Array(3) })).rejects.toThrow(/multiple of d \+ c = 2/);
    await expect(fitInitialCondition({ ...base, weightDecay: -1 })).rejects.toThrow(/weightDecay = -1/);
    await expect(fitInitialCondition({ ...base, fitGradients: true })).rejects.toThrow(/needs target.gradient/);
    await expect(fitInitialCondition({ ...base, dampingUpdate: "nielsen" as never })).rejects.toThrow(/dampingUpdate = "nielsen"/);
    const nonFinite = fitInitialCondition({ ...base, target: { value: (x) => (x[0] === 2 ? Number.NaN : 1) } });
    await expect(nonFinite).rejects.toSatisfy((e: unknown) => isMinevoError(e, ErrorCode.NonFinite) && /point 1/.test((e as Error).message));
  });

  it("leaves no tensors behind", async () => {
    const network = registries.network.create("mlp", { inputDim: 1, hiddenWidths: [4] });
    const before = tf.memory().numTensors;
    await fitInitialCondition({
      tf,
      network,
      parameters: network.initialParameters(RandomStream.fromSeed(1)),
      points: Float64Array.from({ length: 10 }, (_, i) => i / 3),
      target: { value: (x) => Math.cos(x[0] as number), gradient: (x) => [-Math.sin(x[0] as number)], laplacian: (x) => -Math.cos(x[0] as number) },
      fitGradients: true,
      maxIterations: 5,
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
