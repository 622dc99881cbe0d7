/**
 * The figures of a sampling run, as SVG text:
 *
 *  - `samples` (d = 2): resampled draws over contours of the target's density π̃ (marching squares
 *    by d3-contour on a grid of log π̃), at fixed fractions of its maximum;
 *  - `point-paths` (d = 2): the collocation points' paths X(t) from t = 0 to T;
 *  - `marginals` (any d): the 1-D marginals as histograms of the raw draws weighted by their
 *    self-normalised importance weights (up to 12 coordinates);
 *  - `steps`: the forward evolution's step size and the sketch's effective rank over t, and the
 *    reverse flow's step size.
 */
import { contours } from "d3-contour";
import { Figure, padRange, type Range } from "./svg.js";

const blue = "#1f5fa8";
const orange = "#d9730d";
const grey = "#777777";
const green = "#2a8a3e";

/** Contour levels as fractions of the density's maximum. */
export const contourFractions = [0.9, 0.5, 0.1, 0.01, 0.001] as const;

export interface DensityGrid {
  readonly x: Range;
  readonly y: Range;
  readonly nx: number;
  readonly ny: number;
  /** log π̃ at the grid nodes, row-major by y then x (ny rows of nx). */
  readonly logDensity: Float64Array;
}

/** The plotting window of 2-D draws: their 0.5–99.5% quantiles, padded. */
export function window2d(samples: Float64Array): { x: Range; y: Range } {
  const m = samples.length / 2;
  const xs = Float64Array.from({ length: m }, (_, j) => samples[2 * j] as number).sort();
  const ys = Float64Array.from({ length: m }, (_, j) => samples[2 * j + 1] as number).sort();
  const q = (a: Float64Array, p: number): number => a[Math.min(a.length - 1, Math.max(0, Math.round(p * (a.length - 1))))] as number;
  return { x: padRange([q(xs, 0.002), q(xs, 0.998)], 0.15), y: padRange([q(ys, 0.002), q(ys, 0.998)], 0.15) };
}

/** Contour rings of log π̃ at each fraction of the maximum, in data coordinates. */
export function densityContours(grid: DensityGrid): { fraction: number; rings: [number, number][][] }[] {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of grid.logDensity) if (Number.isFinite(v) && v > max) max = v;
  const values = Array.from(grid.logDensity, (v) => (Number.isFinite(v) ? v : -1e30));
  const dx = (grid.x.max - grid.x.min) / (grid.nx - 1);
  const dy = (grid.y.max - grid.y.min) / (grid.ny - 1);
  // d3-contour puts value i at the cell centre (i + 0.5); node i of the grid sits at x.min + i·dx.
  const toData = ([i, j]: number[]): [number, number] => [grid.x.min + ((i as number) - 0.5) * dx, grid.y.min + ((j as number) - 0.5) * dy];
  return contourFractions.map((fraction) => {
    const [geometry] = contours().size([grid.nx, grid.ny]).thresholds([max + Math.log(fraction)])(values);
    const rings = (geometry?.coordinates ?? []).flatMap((polygon) => polygon.map((ring) => ring.map(toData)));
    return { fraction, rings };
  });
}

/** A figure sized so that an equal-aspect panel over (x, y) fills it (the panel's height clamped to 300–800 px). */
function equalAspectFigure(x: Range, y: Range, caption: string): Figure {
  const panelWidth = 560;
  const panelHeight = Math.min(800, Math.max(300, (panelWidth * (y.max - y.min)) / (x.max - x.min)));
  return new Figure(640, Math.round(panelHeight + 30 + 46 + 22), caption);
}

export function samplesFigure(options: {
  readonly title: string;
  readonly samples: Float64Array;
  readonly grid: DensityGrid;
  readonly caption: string;
}): string {
  const figure = equalAspectFigure(options.grid.x, options.grid.y, options.caption);
  const panel = figure.panel({ title: options.title, xLabel: "x₀", yLabel: "x₁", x: options.grid.x, y: options.grid.y, equalAspect: true }, 0, 0, 1, 1);
  const m = Math.min(options.samples.length / 2, 4000);
  const xs = Float64Array.from({ length: m }, (_, j) => options.samples[2 * j] as number);
  const ys = Float64Array.from({ length: m }, (_, j) => options.samples[2 * j + 1] as number);
  panel.dots(xs, ys, blue, 1.3, 0.45);
  const shades = ["#7a1f1f", "#a8322d", "#cf5a3a", "#e8925f", "#f2c19d"];
  densityContours(options.grid).forEach(({ rings }, i) => panel.rings(rings, shades[i] as string, 1.2));
  panel.legend({ label: `resampled draws (${m})`, color: blue, kind: "dot" });
  panel.legend({ label: `π̃ contours: ${contourFractions.join(", ")} of max`, color: shades[1] as string, kind: "line" });
  return figure.render();
}

