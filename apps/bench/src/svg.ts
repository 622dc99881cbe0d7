/** A minimal SVG line chart (log or linear axes) for the benchmark pages: no dependencies. */

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logX?: boolean;
  readonly logY?: boolean;
  readonly series: readonly ChartSeries[];
}

const colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"];

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function lineChart(options: ChartOptions): string {
  const width = 640;
  const height = 400;
  const left = 70;
  const right = 200;
  const top = 40;
  const bottom = 50;
  const fx = (v: number) => (options.logX ? Math.log10(v) : v);
  const fy = (v: number) => (options.logY ? Math.log10(v) : v);
  const all = options.series.flatMap((s) => s.points).filter((p) => Number.isFinite(fx(p.x)) && Number.isFinite(fy(p.y)));
  const xs = all.map((p) => fx(p.x));
  const ys = all.map((p) => fy(p.y));
  // No finite point yet (a report written after the first cell): an empty frame, not the ±Infinity
  // range whose tick loop never ends (it ran Node out of memory twice in bench:scaling).
  let [x0, x1] = all.length > 0 ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  let [y0, y1] = all.length > 0 ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  if (!(x1 > x0)) [x0, x1] = [x0 - 1, x0 + 1];
  if (!(y1 > y0)) [y0, y1] = [y0 - 1, y0 + 1];
  const padY = 0.05 * (y1 - y0);
  y0 -= padY;
  y1 += padY;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const px = (v: number) => left + ((fx(v) - x0) / (x1 - x0)) * plotW;
  const py = (v: number) => top + plotH - ((fy(v) - y0) / (y1 - y0)) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${left + plotW / 2}" y="20" text-anchor="middle" font-size="14">${escape(options.title)}</text>`);
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  // Ticks at powers of ten on log axes, five even ticks on linear ones.
  const ticks = (lo: number, hi: number, log: boolean): number[] => {
    if (log) {
      const values: number[] = [];
      for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) for (const m of [1, 2, 5]) values.push(m * 10 ** e);
      return values.filter((v) => Math.log10(v) >= lo && Math.log10(v) <= hi);
    }
    return [0, 1, 2, 3, 4].map((i) => lo + ((hi - lo) * i) / 4);
  };
  for (const v of ticks(x0, x1, options.logX === true)) {
    const x = px(v);
    out.push(`<line x1="${x}" y1="${top + plotH}" x2="${x}" y2="${top + plotH + 4}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${top + plotH + 16}" text-anchor="middle">${Number(v.toPrecision(3))}</text>`);
  }
  for (const v of ticks(y0, y1, options.logY === true)) {
    const y = py(v);
    out.push(`<line x1="${left - 4}" y1="${y}" x2="${left}" y2="${y}" stroke="#333"/>`);
    out.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end">${Number(v.toPrecision(3))}</text>`);
  }
  out.push(`<text x="${left + plotW / 2}" y="${height - 12}" text-anchor="middle">${escape(options.xLabel)}</text>`);
  out.push(`<text x="16" y="${top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${top + plotH / 2})">${escape(options.yLabel)}</text>`);
  options.series.forEach((series, i) => {
    const colour = colours[i % colours.length] as string;
    const pts = series.points.filter((p) => Number.isFinite(fx(p.x)) && Number.isFinite(fy(p.y)));
    if (pts.length > 0) {
      out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(" ")}"/>`);
      for (const p of pts) out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${colour}"/>`);
    }
    const ly = top + 10 + i * 18;
    out.push(`<line x1="${left + plotW + 10}" y1="${ly}" x2="${left + plotW + 30}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${left + plotW + 34}" y="${ly + 4}">${escape(series.name)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
