/**
 * TEST FIXTURE (not part of the package's API): the pure quadratic ansatz
 *
 *     u_θ(x) = c + bᵀx − ½ xᵀPx,   θ = (c, b, upper triangle of P row by row),
 *
 * whose Gaussian log-densities are closed under the Ornstein–Uhlenbeck log-density equation
 * (METHOD.md §7): MNE with this network must reproduce the exact Gaussian to solver tolerance.
 * The `mlp` of @minevo/networks cannot be this ansatz exactly — its quadratic term has no linear
 * part bᵀx, and its hidden layers are always present (and move under the minimal-norm θ̇) — so
 * the OU test defines the ansatz here, against the same Network contract.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import {
  ErrorCode,
  MinevoError,
  type JacobianOperator,
  type Network,
  type NetworkEvaluation,
  type NetworkRequest,
  type ParameterBlock,
  type RandomStream,
  type TensorFlow,
} from "@minevo/core";

/** The (row, column) of each coefficient of P, row ≤ column. */
function upperTriangle(d: number): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) pairs.push([i, j]);
  return pairs;
}

export function quadraticNetwork(inputDim: number): Network {
  const d = inputDim;
  const pairs = upperTriangle(d);
  const p = 1 + d + pairs.length;
  const layout: ParameterBlock[] = [
    { name: "constant", shape: [], offset: 0, size: 1 },
    { name: "linear", shape: [d], offset: 1, size: d },
    { name: "quadratic", shape: [pairs.length], offset: 1 + d, size: pairs.length },
  ];
  /** P (d×d, row-major) from θ. */
  const matrixOf = (theta: ArrayLike<number>): Float32Array => {
    const m = new Float32Array(d * d);
    pairs.forEach(([i, j], k) => {
      const q = theta[1 + d + k] as number;
      m[i * d + j] = q;
      m[j * d + i] = q;
    });
    return m;
  };
  return {
    name: "quadratic-fixture",
    inputDim: d,
    conditionDim: 0,
    numParameters: p,
    parameterLayout: layout,
    initialParameters(_random: RandomStream): Float64Array {
      return new Float64Array(p);
    },
    evaluate(tf: TensorFlow, parameters: Tensor1D | Float64Array | Float32Array, points: Tensor2D, request: NetworkRequest): NetworkEvaluation {
      if (!(parameters instanceof Float64Array || parameters instanceof Float32Array)) {
        throw new MinevoError(ErrorCode.InvalidArgument, "the quadratic fixture takes θ as an array");
      }
      if (points.shape[1] !== d || parameters.length !== p) {
        throw new MinevoError(ErrorCode.DimensionMismatch, `quadratic fixture: points ${points.shape.join("×")}, θ ${parameters.length}`);
      }
      const n = points.shape[0];
      const out = tf.tidy(() => {
        const b = tf.tensor2d(Float32Array.from(parameters.subarray(1, 1 + d)), [d, 1]);
        const pm = tf.tensor2d(matrixOf(parameters), [d, d]);
        const px = tf.matMul(points, pm);
        const result: { value?: Tensor1D; gradient?: Tensor2D; laplacian?: Tensor1D; jacobian?: Tensor2D } = {};
        if (request.value === true) {
          const linear = tf.reshape(tf.matMul(points, b), [n]);
          const quadratic = tf.mul(-0.5, tf.sum(tf.mul(points, px), 1));
          result.value = tf.add(tf.add(linear, quadratic), parameters[0] as number) as Tensor1D;
        }
        if (request.gradient === true) result.gradient = tf.sub(tf.reshape(b, [1, d]), px) as Tensor2D;
        if (request.laplacian === true) {
          let trace = 0;
          for (let i = 0; i < d; i++) trace += matrixOf(parameters)[i * d + i] as number;
          result.laplacian = tf.fill([n], -trace) as Tensor1D;
        }
        if (request.jacobian === true) {
          const columns = [tf.ones([n, 1]), points];
          for (const [i, j] of pairs) {
            const xi = tf.slice(points, [0, i], [n, 1]);
            const xj = tf.slice(points, [0, j], [n, 1]);
            columns.push(tf.mul(i === j ? -0.5 : -1, tf.mul(xi, xj)));
          }
          result.jacobian = tf.concat(columns, 1) as Tensor2D;
        }
        return result;
      });
      const jacobian = out.jacobian === undefined ? undefined : denseOperator(tf, out.jacobian);
      return {
        ...(out.value !== undefined ? { value: out.value } : {}),
        ...(out.gradient !== undefined ? { gradient: out.gradient } : {}),
        ...(out.laplacian !== undefined ? { laplacian: out.laplacian } : {}),
        ...(jacobian !== undefined ? { jacobian } : {}),
        dispose() {
          out.value?.dispose();
          out.gradient?.dispose();
          out.laplacian?.dispose();
          jacobian?.dispose();
        },
      };
    },
    referenceValues(parameters: Float64Array, points: Float64Array, numPoints: number): Float64Array {
      const values = new Float64Array(numPoints);
      for (let r = 0; r < numPoints; r++) {
        let u = parameters[0] as number;
        for (let i = 0; i < d; i++) u += (parameters[1 + i] as number) * (points[r * d + i] as number);
        pairs.forEach(([i, j], k) => {
          const q = parameters[1 + d + k] as number;
          u -= (i === j ? 0.5 : 1) * q * (points[r * d + i] as number) * (points[r * d + j] as number);
        });
        values[r] = u;
      }
      return values;
    },
    toJSON(parameters: ArrayLike<number>) {
      return { name: "quadratic-fixture", options: { inputDim: d }, parameters: Array.from(parameters) };
    },
  };
}

