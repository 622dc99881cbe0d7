import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, RandomStream, isMinevoError, registries } from "@minevo/core";
import { formatConformanceReport, runNetworkConformance } from "./conformance/index.js";
import { MlpNetwork, activationNames, mlp, mlpOptionsSchema, quadraticForms, type MlpOptionsInput } from "./index.js";
import { erf } from "./erf.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

async function expectConformance(options: MlpOptionsInput, referencePrecision?: "float32") {
  const network = registries.network.create("mlp", options);
  const report = await runNetworkConformance(network, tf, { seed: 3, ...(referencePrecision ? { referencePrecision } : {}) });
  if (!report.passed) console.log(formatConformanceReport(report));
  expect(report.checks.filter((c) => !c.passed).map((c) => c.name)).toEqual([]);
  // float32 mode has no separate value check: the reference is the network's own float32 value.
  expect(report.checks).toHaveLength(referencePrecision === "float32" ? 11 : 12);
  if (process.env.CONFORMANCE_LOG) console.log(formatConformanceReport(report));
  return report;
}

describe("mlp: every option combination passes the conformance suite", () => {
  for (const activation of activationNames) {
    it(`plain ${activation}`, async () => {
      await expectConformance({ inputDim: 2, hiddenWidths: [6, 5], activation });
    });
    it(`${activation} with every option at once (residual, Fourier, quadratic, envelope, conditioning)`, async () => {
      await expectConformance({
        inputDim: 3,
        conditionDim: 2,
        hiddenWidths: [6, 6, 6],
        activation,
        residual: true,
        inputLengthScale: 1.5,
        fourierFeatures: { count: 4, scale: 1.2, seed: 7 },
        quadratic: { form: "symmetric", initial: 0.5 },
        quartic: { initial: 0.2 },
        gaussianEnvelope: { width: 2 },
      });
    });
  }
  it("the recipe network (d = 2, quadratic, inputs halved)", async () => {
    await expectConformance({ inputDim: 2, hiddenWidths: [8, 8], inputLengthScale: 2, quadratic: {} });
  });
  it("residual connections", async () => {
    await expectConformance({ inputDim: 2, hiddenWidths: [5, 5, 5, 4, 4], residual: true, activation: "softplus" });
  });
  it("the asinh input warp, alone and with conditioning, a quadratic and the hierarchical term", async () => {
    // ℓ = 0.3 puts the conformance points (|x| ~ 1) where asinh is far from linear.
    await expectConformance({ inputDim: 2, hiddenWidths: [6, 5], inputLengthScale: 0.3, inputWarp: "asinh" });
    await expectConformance({ inputDim: 3, conditionDim: 1, hiddenWidths: [5], inputLengthScale: 0.3, inputWarp: "asinh", activation: "softplus" });
    await expectConformance({ inputDim: 3, hiddenWidths: [5, 5], residual: true, inputWarp: "asinh", inputLengthScale: 0.5, quadratic: { form: "symmetric", learnable: true, initial: 1 }, hierarchical: { initial: 0.5 } });
  });
  it("radial features ½ log(1 + |x_G|²/ℓ²): conformance alone, with the warp, conditioning, a quadratic and the hierarchical term", async () => {
    // ℓ = 0.4 and two groups (one of them a single coordinate) put the points where ψ is far from quadratic.
    await expectConformance({ inputDim: 3, hiddenWidths: [6, 5], radialFeatures: { groups: [[1, 2], [0]], lengthScale: 0.4 } });
    await expectConformance({ inputDim: 3, conditionDim: 1, hiddenWidths: [5], inputWarp: "asinh", inputLengthScale: 0.5, radialFeatures: { groups: [[0, 1, 2]] }, activation: "softplus" });
    await expectConformance({
      inputDim: 4,
      hiddenWidths: [5, 5],
      residual: true,
      radialFeatures: { groups: [[1, 2, 3]], lengthScale: 0.5 },
      quadratic: { form: "symmetric", learnable: true, initial: 1 },
      hierarchical: { initial: [0, 1, 1, 1], initialWeights: [1, 0, 0, 0], initialFloor: 0.1 },
    });
  });
  it("a radial feature is ½ log(1 + |x_G|²/ℓ²) to the first layer, and bad groups are refused", () => {
    const network = new MlpNetwork(mlpOptionsSchema.parse({ inputDim: 3, hiddenWidths: [1], activation: "sin", radialFeatures: { groups: [[1, 2]], lengthScale: 2 } }));
    const weight = network.parameterLayout.find((b) => b.name === "hidden0.weight")!;
    expect(weight.shape).toEqual([4, 1]);
    // The unit reads ψ alone (its x rows zeroed), and the output copies the unit: u = sin(ψ).
    const theta = new Float64Array(network.numParameters);
    theta[weight.offset + 3] = 1;
    theta[network.parameterLayout.find((b) => b.name === "output.weight")!.offset] = 1;
    const points = Float64Array.from([5, 1, 2, -3, 0, 0.5]);
    const values = network.referenceValues(theta, points, 2);
    expect(values[0]).toBeCloseTo(Math.sin(0.5 * Math.log(1 + 5 / 4)), 14);
    expect(values[1]).toBeCloseTo(Math.sin(0.5 * Math.log(1 + 0.25 / 4)), 14);
    const configure = (radialFeatures: unknown) => () => registries.network.configure("mlp", { inputDim: 3, radialFeatures }).create();
    expect(configure({ groups: [[0, 3]] })).toThrow(/radialFeatures.groups\[0\] names coordinate 3, but the diffused coordinates are 0…2/);
    expect(configure({ groups: [[1, 1]] })).toThrow(/radialFeatures.groups\[0\] names coordinate 1 twice/);
    expect(configure({ groups: [] })).toThrow();
    expect(() => registries.network.configure("mlp", { inputDim: 2, radialFeatures: { groups: [[0]] }, fourierFeatures: { count: 2 } }).create()).toThrow(
      /radialFeatures and fourierFeatures cannot be combined/,
    );
  });
  it("refuses the input warp with Fourier features", () => {
    expect(() => registries.network.configure("mlp", { inputDim: 2, inputWarp: "asinh", fourierFeatures: { count: 2 } }).create()).toThrow(/inputWarp "asinh" and fourierFeatures cannot be combined/);
  });
  it("Fourier features alone", async () => {
    await expectConformance({ inputDim: 2, hiddenWidths: [6], fourierFeatures: { count: 5, scale: 2 } });
  });
  for (const form of quadraticForms) {
    it(`learnable ${form} quadratic term`, async () => {
      await expectConformance({ inputDim: 3, hiddenWidths: [5], quadratic: { form, initial: 0.3 } });
    });
  }
  it("quadratic term with a length scale: conformance, the same function as ℓ_q = 1, and Jacobian columns ÷ ℓ_q²", async () => {
    await expectConformance({ inputDim: 3, hiddenWidths: [5], quadratic: { form: "symmetric", initial: 0.3, lengthScale: 4 } });
    await expectConformance({ inputDim: 2, hiddenWidths: [4], quadratic: { learnable: false, initial: 0.7, lengthScale: 3 } });
    const plain = new MlpNetwork(mlpOptionsSchema.parse({ inputDim: 2, hiddenWidths: [3], quadratic: { initial: 0.5 } }));
    const scaled = new MlpNetwork(mlpOptionsSchema.parse({ inputDim: 2, hiddenWidths: [3], quadratic: { initial: 0.5, lengthScale: 10 } }));
    const theta = plain.initialParameters(RandomStream.fromSeed(1));
    const block = scaled.parameterLayout.find((b) => b.name === "quadratic")!;
    const thetaScaled = Float64Array.from(theta);
    for (let k = 0; k < block.size; k++) thetaScaled[block.offset + k] = (theta[block.offset + k] as number) * 100;
    // initial keeps its meaning in x's units: P = 0.5·I stored as 50 on the diagonal.
    expect(Array.from(scaled.initialParameters(RandomStream.fromSeed(1)).subarray(block.offset, block.offset + block.size))).toEqual(
      Array.from(theta.subarray(block.offset, block.offset + block.size), (v) => v * 100),
    );
    const x = Float64Array.of(1.5, -2, 30, 7);
    const [a, b] = [plain.referenceValues(theta, x, 2), scaled.referenceValues(thetaScaled, x, 2)];
    for (let j = 0; j < 2; j++) expect(b[j]).toBeCloseTo(a[j] as number, 9);
    const points = tf.tensor2d(Float32Array.from(x), [2, 2]);
    const columns = async (network: MlpNetwork, parameters: Float64Array) => {
      const evaluation = network.evaluate(tf, parameters, points, { jacobian: true });
      const dense = evaluation.jacobian!.dense();
      const values = await dense.data();
      dense.dispose();
      evaluation.dispose();
      return Array.from({ length: 2 * block.size }, (_, k) => values[Math.floor(k / block.size) * network.numParameters + block.offset + (k % block.size)] as number);
    };
    const [plainColumns, scaledColumns] = [await columns(plain, theta), await columns(scaled, thetaScaled)];
    plainColumns.forEach((c, k) => expect(scaledColumns[k]).toBeCloseTo(c / 100, 4));
    points.dispose();
  });
  it("learnable quartic term, with a diagonal quadratic (the many-well network's form)", async () => {
    await expectConformance({ inputDim: 3, hiddenWidths: [5], quadratic: { form: "diagonal", initial: -0.5 }, quartic: { initial: 0.3 } });
  });
  it("hierarchical term −½ Σ qᵢxᵢ² / (e^{vᵀx+c} + e^k): conformance, alone and with every other term", async () => {
    await expectConformance({ inputDim: 3, hiddenWidths: [5], hierarchical: { initial: 0.4, initialWeights: [0.8, -0.3, 0.2] } });
    // Large |vᵀx| (the variance spanning e^{±6} over the points): the overflow-free form keeps it exact.
    await expectConformance({ inputDim: 2, hiddenWidths: [4], hierarchical: { initial: 1, initialWeights: [3, 0] } });
    await expectConformance({
      inputDim: 3,
      conditionDim: 1,
      hiddenWidths: [5, 5],
      residual: true,
      quadratic: { form: "diagonal", initial: 0.3 },
      quartic: { initial: 0.1 },
      gaussianEnvelope: { width: 2 },
      hierarchical: { initial: 0.5 },
    });
  });
  it("the hierarchical term alone is the funnel's conditional log-density, and refuses weights of the wrong length", () => {
    const network = new MlpNetwork(mlpOptionsSchema.parse({ inputDim: 3, hiddenWidths: [3], hierarchical: {} }));
    const block = network.parameterLayout.find((b) => b.name === "hierarchical")!;
    expect(block.size).toBe(8);
    // q = (0, 1, 1), v = e₀, c = 0, k = log 0.04: −½(x₁² + x₂²)/(e^{x₀} + 0.04), the MLP part zeroed.
    const theta = new Float64Array(network.numParameters);
    theta.set([0, 1, 1, 1, 0, 0, 0, Math.log(0.04)], block.offset);
    const points = Float64Array.from([-5, 0.1, -0.2, 0, 1, 2, 6, 30, -15]);
    const values = network.referenceValues(theta, points, 3);
    for (let j = 0; j < 3; j++) {
      const [x0, x1, x2] = [points[3 * j]!, points[3 * j + 1]!, points[3 * j + 2]!];
      expect(values[j]).toBeCloseTo((-0.5 * (x1 * x1 + x2 * x2)) / (Math.exp(x0) + 0.04), 12);
    }
    const evaluation = network.evaluate(tf, theta, tf.tensor2d(Float32Array.from(points), [3, 3]), { value: true });
    const float32 = evaluation.value!.dataSync();
    evaluation.dispose();
    for (let j = 0; j < 3; j++) expect(Math.abs(float32[j]! - values[j]!)).toBeLessThan(1e-5 * (1 + Math.abs(values[j]!)));
    expect(() => new MlpNetwork(mlpOptionsSchema.parse({ inputDim: 3, hiddenWidths: [3], hierarchical: { initialWeights: [1, 0] } }))).toThrow(
      /hierarchical.initialWeights must have one value per diffused coordinate \(d = 3\), got 2/,
    );
  });
  it("the hierarchical term starts where its options say: q per coordinate, w, c and the floor e^k", async () => {
    const options = { inputDim: 3, hiddenWidths: [3], hierarchical: { initial: [0, 1, 0.5], initialWeights: [1, 0, 0], initialLogScale: -0.5, initialFloor: 0.04 } };
    const network = new MlpNetwork(mlpOptionsSchema.parse(options));
    const block = network.parameterLayout.find((b) => b.name === "hierarchical")!;
    const start = Array.from(network.initialParameters(RandomStream.fromSeed(3)).subarray(block.offset, block.offset + block.size));
    expect(start).toEqual([0, 1, 0.5, 1, 0, 0, -0.5, Math.log(0.04)]);
    // The defaults: every q at the one value, w = 0, c = 0, k = 0.
    const plain = new MlpNetwork(mlpOptionsSchema.parse({ inputDim: 3, hiddenWidths: [3], hierarchical: { initial: 0.25 } }));
    expect(Array.from(plain.initialParameters(RandomStream.fromSeed(3)).subarray(block.offset, block.offset + block.size))).toEqual([0.25, 0.25, 0.25, 0, 0, 0, 0, 0]);
    await expectConformance(options);
    expect(() => new MlpNetwork(mlpOptionsSchema.parse({ inputDim: 3, hiddenWidths: [3], hierarchical: { initial: [0, 1] } }))).toThrow(
      /hierarchical.initial must be one number or one value per diffused coordinate \(d = 3\), got 2 values/,
    );
    expect(() => mlpOptionsSchema.parse({ inputDim: 3, hierarchical: { initialFloor: 0 } })).toThrow(/initialFloor/);
  });
  it("the quartic term alone carries −¼ Σ rᵢxᵢ⁴ exactly when the MLP part is zeroed", () => {
    const network = new MlpNetwork(mlpOptionsSchema.parse({ inputDim: 2, hiddenWidths: [3], quartic: { initial: 0 } }));
    const theta = new Float64Array(network.numParameters);
    const block = network.parameterLayout.find((b) => b.name === "quartic")!;
    expect(block.size).toBe(2);
    theta[block.offset] = 4;
    theta[block.offset + 1] = 0.5;
    const [u] = network.referenceValues(theta, Float64Array.of(1.5, -2), 1);
    expect(u).toBeCloseTo(-0.25 * (4 * 1.5 ** 4 + 0.5 * 16), 12);
  });
  it("quartic term with a length scale: conformance, the same function as ℓ_r = 1, and Jacobian columns ÷ ℓ_r⁴", async () => {
    await expectConformance({ inputDim: 3, hiddenWidths: [5], quadratic: { form: "diagonal", initial: -0.5 }, quartic: { initial: 0.3, lengthScale: 2 } });
    const plain = new MlpNetwork(mlpOptionsSchema.parse({ inputDim: 2, hiddenWidths: [3], quartic: { initial: 0.5 } }));
    const scaled = new MlpNetwork(mlpOptionsSchema.parse({ inputDim: 2, hiddenWidths: [3], quartic: { initial: 0.5, lengthScale: 3 } }));
    const theta = plain.initialParameters(RandomStream.fromSeed(2));
    const block = scaled.parameterLayout.find((b) => b.name === "quartic")!;
    // initial keeps its meaning in x's units: r = 0.5 stored as 0.5·3⁴ = 40.5.
    const thetaScaled = scaled.initialParameters(RandomStream.fromSeed(2));
    expect(Array.from(thetaScaled.subarray(block.offset, block.offset + block.size))).toEqual([40.5, 40.5]);
    const x = Float64Array.of(1.5, -2, 3, 0.7);
    const [a, b] = [plain.referenceValues(theta, x, 2), scaled.referenceValues(thetaScaled, x, 2)];
    for (let j = 0; j < 2; j++) expect(b[j]).toBeCloseTo(a[j] as number, 9);
    const points = tf.tensor2d(Float32Array.from(x), [2, 2]);
    const quarticColumns = async (network: MlpNetwork, parameters: Float64Array) => {
      const evaluation = network.evaluate(tf, parameters, points, { jacobian: true, value: true });
      const dense = evaluation.jacobian!.dense();
      const values = await dense.data();
      const u = await evaluation.value!.data();
      dense.dispose();
      evaluation.dispose();
      return { u: Array.from(u), columns: Array.from({ length: 2 * block.size }, (_, k) => values[Math.floor(k / block.size) * network.numParameters + block.offset + (k % block.size)] as number) };
    };
    const [p0, p1] = [await quarticColumns(plain, theta), await quarticColumns(scaled, thetaScaled)];
    p0.columns.forEach((c, k) => expect(p1.columns[k]).toBeCloseTo(c / 81, 5));
    p0.u.forEach((u, j) => expect(p1.u[j]).toBeCloseTo(u, 4));
    points.dispose();
  });
  it("fixed quadratic term (no parameters)", async () => {
    await expectConformance({ inputDim: 2, hiddenWidths: [5], quadratic: { learnable: false, initial: 1 } });
  });
  it("Gaussian envelope alone", async () => {
    await expectConformance({ inputDim: 2, hiddenWidths: [6, 6], gaussianEnvelope: { width: 0.8 }, activation: "swish" });
  });
  it("conditioning inputs, d = 1 and c = 3", async () => {
    await expectConformance({ inputDim: 1, conditionDim: 3, hiddenWidths: [6, 6], activation: "gelu" });
  });
  it("higher dimension (d = 12) with a symmetric quadratic", async () => {
    await expectConformance({ inputDim: 12, hiddenWidths: [6, 6], quadratic: { initial: 1 } });
  });
  it("the float32 finite-difference mode of the suite also accepts the mlp", async () => {
    const report = await expectConformance({ inputDim: 2, hiddenWidths: [6, 6], quadratic: {}, gaussianEnvelope: { width: 3 } }, "float32");
    expect(report.referencePrecision).toBe("float32");
  });
});

