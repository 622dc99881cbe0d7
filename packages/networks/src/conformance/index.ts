/**
 * The network conformance suite: checks any {@link Network} — a built-in one or a user's own —
 * against finite differences, with no test framework.
 *
 * The network's own float32 outputs are compared with central finite differences of a
 * reference evaluation: the network's float64 `referenceValues` when it has one (then the
 * differences are accurate to ~1e-8 and the tolerances only absorb float32 rounding), else its
 * float32 `evaluate` with larger steps and looser tolerances. θ and the points are rounded to
 * float32 first so both paths see the same inputs.
 *
 * ```ts
 * import { assertNetworkConformance } from "@minevo/networks/conformance";
 * await assertNetworkConformance(myNetwork, tf);   // throws, listing every failed check
 * ```
 */
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { ErrorCode, MinevoError, RandomStream, isMinevoError, type Network, type NetworkEvaluation, type Seed, type TensorFlow } from "@minevo/core";

export type ConformanceCheckName =
  | "layout"
  | "initialParameters"
  | "value"
  | "gradient"
  | "laplacian"
  | "jacobian.dense"
  | "jacobian.times"
  | "jacobian.transposeTimes"
  | "request.subsets"
  | "parameters.float64"
  | "dimension.errors"
  | "memory";

export interface NetworkConformanceOptions {
  /** Seed of θ, the points and the probe matrices (default 0). */
  readonly seed?: Seed;
  /** Collocation points to check at (default 6). */
  readonly numPoints?: number;
  /** Standard deviation of the random points, x and y alike (default 1). */
  readonly pointScale?: number;
  /**
   * θ = initialParameters + perturbation·N(0, 1), so that blocks initialised to zero (an output
   * bias, a quadratic term) still take part (default 0.1).
   */
  readonly parameterPerturbation?: number;
  /** Use this θ instead (length p). */
  readonly parameters?: Float64Array;
  /** Use these points instead (numPoints×(d+c), row-major). */
  readonly points?: Float64Array;
  /** Relative tolerances by check, overriding the defaults for the reference precision. */
  readonly tolerances?: Partial<Record<ConformanceCheckName, number>>;
  /** At most this many Jacobian columns are checked by finite differences, chosen at random (default 600). */
  readonly maxJacobianColumns?: number;
  /** Force float32 finite differences even when the network has referenceValues. */
  readonly referencePrecision?: "float64" | "float32";
}

export interface ConformanceCheck {
  readonly name: ConformanceCheckName;
  readonly passed: boolean;
  /** The relative error measured (max |a − b| / max |b|), or 0/1 for yes/no checks. */
  readonly error: number;
  readonly tolerance: number;
  readonly detail: string;
}

export interface ConformanceReport {
  readonly network: string;
  readonly passed: boolean;
  readonly referencePrecision: "float64" | "float32";
  readonly checks: readonly ConformanceCheck[];
}

interface Precision {
  readonly gradientStep: number;
  readonly laplacianStep: number;
  readonly parameterStep: number;
  readonly tolerances: Record<ConformanceCheckName, number>;
}

const exactChecks = { layout: 0, initialParameters: 0, "dimension.errors": 0, memory: 0 } as const;

const precisions: Record<"float64" | "float32", Precision> = {
  float64: {
    gradientStep: 1e-5,
    laplacianStep: 1e-3,
    parameterStep: 1e-6,
    tolerances: {
      ...exactChecks,
      value: 1e-5,
      gradient: 1e-4,
      laplacian: 1e-4,
      "jacobian.dense": 1e-4,
      "jacobian.times": 1e-5,
      "jacobian.transposeTimes": 1e-5,
      "request.subsets": 1e-5,
      "parameters.float64": 1e-6,
    },
  },
  float32: {
    gradientStep: 5e-3,
    laplacianStep: 3e-2,
    parameterStep: 5e-3,
    tolerances: {
      ...exactChecks,
      value: 0,
      gradient: 2e-3,
      laplacian: 1e-2,
      "jacobian.dense": 2e-3,
      "jacobian.times": 1e-5,
      "jacobian.transposeTimes": 1e-5,
      "request.subsets": 1e-5,
      "parameters.float64": 1e-6,
    },
  },
};

