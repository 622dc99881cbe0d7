/**
 * Log-densities on a regular grid over the view window, for drawing: the target's log π̃, and the
 * learned u_θ(t) at the times the run recorded θ(t) (OuSamplerResult.parameterPath), which is the
 * model's log ρ_t up to a constant ("log-density" form) or log ρ_t + |x|²/2 ("log-ratio" form).
 * Values come back as float64 arrays, one row of the grid after another (y rising), each map
 * shifted so that its maximum is 0: only differences matter for a picture.
 */
import { registries, type Network, type SamplingTarget, type TensorFlow } from "@minevo/core";
import type { OuSamplerResult } from "@minevo/diffusion";
import type { ViewBox } from "./presets.js";

/** resolution × resolution log-density values; entry (i, j) is at x = xs[j], y = ys[i]. */
export interface DensityGrid {
  readonly resolution: number;
  readonly values: Float64Array;
}

/** Cell centres of the grid, row-major [resolution², 2], as float32 for TensorFlow.js. */
export function gridPoints(view: ViewBox, resolution: number): Float32Array {
  const points = new Float32Array(resolution * resolution * 2);
  for (let i = 0; i < resolution; i++) {
    const y = view.yMin + ((i + 0.5) / resolution) * (view.yMax - view.yMin);
    for (let j = 0; j < resolution; j++) {
      const k = i * resolution + j;
      points[2 * k] = view.xMin + ((j + 0.5) / resolution) * (view.xMax - view.xMin);
      points[2 * k + 1] = y;
    }
  }
  return points;
}

/** Shifts to max 0; a non-finite value (a formula's log 0 far out) becomes −∞, drawn as empty. */
function normalise(values: ArrayLike<number>, resolution: number): DensityGrid {
  const out = new Float64Array(values.length);
  let peak = -Infinity;
  for (let k = 0; k < values.length; k++) {
    const v = values[k] as number;
    out[k] = Number.isFinite(v) ? v : -Infinity;
    if (out[k]! > peak) peak = out[k]!;
  }
  if (Number.isFinite(peak)) for (let k = 0; k < out.length; k++) out[k] = (out[k] as number) - peak;
  return { resolution, values: out };
}

export async function targetLogDensityGrid(tf: TensorFlow, target: SamplingTarget, view: ViewBox, resolution: number): Promise<DensityGrid> {
  const points = tf.tensor2d(gridPoints(view, resolution), [resolution * resolution, 2]);
  try {
    // A typed formula's logDensity throws on a non-finite value (quoting the point); the sampler
    // would meet the same point, so the run stops there with that message.
    const logDensity = target.logDensity(points, tf);
    try {
      return normalise(await logDensity.data(), resolution);
    } finally {
      logDensity.dispose();
    }
  } finally {
    points.dispose();
  }
}

/** u_θ(t) on the grid at every recorded time of the run. */
export async function learnedLogDensityGrids(tf: TensorFlow, result: Pick<OuSamplerResult, "network" | "parameterPath" | "form">, view: ViewBox, resolution: number): Promise<DensityGrid[]> {
  const network = registries.network.configure(result.network.name, result.network.options).create() as Network;
  const { times, parameters } = result.parameterPath;
  const p = network.numParameters;
  const grid = gridPoints(view, resolution);
  const points = tf.tensor2d(grid, [resolution * resolution, 2]);
  const grids: DensityGrid[] = [];
  try {
    for (let k = 0; k < times.length; k++) {
      const theta = parameters.subarray(k * p, (k + 1) * p);
      const evaluation = network.evaluate(tf, theta, points, { value: true });
      let values: Float64Array;
      try {
        values = Float64Array.from((await evaluation.value!.data()) as Float32Array);
      } finally {
        evaluation.dispose();
      }
      if (result.form === "log-ratio") {
        // u = log ρ_t + |x|²/2 + const in this form.
        for (let m = 0; m < values.length; m++) values[m] = (values[m] as number) - 0.5 * ((grid[2 * m] as number) ** 2 + (grid[2 * m + 1] as number) ** 2);
      }
      grids.push(normalise(values, resolution));
    }
  } finally {
    points.dispose();
  }
  return grids;
}
