/**
 * The backend conformance cases: every tensor operation minevo relies on, each compared with a
 * float64 reference computed in plain JavaScript from the very float32 inputs the backend gets.
 *
 * Shapes are few, small and deliberately odd (7, 13, 33, …) so that tiled kernels meet ragged
 * edges, and are shared between cases so that a backend that compiles a kernel per shape
 * (WebGPU) compiles few of them.
 *
 * Tolerances are float32's (unit roundoff u = 2⁻²⁴ ≈ 6e-8), with room for the error bounds that
 * WebGPU's shading language allows for division, square root and the transcendental functions.
 */
import type { Scalar, Tensor } from "@tensorflow/tfjs-core";
import type { Tolerance } from "./compare.js";
import type { Check, ConformanceContext } from "./context.js";
import * as ref from "./reference.js";
import type { HostArray } from "./reference.js";

export type ConformanceGroup = "matmul" | "elementwise" | "broadcasting" | "reduction" | "layout" | "selection" | "gradient" | "memory";

/** One conformance case: runs on the backend, returns what to compare with the float64 reference. */
export interface BackendConformanceCase {
  /** Unique, readable: used as the test name. */
  readonly name: string;
  readonly group: ConformanceGroup;
  run(context: ConformanceContext): Promise<readonly Check[]>;
}

/** Equality: shape operations, selections and integer counts move values without arithmetic. */
export const EXACT: Tolerance = { absolute: 0, relative: 0 };
/** One correctly rounded operation (+, −, ×): at most u relative; 4u leaves room for fused GPU code. */
export const ROUNDED: Tolerance = { absolute: 0, relative: 2.4e-7 };
/** Division and square root: WGSL allows 2.5 ulp; 8u ≈ 4.8e-7 relative. */
export const DIVISION: Tolerance = { absolute: 0, relative: 4.8e-7 };
/**
 * exp, log, tanh, sin, cos, sigmoid, softplus on the input ranges used here: a few ulp relative,
 * plus an absolute floor for results that cancel to near zero (tanh and sin near 0, log near 1),
 * where WGSL bounds the absolute error (2⁻²¹ ≈ 4.8e-7 for log on [0.5, 2]).
 */
export const TRANSCENDENTAL: Tolerance = { absolute: 1e-6, relative: 4e-6 };
/** Sums and products of k terms, relative to Σ|terms|: float32 summation error ~ √k·u, bounded by k·u. */
export const ACCUMULATED: Tolerance = { absolute: 0, relative: 2e-6 };
/** Gradients: chains of the above, relative to the largest entry (small entries come from cancellation). */
export const GRADIENT: Tolerance = { absolute: 0, relative: 2e-5 };

/** The shapes used across cases: an N×D batch of points and a K-long inner dimension. */
const N = 13;
const K = 33;
const D = 7;

const check = (label: string, expected: HostArray, observed: Check["observed"], tolerance: Tolerance, scale?: Check["scale"]): Check =>
  scale === undefined ? { label, expected, observed, tolerance } : { label, expected, observed, tolerance, scale };

// ---------------------------------------------------------------------------------------------
// Matrix products

function matMulCase(
  name: string,
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): BackendConformanceCase {
  return {
    name,
    group: "matmul",
    async run(c) {
      const a = c.normal(aShape);
      const b = c.normal(bShape);
      const { result, absoluteSum } = ref.matMul(a, b, transposeA, transposeB);
      const observed = await c.read(c.tf.tidy(() => c.tf.matMul(c.tensor(a), c.tensor(b), transposeA, transposeB)));
      return [check(name, result, observed, ACCUMULATED, absoluteSum)];
    },
  };
}

