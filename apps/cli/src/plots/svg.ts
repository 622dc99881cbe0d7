/**
 * A small SVG writer for the command's figures: panels with linear or log₁₀ axes, ticks at round
 * numbers, axis labels, a title and a legend; layers of dots, lines, bars and contour paths.
 * Written by hand (a few hundred lines) rather than pulling in a plotting library with a DOM.
 */

export interface Range {
  readonly min: number;
  readonly max: number;
}

export type Scale = "linear" | "log";

export interface PanelSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly x: Range;
  readonly y: Range;
  readonly yScale?: Scale;
  /** Same units per pixel on both axes (for 2-D sample plots). */
  readonly equalAspect?: boolean;
}

export interface LegendEntry {
  readonly label: string;
  readonly color: string;
  readonly kind: "dot" | "line" | "bar";
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Numbers short enough for a tick label. */
export function formatTick(value: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e4 || magnitude < 1e-3) return value.toExponential(0).replace("e+", "e");
  return String(Number(value.toPrecision(4)));
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9 * step; v += step) ticks.push(Math.abs(v) < 1e-12 * step ? 0 : v);
  return ticks;
}

/** A range padded by `fraction` of its width; a degenerate range becomes ±0.5 around its value. */
export function padRange(values: Iterable<number>, fraction = 0.05): Range {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min)) return { min: 0, max: 1 };
  if (max - min < 1e-12 * Math.max(1, Math.abs(max))) return { min: min - 0.5, max: max + 0.5 };
  const pad = (max - min) * fraction;
  return { min: min - pad, max: max + pad };
}

/** One plotting area inside a figure, mapping data coordinates to pixels. */
export class Panel {
  readonly spec: PanelSpec;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  readonly #body: string[] = [];
  readonly #legend: LegendEntry[] = [];
  readonly #clipId: string;

  constructor(spec: PanelSpec, left: number, top: number, width: number, height: number, clipId: string) {
    this.spec = spec;
    this.#clipId = clipId;
    if (spec.equalAspect === true) {
      const unitsPerPixel = Math.max((spec.x.max - spec.x.min) / width, (spec.y.max - spec.y.min) / height);
      const w = (spec.x.max - spec.x.min) / unitsPerPixel;
      const h = (spec.y.max - spec.y.min) / unitsPerPixel;
      left += (width - w) / 2;
      top += (height - h) / 2;
      width = w;
      height = h;
    }
    this.left = left;
    this.top = top;
    this.width = width;
    this.height = height;
  }

  px(x: number): number {
    return this.left + ((x - this.spec.x.min) / (this.spec.x.max - this.spec.x.min)) * this.width;
  }