export interface PointPaths {
  readonly times: readonly number[];
  /** One N×d row-major array per time. */
  readonly points: readonly Float64Array[];
}

const maxPaths = 300;

/** The window holding the first `shown` paths. */
export function pathsWindow(paths: PointPaths, shown = maxPaths): { x: Range; y: Range } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of paths.points) {
    for (let j = 0; j < Math.min(shown, p.length / 2); j++) {
      xs.push(p[2 * j] as number);
      ys.push(p[2 * j + 1] as number);
    }
  }
  return { x: padRange(xs, 0.05), y: padRange(ys, 0.05) };
}

export function pointPathsFigure(options: { readonly title: string; readonly paths: PointPaths; readonly grid?: DensityGrid; readonly caption: string; readonly maxPaths?: number }): string {
  const { times, points } = options.paths;
  const first = points[0] as Float64Array;
  const last = points[points.length - 1] as Float64Array;
  const n = first.length / 2;
  const shown = Math.min(n, options.maxPaths ?? maxPaths);
  const { x, y } = pathsWindow(options.paths, shown);
  const figure = equalAspectFigure(x, y, options.caption);
  const panel = figure.panel({ title: options.title, xLabel: "x₀", yLabel: "x₁", x, y, equalAspect: true }, 0, 0, 1, 1);
  if (options.grid !== undefined) {
    densityContours(options.grid).forEach(({ rings }, i) => i < 3 && panel.rings(rings, "#d8b4a6", 1));
  }
  for (let j = 0; j < shown; j++) {
    panel.line(
      points.map((p) => p[2 * j] as number),
      points.map((p) => p[2 * j + 1] as number),
      grey,
      0.7,
      { opacity: 0.6 },
    );
  }
  const pick = (p: Float64Array, axis: number): Float64Array => Float64Array.from({ length: shown }, (_, j) => p[2 * j + axis] as number);
  panel.dots(pick(first, 0), pick(first, 1), blue, 1.8, 0.8);
  panel.dots(pick(last, 0), pick(last, 1), orange, 1.8, 0.8);
  panel.legend({ label: `X(0), t = ${times[0]}`, color: blue, kind: "dot" });
  panel.legend({ label: `X(T), T = ${times[times.length - 1]}`, color: orange, kind: "dot" });
  panel.legend({ label: `paths (${shown} of ${n} points)`, color: grey, kind: "line" });
  return figure.render();
}

/** Weighted histogram of one coordinate: bin edges and densities (integrating to 1). */
export function weightedHistogram(values: Float64Array, weights: Float64Array, bins: number, range: Range): { edges: Float64Array; density: Float64Array } {
  const edges = Float64Array.from({ length: bins + 1 }, (_, i) => range.min + ((range.max - range.min) * i) / bins);
  const mass = new Float64Array(bins);
  let total = 0;
  for (let j = 0; j < values.length; j++) {
    const v = values[j] as number;
    const w = weights[j] as number;
    total += w;
    const b = Math.floor(((v - range.min) / (range.max - range.min)) * bins);
    if (b >= 0 && b < bins) mass[b] = (mass[b] as number) + w;
  }
  const width = (range.max - range.min) / bins;
  return { edges, density: mass.map((m) => (total > 0 ? m / (total * width) : 0)) };
}

