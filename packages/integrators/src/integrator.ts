/**
 * An integrator as a value: a method (the solver), a step-size controller and a step budget.
 * This is what the registry's plugins create, and what `solve`/`createStepper` run.
 */
import type { IntegrationProblem, IntegrationResult, Integrator, SolveOptions, Stepper } from "@minevo/core";
import type { StepController } from "./controller.js";
import { runAsync, runSync } from "./effects.js";
import type { RungeKuttaMethod } from "./methods/method.js";
import { solveWork } from "./solve.js";
import { RungeKuttaStepper } from "./stepper.js";

export interface RungeKuttaIntegrator extends Integrator {
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
    solve<S>(problem: IntegrationProblem<S>, options: SolveOptions = {}): Promise<IntegrationResult<S>> {
      try {
        return runAsync(solveWork(problem, settings, options, "async"));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    solveSync<S>(problem: IntegrationProblem<S>, options: SolveOptions = {}): IntegrationResult<S> {
      return runSync(solveWork(problem, settings, options, "sync"));
    },
    createStepper<S>(problem: IntegrationProblem<S>): Stepper<S> {
      return new RungeKuttaStepper(problem, settings, "async");
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
