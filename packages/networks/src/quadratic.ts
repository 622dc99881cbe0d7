/**
 * The quadratic term −½ xᵀPx of a network, in x only.
 *
 * A tanh MLP cannot reach the −|x|²/2 growth of a log-density without huge weights (see
 * STABILITY.md §3), so the recipe network carries a learnable symmetric P. Its coefficients q
 * enter linearly: u_q = Φ(x)·q, ∇ₓu_q = −Px, Δₓu_q = −tr P, and the Jacobian columns are Φ(x).
 *  - symmetric: q = the upper triangle of P row by row (d(d+1)/2 values); Φ = −½xᵢ² on the
 *    diagonal and −xᵢxⱼ off it;
 *  - diagonal: q = diag P (d values), Φ = −½xᵢ²;
 *  - isotropic: P = q·I (one value), Φ = −½|x|².
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import type { TensorFlow } from "@minevo/core";

export const quadraticForms = ["symmetric", "diagonal", "isotropic"] as const;
export type QuadraticForm = (typeof quadraticForms)[number];

export class QuadraticTerm {
  readonly form: QuadraticForm;
  readonly dimension: number;
  readonly numCoefficients: number;
  /** For each coefficient m (symmetric form): the entry (rowIndex[m], columnIndex[m]), row ≤ column. */
  readonly #rowIndex: Int32Array;
  readonly #columnIndex: Int32Array;
  /** For each entry of the d×d matrix P (row-major): the coefficient it reads (symmetric form). */
  readonly #entryCoefficient: Int32Array;
  readonly #diagonalCoefficient: Int32Array;

  constructor(form: QuadraticForm, dimension: number) {
    this.form = form;
    this.dimension = dimension;
    const d = dimension;
    this.numCoefficients = form === "symmetric" ? (d * (d + 1)) / 2 : form === "diagonal" ? d : 1;
    this.#rowIndex = new Int32Array(this.numCoefficients);
    this.#columnIndex = new Int32Array(this.numCoefficients);
    this.#entryCoefficient = new Int32Array(d * d);
    this.#diagonalCoefficient = new Int32Array(d);
    if (form === "symmetric") {
      let m = 0;
      for (let i = 0; i < d; i++) {
        for (let j = i; j < d; j++) {
          this.#rowIndex[m] = i;
          this.#columnIndex[m] = j;
          this.#entryCoefficient[i * d + j] = m;
          this.#entryCoefficient[j * d + i] = m;
          if (i === j) this.#diagonalCoefficient[i] = m;
          m++;
        }
      }
    }
  }

  /** Coefficients for P = initial·I. */
  initialCoefficients(initial: number): Float64Array {
    const q = new Float64Array(this.numCoefficients);
    if (this.form === "symmetric") for (let i = 0; i < this.dimension; i++) q[this.#diagonalCoefficient[i] as number] = initial;
    else q.fill(initial);
    return q;
  }

  /** xP (N×d) for x (N×d) and coefficients q (length m). Call inside tf.tidy. */
  timesMatrix(tf: TensorFlow, x: Tensor2D, q: Tensor1D): Tensor2D {
    switch (this.form) {
      case "symmetric": {
        const d = this.dimension;
        const matrix = tf.reshape(tf.gather(q, tf.tensor1d(this.#entryCoefficient, "int32")), [d, d]) as Tensor2D;
        return tf.matMul(x, matrix);
      }
      case "diagonal":
        return tf.mul(x, q);
      case "isotropic":
        return tf.mul(x, q);
    }
  }

  /** tr P as a scalar tensor. Call inside tf.tidy. */
  trace(tf: TensorFlow, q: Tensor1D) {
    switch (this.form) {
      case "symmetric":
        return tf.sum(tf.gather(q, tf.tensor1d(this.#diagonalCoefficient, "int32")));
      case "diagonal":
        return tf.sum(q);
      case "isotropic":
        return tf.mul(this.dimension, tf.sum(q));
    }
  }

  /** Φ(x) (N×m): the Jacobian columns of the coefficients. Call inside tf.tidy. */
  features(tf: TensorFlow, x: Tensor2D): Tensor2D {
    switch (this.form) {
      case "symmetric": {
        const scale = new Float32Array(this.numCoefficients);
        for (let m = 0; m < scale.length; m++) scale[m] = this.#rowIndex[m] === this.#columnIndex[m] ? -0.5 : -1;
        const left = tf.gather(x, tf.tensor1d(this.#rowIndex, "int32"), 1);
        const right = tf.gather(x, tf.tensor1d(this.#columnIndex, "int32"), 1);
        return tf.mul(tf.mul(left, right), tf.tensor1d(scale));
      }
      case "diagonal":
        return tf.mul(-0.5, tf.square(x));
      case "isotropic":
        return tf.mul(-0.5, tf.sum(tf.square(x), 1, true));
    }
  }

  /** −½ xᵀPx in float64 for one point x (the first d entries of `point` from `start`). */
  valueFloat64(q: ArrayLike<number>, point: ArrayLike<number>, start: number): number {
    const d = this.dimension;
    let total = 0;
    for (let i = 0; i < d; i++) {
      const xi = point[start + i] as number;
      for (let j = 0; j < d; j++) {
        const xj = point[start + j] as number;
        let pij: number;
        if (this.form === "symmetric") pij = q[this.#entryCoefficient[i * d + j] as number] as number;
        else if (i !== j) pij = 0;
        else pij = this.form === "diagonal" ? (q[i] as number) : (q[0] as number);
        total += xi * pij * xj;
      }
    }
    return -0.5 * total;
  }
}