export function marginalsFigure(options: { readonly samples: Float64Array; readonly weights: Float64Array; readonly dim: number; readonly caption: string }): string {
  const { samples, weights, dim } = options;
  const shown = Math.min(dim, 12);
  const columns = Math.min(shown, 3);
  const rows = Math.ceil(shown / columns);
  const m = weights.length;
  const figure = new Figure(330 * columns, 280 * rows + 22, options.caption);
  for (let k = 0; k < shown; k++) {
    const values = Float64Array.from({ length: m }, (_, j) => samples[j * dim + k] as number);
    const sorted = Float64Array.from(values).sort();
    const range = padRange([sorted[Math.floor(0.001 * (m - 1))] as number, sorted[Math.ceil(0.999 * (m - 1))] as number], 0.05);
    const bins = Math.max(10, Math.min(60, Math.round(Math.sqrt(m))));
    const weighted = weightedHistogram(values, weights, bins, range);
    const raw = weightedHistogram(values, new Float64Array(m).fill(1), bins, range);
    const top = Math.max(...weighted.density, ...raw.density) * 1.1;
    const panel = figure.panel({ title: `marginal of x${k}`, xLabel: `x${k}`, yLabel: "density", x: range, y: { min: 0, max: top > 0 ? top : 1 } }, Math.floor(k / columns), k % columns, rows, columns);
    panel.bars(weighted.edges, weighted.density, blue, 0.55);
    const centres = Float64Array.from({ length: bins }, (_, i) => 0.5 * ((raw.edges[i] as number) + (raw.edges[i + 1] as number)));
    panel.line(centres, raw.density, orange, 1.2, { dash: "4 3" });
    if (k === 0) {
      panel.legend({ label: "weighted (≈ π)", color: blue, kind: "bar" });
      panel.legend({ label: "raw draws (q₀)", color: orange, kind: "line" });
    }
  }
  return figure.render();
}

export interface StepRecord {
  readonly t: number;
  readonly stepSize: number;
  readonly effectiveRank?: number;
  readonly rejectedAttempts?: number;
}

export function stepsFigure(options: { readonly forward: readonly StepRecord[]; readonly sampler: readonly StepRecord[]; readonly horizon: number; readonly caption: string }): string {
  const { forward, sampler, horizon } = options;
  const ranks = forward.filter((s) => Number.isFinite(s.effectiveRank));
  const panels = ranks.length > 0 ? 3 : 2;
  const figure = new Figure(640, 250 * panels + 22, options.caption);
  const sizes = (steps: readonly StepRecord[]): number[] => steps.map((s) => Math.abs(s.stepSize)).filter((h) => h > 0 && Number.isFinite(h));
  const logRange = (values: number[]): { min: number; max: number } => {
    if (values.length === 0) return { min: 1e-3, max: 1 };
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return { min: 10 ** Math.floor(Math.log10(lo) - 0.05), max: 10 ** Math.ceil(Math.log10(hi) + 0.05) };
  };
  const time = { min: 0, max: horizon };
  const forwardPanel = figure.panel(
    { title: "forward evolution: accepted step size", xLabel: "t", yLabel: "step size", x: time, y: logRange(sizes(forward)), yScale: "log" },
    0,
    0,
    panels,
    1,
  );
  forwardPanel.line(
    forward.map((s) => s.t),
    forward.map((s) => Math.abs(s.stepSize)),
    blue,
    1.5,
    { markers: forward.length <= 200 },
  );
  const rejected = forward.filter((s) => (s.rejectedAttempts ?? 0) > 0);
  if (rejected.length > 0) {
    forwardPanel.dots(
      rejected.map((s) => s.t),
      rejected.map((s) => Math.abs(s.stepSize)),
      "#c0392b",
      3.5,
      0.9,
    );
    forwardPanel.legend({ label: "after rejected attempts", color: "#c0392b", kind: "dot" });
  }
  forwardPanel.legend({ label: `accepted steps (${forward.length})`, color: blue, kind: "line" });
  if (ranks.length > 0) {
    const values = ranks.map((s) => s.effectiveRank as number);
    const rankPanel = figure.panel(
      { title: "sketch's effective rank", xLabel: "t", yLabel: "effective rank", x: time, y: padRange([0, ...values], 0.08) },
      1,
      0,
      panels,
      1,
    );
    rankPanel.line(
      ranks.map((s) => s.t),
      values,
      green,
      1.5,
      { markers: ranks.length <= 200 },
    );
    rankPanel.legend({ label: "effective rank at each step", color: green, kind: "line" });
  }
  const samplerPanel = figure.panel(
    { title: "reverse flow (sampling): accepted step size", xLabel: "t", yLabel: "step size", x: time, y: logRange(sizes(sampler)), yScale: "log" },
    panels - 1,
    0,
    panels,
    1,
  );
  samplerPanel.line(
    sampler.map((s) => s.t),
    sampler.map((s) => Math.abs(s.stepSize)),
    orange,
    1.5,
    { markers: sampler.length <= 200 },
  );
  samplerPanel.legend({ label: `accepted steps (${sampler.length})`, color: orange, kind: "line" });
  return figure.render();
}