/** max |a − b| / max |b| (with a floor on the scale so an all-zero reference compares absolutely). */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let difference = 0;
  let scale = 1e-6;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const b = expected[i] as number;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return Number.POSITIVE_INFINITY;
    difference = Math.max(difference, Math.abs(a - b));
    scale = Math.max(scale, Math.abs(b));
  }
  return difference / scale;
}

async function read(tensor: Tensor | undefined): Promise<Float64Array | undefined> {
  if (tensor === undefined) return undefined;
  return Float64Array.from((await tensor.data()) as ArrayLike<number>);
}

/** A = B·C in float64, B (r×s) and C (s×t) row-major. */
function multiply(b: Float64Array, c: Float64Array, r: number, s: number, t: number): Float64Array {
  const out = new Float64Array(r * t);
  for (let i = 0; i < r; i++) {
    for (let k = 0; k < s; k++) {
      const bik = b[i * s + k] as number;
      if (bik === 0) continue;
      for (let j = 0; j < t; j++) out[i * t + j] = (out[i * t + j] as number) + bik * (c[k * t + j] as number);
    }
  }
  return out;
}

function transpose(a: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j] as number;
  return out;
}

/** Runs every check and reports each one; never throws for a failed check. */
export async function runNetworkConformance(network: Network, tf: TensorFlow, options: NetworkConformanceOptions = {}): Promise<ConformanceReport> {
  const precisionName = options.referencePrecision ?? (typeof network.referenceValues === "function" ? "float64" : "float32");
  if (precisionName === "float64" && typeof network.referenceValues !== "function") {
    throw new MinevoError(ErrorCode.InvalidOptions, `network "${network.name}" has no referenceValues, so it cannot be checked in float64: omit referencePrecision`);
  }
  const precision = precisions[precisionName];
  const tolerance = (name: ConformanceCheckName) => options.tolerances?.[name] ?? precision.tolerances[name];
  const checks: ConformanceCheck[] = [];
  const record = (name: ConformanceCheckName, error: number, detail: string) => {
    const limit = tolerance(name);
    checks.push({ name, passed: Number.isFinite(error) && error <= limit, error, tolerance: limit, detail });
  };

  const d = network.inputDim;
  const inputs = d + network.conditionDim;
  const p = network.numParameters;
  const random = RandomStream.fromSeed(options.seed ?? 0).derive("network-conformance");

  // Layout: contiguous blocks whose sizes match their shapes and add up to p.
  {
    let offset = 0;
    const problems: string[] = [];
    for (const block of network.parameterLayout) {
      const size = block.shape.reduce((a, b) => a * b, 1);
      if (block.offset !== offset) problems.push(`block "${block.name}" starts at ${block.offset}, expected ${offset}`);
      if (block.size !== size) problems.push(`block "${block.name}" has size ${block.size} but shape ${JSON.stringify(block.shape)}`);
      offset = block.offset + block.size;
    }
    if (offset !== p) problems.push(`blocks cover ${offset} parameters, numParameters is ${p}`);
    record("layout", problems.length === 0 ? 0 : 1, problems.join("; ") || `${network.parameterLayout.length} blocks, p = ${p}`);
  }

  // Initialisation: length p, finite, reproducible from the seed.
  const initial = network.initialParameters(random.derive("init"));
  {
    const again = network.initialParameters(random.derive("init"));
    const finite = initial.every((v) => Number.isFinite(v));
    const same = initial.length === again.length && initial.every((v, i) => v === again[i]);
    const ok = initial.length === p && finite && same;
    record("initialParameters", ok ? 0 : 1, ok ? "length p, finite, same seed gives the same θ" : `length ${initial.length} (p = ${p}), finite: ${finite}, reproducible: ${same}`);
  }

  const perturbation = options.parameterPerturbation ?? 0.1;
  const noise = random.derive("perturbation");
  const theta =
    options.parameters !== undefined
      ? Float64Array.from(options.parameters, Math.fround)
      : Float64Array.from(initial, (v) => Math.fround(v + perturbation * noise.normal()));
  if (theta.length !== p) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `conformance θ must have length p = ${p}, got ${theta.length}`);
  }
  const numPoints = options.numPoints ?? (options.points !== undefined ? options.points.length / inputs : 6);
  const pointDraws = random.derive("points");
  const points = options.points !== undefined ? Float64Array.from(options.points, Math.fround) : Float64Array.from({ length: numPoints * inputs }, () => Math.fround((options.pointScale ?? 1) * pointDraws.normal()));
  if (points.length !== numPoints * inputs) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `conformance points must hold numPoints×(d+c) = ${numPoints}×${inputs} values, got ${points.length}`);
  }

  const referenceValues = async (parameters: Float64Array, at: Float64Array, count: number): Promise<Float64Array> => {
    if (precisionName === "float64") return network.referenceValues!(parameters, at, count);
    const x = tf.tensor2d(Float32Array.from(at), [count, inputs]);
    const evaluation = network.evaluate(tf, Float32Array.from(parameters), x, { value: true });
    try {
      return (await read(evaluation.value)) ?? new Float64Array(0);
    } finally {
      evaluation.dispose();
      x.dispose();
    }
  };

  const pointsTensor = tf.tensor2d(Float32Array.from(points), [numPoints, inputs]);
  const thetaTensor = tf.tensor1d(Float32Array.from(theta));
  const full = network.evaluate(tf, thetaTensor, pointsTensor, { value: true, gradient: true, laplacian: true, jacobian: true });
  try {
    const value = await read(full.value);
    const gradient = await read(full.gradient);
    const laplacian = await read(full.laplacian);
    const jacobian = full.jacobian;

    // Value: float32 evaluation against the reference (identical to itself in float32 mode).
    const base = await referenceValues(theta, points, numPoints);
    if (precisionName === "float64") record("value", value === undefined ? Infinity : relativeError(value, base), `u at ${numPoints} points against referenceValues`);

    // ∇ₓu and Δₓu against central differences in the first d coordinates of each point.
    {
      const hg = precision.gradientStep;
      const hl = precision.laplacianStep;
      const shifted = new Float64Array(numPoints * 4 * d * inputs);
      let row = 0;
      for (let i = 0; i < numPoints; i++) {
        for (let k = 0; k < d; k++) {
          for (const step of [hg, -hg, hl, -hl]) {
            for (let c = 0; c < inputs; c++) shifted[row * inputs + c] = points[i * inputs + c] as number;
            shifted[row * inputs + k] = (shifted[row * inputs + k] as number) + step;
            row++;
          }
        }
      }
      const shiftedValues = await referenceValues(theta, shifted, row);
      const expectedGradient = new Float64Array(numPoints * d);
      const expectedLaplacian = new Float64Array(numPoints);
      for (let i = 0; i < numPoints; i++) {
        for (let k = 0; k < d; k++) {
          const at = (i * d + k) * 4;
          const [plus, minus, plusL, minusL] = [0, 1, 2, 3].map((o) => shiftedValues[at + o] as number) as [number, number, number, number];
          expectedGradient[i * d + k] = (plus - minus) / (2 * hg);
          expectedLaplacian[i] = (expectedLaplacian[i] as number) + (plusL - 2 * (base[i] as number) + minusL) / (hl * hl);
        }
      }
      record("gradient", gradient === undefined ? Infinity : relativeError(gradient, expectedGradient), `∇ₓu (N×${d}) against central differences, h = ${hg}`);
      record("laplacian", laplacian === undefined ? Infinity : relativeError(laplacian, expectedLaplacian), `Δₓu against second differences, h = ${hl}`);
    }

    // J: dense against differences in θ, then J·V and JᵀΩ against the dense J.
    if (jacobian === undefined) {
      record("jacobian.dense", Infinity, "no jacobian returned");
    } else {
      const denseTensor = jacobian.dense();
      const dense = (await read(denseTensor))!;
      denseTensor.dispose();
      const maxColumns = options.maxJacobianColumns ?? 600;
      const columns = p <= maxColumns ? Array.from({ length: p }, (_, j) => j) : Array.from(random.derive("columns").permutation(p).subarray(0, maxColumns)).sort((a, b) => a - b);
      const hp = precision.parameterStep;
      const actual: number[] = [];
      const expected: number[] = [];
      for (const j of columns) {
        const plus = Float64Array.from(theta);
        const minus = Float64Array.from(theta);
        plus[j] = (plus[j] as number) + hp;
        minus[j] = (minus[j] as number) - hp;
        const up = await referenceValues(plus, points, numPoints);
        const down = await referenceValues(minus, points, numPoints);
        for (let i = 0; i < numPoints; i++) {
          expected.push(((up[i] as number) - (down[i] as number)) / (2 * hp));
          actual.push(dense.length === numPoints * p ? (dense[i * p + j] as number) : Number.NaN);
        }
      }
      record("jacobian.dense", relativeError(actual, expected), `dense J (${numPoints}×${p}) against central differences in θ, h = ${hp}, ${columns.length} columns`);

      const probes = random.derive("probes");
      let timesError = 0;
      for (const k of [1, 3, 40]) {
        const v = probes.normals(p * k);
        const vTensor = tf.tensor2d(Float32Array.from(v), [p, k]);
        const product = jacobian.times(vTensor);
        timesError = Math.max(timesError, product.shape[0] === numPoints && product.shape[1] === k ? relativeError((await read(product))!, multiply(dense, v, numPoints, p, k)) : Infinity);
        product.dispose();
        vTensor.dispose();
      }
      record("jacobian.times", timesError, "J·V (V of 1, 3 and 40 columns) against the dense J");

      let transposeError = 0;
      for (const k of [1, 3, 40]) {
        const omega = probes.normals(numPoints * k);
        const omegaTensor = tf.tensor2d(Float32Array.from(omega), [numPoints, k]);
        const product = jacobian.transposeTimes(omegaTensor);
        transposeError = Math.max(
          transposeError,
          product.shape[0] === p && product.shape[1] === k ? relativeError((await read(product))!, multiply(transpose(dense, numPoints, p), omega, p, numPoints, k)) : Infinity,
        );
        product.dispose();
        omegaTensor.dispose();
      }
      record("jacobian.transposeTimes", transposeError, "JᵀΩ (Ω of 1, 3 and 40 columns) against the dense J");
    }

    // Each quantity asked for alone equals the same quantity from the full request, and nothing else comes back.
    {
      let error = 0;
      const problems: string[] = [];
      const fields = ["value", "gradient", "laplacian", "jacobian"] as const;
      for (const field of fields) {
        const alone = network.evaluate(tf, thetaTensor, pointsTensor, { [field]: true });
        try {
          for (const other of fields) if (other !== field && alone[other] !== undefined) problems.push(`{ ${field} } also returned ${other}`);
          if (field === "jacobian") {
            if (alone.jacobian === undefined || full.jacobian === undefined) problems.push("jacobian missing");
            else {
              const a = alone.jacobian.dense();
              const b = full.jacobian.dense();
              error = Math.max(error, relativeError((await read(a))!, (await read(b))!));
              a.dispose();
              b.dispose();
            }
          } else {
            const a = await read(alone[field]);
            const b = await read(full[field]);
            if (a === undefined || b === undefined) problems.push(`${field} missing`);
            else error = Math.max(error, relativeError(a, b));
          }
        } finally {
          alone.dispose();
        }
      }
      record("request.subsets", problems.length > 0 ? Infinity : error, problems.join("; ") || "value, gradient, laplacian and jacobian each alone");
    }

    // θ as a Float64Array gives what the float32 tensor gives.
    {
      const evaluation = network.evaluate(tf, theta, pointsTensor, { value: true, laplacian: true });
      try {
        const a = await read(evaluation.value);
        const b = await read(evaluation.laplacian);
        record(
          "parameters.float64",
          a === undefined || b === undefined || value === undefined || laplacian === undefined ? Infinity : Math.max(relativeError(a, value), relativeError(b, laplacian)),
          "θ passed as a Float64Array",
        );
      } finally {
        evaluation.dispose();
      }
    }

    // Wrong shapes are refused with MINEVO_DIMENSION_MISMATCH.
    {
      const problems: string[] = [];
      const wrongPoints = tf.zeros([2, inputs + 1]) as Tensor2D;
      const wrongTheta = tf.zeros([p + 1]) as Tensor1D;
      for (const [label, call] of [
        ["points with d+c+1 columns", () => network.evaluate(tf, thetaTensor, wrongPoints, { value: true })],
        ["θ of length p+1", () => network.evaluate(tf, wrongTheta, pointsTensor, { value: true })],
      ] as const) {
        try {
          const result: NetworkEvaluation = call();
          result.dispose();
          problems.push(`${label} was accepted`);
        } catch (error) {
          if (!isMinevoError(error, ErrorCode.DimensionMismatch)) problems.push(`${label} threw ${error instanceof Error ? error.message : String(error)} instead of MINEVO_DIMENSION_MISMATCH`);
        }
      }
      wrongPoints.dispose();
      wrongTheta.dispose();
      record("dimension.errors", problems.length === 0 ? 0 : 1, problems.join("; ") || "wrong point width and wrong θ length refused");
    }
  } finally {
    full.dispose();
  }

  // Memory: repeated full evaluations with every Jacobian product leave no tensor behind.
  {
    const before = tf.memory().numTensors;
    const omega = tf.ones([numPoints, 2]) as Tensor2D;
    const v = tf.ones([p, 2]) as Tensor2D;
    for (let iteration = 0; iteration < 3; iteration++) {
      const evaluation = network.evaluate(tf, thetaTensor, pointsTensor, { value: true, gradient: true, laplacian: true, jacobian: true });
      const products = [evaluation.jacobian?.dense(), evaluation.jacobian?.times(v), evaluation.jacobian?.transposeTimes(omega)];
      for (const product of products) product?.dispose();
      evaluation.dispose();
      evaluation.dispose();
    }
    omega.dispose();
    v.dispose();
    const leaked = tf.memory().numTensors - before;
    const inputsIntact = !thetaTensor.isDisposed && !pointsTensor.isDisposed;
    record(
      "memory",
      leaked === 0 && inputsIntact ? 0 : 1,
      !inputsIntact
        ? "disposing an evaluation disposed the caller's θ or points tensor"
        : leaked === 0
          ? "3 full evaluations left no live tensors; θ and points untouched"
          : `${leaked} tensors left behind by 3 evaluations`,
    );
  }
  thetaTensor.dispose();
  pointsTensor.dispose();

  return { network: network.name, passed: checks.every((c) => c.passed), referencePrecision: precisionName, checks };
}

/** Formats a report as one line per check. */
export function formatConformanceReport(report: ConformanceReport): string {
  const lines = report.checks.map((c) => `${c.passed ? "ok  " : "FAIL"} ${c.name}: error ${c.error.toExponential(2)} (tolerance ${c.tolerance}) — ${c.detail}`);
  return [`network "${report.network}" (${report.referencePrecision} reference): ${report.passed ? "conforms" : "does not conform"}`, ...lines].join("\n");
}

/** Runs the suite and throws a {@link MinevoError} listing every failed check. */
export async function assertNetworkConformance(network: Network, tf: TensorFlow, options: NetworkConformanceOptions = {}): Promise<ConformanceReport> {
  const report = await runNetworkConformance(network, tf, options);
  if (!report.passed) {
    throw new MinevoError(ErrorCode.InvalidArgument, `network "${network.name}" fails the conformance suite:\n${formatConformanceReport(report)}`, {
      failed: report.checks.filter((c) => !c.passed).map((c) => c.name),
    });
  }
  return report;
}
