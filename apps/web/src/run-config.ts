/**
 * One run of the page, as plain data: it crosses to the worker by postMessage, where
 * `samplerOptions` (sampler-options.ts) turns it into runOuSampler's options.
 */
import { ErrorCode, MinevoError, quote } from "@minevo/core";
import type { TargetChoice } from "./presets.js";

/** Which compute backend the worker selects; `auto` is selectBackend's own choice. */
export type BackendChoice = "auto" | "webgpu" | "wasm" | "cpu";

export interface RunConfig {
  readonly target: TargetChoice;
  /** N: collocation points, from N(0, 2²I). */
  readonly numPoints: number;
  /** Fit points besides the collocation points, from N(0, 3²I). */
  readonly numExtraFitPoints: number;
  /** Levenberg–Marquardt iterations of the initial fit u_θ(0) ≈ log π̃. */
  readonly fitIterations: number;
  /** n: columns of the fixed Gaussian sketch (n ≤ N). */
  readonly sketchSize: number;
  /** rtol = atol of the forward Dormand–Prince run. */
  readonly tolerance: number;
  /** rtol = atol of the reverse probability flow (it carries the log-density: keep it tighter). */
  readonly samplerTolerance: number;
  /** M: samples drawn by the reverse flow. */
  readonly numSamples: number;
  readonly seed: number;
  /** T. */
  readonly horizon: number;
  /** Times in [0, T] at which the learned density and the points are kept for the replay. */
  readonly recordPathSteps: number;
  readonly backend: BackendChoice;
  /** Let `webgpu` run on a software adapter (SwiftShader, lavapipe): correct, slow; for tests. */
  readonly allowSoftwareAdapter: boolean;
}

export const defaultRunConfig: RunConfig = {
  target: { kind: "preset", id: "gmm2-reference" },
  numPoints: 400,
  numExtraFitPoints: 400,
  fitIterations: 40,
  sketchSize: 60,
  tolerance: 1e-4,
  samplerTolerance: 1e-5,
  numSamples: 2000,
  seed: 0,
  horizon: 5,
  recordPathSteps: 26,
  backend: "auto",
  allowSoftwareAdapter: false,
};

const integerFields = ["numPoints", "numExtraFitPoints", "fitIterations", "sketchSize", "numSamples", "seed", "recordPathSteps"] as const;
const positiveFields = ["tolerance", "samplerTolerance", "horizon"] as const;

/** Checks what the form can get wrong, with messages that name the field and the value. */
export function checkRunConfig(config: RunConfig): RunConfig {
  for (const field of integerFields) {
    const value = config[field];
    const least = field === "numExtraFitPoints" || field === "seed" ? 0 : field === "recordPathSteps" ? 2 : 1;
    if (!Number.isSafeInteger(value) || value < least) {
      throw new MinevoError(ErrorCode.InvalidOptions, `${field} must be a whole number ≥ ${least}, got ${quote(value)}`, { field });
    }
  }
  for (const field of positiveFields) {
    const value = config[field];
    if (!(Number.isFinite(value) && value > 0)) throw new MinevoError(ErrorCode.InvalidOptions, `${field} must be a positive number, got ${quote(value)}`, { field });
  }
  if (config.tolerance >= 1 || config.samplerTolerance >= 1) {
    throw new MinevoError(ErrorCode.InvalidOptions, `the tolerances must be below 1, got ${config.tolerance} and ${config.samplerTolerance}`, { field: "tolerance" });
  }
  if (config.sketchSize > config.numPoints) {
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `the sketch size n = ${config.sketchSize} exceeds the number of collocation points N = ${config.numPoints}: lower n or raise N`,
      { field: "sketchSize" },
    );
  }
  if (!["auto", "webgpu", "wasm", "cpu"].includes(config.backend)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `backend must be auto, webgpu, wasm or cpu, got ${quote(config.backend)}`, { field: "backend" });
  }
  return config;
}
