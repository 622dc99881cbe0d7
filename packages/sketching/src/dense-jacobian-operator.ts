/**
 * A {@link JacobianOperator} backed by an explicit N×p tensor: for tests, benchmarks, and
 * networks small enough to materialise J. It keeps J and an explicit Jᵀ, so JᵀΩ is a plain
 * matMul (matMul with a transposed operand is many times slower on wasm).
 */
import { ErrorCode, MinevoError, assertFinite, type DenseMatrix, type JacobianOperator, type TensorFlow } from "@minevo/core";
import type { Tensor2D } from "@tensorflow/tfjs-core";

/**
 * Wraps J (a Tensor2D, copied so the caller keeps ownership of theirs, or a row-major float64
 * matrix, rounded to float32). Dispose the operator to release its two tensors.
 */
export function denseJacobianOperator(tf: TensorFlow, jacobian: Tensor2D | DenseMatrix): JacobianOperator {
  let j: Tensor2D;
  if ("data" in jacobian && jacobian.data instanceof Float64Array) {
    const m = jacobian as DenseMatrix;
    assertFinite(m.data, "denseJacobianOperator: J");
    j = tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols], "float32");
  } else {
    j = tf.clone(jacobian as Tensor2D);
  }
  const [numPoints, numParameters] = j.shape;
  const jt = tf.transpose(j);
  let disposed = false;
  const live = (what: string) => {
    if (disposed) throw new MinevoError(ErrorCode.InvalidState, `denseJacobianOperator.${what}: the operator was disposed`);
  };
  const expectRows = (m: Tensor2D, rows: number, what: string) => {
    if (m.rank !== 2 || m.shape[0] !== rows) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `denseJacobianOperator.${what}: the operand has shape [${m.shape.join(", ")}], expected ${rows} rows`,
        { shape: m.shape, rows },
      );
    }
  };
  return {
    numPoints,
    numParameters,
    dense() {
      live("dense");
      return tf.clone(j);
    },
    transposeTimes(omega) {
      live("transposeTimes");
      expectRows(omega, numPoints, "transposeTimes");
      return tf.matMul(jt, omega);
    },
    times(v) {
      live("times");
      expectRows(v, numParameters, "times");
      return tf.matMul(j, v);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      j.dispose();
      jt.dispose();
    },
  };
}
