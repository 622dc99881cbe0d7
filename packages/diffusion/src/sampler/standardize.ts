/**
 * Standardised coordinates for the OU sampler (`standardize` in runOuSampler): a pilot of
 * tempered-SMC particles on π̃ alone (`smcPoints`: no samples of π), and the map z = (x − m)/s
 * that their mean and per-coordinate standard deviation give. The sampler then runs on
 * `affineTarget(π̃, map)`, whose normaliser is π̃'s own, and maps its draws back to x.
 *
 * Why: the OU process relaxes toward N(0, I). A target whose mass spans |x| ~ 10–100 (the
 * banana's x₁ ~ N(0, 100), x₂ from −80 to 10) is first contracted by e^{−t}, which makes a curved
 * valley relatively thinner and more curved before the noise blurs it — dynamics the evolution
 * lost in every attempt in x (docs/benchmarks.md, banana 1–15); in standardised coordinates the
 * same target only blurs, and the forward run reaches T smoothly (attempts 16–17).
 */
import { ErrorCode, MinevoError, quote, type RandomStream, type SamplingTarget, type TensorFlow } from "@minevo/core";
import { standardizingMap, type AffineMap } from "../targets/affine-target.js";
import { positiveOption } from "./mala-points.js";
import { smcPoints, type SmcStage } from "./smc-points.js";

/** `standardize` of runOuSampler; the fields left out take {@link standardizeDefaults}. */
export interface StandardizeOptions {
  /** Pilot particles. Default 1000. */
  readonly particles?: number;
  /**
   * s of the pilot's reference N(0, s²I), in x. It must cover π's mass: a reference wider than π
   * costs only more tempering stages, a narrower one misses mass. Default 10.
   */
  readonly reference?: number;
  /** Use this map (shift m, scale s: x = m + s⊙z) instead of drawing a pilot. */
  readonly map?: AffineMap;
}

export const standardizeDefaults = { particles: 1000, reference: 10 } as const;

/** `standardize` with its defaults filled in; undefined when off. */
export function resolveStandardize(value: boolean | StandardizeOptions | undefined): { readonly particles: number; readonly reference: number; readonly map?: AffineMap } | undefined {
  if (value === undefined || value === false) return undefined;
  const given: StandardizeOptions = value === true ? {} : value;
  if (typeof given !== "object" || given === null) {
    throw new MinevoError(ErrorCode.InvalidOptions, `standardize must be true, false or { particles?, reference?, map? }, got ${quote(value)}`, { field: "standardize" });
  }
  const particles = positiveOption(given.particles ?? standardizeDefaults.particles, "standardize.particles", true);
  if (particles < 2) throw new MinevoError(ErrorCode.InvalidOptions, `standardize.particles must be at least 2, got ${quote(particles)}`, { field: "standardize.particles" });
  const reference = positiveOption(given.reference ?? standardizeDefaults.reference, "standardize.reference", false);
  if (given.map !== undefined) {
    const { shift, scale } = given.map;
    if (!(shift instanceof Float64Array || Array.isArray(shift)) || !(scale instanceof Float64Array || Array.isArray(scale))) {
      throw new MinevoError(ErrorCode.InvalidOptions, `standardize.map must be { shift, scale } (arrays of d numbers), got ${quote(given.map)}`, { field: "standardize.map" });
    }
    return { particles, reference, map: { shift: Float64Array.from(shift), scale: Float64Array.from(scale) } };
  }
  return { particles, reference };
}

export interface StandardizingPilotOptions {
  readonly tf: TensorFlow;
  readonly target: SamplingTarget;
  readonly random: RandomStream;
  /** Default 1000. */
  readonly particles?: number;
  /** Default 10. */
  readonly reference?: number;
  /** Every SMC stage (progress); a throw stops the pilot and propagates. */
  readonly onStage?: (stage: SmcStage) => void;
}

export interface StandardizingPilot {
  readonly map: AffineMap;
  /** Tempering stages the pilot took. */
  readonly stages: number;
  /** The pilot's log Ẑ (a check on π̃'s normaliser and the pilot's coverage). */
  readonly logZ: number;
}

/**
 * The map z = (x − m)/s from the mean and standard deviation of tempered-SMC particles on π̃
 * (`smcPoints`' defaults: ESS fraction 0.95, 50 moves per stage) from N(0, reference²I).
 */
export function standardizingPilot(options: StandardizingPilotOptions): StandardizingPilot {
  const { tf, target, random } = options;
  const pilot = smcPoints({
    tf,
    target,
    random,
    count: options.particles ?? standardizeDefaults.particles,
    start: options.reference ?? standardizeDefaults.reference,
    ...(options.onStage !== undefined ? { onStage: options.onStage } : {}),
  });
  return { map: standardizingMap(pilot.points, target.dim), stages: pilot.betas.length - 1, logZ: pilot.logZ };
}
