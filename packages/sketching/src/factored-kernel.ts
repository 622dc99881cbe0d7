/**
 * The dense kernel K = JJᵀ and θ̇ = Jᵀc in float64 from a Jacobian kept in factored form.
 *
 * A dense layer's weight block of J has entries h[m,i]·δ[m,j] (input activation times
 * back-propagated sensitivity), so its contribution to K is a Hadamard product of two small Gram
 * matrices:  Σ_ij h[m,i]δ[m,j]h[n,i]δ[n,j] = (HHᵀ)[m,n]·(ΔΔᵀ)[m,n].  Forming K from the factors
 * costs N²(a + b)/2 multiply-adds per block instead of N²·a·b/2 from the N×p matrix (at N = 2000
 * and a = b = 68: 34× fewer), and needs neither the N×p matrix on the backend nor its transfer.
 * The products h·δ are exact in float64, so this K is the Gram matrix of J to float64 rounding
 * (closer to the exact one than the Gram of the float32-rounded J entries).
 *
 * Networks opt in by offering `readFactors()` on their Jacobian operator (the `mlp`'s
 * FactoredJacobian does); any other operator goes through `dense()`.
 */
import { type DenseMatrix, type JacobianOperator, type RowMajor } from "@minevo/core";

/** One block of J on the CPU: an outer product of two per-point factors, or plain columns. */
export type HostFactorBlock =
  | { readonly kind: "outer"; readonly left: RowMajor; readonly right: RowMajor }
  | { readonly kind: "columns"; readonly columns: RowMajor };

/** A Jacobian operator that can hand its factors to the CPU (shared factors as the same object). */
export interface HostFactorSource {
  readFactors(): Promise<readonly HostFactorBlock[]>;
}

export function hasHostFactors(jacobian: JacobianOperator): jacobian is JacobianOperator & HostFactorSource {
  return typeof (jacobian as Partial<HostFactorSource>).readFactors === "function";
}

/**
 * K = JJᵀ (N×N, float64) from the factored blocks. The distinct factors are laid side by side in
 * one N×F float64 matrix (F = their total width, 275 at d = 2, p ≈ 5000), and each entry
 * K[m,n] = Σ_outer (l_m·l_n)(r_m·r_n) + Σ_columns c_m·c_n is formed from the per-factor dot
 * products of rows m and n, four n at a time (each value of row m loaded once for four
 * multiply-adds): N²F/2 multiply-adds in all, one pass over K, upper triangle then mirrored.
 */
export function kernelFromFactors(blocks: readonly HostFactorBlock[], numPoints: number): DenseMatrix {
  const factors: RowMajor[] = [];
  const indexOf = (factor: RowMajor): number => {
    let index = factors.indexOf(factor);
    if (index < 0) index = factors.push(factor) - 1;
    return index;
  };
  // Terms: [left, right] for an outer block, [columns, −1] for a columns block.
  const terms = blocks.map((b) => (b.kind === "outer" ? [indexOf(b.left), indexOf(b.right)] : [indexOf(b.columns), -1]) as [number, number]);
  const numFactors = factors.length;
  const starts = new Int32Array(numFactors + 1);
  factors.forEach((f, i) => (starts[i + 1] = (starts[i] as number) + f.cols));
  const width = starts[numFactors] as number;
  const x = new Float64Array(numPoints * width);
  factors.forEach((f, i) => {
    const start = starts[i] as number;
    for (let m = 0; m < numPoints; m++) for (let k = 0; k < f.cols; k++) x[m * width + start + k] = f.data[m * f.cols + k] as number;
  });
  const n = numPoints;
  const kernel = new Float64Array(n * n);
  const dots = new Float64Array(numFactors * 4);
  const termLeft = Int32Array.from(terms, (t) => t[0]);
  const termRight = Int32Array.from(terms, (t) => t[1]);
  for (let m = 0; m < n; m++) {
    const xm = m * width;
    for (let c0 = m; c0 < n; c0 += 4) {
      const lanes = Math.min(4, n - c0);
      const y0 = c0 * width;
      // Rows past the end repeat the last row: computed, never stored.
      const y1 = (lanes > 1 ? c0 + 1 : c0) * width;
      const y2 = (lanes > 2 ? c0 + 2 : c0) * width;
      const y3 = (lanes > 3 ? c0 + 3 : c0) * width;
      for (let f = 0; f < numFactors; f++) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const end = starts[f + 1] as number;
        for (let k = starts[f] as number; k < end; k++) {
          const v = x[xm + k] as number;
          s0 += v * (x[y0 + k] as number);
          s1 += v * (x[y1 + k] as number);
          s2 += v * (x[y2 + k] as number);
          s3 += v * (x[y3 + k] as number);
        }
        dots[4 * f] = s0;
        dots[4 * f + 1] = s1;
        dots[4 * f + 2] = s2;
        dots[4 * f + 3] = s3;
      }
      for (let q = 0; q < lanes; q++) {
        let value = 0;
        for (let t = 0; t < termLeft.length; t++) {
          const left = dots[4 * (termLeft[t] as number) + q] as number;
          const right = termRight[t] as number;
          value += right < 0 ? left : left * (dots[4 * right + q] as number);
        }
        kernel[m * n + c0 + q] = value;
      }
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) kernel[i * n + j] = kernel[j * n + i] as number;
  return { rows: n, cols: n, data: kernel };
}

/** Jᵀc (length p, float64), block by block in J's column order. */
export function transposeTimesFromFactors(blocks: readonly HostFactorBlock[], c: Float64Array, numParameters: number): Float64Array {
  const out = new Float64Array(numParameters);
  let offset = 0;
  for (const block of blocks) {
    if (block.kind === "columns") {
      const { rows, cols, data } = block.columns;
      for (let m = 0; m < rows; m++) {
        const cm = c[m] as number;
        const row = m * cols;
        for (let j = 0; j < cols; j++) out[offset + j] = (out[offset + j] as number) + cm * (data[row + j] as number);
      }
      offset += cols;
    } else {
      // Σ_m c_m h[m,i] δ[m,·]: for each point, a scaled copy of δ's row into each of a rows of the block.
      const a = block.left.cols;
      const b = block.right.cols;
      const h = block.left.data;
      const delta = block.right.data;
      for (let m = 0; m < block.left.rows; m++) {
        const cm = c[m] as number;
        if (cm === 0) continue;
        for (let i = 0; i < a; i++) {
          const weight = cm * (h[m * a + i] as number);
          if (weight === 0) continue;
          const target = offset + i * b;
          const source = m * b;
          for (let j = 0; j < b; j++) out[target + j] = (out[target + j] as number) + weight * (delta[source + j] as number);
        }
      }
      offset += a * b;
    }
  }
  return out;
}
