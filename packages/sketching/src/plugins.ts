/**
 * The built-in sketching strategies as registry plugins, with their option schemas.
 */
import { defineSketch } from "@minevo/core";
import { z } from "zod";
import { ColumnStrategy } from "./column.js";
import { DenseStrategy } from "./dense.js";
import { FixedSketchStrategy } from "./fixed-sketch.js";
import { NystromStrategy } from "./nystrom.js";
import { defaultRegularisation, regularisationSchema } from "./regularisation.js";

const regularisation = regularisationSchema.default(defaultRegularisation);
/** n: the sketch's columns. The STABILITY recipe used n = 100 for an effective rank of 54–75. */
const sketchSize = z.number().int().positive().default(100);

export const denseOptionsSchema = z.strictObject({
  regularisation,
  gramPrecision: z.enum(["float64", "float32"]).default("float64"),
});
export const fixedSketchOptionsSchema = z.strictObject({ sketchSize, regularisation });
export const nystromOptionsSchema = z.strictObject({
  sketchSize,
  regularisation,
  omega: z.enum(["gaussian", "dct"]).default("gaussian"),
  /** δ / max diag(ZᵀZ): the shift that orthonormalises range(Z) (directions with w ≲ δ are shrunk; see nystrom.ts). */
  rangeTolerance: z.number().positive().lt(1).default(1e-10),
});
export const columnOptionsSchema = z.strictObject({ numColumns: z.number().int().positive(), regularisation });

export const denseSketch = defineSketch({
  name: "dense",
  description: "No sketch: θ̇ = Jᵀ(JJᵀ + λI)⁻¹f with the N×N kernel formed and Cholesky-solved in float64.",
  options: denseOptionsSchema,
  create: (options) => new DenseStrategy("dense", options),
});

export const gaussianSketch = defineSketch({
  name: "gaussian",
  description: "Fixed Gaussian sketch Ω (N×n, entries N(0, 1/N)) drawn once per run: θ̇ = Z(ZᵀZ + λI)⁻¹Ωᵀf, Z = JᵀΩ.",
  options: fixedSketchOptionsSchema,
  create: (options) => new FixedSketchStrategy("gaussian", "gaussian", options),
});

export const srftSketch = defineSketch({
  name: "srft",
  description: "Fixed subsampled randomised DCT sketch (random signs, n orthonormal DCT-II columns) drawn once per run.",
  options: fixedSketchOptionsSchema,
  create: (options) => new FixedSketchStrategy("srft", "dct", options),
});

export const dctSketch = defineSketch({
  name: "dct",
  description: 'The same fixed randomised DCT sketch as "srft", under its other name.',
  options: fixedSketchOptionsSchema,
  create: (options) => new FixedSketchStrategy("dct", "dct", options),
});

export const nystromSketch = defineSketch({
  name: "nystrom",
  description: "Nyström kernel K̂ = (KΩ)(ΩᵀKΩ)⁺(KΩ)ᵀ with a fixed Ω, solved by Woodbury as the ridge step restricted to range(JᵀΩ).",
  options: nystromOptionsSchema,
  create: (options) => new NystromStrategy("nystrom", options),
});

export const columnSketch = defineSketch({
  name: "column",
  description: "A random subset of parameter columns redrawn at every step (RSNG-style); non-smooth, for fixed-step comparisons only.",
  options: columnOptionsSchema,
  create: (options) => new ColumnStrategy("column", options),
});

export const builtinSketches = [denseSketch, gaussianSketch, srftSketch, dctSketch, nystromSketch, columnSketch] as const;

declare module "@minevo/core" {
  interface SketchMap {
    dense: typeof denseSketch;
    gaussian: typeof gaussianSketch;
    srft: typeof srftSketch;
    dct: typeof dctSketch;
    nystrom: typeof nystromSketch;
    column: typeof columnSketch;
  }
}