/** J as a dense tensor behind the JacobianOperator contract; owns (and disposes) `j`. */
function denseOperator(tf: TensorFlow, j: Tensor2D): JacobianOperator {
  const [numPoints, numParameters] = j.shape;
  return {
    numPoints,
    numParameters,
    dense: () => tf.clone(j),
    transposeTimes: (omega: Tensor2D) => tf.tidy(() => tf.matMul(tf.transpose(j), omega)),
    times: (v: Tensor2D) => tf.matMul(j, v),
    dispose: () => j.dispose(),
  };
}

/** P, b, c of a Gaussian N(m, S) log-density ℓ = −½(x−m)ᵀS⁻¹(x−m) − ½ log det(2πS), as θ. */
export function gaussianParameters(mean: readonly number[], covariance: readonly number[][]): Float64Array {
  const d = mean.length;
  const precision = invert(covariance);
  const pairs = upperTriangle(d);
  const theta = new Float64Array(1 + d + pairs.length);
  let mPm = 0;
  for (let i = 0; i < d; i++) {
    let bi = 0;
    for (let j = 0; j < d; j++) bi += (precision[i]![j] as number) * (mean[j] as number);
    theta[1 + i] = bi;
    mPm += (mean[i] as number) * bi;
  }
  pairs.forEach(([i, j], k) => (theta[1 + d + k] = precision[i]![j] as number));
  theta[0] = -0.5 * mPm - 0.5 * Math.log(determinant(covariance) * (2 * Math.PI) ** d);
  return theta;
}

/** Mean P⁻¹b and covariance P⁻¹ of the Gaussian whose log-density θ encodes. */
export function gaussianOf(theta: Float64Array, d: number): { mean: number[]; covariance: number[][] } {
  const pairs = upperTriangle(d);
  const precision = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  pairs.forEach(([i, j], k) => {
    precision[i]![j] = theta[1 + d + k] as number;
    precision[j]![i] = theta[1 + d + k] as number;
  });
  const covariance = invert(precision);
  const mean = covariance.map((row) => row.reduce((s, v, j) => s + v * (theta[1 + j] as number), 0));
  return { mean, covariance };
}

/** Gauss–Jordan inverse of a small matrix in float64. */
export function invert(a: readonly number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    const scale = m[c]![c]!;
    for (let k = 0; k < 2 * n; k++) m[c]![k]! /= scale;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const factor = m[r]![c]!;
      for (let k = 0; k < 2 * n; k++) m[r]![k]! -= factor * m[c]![k]!;
    }
  }
  return m.map((row) => row.slice(n));
}

export function determinant(a: readonly number[][]): number {
  const n = a.length;
  const m = a.map((row) => [...row]);
  let det = 1;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    if (pivot !== c) {
      [m[c], m[pivot]] = [m[pivot]!, m[c]!];
      det = -det;
    }
    det *= m[c]![c]!;
    for (let r = c + 1; r < n; r++) {
      const factor = m[r]![c]! / m[c]![c]!;
      for (let k = c; k < n; k++) m[r]![k]! -= factor * m[c]![k]!;
    }
  }
  return det;
}
