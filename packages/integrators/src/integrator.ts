/**
 * An integrator as a value: a method (the solver), a step-size controller and a step budget.
 * This is what the registry's plugins create, and what `solve`/`createStepper` run.
 */
import { ErrorCode, MinevoError } from "@minevo/core";
import type {
  IntegrationProblem,
  IntegrationResult,
  Integrator,
  ResumableIntegrator,
  ResumableSolveOptions,
  ResumableStepper,
  SolveOptions,
  Stepper,
  StepperSnapshot,
} from "@minevo/core";
import type { StepController } from "./controller.js";
import { runAsync, runSync } from "./effects.js";
import type { RungeKuttaMethod } from "./methods/method.js";
import { solveWork } from "./solve.js";
import { RungeKuttaStepper } from "./stepper.js";

export interface RungeKuttaIntegrator extends ResumableIntegrator {
  readonly method: RungeKuttaMethod;
  readonly controller: StepController;
  readonly maxSteps: number;
}

export interface IntegratorParts {
  readonly method: RungeKuttaMethod;
  readonly controller: StepController;
  /** Step attempts (accepted + rejected) allowed in one solve. Default 100 000. */
  readonly maxSteps?: number;
}

export function createIntegrator(parts: IntegratorParts): RungeKuttaIntegrator {
  const settings = { method: parts.method, controller: parts.controller, maxSteps: parts.maxSteps ?? 100_000 };
  return Object.freeze({
    name: parts.method.name,
    order: parts.method.order,
    adaptive: parts.controller.kind === "adaptive",
    method: settings.method,
    controller: settings.controller,
    maxSteps: settings.maxSteps,
    solve<S>(problem: IntegrationProblem<S>, options: ResumableSolveOptions<S> = {}): Promise<IntegrationResult<S>> {
      try {
        return runAsync(solveWork(problem, settings, options, "async"));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    solveSync<S>(problem: IntegrationProblem<S>, options: ResumableSolveOptions<S> = {}): IntegrationResult<S> {
      return runSync(solveWork(problem, settings, options, "sync"));
    },
    createStepper<S>(problem: IntegrationProblem<S>): ResumableStepper<S> {
      return new RungeKuttaStepper(problem, settings, "async");
    },
    restoreStepper<S>(problem: IntegrationProblem<S>, snapshot: StepperSnapshot<S>): ResumableStepper<S> {
      return new RungeKuttaStepper(problem, settings, "async", snapshot);
    },
  });
}

/** Solves with an integrator value: `solve(dopri5.with({ rtol: 1e-8 }).create(), problem)`. */
export function solve<S>(integrator: Integrator, problem: IntegrationProblem<S>, options?: SolveOptions): Promise<IntegrationResult<S>> {
  return integrator.solve(problem, options);
}

/** A manual stepper: `await stepper.init(); while (!stepper.done) await stepper.step();`. */
export function createStepper<S>(integrator: Integrator, problem: IntegrationProblem<S>): Stepper<S> {
  return integrator.createStepper(problem);
}

/**
 * The integrator as a {@link ResumableIntegrator} (every integrator of this package is one);
 * throws InvalidOptions for an integrator without snapshots, naming it.
 */
export function asResumable(integrator: Integrator): ResumableIntegrator {
  if (typeof (integrator as Partial<ResumableIntegrator>).restoreStepper !== "function") {
    throw new MinevoError(
      ErrorCode.InvalidOptions,
      `integrator "${integrator.name}" cannot snapshot and restore its state, so this run cannot be checkpointed or resumed: use one of @minevo/integrators' methods (e.g. dopri5)`,
      { integrator: integrator.name },
    );
  }
  return integrator as ResumableIntegrator;
}