describe("mlp: layout and initialisation", () => {
  it("the recipe network has p = 1188 parameters, in the documented blocks", () => {
    const network = registries.network.create("mlp", { inputDim: 2, inputLengthScale: 2, quadratic: {} });
    expect(network.numParameters).toBe(1188);
    expect(network.parameterLayout.map((b) => [b.name, b.shape])).toEqual([
      ["hidden0.weight", [2, 32]],
      ["hidden0.bias", [32]],
      ["hidden1.weight", [32, 32]],
      ["hidden1.bias", [32]],
      ["output.weight", [32]],
      ["output.bias", []],
      ["quadratic", [3]],
    ]);
  });

  function sampleStd(values: Float64Array): number {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  }

  it("draws weights with the scheme's variance and biases, output and quadratic as configured", () => {
    for (const [weights, variance] of [
      ["lecun", 1 / 150],
      ["xavier", 2 / (150 + 200)],
      ["he", 2 / 150],
    ] as const) {
      const network = new MlpNetwork(
        mlp.parseOptions({
          inputDim: 2,
          hiddenWidths: [150, 200],
          quadratic: { form: "diagonal", initial: 0.25 },
          initialization: { weights, firstBiasStd: 0.5, hiddenBiasStd: 0.2, outputScale: 0.3 },
        }),
      );
      const theta = network.initialParameters(RandomStream.fromSeed(11));
      const block = (name: string) => {
        const b = network.parameterLayout.find((x) => x.name === name)!;
        return theta.subarray(b.offset, b.offset + b.size);
      };
      // 30 000 draws: the sample standard deviation is within 2 % of the true one with overwhelming probability.
      expect(sampleStd(block("hidden1.weight")) / Math.sqrt(variance)).toBeCloseTo(1, 1);
      expect(Math.abs(sampleStd(block("hidden1.weight")) / Math.sqrt(variance) - 1)).toBeLessThan(0.02);
      expect(Math.abs(sampleStd(block("output.weight")) / (0.3 / Math.sqrt(200)) - 1)).toBeLessThan(0.25);
      expect(Math.abs(sampleStd(block("hidden0.bias")) / 0.5 - 1)).toBeLessThan(0.25);
      expect(Array.from(block("output.bias"))).toEqual([0]);
      expect(Array.from(block("quadratic"))).toEqual([0.25, 0.25]);
    }
  });

  it("the same seed gives the same θ, another seed another θ", () => {
    const network = registries.network.create("mlp", { inputDim: 2, hiddenWidths: [4] });
    const a = network.initialParameters(RandomStream.fromSeed(1));
    const b = network.initialParameters(RandomStream.fromSeed(1));
    const c = network.initialParameters(RandomStream.fromSeed(2));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it("a symmetric quadratic with P = initial·I gives u = −initial·|x|²/2 when the MLP part is zeroed", () => {
    const network = registries.network.create("mlp", { inputDim: 3, hiddenWidths: [4], quadratic: { initial: 2 } });
    const theta = network.initialParameters(RandomStream.fromSeed(0));
    const outputWeight = network.parameterLayout.find((b) => b.name === "output.weight")!;
    theta.fill(0, outputWeight.offset, outputWeight.offset + outputWeight.size);
    const points = Float64Array.from([1, 2, 3, -0.5, 0, 0.25]);
    const values = network.referenceValues(theta, points, 2);
    expect(values[0]).toBeCloseTo(-(1 + 4 + 9), 12);
    expect(values[1]).toBeCloseTo(-(0.25 + 0.0625), 12);
  });
});

describe("mlp: options and errors", () => {
  it("rejects a misspelt option, naming the field", () => {
    let caught: unknown;
    try {
      registries.network.configure("mlp", { inputDim: 2, hiddenWidth: [3] });
    } catch (error) {
      caught = error;
    }
    expect(isMinevoError(caught, ErrorCode.InvalidOptions)).toBe(true);
    expect((caught as Error).message).toContain("hiddenWidth");
  });

  it("rejects an unknown activation, quoting the allowed ones", () => {
    expect(() => registries.network.configure("mlp", { inputDim: 2, activation: "relu" })).toThrow(/activation/);
  });

  it("refuses points of the wrong width with MINEVO_DIMENSION_MISMATCH", () => {
    const network = registries.network.create("mlp", { inputDim: 2, conditionDim: 1, hiddenWidths: [3] });
    const theta = network.initialParameters(RandomStream.fromSeed(0));
    const points = tf.zeros([4, 2]) as tf.Tensor2D;
    let caught: unknown;
    try {
      network.evaluate(tf, theta, points, { value: true });
    } catch (error) {
      caught = error;
    }
    points.dispose();
    expect(isMinevoError(caught, ErrorCode.DimensionMismatch)).toBe(true);
    expect((caught as Error).message).toContain("[N, 3]");
  });

  it("operator methods refuse wrong shapes and use after dispose", () => {
    const network = registries.network.create("mlp", { inputDim: 2, hiddenWidths: [3] });
    const theta = network.initialParameters(RandomStream.fromSeed(0));
    const points = tf.ones([4, 2]) as tf.Tensor2D;
    const evaluation = network.evaluate(tf, theta, points, { jacobian: true });
    const wrong = tf.ones([5, 2]) as tf.Tensor2D;
    expect(() => evaluation.jacobian!.transposeTimes(wrong)).toThrow(/\[4, n\]/);
    expect(() => evaluation.jacobian!.times(wrong)).toThrow(/\[p, k\]/);
    evaluation.dispose();
    expect(() => evaluation.jacobian!.dense()).toThrow(/after dispose/);
    wrong.dispose();
    points.dispose();
  });
});

describe("mlp: memory over a long loop", () => {
  it("keeps tf.memory().numTensors constant over 50 full evaluations", () => {
    const network = registries.network.create("mlp", {
      inputDim: 2,
      conditionDim: 1,
      hiddenWidths: [8, 8],
      residual: true,
      fourierFeatures: { count: 3 },
      quadratic: {},
      gaussianEnvelope: { width: 2 },
    });
    const theta = tf.tensor1d(Float32Array.from(network.initialParameters(RandomStream.fromSeed(0))));
    const points = tf.randomNormal([20, 3], 0, 1, "float32", 1) as tf.Tensor2D;
    const omega = tf.ones([20, 4]) as tf.Tensor2D;
    const v = tf.ones([network.numParameters, 2]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      const evaluation = network.evaluate(tf, theta, points, { value: true, gradient: true, laplacian: true, jacobian: true });
      tf.dispose([evaluation.jacobian!.transposeTimes(omega), evaluation.jacobian!.times(v), evaluation.jacobian!.dense()]);
      evaluation.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([theta, points, omega, v]);
  });
});

describe("mlp: closed-form derivatives of a one-unit network", () => {
  // u(x) = w·σ(a·x + b) + c in d = 1: u' = w·a·σ'(z), u'' = w·a²·σ''(z), with σ', σ'' written out
  // here independently of the package's activation code.
  const derivatives: Record<(typeof activationNames)[number], (z: number) => [number, number]> = {
    tanh: (z) => [1 / Math.cosh(z) ** 2, (-2 * Math.tanh(z)) / Math.cosh(z) ** 2],
    softplus: (z) => [1 / (1 + Math.exp(-z)), Math.exp(-z) / (1 + Math.exp(-z)) ** 2],
    gelu: (z) => {
      const phi = Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
      // σ = zΦ: σ' = Φ + zφ, σ'' = 2φ + zφ' = φ(2 − z²); Φ from the erf checked against a table in layout.test.ts.
      return [0.5 * (1 + erf(z / Math.SQRT2)) + z * phi, phi * (2 - z * z)];
    },
    sin: (z) => [Math.cos(z), -Math.sin(z)],
    swish: (z) => {
      const s = 1 / (1 + Math.exp(-z));
      return [s + z * s * (1 - s), s * (1 - s) * (2 + z * (1 - 2 * s))];
    },
  };
  for (const activation of activationNames) {
    it(`${activation}: Δu = w·a²·σ''(ax + b)`, async () => {
      const network = registries.network.create("mlp", { inputDim: 1, hiddenWidths: [1], activation });
      // θ = [a, b, w, c]
      const [a, b, w, c] = [1.3, -0.4, 0.7, 0.2];
      const xs = [-1.5, -0.2, 0.6, 1.9];
      const points = tf.tensor2d(xs, [4, 1]);
      const evaluation = network.evaluate(tf, Float64Array.from([a, b, w, c]), points, { gradient: true, laplacian: true });
      const laplacian = await evaluation.laplacian!.data();
      const gradient = await evaluation.gradient!.data();
      evaluation.dispose();
      points.dispose();
      xs.forEach((x, i) => {
        const z = Math.fround(a) * Math.fround(x) + Math.fround(b);
        const [first, second] = derivatives[activation](z);
        expect(laplacian[i]).toBeCloseTo(Math.fround(w) * Math.fround(a) ** 2 * second, 5);
        expect(gradient[i]).toBeCloseTo(Math.fround(w) * Math.fround(a) * first, 5);
      });
    });
  }

  it("quadratic term alone: ∇u = −Px and Δu = −tr P exactly", async () => {
    const network = registries.network.create("mlp", { inputDim: 2, hiddenWidths: [2], quadratic: {} });
    const theta = new Float64Array(network.numParameters);
    theta.set([2, 0.5, 3], network.parameterLayout.find((b) => b.name === "quadratic")!.offset); // P = [[2, .5], [.5, 3]]
    const points = tf.tensor2d([1, -2, 0.5, 4], [2, 2]);
    const evaluation = network.evaluate(tf, theta, points, { value: true, gradient: true, laplacian: true });
    expect(Array.from(await evaluation.value!.data())).toEqual([-0.5 * (2 * 1 + 2 * 0.5 * 1 * -2 + 3 * 4), -0.5 * (2 * 0.25 + 2 * 0.5 * 0.5 * 4 + 3 * 16)]);
    expect(Array.from(await evaluation.gradient!.data())).toEqual([-(2 * 1 + 0.5 * -2), -(0.5 * 1 + 3 * -2), -(2 * 0.5 + 0.5 * 4), -(0.5 * 0.5 + 3 * 4)]);
    expect(Array.from(await evaluation.laplacian!.data())).toEqual([-5, -5]);
    evaluation.dispose();
    points.dispose();
  });
});
