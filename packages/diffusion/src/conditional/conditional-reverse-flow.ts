/**
 * The reverse probability flow for a conditional model u_θ(t, x, y) (METHOD.md §6): y is frozen,
 * so for one condition y the flow in x is exactly the unconditional one of the function
 * x ↦ u_θ(t, x, y). This file only supplies the model's derivatives with y appended to every row;
 * the integration, the divergence integral and the exact log-density come from the sampler's
 * `integrateReverseFlow`, unchanged.
 */
import { ErrorCode, MinevoError, quote, type Network, type TensorFlow } from "@minevo/core";
import type { ModelDerivatives } from "../sampler/reverse-flow.js";

/** [x | y] rows, (count)×(d + c), float32 for upload. */
export function appendCondition(points: Float64Array, count: number, dim: number, condition: Float64Array): Float32Array {
  const c = condition.length;
  const width = dim + c;
  const rows = new Float32Array(count * width);
  for (let j = 0; j < count; j++) {
    for (let i = 0; i < dim; i++) rows[j * width + i] = points[j * dim + i] as number;
    for (let k = 0; k < c; k++) rows[j * width + dim + k] = condition[k] as number;
  }
  return rows;
}

/** Checks one condition y: c finite numbers. */
export function checkCondition(condition: Float64Array, conditionDim: number, what: string): Float64Array {
  if (!(condition instanceof Float64Array) || condition.length !== conditionDim) {
    throw new MinevoError(
      ErrorCode.DimensionMismatch,
      `${what} must be a Float64Array of c = ${conditionDim} numbers, got ${condition instanceof Float64Array ? `${condition.length} numbers` : quote(condition)}`,
      { expected: conditionDim },
    );
  }
  condition.forEach((v, k) => {
    if (!Number.isFinite(v)) throw new MinevoError(ErrorCode.NonFinite, `${what} has the non-finite entry ${String(v)} at index ${k}`, { index: k });
  });
  return Float64Array.from(condition);
}

/**
 * ∇ₓu and Δₓu of a conditional network at (x, y) for one fixed y, with θ(t) from `parameters`:
 * the {@link ModelDerivatives} that `integrateReverseFlow` integrates to sample x | y.
 */
export function conditionalNetworkDerivatives(
  tf: TensorFlow,
  network: Network,
  parameters: (t: number) => Float64Array,
  condition: Float64Array,
): ModelDerivatives {
  if (network.conditionDim < 1) {
    throw new MinevoError(ErrorCode.InvalidArgument, `conditionalNetworkDerivatives needs a network with conditioning inputs; this one has conditionDim = 0`);
  }
  const y = checkCondition(condition, network.conditionDim, "the condition y");
  const d = network.inputDim;
  return async (t, points, count) => {
    const theta = parameters(t);
    const rows = tf.tensor2d(appendCondition(points, count, d, y), [count, d + y.length]);
    const evaluation = network.evaluate(tf, theta, rows, { gradient: true, laplacian: true });
    try {
      const [gradient, laplacian] = await Promise.all([evaluation.gradient!.data(), evaluation.laplacian!.data()]);
      return { gradient: gradient as Float32Array, laplacian: laplacian as Float32Array };
    } finally {
      evaluation.dispose();
      rows.dispose();
    }
  };
}
