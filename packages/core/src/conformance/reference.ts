/**
 * Float64 reference arithmetic for the backend conformance suite: plain JavaScript loops over
 * row-major arrays, written for clarity, never for speed. Every expected value of the suite is
 * computed here from the same float32-representable inputs the backend receives, so the only
 * differences a case measures are the backend's own rounding and approximation errors.
 */

/** A row-major array of float64 values with its shape. */
export interface HostArray {
  readonly shape: readonly number[];
  readonly values: Float64Array;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = (strides[i + 1] as number) * (shape[i + 1] as number);
  return strides;
}

/** The multi-index of flat position `flat` in `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i] as number;
    index[i] = flat % d;
    flat = Math.floor(flat / d);
  }
  return index;
}

export function hostArray(shape: readonly number[], values: Float64Array): HostArray {
  if (values.length !== sizeOf(shape)) throw new Error(`reference: ${values.length} values do not fill shape [${shape.join(", ")}]`);
  return { shape: [...shape], values };
}

/** Applies `f` entry by entry. */
export function map(a: HostArray, f: (x: number) => number): HostArray {
  return hostArray(a.shape, a.values.map(f));
}

/** The shape NumPy-style broadcasting gives `a` and `b`. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`reference: shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`);
    out.push(Math.max(da, db));
  }
  return out;
}

/** The flat position in an array of `shape` that broadcasting maps output index `index` to. */
function broadcastSource(index: readonly number[], shape: readonly number[]): number {
  const offset = index.length - shape.length;
  const strides = stridesOf(shape);
  let flat = 0;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i] as number;
    flat += (d === 1 ? 0 : (index[offset + i] as number)) * (strides[i] as number);
  }
  return flat;
}

/** `f(a, b)` entry by entry, with NumPy broadcasting. */
export function zip(a: HostArray, b: HostArray, f: (x: number, y: number) => number): HostArray {
  const shape = broadcastShape(a.shape, b.shape);
  const out = new Float64Array(sizeOf(shape));
  for (let flat = 0; flat < out.length; flat++) {
    const index = unravel(flat, shape);
    out[flat] = f(a.values[broadcastSource(index, a.shape)] as number, b.values[broadcastSource(index, b.shape)] as number);
  }
  return hostArray(shape, out);
}

/**
 * Reduces along `axes` (all axes when omitted). Returns the reduction and, entry by entry, the
 * sum of |x| over the reduced entries: the scale a floating-point sum's rounding error grows with.
 */
export function reduce(
  a: HostArray,
  axes: readonly number[] | undefined,
  init: number,
  combine: (acc: number, x: number) => number,
  keepDims = false,
): { result: HostArray; absoluteSum: Float64Array } {
  const reduced = new Set(axes ?? a.shape.map((_, i) => i));
  const keptShape = a.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const out = new Float64Array(sizeOf(keptShape)).fill(init);
  const absoluteSum = new Float64Array(out.length);
  for (let flat = 0; flat < a.values.length; flat++) {
    const index = unravel(flat, a.shape).map((k, i) => (reduced.has(i) ? 0 : k));
    const target = index.reduce((acc, k, i) => acc + k * (stridesOf(keptShape)[i] as number), 0);
    const x = a.values[flat] as number;
    out[target] = combine(out[target] as number, x);
    absoluteSum[target] = (absoluteSum[target] as number) + Math.abs(x);
  }
  const shape = keepDims ? keptShape : a.shape.filter((_, i) => !reduced.has(i));
  return { result: hostArray(shape, out), absoluteSum };
}

/** Permutes axes: output axis i is input axis perm[i]. */
export function transpose(a: HostArray, perm?: readonly number[]): HostArray {
  const order = perm ?? a.shape.map((_, i) => a.shape.length - 1 - i);
  const shape = order.map((p) => a.shape[p] as number);
  const strides = stridesOf(a.shape);
  const out = new Float64Array(a.values.length);
  for (let flat = 0; flat < out.length; flat++) {
    const index = unravel(flat, shape);
    let source = 0;
    for (let i = 0; i < order.length; i++) source += (index[i] as number) * (strides[order[i] as number] as number);
    out[flat] = a.values[source] as number;
  }
  return hostArray(shape, out);
}

/**
 * (Batched) matrix product with optional transposes of the last two axes; batch axes broadcast.
 * Also returns Σₖ |aᵢₖ bₖⱼ| per entry, the scale of the product's rounding error.
 */
