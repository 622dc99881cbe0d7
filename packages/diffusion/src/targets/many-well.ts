/**
 * `many-well`: the 32-dimensional many-well of the flow-annealed importance sampling literature
 * (Midgley et al., ICLR 2023): d/2 independent copies of the 2-D double well of Noé et al.,
 *
 *     log π̃(x) = Σ_{i=1}^{d/2} [−x_{2i−1}⁴ + 6 x_{2i−1}² + ½ x_{2i−1} − ½ x_{2i}²],
 *
 * i.e. energy E(a, c) = a⁴ − 6a² − ½a + ½c² per well. Each well has two modes near a = ±√3, the
 * right one e^{√3}-fold heavier (P(a > 0) = 0.8443), and 2^{16} modes overall in d = 32.
 *
 * The normaliser factorises: log Z = (d/2)(log ∫ e^{−a⁴+6a²+a/2} da + ½ log 2π). The 1-D
 * integral has no closed form; it is computed here once by composite Simpson quadrature in
 * float64 (a 10× finer grid changes it by less than 1e-13), giving log Z = 164.6957 for d = 32.
 * The same table gives exact draws by inverting the 1-D cumulative distribution.
 */
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { z } from "zod";
import { ErrorCode, MinevoError, defineTarget, type SamplingTarget, type TensorFlow } from "@minevo/core";
import { formulaTarget } from "./formula-target.js";
import { checkSampleCount } from "./gaussian-mixture.js";

export const manyWellTargetOptions = z.strictObject({
  /** d, even: d/2 double wells. */
  dim: z.number().int().min(2).default(32),
});

/** log of the unnormalised marginal of a well's first coordinate. */
export function doubleWellLogMarginal(a: number): number {
  return -a * a * a * a + 6 * a * a + 0.5 * a;
}

/** Facts of one well's first coordinate, from a float64 quadrature of its 1-D marginal. */
export interface DoubleWellFacts {
  /** log ∫ e^{−a⁴+6a²+a/2} da. */
  readonly logIntegral: number;
  /** P(a > 0). */
  readonly positiveProbability: number;
  readonly mean: number;
  readonly variance: number;
  /** Grid and cumulative distribution (normalised to end at 1) for inverse-CDF draws. */
  readonly grid: Float64Array;
  readonly cdf: Float64Array;
}

const HALF_WIDTH = 6; // e^{−a⁴+6a²} < e^{−1000} beyond |a| = 6: nothing left to integrate
const INTERVALS = 24_000; // step 5e-4 on a smooth, rapidly decaying integrand: converged to rounding

let cachedFacts: DoubleWellFacts | undefined;

export function doubleWellFacts(): DoubleWellFacts {
  if (cachedFacts !== undefined) return cachedFacts;
  const h = (2 * HALF_WIDTH) / INTERVALS;
  const grid = new Float64Array(INTERVALS + 1);
  const f = new Float64Array(INTERVALS + 1);
  let peak = -Infinity;
  for (let j = 0; j <= INTERVALS; j++) {
    grid[j] = -HALF_WIDTH + j * h;
    peak = Math.max(peak, doubleWellLogMarginal(grid[j] as number));
  }
  for (let j = 0; j <= INTERVALS; j++) f[j] = Math.exp(doubleWellLogMarginal(grid[j] as number) - peak);
  const simpson = (g: (j: number) => number): number => {
    let s = g(0) + g(INTERVALS);
    for (let j = 1; j < INTERVALS; j++) s += (j % 2 === 1 ? 4 : 2) * g(j);
    return (s * h) / 3;
  };
  const mass = simpson((j) => f[j] as number);
  const mean = simpson((j) => (f[j] as number) * (grid[j] as number)) / mass;
  const second = simpson((j) => (f[j] as number) * (grid[j] as number) ** 2) / mass;
  // P(a > 0): a = 0 is the grid's midpoint (INTERVALS/2 even), so Simpson on the right half.
  const mid = INTERVALS / 2;
  let right = (f[mid] as number) + (f[INTERVALS] as number);
  for (let j = mid + 1; j < INTERVALS; j++) right += ((j - mid) % 2 === 1 ? 4 : 2) * (f[j] as number);
  right = (right * h) / 3;
  // Trapezoid cumulative distribution for inverse-CDF draws (interpolation error ~h²).
  const cdf = new Float64Array(INTERVALS + 1);
  for (let j = 1; j <= INTERVALS; j++) cdf[j] = (cdf[j - 1] as number) + (0.5 * h * ((f[j - 1] as number) + (f[j] as number)));
  const total = cdf[INTERVALS] as number;
  for (let j = 0; j <= INTERVALS; j++) cdf[j] = (cdf[j] as number) / total;
  cachedFacts = {
    logIntegral: peak + Math.log(mass),
    positiveProbability: right / mass,
    mean,
    variance: second - mean * mean,
    grid,
    cdf,
  };
  return cachedFacts;
}

