/**
 * Step-size control as its own value (as in diffrax): tolerances, the I/PI/PID rule with
 * explicit coefficients, step bounds and the rejection limit. `constantStep` is the controller
 * of the fixed-step methods.
 *
 * The rule is Söderlind's digital filter on the error norms εₙ of accepted steps:
 *   h_{n+1} = hₙ · clamp(safety · εₙ^(−β₁/k) · εₙ₋₁^(−β₂/k) · εₙ₋₂^(−β₃/k), minFactor, maxFactor)
 * with k = (order of the error estimate) + 1. I: β = (1, 0, 0). PI (Gustafsson; Hairer–Wanner
 * II §IV.2): β = (0.7, −0.4, 0). Hairer's DOPRI5 PI (β = 0.04) is β = (0.85, −0.2, 0) with k = 5.
 * After a rejection only the I part is used and the step never grows.
 */
import { ErrorCode, MinevoError, quote } from "@minevo/core";
import type { ToleranceSpec } from "@minevo/core";

export type ControllerRule = "i" | "pi" | "pid";

export interface AdaptiveControllerOptions {
  readonly rtol?: ToleranceSpec | undefined;
  readonly atol?: ToleranceSpec | undefined;
  readonly rule?: ControllerRule | undefined;
  /** Exponents (β₁, β₂, β₃) in units of 1/k; defaults: I (1, 0, 0), PI (0.7, −0.4, 0); PID: required. */
  readonly beta1?: number | undefined;
  readonly beta2?: number | undefined;
  readonly beta3?: number | undefined;
  readonly safety?: number | undefined;
  readonly minFactor?: number | undefined;
  readonly maxFactor?: number | undefined;
  /** Smallest |h| allowed; a rejected step at this size ends with `dt_underflow`. Default 0. */
  readonly dtmin?: number | undefined;
  /** Largest |h|. Default: the whole interval. */
  readonly dtmax?: number | undefined;
  /** First step size tried; default: Hairer's automatic selection (one extra evaluation). */
  readonly dt0?: number | undefined;
  /** Consecutive rejections allowed before `rejected_too_often`. Default 50. */
  readonly maxRejections?: number | undefined;
}

export interface AdaptiveController {
  readonly kind: "adaptive";
  readonly rtol: ToleranceSpec;
  readonly atol: ToleranceSpec;
  readonly rule: ControllerRule;
  readonly beta: readonly [number, number, number];
  readonly safety: number;
  readonly minFactor: number;
  readonly maxFactor: number;
  readonly dtmin: number;
  readonly dtmax: number;
  readonly dt0: number | undefined;
  readonly maxRejections: number;
}

export interface ConstantStep {
  readonly kind: "constant";
  /** Either a step size (the last step is shortened to land on t1) or a number of equal steps. */
  readonly dt: number | undefined;
  readonly steps: number | undefined;
}

export type StepController = AdaptiveController | ConstantStep;

/** Default β per rule; PID has none and needs all three coefficients given explicitly. */
export function defaultBeta(rule: "i" | "pi"): readonly [number, number, number] {
  return rule === "i" ? [1, 0, 0] : [0.7, -0.4, 0];
}

export function adaptiveController(options: AdaptiveControllerOptions = {}): AdaptiveController {
  const rule = options.rule ?? "pi";
  if (rule === "pid" && (options.beta1 === undefined || options.beta2 === undefined || options.beta3 === undefined)) {
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `the PID rule needs explicit beta1, beta2 and beta3 (exponents in units of 1/k), got ${quote({ beta1: options.beta1, beta2: options.beta2, beta3: options.beta3 })}: e.g. { rule: "pid", beta1: 0.6, beta2: -0.3, beta3: 0.1 }`,
    );
  }
  const [b1, b2, b3] = rule === "pid" ? [0, 0, 0] : defaultBeta(rule);
  const controller: AdaptiveController = {
    kind: "adaptive",
    rtol: options.rtol ?? 1e-6,
    atol: options.atol ?? 1e-6,
    rule,
    beta: [options.beta1 ?? b1, rule === "i" ? 0 : (options.beta2 ?? b2), rule === "pid" ? (options.beta3 ?? b3) : 0],
    safety: options.safety ?? 0.9,
    minFactor: options.minFactor ?? 0.2,
    maxFactor: options.maxFactor ?? 10,
    dtmin: options.dtmin ?? 0,
    dtmax: options.dtmax ?? Infinity,
    dt0: options.dt0,
    maxRejections: options.maxRejections ?? 50,
  };
  checkPositive(controller.safety, "safety", true);
  checkPositive(controller.minFactor, "minFactor", true);
  if (!(controller.minFactor < 1 && controller.maxFactor > 1)) {
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `the step factor bounds must satisfy minFactor < 1 < maxFactor, got minFactor ${quote(controller.minFactor)}, maxFactor ${quote(controller.maxFactor)}`,
    );
  }
  if (!(controller.dtmin >= 0) || !(controller.dtmax > 0) || controller.dtmin > controller.dtmax) {
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `need 0 ≤ dtmin ≤ dtmax and dtmax > 0, got dtmin ${quote(controller.dtmin)}, dtmax ${quote(controller.dtmax)}`,
    );
  }
  if (controller.dt0 !== undefined) checkPositive(controller.dt0, "dt0", true);
  if (!Number.isInteger(controller.maxRejections) || controller.maxRejections < 1) {
    throw new MinevoError(ErrorCode.InvalidOptions, `maxRejections must be a whole number ≥ 1, got ${quote(controller.maxRejections)}`);
  }
  for (const b of controller.beta) {
    if (!Number.isFinite(b)) throw new MinevoError(ErrorCode.InvalidOptions, `controller coefficients must be finite, got ${quote(controller.beta)}`);
  }
  return Object.freeze(controller);
}

export function constantStep(options: { readonly dt?: number | undefined; readonly steps?: number | undefined }): ConstantStep {
  const { dt, steps } = options;
  if ((dt === undefined) === (steps === undefined)) {
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `a fixed-step method needs exactly one of dt or steps, got ${quote(options)}: e.g. { steps: 100 } or { dt: 0.01 }`,
    );
  }
  if (dt !== undefined) checkPositive(dt, "dt", true);
  if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `steps must be a whole number ≥ 1, got ${quote(steps)}`);
  }
  return Object.freeze({ kind: "constant", dt, steps });
}

/** The factor h_{n+1}/hₙ after an accepted step with error norm `error`. */
export function acceptedStepFactor(controller: AdaptiveController, error: number, history: readonly number[], k: number): number {
  const [b1, b2, b3] = controller.beta;
  if (error === 0) return controller.maxFactor;
  let factor = controller.safety * Math.pow(error, -b1 / k);
  if (b2 !== 0 && history[0] !== undefined) factor *= Math.pow(history[0], -b2 / k);
  if (b3 !== 0 && history[1] !== undefined) factor *= Math.pow(history[1], -b3 / k);
  return Math.min(controller.maxFactor, Math.max(controller.minFactor, factor));
}

/** The factor after a rejected step: the I part only, never growing. */
export function rejectedStepFactor(controller: AdaptiveController, error: number, k: number): number {
  const factor = Number.isFinite(error) ? controller.safety * Math.pow(error, -1 / k) : controller.minFactor;
  return Math.min(1, Math.max(controller.minFactor, factor));
}

function checkPositive(value: number, what: string, strict: boolean): void {
  if (!Number.isFinite(value) || (strict ? value <= 0 : value < 0)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `${what} must be a finite number > 0, got ${quote(value)}`, { field: what, value });
  }
}