const matMulCases: BackendConformanceCase[] = [
  matMulCase(`matMul A·B (${N}×${K} · ${K}×${D})`, [N, K], [K, D], false, false),
  matMulCase(`matMul Aᵀ·B (transposeA, ${K}×${N}ᵀ · ${K}×${D})`, [K, N], [K, D], true, false),
  matMulCase(`matMul A·Bᵀ (transposeB, ${N}×${K} · ${D}×${K}ᵀ)`, [N, K], [D, K], false, true),
  matMulCase(`matMul Aᵀ·Bᵀ (both transposed)`, [K, N], [D, K], true, true),
  matMulCase(`matMul of a larger ragged product (70×129 · 129×65)`, [70, 129], [129, 65], false, false),
  matMulCase(`batched matMul (3×${N}×${K} · 3×${K}×${D})`, [3, N, K], [3, K, D], false, false),
  matMulCase(`batched matMul with transposeB (3×${N}×${K} · 3×${D}×${K}ᵀ)`, [3, N, K], [3, D, K], false, true),
  matMulCase(`batched matMul broadcasting one matrix over the batch (3×${N}×${K} · 1×${K}×${D})`, [3, N, K], [1, K, D], false, false),
];

// ---------------------------------------------------------------------------------------------
// Elementwise operations

type UnaryOp = (tf: ConformanceContext["tf"], x: Tensor) => Tensor;

function unaryCase(name: string, op: UnaryOp, f: (x: number) => number, low: number, high: number, tolerance: Tolerance): BackendConformanceCase {
  return {
    name,
    group: "elementwise",
    async run(c) {
      const x = c.uniform([N, K], low, high);
      const observed = await c.read(c.tf.tidy(() => op(c.tf, c.tensor(x))));
      return [check(name, ref.map(x, f), observed, tolerance)];
    },
  };
}

type BinaryOp = (tf: ConformanceContext["tf"], a: Tensor, b: Tensor) => Tensor;

interface BinaryInputs {
  readonly aShape: readonly number[];
  readonly bShape: readonly number[];
  /** Range of b (division keeps it away from zero). */
  readonly bRange?: readonly [number, number];
}

function binaryCase(
  name: string,
  group: ConformanceGroup,
  op: BinaryOp,
  f: (x: number, y: number) => number,
  tolerance: Tolerance,
  inputs: BinaryInputs = { aShape: [N, K], bShape: [N, K] },
): BackendConformanceCase {
  return {
    name,
    group,
    async run(c) {
      const a = c.uniform(inputs.aShape, -3, 3);
      const [low, high] = inputs.bRange ?? [-3, 3];
      const b = c.uniform(inputs.bShape, low, high);
      const observed = await c.read(c.tf.tidy(() => op(c.tf, c.tensor(a), c.tensor(b))));
      return [check(name, ref.zip(a, b, f), observed, tolerance)];
    },
  };
}

const elementwiseCases: BackendConformanceCase[] = [
  binaryCase("add", "elementwise", (tf, a, b) => tf.add(a, b), (x, y) => x + y, ROUNDED),
  binaryCase("sub", "elementwise", (tf, a, b) => tf.sub(a, b), (x, y) => x - y, ROUNDED),
  binaryCase("mul", "elementwise", (tf, a, b) => tf.mul(a, b), (x, y) => x * y, ROUNDED),
  binaryCase("div", "elementwise", (tf, a, b) => tf.div(a, b), (x, y) => x / y, DIVISION, { aShape: [N, K], bShape: [N, K], bRange: [0.25, 4] }),
  unaryCase("square", (tf, x) => tf.square(x), (x) => x * x, -3, 3, ROUNDED),
  unaryCase("sqrt on [0, 100)", (tf, x) => tf.sqrt(x), Math.sqrt, 0, 100, DIVISION),
  unaryCase("exp on [-10, 10)", (tf, x) => tf.exp(x), Math.exp, -10, 10, TRANSCENDENTAL),
  unaryCase("log on [0.001, 1000)", (tf, x) => tf.log(x), Math.log, 1e-3, 1e3, TRANSCENDENTAL),
  unaryCase("tanh on [-6, 6)", (tf, x) => tf.tanh(x), Math.tanh, -6, 6, TRANSCENDENTAL),
  unaryCase("sin on [-π, π)", (tf, x) => tf.sin(x), Math.sin, -Math.PI, Math.PI, TRANSCENDENTAL),
  unaryCase("cos on [-π, π)", (tf, x) => tf.cos(x), Math.cos, -Math.PI, Math.PI, TRANSCENDENTAL),
  unaryCase("sigmoid on [-12, 12)", (tf, x) => tf.sigmoid(x), ref.sigmoid, -12, 12, TRANSCENDENTAL),
  unaryCase("softplus on [-12, 12)", (tf, x) => tf.softplus(x), ref.softplus, -12, 12, TRANSCENDENTAL),
];