/** Inverse-CDF draw of a well's first coordinate. */
function drawWellCoordinate(facts: DoubleWellFacts, u: number): number {
  const { cdf, grid } = facts;
  let lo = 0;
  let hi = cdf.length - 1;
  while (hi - lo > 1) {
    const m = (lo + hi) >> 1;
    if ((cdf[m] as number) <= u) lo = m;
    else hi = m;
  }
  const c0 = cdf[lo] as number;
  const c1 = cdf[hi] as number;
  const t = c1 > c0 ? (u - c0) / (c1 - c0) : 0.5;
  return (grid[lo] as number) + t * ((grid[hi] as number) - (grid[lo] as number));
}

/** The many-well target, with the per-well fact P(x_{2i−1} > 0) beside the common ones. */
export interface ManyWellTarget extends SamplingTarget {
  /** P(x_{2i−1} > 0) for every well (0.8443). */
  readonly wellPositiveProbability: number;
}

export function createManyWellTarget(options: z.output<typeof manyWellTargetOptions>): ManyWellTarget {
  const { dim } = options;
  if (dim % 2 !== 0) {
    throw new MinevoError(ErrorCode.InvalidOptions, `target "many-well": dim must be even (pairs of coordinates form the wells), got ${dim}`, {
      field: "dim",
    });
  }
  const wells = dim / 2;
  const facts = doubleWellFacts();
  const logZ = wells * (facts.logIntegral + 0.5 * Math.log(2 * Math.PI));

  /** [M, wells] first and second coordinates of each well. */
  function split(points: Tensor2D, tf: TensorFlow): [Tensor2D, Tensor2D] {
    const pairs = tf.reshape(points, [-1, wells, 2]);
    return [tf.reshape(tf.slice(pairs, [0, 0, 0], [-1, -1, 1]), [-1, wells]), tf.reshape(tf.slice(pairs, [0, 0, 1], [-1, -1, 1]), [-1, wells])];
  }

  function logDensityOf(a: Tensor2D, c: Tensor2D, tf: TensorFlow): Tensor1D {
    const a2 = tf.square(a);
    const perWell = tf.add(tf.sub(tf.mul(a2, tf.sub(6, a2)), tf.mul(0.5, tf.square(c))), tf.mul(0.5, a));
    return tf.sum(perWell, 1) as Tensor1D;
  }

  const mean = new Float64Array(dim);
  const covariance = new Float64Array(dim * dim);
  for (let i = 0; i < wells; i++) {
    mean[2 * i] = facts.mean;
    covariance[2 * i * dim + 2 * i] = facts.variance;
    covariance[(2 * i + 1) * dim + 2 * i + 1] = 1;
  }

  const target = formulaTarget({
    name: "many-well",
    description: `many-well: ${wells} independent double wells a⁴ − 6a² − a/2 + c²/2 in ${dim} dimensions; log Z = ${logZ.toFixed(4)}`,
    dim,
    logZ,
    moments: { mean, covariance },
    logDensity(points, tf) {
      return tf.tidy(() => {
        const [a, c] = split(points, tf);
        return logDensityOf(a, c, tf);
      });
    },
    scoreAndLogDensity(points, tf) {
      const [logDensity, score] = tf.tidy(() => {
        const [a, c] = split(points, tf);
        // ∂/∂a = −4a³ + 12a + ½,  ∂/∂c = −c; interleave back to (a₁, c₁, a₂, c₂, …).
        const da = tf.add(tf.mul(a, tf.sub(12, tf.mul(4, tf.square(a)))), 0.5);
        const dc = tf.neg(c);
        const score = tf.reshape(tf.stack([da, dc], 2), [-1, dim]) as Tensor2D;
        return [logDensityOf(a, c, tf), score];
      });
      return { logDensity, score };
    },
    sample(random, m) {
      checkSampleCount(m, 'target "many-well" sample');
      const out = new Float64Array(m * dim);
      for (let n = 0; n < m; n++) {
        for (let i = 0; i < wells; i++) {
          out[n * dim + 2 * i] = drawWellCoordinate(facts, random.uniform());
          out[n * dim + 2 * i + 1] = random.normal();
        }
      }
      return out;
    },
  });
  return { ...target, wellPositiveProbability: facts.positiveProbability };
}

export const manyWellTarget = defineTarget({
  name: "many-well",
  description: "Many-well: d/2 double wells a⁴ − 6a² − a/2 + c²/2, d = 32; log Z = 164.6957, P(a > 0) = 0.8443 per well.",
  options: manyWellTargetOptions,
  create: createManyWellTarget,
});

declare module "@minevo/core" {
  interface TargetMap {
    "many-well": typeof manyWellTarget;
  }
}
