/**
 * Writes a figure as `name.svg` and `name.png` (rasterised by resvg, which ships prebuilt
 * binaries as optional npm dependencies; text uses the system's fonts, DejaVu Sans where present).
 */
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { writeFileAtomic } from "../files.js";

export function rasterise(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    background: "#ffffff",
    fitTo: { mode: "zoom", value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}

/** Writes `dir/name.svg` and `dir/name.png`; returns the two file names. */
export async function writeFigure(dir: string, name: string, svg: string): Promise<string[]> {
  await writeFileAtomic(join(dir, `${name}.svg`), svg);
  await writeFileAtomic(join(dir, `${name}.png`), rasterise(svg));
  return [`${name}.svg`, `${name}.png`];
}