  py(y: number): number {
    const { min, max } = this.spec.y;
    const fraction = this.spec.yScale === "log" ? (Math.log10(y) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)) : (y - min) / (max - min);
    return this.top + (1 - fraction) * this.height;
  }

  dots(xs: ArrayLike<number>, ys: ArrayLike<number>, color: string, radius = 1.2, opacity = 0.5): void {
    const parts: string[] = [];
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as number;
      const y = ys[i] as number;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      parts.push(`<circle cx="${this.px(x).toFixed(1)}" cy="${this.py(y).toFixed(1)}" r="${radius}"/>`);
    }
    this.#body.push(`<g fill="${color}" fill-opacity="${opacity}" clip-path="url(#${this.#clipId})">${parts.join("")}</g>`);
  }

  line(xs: ArrayLike<number>, ys: ArrayLike<number>, color: string, width = 1.5, options: { dash?: string; opacity?: number; markers?: boolean } = {}): void {
    const pts: string[] = [];
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as number;
      const y = ys[i] as number;
      if (!Number.isFinite(x) || !Number.isFinite(y) || (this.spec.yScale === "log" && y <= 0)) continue;
      pts.push(`${this.px(x).toFixed(1)},${this.py(y).toFixed(1)}`);
    }
    if (pts.length === 0) return;
    const dash = options.dash !== undefined ? ` stroke-dasharray="${options.dash}"` : "";
    this.#body.push(
      `<polyline points="${pts.join(" ")}" fill="none" stroke="${color}" stroke-width="${width}" stroke-opacity="${options.opacity ?? 1}"${dash} clip-path="url(#${this.#clipId})"/>`,
    );
    if (options.markers === true) {
      this.#body.push(
        `<g fill="${color}" clip-path="url(#${this.#clipId})">${pts.map((p) => `<circle cx="${p.split(",")[0]}" cy="${p.split(",")[1]}" r="1.8"/>`).join("")}</g>`,
      );
    }
  }

  /** Bars from `edges[i]` to `edges[i+1]` of height `heights[i]`. */
  bars(edges: ArrayLike<number>, heights: ArrayLike<number>, color: string, opacity = 0.6): void {
    const parts: string[] = [];
    for (let i = 0; i < heights.length; i++) {
      const x0 = this.px(edges[i] as number);
      const x1 = this.px(edges[i + 1] as number);
      const y = this.py(heights[i] as number);
      const y0 = this.py(this.spec.y.min);
      parts.push(`<rect x="${x0.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, x1 - x0).toFixed(1)}" height="${Math.max(0, y0 - y).toFixed(1)}"/>`);
    }
    this.#body.push(`<g fill="${color}" fill-opacity="${opacity}" stroke="${color}" stroke-width="0.5" clip-path="url(#${this.#clipId})">${parts.join("")}</g>`);
  }

  /** Closed rings in data coordinates (contour lines). */
  rings(rings: readonly (readonly (readonly [number, number])[])[], color: string, width = 1): void {
    const d = rings
      .filter((ring) => ring.length > 1)
      .map((ring) => `M${ring.map(([x, y]) => `${this.px(x).toFixed(1)},${this.py(y).toFixed(1)}`).join("L")}Z`)
      .join("");
    if (d.length > 0) this.#body.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${width}" clip-path="url(#${this.#clipId})"/>`);
  }

  legend(entry: LegendEntry): void {
    this.#legend.push(entry);
  }

  render(): string {
    const { spec, left, top, width, height } = this;
    const out: string[] = [];
    out.push(`<clipPath id="${this.#clipId}"><rect x="${left}" y="${top}" width="${width}" height="${height}"/></clipPath>`);
    out.push(`<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="#ffffff" stroke="#333333" stroke-width="1"/>`);
    // Ticks and grid.
    for (const t of niceTicks(spec.x.min, spec.x.max)) {
      const x = this.px(t);
      out.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${top + height}" stroke="#e4e4e4"/>`);
      out.push(`<line x1="${x.toFixed(1)}" y1="${top + height}" x2="${x.toFixed(1)}" y2="${top + height + 4}" stroke="#333333"/>`);
      out.push(`<text x="${x.toFixed(1)}" y="${top + height + 16}" text-anchor="middle" font-size="11">${escapeXml(formatTick(t))}</text>`);
    }
    const yTicks =
      spec.yScale === "log"
        ? (() => {
            const lo = Math.floor(Math.log10(spec.y.min));
            const hi = Math.ceil(Math.log10(spec.y.max));
            const ticks: number[] = [];
            for (let p = lo; p <= hi; p++) if (10 ** p >= spec.y.min && 10 ** p <= spec.y.max) ticks.push(10 ** p);
            return ticks;
          })()
        : niceTicks(spec.y.min, spec.y.max);
    for (const t of yTicks) {
      const y = this.py(t);
      out.push(`<line x1="${left}" y1="${y.toFixed(1)}" x2="${left + width}" y2="${y.toFixed(1)}" stroke="#e4e4e4"/>`);
      out.push(`<line x1="${left - 4}" y1="${y.toFixed(1)}" x2="${left}" y2="${y.toFixed(1)}" stroke="#333333"/>`);
      out.push(`<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="11">${escapeXml(formatTick(t))}</text>`);
    }
    out.push(...this.#body);
    out.push(`<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#333333" stroke-width="1"/>`);
    out.push(`<text x="${left + width / 2}" y="${top - 8}" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(spec.title)}</text>`);
    out.push(`<text x="${left + width / 2}" y="${top + height + 34}" text-anchor="middle" font-size="12">${escapeXml(spec.xLabel)}</text>`);
    const yl = left - 44;
    const ym = top + height / 2;
    out.push(`<text x="${yl}" y="${ym}" text-anchor="middle" font-size="12" transform="rotate(-90 ${yl} ${ym})">${escapeXml(spec.yLabel)}</text>`);
    if (this.#legend.length > 0) {
      const lw = 12 + 7 * Math.max(...this.#legend.map((e) => e.label.length));
      const lx = left + width - lw - 8;
      const ly = top + 8;
      out.push(`<rect x="${lx}" y="${ly}" width="${lw}" height="${this.#legend.length * 16 + 6}" fill="#ffffff" fill-opacity="0.85" stroke="#999999"/>`);
      this.#legend.forEach((entry, i) => {
        const cy = ly + 12 + 16 * i;
        if (entry.kind === "dot") out.push(`<circle cx="${lx + 10}" cy="${cy}" r="3" fill="${entry.color}"/>`);
        else if (entry.kind === "line") out.push(`<line x1="${lx + 4}" y1="${cy}" x2="${lx + 16}" y2="${cy}" stroke="${entry.color}" stroke-width="2"/>`);
        else out.push(`<rect x="${lx + 5}" y="${cy - 4}" width="10" height="8" fill="${entry.color}" fill-opacity="0.6"/>`);
        out.push(`<text x="${lx + 22}" y="${cy + 4}" font-size="11">${escapeXml(entry.label)}</text>`);
      });
    }
    return out.join("\n");
  }
}

/** A figure: a grid of panels under an optional caption. */
export class Figure {
  readonly width: number;
  readonly height: number;
  readonly #panels: Panel[] = [];
  readonly #caption: string | undefined;

  constructor(width: number, height: number, caption?: string) {
    this.width = width;
    this.height = height;
    this.#caption = caption;
  }

  /** Adds a panel in cell (row, column) of a rows × columns grid. */
  panel(spec: PanelSpec, row: number, column: number, rows: number, columns: number): Panel {
    const captionHeight = this.#caption === undefined ? 0 : 22;
    const cellWidth = this.width / columns;
    const cellHeight = (this.height - captionHeight) / rows;
    const margin = { left: 64, right: 16, top: 30, bottom: 46 };
    const panel = new Panel(
      spec,
      column * cellWidth + margin.left,
      captionHeight + row * cellHeight + margin.top,
      cellWidth - margin.left - margin.right,
      cellHeight - margin.top - margin.bottom,
      `clip${this.#panels.length}`,
    );
    this.#panels.push(panel);
    return panel;
  }

  render(): string {
    const caption =
      this.#caption === undefined ? "" : `<text x="${this.width / 2}" y="16" text-anchor="middle" font-size="12" fill="#444444">${escapeXml(this.#caption)}</text>`;
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" viewBox="0 0 ${this.width} ${this.height}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif">`,
      `<rect width="${this.width}" height="${this.height}" fill="#ffffff"/>`,
      caption,
      ...this.#panels.map((p) => p.render()),
      "</svg>",
      "",
    ].join("\n");
  }
}
