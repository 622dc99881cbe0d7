/**
 * The suite on a network defined here, outside the package and its registry: a user's own
 * architecture runs the same checks, and a network with a wrong derivative, a wrong Jacobian
 * column or a leak is caught.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ErrorCode,
  Registry,
  defineNetwork,
  isMinevoError,
  MinevoError,
  type JacobianOperator,
  type Network,
  type NetworkEvaluation,
  type NetworkRequest,
  type RandomStream,
  type TensorFlow,
} from "@minevo/core";
import { z } from "zod";
import { assertNetworkConformance, runNetworkConformance, type ConformanceCheckName } from "./index.js";
import { restoreNetwork } from "../serialization.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

type Fault = "none" | "laplacian" | "jacobian" | "leak";

/**
 * u(x, y) = a·tanh(b|x|² + c·y) + e with θ = (a, b, c, e), x ∈ R², one conditioning input y:
 * ∇ₓu = 2ab(1 − t²)x, Δₓu = a(1 − t²)(2bd − 8b²t|x|²) with t = tanh(b|x|² + cy).
 */
class RadialNetwork implements Network {
  readonly name = "radial";
  readonly inputDim = 2;
  readonly conditionDim = 1;
  readonly numParameters = 4;
  readonly parameterLayout = [{ name: "coefficients", shape: [4], offset: 0, size: 4 }];
  readonly fault: Fault;
  readonly #leaked: tf.Tensor[] = [];

  constructor(fault: Fault = "none") {
    this.fault = fault;
  }

  initialParameters(random: RandomStream): Float64Array {
    return Float64Array.from([1 + 0.1 * random.normal(), 0.5, 0.3, 0]);
  }

  evaluate(t: TensorFlow, parameters: tf.Tensor1D | Float64Array | Float32Array, points: tf.Tensor2D, request: NetworkRequest): NetworkEvaluation {
    if (points.shape[1] !== 3) throw new MinevoError(ErrorCode.DimensionMismatch, `points need 3 columns, got ${points.shape[1]}`);
    const length = parameters instanceof Float64Array || parameters instanceof Float32Array ? parameters.length : parameters.shape[0];
    if (length !== 4) throw new MinevoError(ErrorCode.DimensionMismatch, `θ needs 4 values, got ${length}`);
    if (this.fault === "leak") this.#leaked.push(t.zeros([1]));
    const n = points.shape[0];
    const out = t.tidy(() => {
      const theta = parameters instanceof Float64Array || parameters instanceof Float32Array ? t.tensor1d(Float32Array.from(parameters)) : parameters;
      const [a, b, c, e] = t.split(theta, 4).map((s) => t.reshape(s, []));
      const x = t.slice(points, [0, 0], [n, 2]);
      const y = t.reshape(t.slice(points, [0, 2], [n, 1]), [n]);
      const r2 = t.sum(t.square(x), 1);
      const th = t.tanh(t.add(t.mul(b!, r2), t.mul(c!, y)));
      const slope = t.sub(1, t.square(th));
      const gradient = t.mul(t.expandDims(t.mul(t.mul(2, t.mul(a!, b!)), slope), 1), x);
      const curvature = this.fault === "laplacian" ? t.mul(t.mul(2, b!), 1) : t.mul(t.mul(2, b!), 2);
      const laplacian = t.mul(t.mul(a!, slope), t.sub(curvature, t.mul(t.mul(8, t.square(b!)), t.mul(th, r2))));
      const columns = [th, t.mul(t.mul(a!, slope), r2), t.mul(t.mul(a!, slope), y), t.onesLike(r2)];
      if (this.fault === "jacobian") columns.reverse();
      return {
        value: request.value ? t.add(t.mul(a!, th), e!) : undefined,
        gradient: request.gradient ? gradient : undefined,
        laplacian: request.laplacian ? laplacian : undefined,
        jacobian: request.jacobian ? (t.stack(columns, 1) as tf.Tensor2D) : undefined,
      };
    });
    const jacobian: JacobianOperator | undefined = out.jacobian && {
      numPoints: n,
      numParameters: 4,
      dense: () => t.clone(out.jacobian!),
      times: (v) => t.matMul(out.jacobian!, v),
      transposeTimes: (omega) => t.tidy(() => t.matMul(t.transpose(out.jacobian!), omega)),
      dispose: () => out.jacobian!.dispose(),
    };
    return {
      ...(out.value ? { value: out.value as tf.Tensor1D } : {}),
      ...(out.gradient ? { gradient: out.gradient as tf.Tensor2D } : {}),
      ...(out.laplacian ? { laplacian: out.laplacian as tf.Tensor1D } : {}),
      ...(jacobian ? { jacobian } : {}),
      dispose: () => tf.dispose([out.value, out.gradient, out.laplacian, out.jacobian].filter((v): v is tf.Tensor => v !== undefined)),
    };
  }