// ---------------------------------------------------------------------------------------------
// Broadcasting

const broadcastingCases: BackendConformanceCase[] = [
  binaryCase(`broadcast add of a row vector (${N}×${D} + ${D})`, "broadcasting", (tf, a, b) => tf.add(a, b), (x, y) => x + y, ROUNDED, {
    aShape: [N, D],
    bShape: [D],
  }),
  binaryCase(`broadcast sub of a column (${N}×${D} − ${N}×1)`, "broadcasting", (tf, a, b) => tf.sub(a, b), (x, y) => x - y, ROUNDED, {
    aShape: [N, D],
    bShape: [N, 1],
  }),
  binaryCase(`broadcast outer mul (${N}×1 · 1×${D})`, "broadcasting", (tf, a, b) => tf.mul(a, b), (x, y) => x * y, ROUNDED, {
    aShape: [N, 1],
    bShape: [1, D],
  }),
  binaryCase(`broadcast div by a scalar`, "broadcasting", (tf, a, b) => tf.div(a, b), (x, y) => x / y, DIVISION, {
    aShape: [N, D],
    bShape: [],
    bRange: [0.25, 4],
  }),
  binaryCase(`broadcast mul over a batch axis (3×${N}×${D} · ${N}×1)`, "broadcasting", (tf, a, b) => tf.mul(a, b), (x, y) => x * y, ROUNDED, {
    aShape: [3, N, D],
    bShape: [N, 1],
  }),
];

// ---------------------------------------------------------------------------------------------
// Reductions

function reductionCase(
  name: string,
  kind: "sum" | "mean" | "max",
  shape: readonly number[],
  axes: readonly number[] | undefined,
  keepDims: boolean,
): BackendConformanceCase {
  return {
    name,
    group: "reduction",
    async run(c) {
      const x = c.uniform(shape, -2, 2);
      const axisArgument = axes === undefined ? undefined : axes.length === 1 ? (axes[0] as number) : [...axes];
      const observed = await c.read(
        c.tf.tidy(() => {
          const t = c.tensor(x);
          if (kind === "sum") return c.tf.sum(t, axisArgument, keepDims);
          if (kind === "mean") return c.tf.mean(t, axisArgument, keepDims);
          return c.tf.max(t, axisArgument, keepDims);
        }),
      );
      if (kind === "max") {
        const { result } = ref.reduce(x, axes, Number.NEGATIVE_INFINITY, Math.max, keepDims);
        return [check(name, result, observed, EXACT)];
      }
      const { result, absoluteSum } = ref.reduce(x, axes, 0, (acc, v) => acc + v, keepDims);
      if (kind === "sum") return [check(name, result, observed, ACCUMULATED, absoluteSum)];
      const count = ref.sizeOf(shape) / ref.sizeOf(result.shape);
      const mean = ref.map(result, (v) => v / count);
      return [check(name, mean, observed, ACCUMULATED, absoluteSum.map((s) => s / count))];
    },
  };
}

const reductionCases: BackendConformanceCase[] = [
  reductionCase(`sum of all entries (${N}×${K})`, "sum", [N, K], undefined, false),
  reductionCase(`sum along axis 0 (${N}×${K})`, "sum", [N, K], [0], false),
  reductionCase(`sum along axis 1 with keepDims (${N}×${K})`, "sum", [N, K], [1], true),
  reductionCase(`sum of 4096 entries`, "sum", [4096], undefined, false),
  reductionCase(`mean along axis 0 (${N}×${K})`, "mean", [N, K], [0], false),
  reductionCase(`mean along axes 0 and 2 (3×${N}×${D})`, "mean", [3, N, D], [0, 2], false),
  reductionCase(`max along axis 0 (${N}×${K})`, "max", [N, K], [0], false),
  reductionCase(`max along axis 1 (${N}×${K})`, "max", [N, K], [1], false),
];

// ---------------------------------------------------------------------------------------------
// Layout: reshape, transpose, concat, slice, gather, stack (pure data movement: exact)