export function matMul(a: HostArray, b: HostArray, transposeA = false, transposeB = false): { result: HostArray; absoluteSum: Float64Array } {
  const swapLast = (x: HostArray): HostArray => {
    const perm = x.shape.map((_, i) => i);
    const n = perm.length;
    [perm[n - 2], perm[n - 1]] = [perm[n - 1] as number, perm[n - 2] as number];
    return transpose(x, perm);
  };
  const left = transposeA ? swapLast(a) : a;
  const right = transposeB ? swapLast(b) : b;
  const rows = left.shape[left.shape.length - 2] as number;
  const inner = left.shape[left.shape.length - 1] as number;
  const cols = right.shape[right.shape.length - 1] as number;
  if ((right.shape[right.shape.length - 2] as number) !== inner) throw new Error("reference: inner dimensions differ");
  const batchShape = broadcastShape(left.shape.slice(0, -2), right.shape.slice(0, -2));
  const batches = sizeOf(batchShape);
  const out = new Float64Array(batches * rows * cols);
  const absoluteSum = new Float64Array(out.length);
  for (let batch = 0; batch < batches; batch++) {
    const index = unravel(batch, batchShape);
    const la = broadcastSource(index, left.shape.slice(0, -2)) * rows * inner;
    const rb = broadcastSource(index, right.shape.slice(0, -2)) * inner * cols;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        let sum = 0;
        let scale = 0;
        for (let k = 0; k < inner; k++) {
          const term = (left.values[la + i * inner + k] as number) * (right.values[rb + k * cols + j] as number);
          sum += term;
          scale += Math.abs(term);
        }
        out[batch * rows * cols + i * cols + j] = sum;
        absoluteSum[batch * rows * cols + i * cols + j] = scale;
      }
    }
  }
  return { result: hostArray([...batchShape, rows, cols], out), absoluteSum };
}

/** Joins arrays along `axis`. */
export function concat(parts: readonly HostArray[], axis: number): HostArray {
  const first = parts[0] as HostArray;
  const shape = [...first.shape];
  shape[axis] = parts.reduce((n, p) => n + (p.shape[axis] as number), 0);
  const out = new Float64Array(sizeOf(shape));
  for (let flat = 0; flat < out.length; flat++) {
    const index = unravel(flat, shape);
    let k = index[axis] as number;
    let part = 0;
    while (k >= ((parts[part] as HostArray).shape[axis] as number)) k -= (parts[part++] as HostArray).shape[axis] as number;
    const source = parts[part] as HostArray;
    index[axis] = k;
    out[flat] = source.values[index.reduce((acc, v, i) => acc + v * (stridesOf(source.shape)[i] as number), 0)] as number;
  }
  return hostArray(shape, out);
}

/** The block starting at `begin` of extent `size` (as tf.slice). */
export function slice(a: HostArray, begin: readonly number[], size: readonly number[]): HostArray {
  const strides = stridesOf(a.shape);
  const out = new Float64Array(sizeOf(size));
  for (let flat = 0; flat < out.length; flat++) {
    const index = unravel(flat, size);
    out[flat] = a.values[index.reduce((acc, v, i) => acc + (v + (begin[i] as number)) * (strides[i] as number), 0)] as number;
  }
  return hostArray(size, out);
}

/** Picks entries `indices` along `axis` (as tf.gather). */
export function gather(a: HostArray, indices: readonly number[], axis: number): HostArray {
  const shape = [...a.shape];
  shape[axis] = indices.length;
  const strides = stridesOf(a.shape);
  const out = new Float64Array(sizeOf(shape));
  for (let flat = 0; flat < out.length; flat++) {
    const index = unravel(flat, shape);
    index[axis] = indices[index[axis] as number] as number;
    out[flat] = a.values[index.reduce((acc, v, i) => acc + v * (strides[i] as number), 0)] as number;
  }
  return hostArray(shape, out);
}

/** Stacks equally shaped arrays along a new axis `axis`. */
export function stack(parts: readonly HostArray[], axis: number): HostArray {
  const expanded = parts.map((p) => hostArray([...p.shape.slice(0, axis), 1, ...p.shape.slice(axis)], p.values));
  return concat(expanded, axis);
}

/** Row-major reshape: same values, new shape. */
export function reshape(a: HostArray, shape: readonly number[]): HostArray {
  return hostArray(shape, a.values);
}

/** softplus(x) = log(1 + eˣ), without overflow for large x. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** The logistic function 1 / (1 + e⁻ˣ). */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