  referenceValues(parameters: Float64Array, points: Float64Array, numPoints: number): Float64Array {
    const [a, b, c, e] = parameters as unknown as [number, number, number, number];
    return Float64Array.from({ length: numPoints }, (_, i) => {
      const [x0, x1, y] = [points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!];
      return a * Math.tanh(b * (x0 * x0 + x1 * x1) + c * y) + e;
    });
  }

  toJSON(parameters: ArrayLike<number>) {
    return { name: this.name, options: { fault: this.fault }, parameters: Array.from(parameters) };
  }

  releaseLeaks(): void {
    tf.dispose(this.#leaked);
  }
}

function failedChecks(report: { checks: readonly { name: ConformanceCheckName; passed: boolean }[] }): ConformanceCheckName[] {
  return report.checks.filter((c) => !c.passed).map((c) => c.name);
}

describe("the conformance suite on a user-defined network", () => {
  it("accepts a correct network with a float64 reference", async () => {
    const report = await assertNetworkConformance(new RadialNetwork(), tf);
    expect(report.referencePrecision).toBe("float64");
    expect(report.passed).toBe(true);
  });

  it("accepts a correct network without a float64 reference, in float32 mode", async () => {
    const network = new RadialNetwork();
    const withoutReference: Network = {
      name: network.name,
      inputDim: network.inputDim,
      conditionDim: network.conditionDim,
      numParameters: network.numParameters,
      parameterLayout: network.parameterLayout,
      initialParameters: (random) => network.initialParameters(random),
      evaluate: (t, parameters, points, request) => network.evaluate(t, parameters, points, request),
      toJSON: (parameters) => network.toJSON(parameters),
    };
    const report = await runNetworkConformance(withoutReference, tf);
    expect(report.referencePrecision).toBe("float32");
    expect(failedChecks(report)).toEqual([]);
  });

  it("catches a wrong Laplacian, and only that", async () => {
    const report = await runNetworkConformance(new RadialNetwork("laplacian"), tf);
    expect(failedChecks(report)).toEqual(["laplacian"]);
  });

  it("catches Jacobian columns in the wrong order", async () => {
    const report = await runNetworkConformance(new RadialNetwork("jacobian"), tf);
    expect(failedChecks(report)).toContain("jacobian.dense");
    expect(failedChecks(report)).not.toContain("laplacian");
  });

  it("catches a tensor leak", async () => {
    const network = new RadialNetwork("leak");
    const report = await runNetworkConformance(network, tf);
    network.releaseLeaks();
    expect(failedChecks(report)).toEqual(["memory"]);
  });

  it("assertNetworkConformance throws a MinevoError naming the failed checks", async () => {
    let caught: unknown;
    try {
      await assertNetworkConformance(new RadialNetwork("laplacian"), tf);
    } catch (error) {
      caught = error;
    }
    expect(isMinevoError(caught)).toBe(true);
    expect((caught as MinevoError).details["failed"]).toEqual(["laplacian"]);
    expect((caught as Error).message).toContain("FAIL laplacian");
  });

  it("restores through a registry holding the user's network", async () => {
    const radial = defineNetwork({
      name: "radial",
      description: "test network",
      options: z.strictObject({ fault: z.enum(["none", "laplacian", "jacobian", "leak"]).default("none") }),
      create: (options) => new RadialNetwork(options.fault),
    });
    const registry = new Registry("network").register(radial);
    const json = JSON.parse(JSON.stringify(new RadialNetwork().toJSON([1, 2, 3, 4]))) as unknown;
    const { network, parameters } = restoreNetwork(json, registry);
    expect(network).toBeInstanceOf(RadialNetwork);
    expect(Array.from(parameters)).toEqual([1, 2, 3, 4]);
  });
});