function layoutCase(name: string, body: (c: ConformanceContext) => Promise<Check>): BackendConformanceCase {
  return { name, group: "layout", run: async (c) => [await body(c)] };
}

const layoutCases: BackendConformanceCase[] = [
  layoutCase(`reshape ${N}×${D} → ${D}×${N} → 91`, async (c) => {
    const x = c.normal([N, D]);
    // A reshape only relabels the data; adding 0 makes a kernel read it through the new shape.
    const observed = await c.read(c.tf.tidy(() => c.tf.add(c.tf.reshape(c.tf.reshape(c.tensor(x), [D, N]), [N * D]), 0)));
    return check("reshape", ref.reshape(x, [N * D]), observed, EXACT);
  }),
  layoutCase(`transpose ${N}×${K}`, async (c) => {
    const x = c.normal([N, K]);
    const observed = await c.read(c.tf.tidy(() => c.tf.transpose(c.tensor(x))));
    return check("transpose", ref.transpose(x), observed, EXACT);
  }),
  layoutCase(`transpose 3×${N}×${D} with perm [2, 0, 1]`, async (c) => {
    const x = c.normal([3, N, D]);
    const observed = await c.read(c.tf.tidy(() => c.tf.transpose(c.tensor(x), [2, 0, 1])));
    return check("transpose [2, 0, 1]", ref.transpose(x, [2, 0, 1]), observed, EXACT);
  }),
  layoutCase(`concat along axis 0 (${N}×${D}, 4×${D})`, async (c) => {
    const a = c.normal([N, D]);
    const b = c.normal([4, D]);
    const observed = await c.read(c.tf.tidy(() => c.tf.concat([c.tensor(a), c.tensor(b)], 0)));
    return check("concat axis 0", ref.concat([a, b], 0), observed, EXACT);
  }),
  layoutCase(`concat along axis 1 (${N}×${D}, ${N}×1, ${N}×${K})`, async (c) => {
    const parts = [c.normal([N, D]), c.normal([N, 1]), c.normal([N, K])];
    const observed = await c.read(c.tf.tidy(() => c.tf.concat(parts.map((p) => c.tensor(p)), 1)));
    return check("concat axis 1", ref.concat(parts, 1), observed, EXACT);
  }),
  layoutCase(`slice a 5×4 block at [3, 2] of ${N}×${D}`, async (c) => {
    const x = c.normal([N, D]);
    const observed = await c.read(c.tf.tidy(() => c.tf.slice(c.tensor(x), [3, 2], [5, 4])));
    return check("slice", ref.slice(x, [3, 2], [5, 4]), observed, EXACT);
  }),
  layoutCase(`gather rows (axis 0, repeated indices)`, async (c) => {
    const x = c.normal([N, D]);
    const indices = [12, 0, 5, 5, 3, 7, 1];
    const observed = await c.read(c.tf.tidy(() => c.tf.gather(c.tensor(x), c.tf.tensor1d(indices, "int32"), 0)));
    return check("gather axis 0", ref.gather(x, indices, 0), observed, EXACT);
  }),
  layoutCase(`gather columns (axis 1)`, async (c) => {
    const x = c.normal([N, D]);
    const indices = [6, 2, 2, 0];
    const observed = await c.read(c.tf.tidy(() => c.tf.gather(c.tensor(x), c.tf.tensor1d(indices, "int32"), 1)));
    return check("gather axis 1", ref.gather(x, indices, 1), observed, EXACT);
  }),
  layoutCase(`stack along axis 0 (three ${N}×${D})`, async (c) => {
    const parts = [c.normal([N, D]), c.normal([N, D]), c.normal([N, D])];
    const observed = await c.read(c.tf.tidy(() => c.tf.stack(parts.map((p) => c.tensor(p)), 0)));
    return check("stack axis 0", ref.stack(parts, 0), observed, EXACT);
  }),
  layoutCase(`stack along axis 1 (three ${N}×${D})`, async (c) => {
    const parts = [c.normal([N, D]), c.normal([N, D]), c.normal([N, D])];
    const observed = await c.read(c.tf.tidy(() => c.tf.stack(parts.map((p) => c.tensor(p)), 1)));
    return check("stack axis 1", ref.stack(parts, 1), observed, EXACT);
  }),
];

