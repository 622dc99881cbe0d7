/**
 * Drawing on a 2-D canvas in the target's coordinates: a density heat map, contour lines (from
 * d3-contour's marching squares) and point clouds, with the window's ticks.
 */
import { contours } from "d3-contour";
import type { DensityGrid } from "./density-grid.js";
import type { ViewBox } from "./presets.js";

/** A perceptually even ramp (viridis' end points and three stops between), dark = low density. */
const ramp: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function rampColour(u: number): [number, number, number] {
  const s = Math.min(Math.max(u, 0), 1) * (ramp.length - 1);
  const k = Math.min(Math.floor(s), ramp.length - 2);
  const f = s - k;
  const a = ramp[k] as readonly [number, number, number];
  const b = ramp[k + 1] as readonly [number, number, number];
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

/** Contour levels of log density below its peak: the density at 61%, 22%, 5%, 0.7% and 0.03% of its maximum. */
export const contourLevels = [-0.5, -1.5, -3, -5, -8];

export class PlotCanvas {
  readonly #canvas: HTMLCanvasElement;
  readonly #context: CanvasRenderingContext2D;
  #view: ViewBox;
  /** Pixels kept clear around the plotting area for the ticks. */
  readonly #margin = 28;

  constructor(canvas: HTMLCanvasElement, view: ViewBox) {
    this.#canvas = canvas;
    const context = canvas.getContext("2d");
    if (context === null) throw new Error("this browser gives no 2-D canvas context");
    this.#context = context;
    this.#view = view;
  }

  setView(view: ViewBox): void {
    this.#view = view;
  }

  get #area(): { left: number; top: number; width: number; height: number } {
    const m = this.#margin;
    return { left: m, top: 8, width: this.#canvas.width - m - 8, height: this.#canvas.height - m - 8 };
  }

  #toPixel(x: number, y: number): [number, number] {
    const a = this.#area;
    const v = this.#view;
    return [a.left + ((x - v.xMin) / (v.xMax - v.xMin)) * a.width, a.top + (1 - (y - v.yMin) / (v.yMax - v.yMin)) * a.height];
  }

  clear(): void {
    const c = this.#context;
    c.fillStyle = "#ffffff";
    c.fillRect(0, 0, this.#canvas.width, this.#canvas.height);
    const a = this.#area;
    c.fillStyle = "#f4f4f6";
    c.fillRect(a.left, a.top, a.width, a.height);
    this.#axes();
  }

  #axes(): void {
    const c = this.#context;
    const a = this.#area;
    const v = this.#view;
    c.strokeStyle = "#999";
    c.lineWidth = 1;
    c.strokeRect(a.left + 0.5, a.top + 0.5, a.width - 1, a.height - 1);
    c.fillStyle = "#444";
    c.font = "11px sans-serif";
    const ticks = (lo: number, hi: number): number[] => {
      const raw = (hi - lo) / 5;
      const step = [1, 2, 5, 10].map((f) => f * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw) ?? raw;
      const out: number[] = [];
      for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(Math.abs(t) < 1e-12 ? 0 : t);
      return out;
    };
    c.textAlign = "center";
    c.textBaseline = "top";
    for (const x of ticks(v.xMin, v.xMax)) {
      const [px] = this.#toPixel(x, v.yMin);
      c.fillText(String(Number(x.toPrecision(6))), px, a.top + a.height + 4);
    }
    c.textAlign = "right";
    c.textBaseline = "middle";
    for (const y of ticks(v.yMin, v.yMax)) {
      const [, py] = this.#toPixel(v.xMin, y);
      c.fillText(String(Number(y.toPrecision(6))), a.left - 4, py);
    }
  }

  /** exp(log density − max) through the colour ramp, one cell per grid value. */
  heatMap(grid: DensityGrid): void {
    const n = grid.resolution;
    const image = new ImageData(n, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const value = grid.values[i * n + j] as number;
        // Grid row i rises in y; image row 0 is the top.
        const k = ((n - 1 - i) * n + j) * 4;
        const [r, g, b] = rampColour(Number.isFinite(value) ? Math.exp(value) : 0);
        image.data[k] = r;
        image.data[k + 1] = g;
        image.data[k + 2] = b;
        image.data[k + 3] = 255;
      }
    }
    const tile = document.createElement("canvas");
    tile.width = n;
    tile.height = n;
    tile.getContext("2d")?.putImageData(image, 0, 0);
    const a = this.#area;
    this.#context.imageSmoothingEnabled = true;
    this.#context.drawImage(tile, a.left, a.top, a.width, a.height);
    this.#axes();
  }

  /** Lines where the log density is `levels` below its peak. */
  contours(grid: DensityGrid, colour: string, levels: readonly number[] = contourLevels): void {
    const n = grid.resolution;
    // d3-contour needs finite values; −∞ (zero density) is simply far below every level.
    const values = Array.from(grid.values, (v) => (Number.isFinite(v) ? v : -1e30));
    const c = this.#context;
    const v = this.#view;
    c.strokeStyle = colour;
    c.lineWidth = 1.2;
    for (const polygon of contours().size([n, n]).thresholds([...levels])(values)) {
      for (const rings of polygon.coordinates) {
        for (const ring of rings) {
          c.beginPath();
          ring.forEach(([gx, gy], k) => {
            // d3-contour puts value j at coordinate j + 0.5, as our grid puts it at the cell's centre.
            const x = v.xMin + ((gx as number) / n) * (v.xMax - v.xMin);
            const y = v.yMin + ((gy as number) / n) * (v.yMax - v.yMin);
            const [px, py] = this.#toPixel(x, y);
            if (k === 0) c.moveTo(px, py);
            else c.lineTo(px, py);
          });
          c.closePath();
          c.stroke();
        }
      }
    }
  }

  /** Row-major (x, y) pairs as dots; points outside the window are skipped. */
  points(xy: Float64Array, colour: string, radius: number, alpha: number): void {
    const c = this.#context;
    const a = this.#area;
    c.fillStyle = colour;
    c.globalAlpha = alpha;
    for (let k = 0; k + 1 < xy.length; k += 2) {
      const [px, py] = this.#toPixel(xy[k] as number, xy[k + 1] as number);
      if (px < a.left || px > a.left + a.width || py < a.top || py > a.top + a.height) continue;
      c.beginPath();
      c.arc(px, py, radius, 0, 2 * Math.PI);
      c.fill();
    }
    c.globalAlpha = 1;
  }

  /** A caption in the plot's top-left corner. */
  caption(text: string): void {
    const c = this.#context;
    const a = this.#area;
    c.font = "12px sans-serif";
    c.textAlign = "left";
    c.textBaseline = "top";
    const width = c.measureText(text).width;
    c.fillStyle = "rgba(255,255,255,0.85)";
    c.fillRect(a.left + 4, a.top + 4, width + 8, 18);
    c.fillStyle = "#222";
    c.fillText(text, a.left + 8, a.top + 7);
  }
}