// ---------------------------------------------------------------------------------------------
// Selection: greater, where

const selectionCases: BackendConformanceCase[] = [
  {
    name: "greater gives a boolean mask",
    group: "selection",
    async run(c) {
      const a = c.normal([N, D]);
      const b = c.normal([N, D]);
      // A few exact ties, where `greater` must say false.
      for (const i of [0, 9, 40]) b.values[i] = a.values[i] as number;
      const observed = await c.read(c.tf.tidy(() => c.tf.greater(c.tensor(a), c.tensor(b))));
      return [check("greater", ref.zip(a, b, (x, y) => (x > y ? 1 : 0)), observed, EXACT)];
    },
  },
  {
    name: "where(greater(a, b), a, b) is the entrywise maximum",
    group: "selection",
    async run(c) {
      const a = c.normal([N, D]);
      const b = c.normal([N, D]);
      const observed = await c.read(
        c.tf.tidy(() => {
          const ta = c.tensor(a);
          const tb = c.tensor(b);
          return c.tf.where(c.tf.greater(ta, tb), ta, tb);
        }),
      );
      return [check("where", ref.zip(a, b, Math.max), observed, EXACT)];
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Gradients through a tanh MLP u(x) = tanh(x W₁ + b₁) W₂ + b₂, the shape of minevo's networks

const WIDTH = 16;

interface Mlp {
  readonly x: HostArray;
  readonly w1: HostArray;
  readonly b1: HostArray;
  readonly w2: HostArray;
  readonly b2: HostArray;
}

function drawMlp(c: ConformanceContext): Mlp {
  return {
    x: c.uniform([N, 3], -1, 1),
    w1: c.normal([3, WIDTH], 1),
    b1: c.normal([WIDTH], 0.5),
    w2: c.normal([WIDTH, 1], 1 / Math.sqrt(WIDTH)),
    b2: c.normal([1], 0.5),
  };
}

type MlpTensors = { readonly [K in keyof Mlp]: Tensor };

function mlpForward(tf: ConformanceContext["tf"], p: MlpTensors): { u: Tensor } {
  const hidden = tf.tanh(tf.add(tf.matMul(p.x, p.w1), p.b1));
  return { u: tf.add(tf.matMul(hidden, p.w2), p.b2) };
}

/** Float64 forward pass: the hidden activations H = tanh(X W₁ + b₁) and the output U. */
function mlpReference(p: Mlp): { h: HostArray; u: HostArray } {
  const h = ref.map(ref.zip(ref.matMul(p.x, p.w1).result, p.b1, (a, b) => a + b), Math.tanh);
  const u = ref.zip(ref.matMul(h, p.w2).result, p.b2, (a, b) => a + b);
  return { h, u };
}

const upload = (c: ConformanceContext, p: Mlp): MlpTensors => ({
  x: c.tensor(p.x),
  w1: c.tensor(p.w1),
  b1: c.tensor(p.b1),
  w2: c.tensor(p.w2),
  b2: c.tensor(p.b2),
});

const gradientCases: BackendConformanceCase[] = [
  {
    name: "tf.grad: input gradient ∇ₓ Σu of a tanh MLP",
    group: "gradient",
    async run(c) {
      const p = drawMlp(c);
      const { h } = mlpReference(p);
      // ∂Σu/∂X = ((1 − H²) ⊙ W₂ᵀ) W₁ᵀ
      const dz = ref.zip(
        ref.map(h, (v) => 1 - v * v),
        ref.transpose(p.w2),
        (a, b) => a * b,
      );
      const expected = ref.matMul(dz, p.w1, false, true).result;
      const observed = await c.read(
        c.tf.tidy(() => {
          const t = upload(c, p);
          return c.tf.grad((x: Tensor) => c.tf.sum(mlpForward(c.tf, { ...t, x }).u))(t.x);
        }),
      );
      return [check("∇ₓ Σu", expected, observed, GRADIENT, "max")];
    },
  },
  {
    name: "tf.valueAndGrads: least-squares loss and all parameter gradients of a tanh MLP",
    group: "gradient",
    async run(c) {
      const p = drawMlp(c);
      const y = c.normal([N, 1]);
      const { h, u } = mlpReference(p);
      // L = ½ mean((U − Y)²): dU = (U − Y)/N, then back through both layers.
      const residual = ref.zip(u, y, (a, b) => a - b);
      const loss = ref.hostArray([], Float64Array.of(residual.values.reduce((s, r) => s + r * r, 0) / (2 * N)));
      const du = ref.map(residual, (r) => r / N);
      const dw2 = ref.matMul(h, du, true, false).result;
      const db2 = ref.reduce(du, [0], 0, (a, b) => a + b).result;
      const dz = ref.zip(ref.matMul(du, p.w2, false, true).result, ref.map(h, (v) => 1 - v * v), (a, b) => a * b);
      const dw1 = ref.matMul(p.x, dz, true, false).result;
      const db1 = ref.reduce(dz, [0], 0, (a, b) => a + b).result;
      const t = upload(c, p);
      const yt = c.tensor(y);
      try {
        const { value, grads } = c.tf.valueAndGrads((w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => {
          const { u: ut } = mlpForward(c.tf, { x: t.x, w1, b1, w2, b2 });
          return c.tf.div<Scalar>(c.tf.sum(c.tf.square(c.tf.sub(ut, yt))), 2 * N);
        })([t.w1, t.b1, t.w2, t.b2]);
        const [gw1, gb1, gw2, gb2] = grads as [Tensor, Tensor, Tensor, Tensor];
        return [
          check("loss", loss, await c.read(value), GRADIENT, "max"),
          check("∂L/∂W₁", dw1, await c.read(gw1), GRADIENT, "max"),
          check("∂L/∂b₁", db1, await c.read(gb1), GRADIENT, "max"),
          check("∂L/∂W₂", dw2, await c.read(gw2), GRADIENT, "max"),
          check("∂L/∂b₂", db2, await c.read(gb2), GRADIENT, "max"),
        ];
      } finally {
        c.tf.dispose([...Object.values(t), yt]);
      }
    },
  },
  {
    name: "tf.valueAndGrad: Σu and its gradient in W₁",
    group: "gradient",
    async run(c) {
      const p = drawMlp(c);
      const { h, u } = mlpReference(p);
      const dz = ref.zip(
        ref.map(h, (v) => 1 - v * v),
        ref.transpose(p.w2),
        (a, b) => a * b,
      );
      const dw1 = ref.matMul(p.x, dz, true, false).result;
      const total = ref.hostArray([], Float64Array.of(u.values.reduce((s, v) => s + v, 0)));
      const t = upload(c, p);
      try {
        const { value, grad } = c.tf.valueAndGrad((w1: Tensor) => c.tf.sum(mlpForward(c.tf, { ...t, w1 }).u))(t.w1);
        return [check("Σu", total, await c.read(value), GRADIENT, "max"), check("∂Σu/∂W₁", dw1, await c.read(grad), GRADIENT, "max")];
      } finally {
        c.tf.dispose(Object.values(t));
      }
    },
  },
  {
    name: "tf.grad through sin, exp, sigmoid, softplus, sqrt, log and div",
    group: "gradient",
    async run(c) {
      const x = c.uniform([N, D], 0.5, 2.5);
      // f(x) = Σ [sin x · e^(−x²) + softplus(x) · sigmoid(x) + √x / log(1 + x)]
      const df = (v: number): number => {
        const g = Math.exp(-v * v);
        const s = ref.sigmoid(v);
        const l = Math.log(1 + v);
        return (
          Math.cos(v) * g - 2 * v * Math.sin(v) * g + s * s + ref.softplus(v) * s * (1 - s) + (1 / (2 * Math.sqrt(v))) / l - Math.sqrt(v) / (l * l * (1 + v))
        );
      };
      const observed = await c.read(
        c.tf.tidy(() =>
          c.tf.grad((v: Tensor) => {
            const tf = c.tf;
            const a = tf.mul(tf.sin(v), tf.exp(tf.neg(tf.square(v))));
            const b = tf.mul(tf.softplus(v), tf.sigmoid(v));
            const d = tf.div(tf.sqrt(v), tf.log(tf.add(v, 1)));
            return tf.sum(tf.add(tf.add(a, b), d));
          })(c.tensor(x)),
        ),
      );
      return [check("∇ f", ref.map(x, df), observed, GRADIENT, "max")];
    },
  },
  {
    name: "tf.grads through matMul with transposeB and a broadcast bias",
    group: "gradient",
    async run(c) {
      const a = c.normal([N, K]);
      const b = c.normal([D, K]);
      const bias = c.normal([D]);
      // f = ½ Σ (A Bᵀ + c)²: ∂f/∂B = Rᵀ A, ∂f/∂c = Σ_rows R with R = A Bᵀ + c.
      const r = ref.zip(ref.matMul(a, b, false, true).result, bias, (x, y) => x + y);
      const dB = ref.matMul(r, a, true, false).result;
      const dc = ref.reduce(r, [0], 0, (x, y) => x + y).result;
      const ta = c.tensor(a);
      const tb = c.tensor(b);
      const tc = c.tensor(bias);
      try {
        const [gb, gc] = c.tf.grads((bt: Tensor, ct: Tensor) =>
          c.tf.mul(c.tf.sum(c.tf.square(c.tf.add(c.tf.matMul(ta, bt, false, true), ct))), 0.5),
        )([tb, tc]) as [Tensor, Tensor];
        return [check("∂f/∂B", dB, await c.read(gb), GRADIENT, "max"), check("∂f/∂c", dc, await c.read(gc), GRADIENT, "max")];
      } finally {
        c.tf.dispose([ta, tb, tc]);
      }
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Memory: tidy and dispose keep the live tensor count constant

const counts = (values: number[]): HostArray => ref.hostArray([values.length], Float64Array.from(values));

const memoryCases: BackendConformanceCase[] = [
  {
    name: "tidy keeps numTensors constant over 25 MLP gradient steps",
    group: "memory",
    async run(c) {
      const p = drawMlp(c);
      const t = upload(c, p);
      try {
        const base = c.tf.memory().numTensors;
        const after: number[] = [];
        for (let step = 0; step < 25; step++) {
          const loss = c.tf.tidy(() => {
            const g = c.tf.grad((w1: Tensor) => c.tf.sum(c.tf.square(mlpForward(c.tf, { ...t, w1 }).u)))(t.w1);
            return c.tf.sum(c.tf.abs(g));
          });
          await loss.data();
          loss.dispose();
          after.push(c.tf.memory().numTensors - base);
        }
        const observed = { shape: [after.length], dtype: "int32", values: after };
        return [check("live tensors added after each step", counts(after.map(() => 0)), observed, EXACT)];
      } finally {
        c.tf.dispose(Object.values(t));
      }
    },
  },
  {
    name: "dispose, keep and variables: live tensor counts",
    group: "memory",
    async run(c) {
      const tf = c.tf;
      const base = tf.memory().numTensors;
      const seen: number[] = [];
      const a = c.tensor(c.normal([N, D]));
      const b = c.tensor(c.normal([N, D]));
      seen.push(tf.memory().numTensors - base); // a, b
      let kept: Tensor | undefined;
      tf.tidy(() => {
        const s = tf.add(a, b);
        kept = tf.keep(tf.mul(s, s));
      });
      seen.push(tf.memory().numTensors - base); // a, b, the kept product; the sum was released
      const returned = tf.tidy(() => tf.square(tf.sub(a, b)));
      seen.push(tf.memory().numTensors - base); // … and the tidy's return value
      const v = tf.variable(a, false);
      seen.push(tf.memory().numTensors - base); // … and a variable
      tf.dispose([a, b, returned, v]);
      seen.push(tf.memory().numTensors - base); // only the kept product remains
      kept?.dispose();
      seen.push(tf.memory().numTensors - base);
      const observed = { shape: [seen.length], dtype: "int32", values: seen };
      return [check("live tensors after each step", counts([2, 3, 4, 5, 1, 0]), observed, EXACT)];
    },
  },
];

/** Every case, in a stable order. */
export const backendConformanceCases: readonly BackendConformanceCase[] = Object.freeze([
  ...matMulCases,
  ...elementwiseCases,
  ...broadcastingCases,
  ...reductionCases,
  ...layoutCases,
  ...selectionCases,
  ...gradientCases,
  ...memoryCases,
]);
