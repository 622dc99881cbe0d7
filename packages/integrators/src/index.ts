/**
 * @minevo/integrators: explicit Runge–Kutta integrators for plain ODEs and for MNE's joint
 * (θ, X, …) evolution. Importing this module registers the eight methods in
 * `registries.integrator`.
 */
import { registries } from "@minevo/core";
import { integratorPlugins } from "./plugins.js";

export { euler, heun, midpoint, rk4, bosh3, dopri5, tsit5, dop853, integratorPlugins } from "./plugins.js";
export { createIntegrator, solve, createStepper, asResumable } from "./integrator.js";
export type { RungeKuttaIntegrator, IntegratorParts } from "./integrator.js";
export { adaptiveController, constantStep, defaultBeta, acceptedStepFactor, rejectedStepFactor } from "./controller.js";
export type { AdaptiveController, AdaptiveControllerOptions, ConstantStep, StepController, ControllerRule } from "./controller.js";
export { saveFinal, saveAt, saveSteps, saveDense } from "./save.js";
export { RungeKuttaStepper } from "./stepper.js";
export { failureError } from "./solve.js";
export type { RungeKuttaMethod, ErrorEstimate, DenseOutput } from "./methods/method.js";
export { eulerMethod, heunMethod, midpointMethod, rk4Method } from "./methods/fixed.js";
export { bosh3Method } from "./methods/bosh3.js";
export { dopri5Method } from "./methods/dopri5.js";
export { tsit5Method } from "./methods/tsit5.js";
export { dop853Method } from "./methods/dop853.js";
export { Float64Space } from "./state/float64.js";
export { TensorSpace } from "./state/tensor.js";
export type { TensorSpaceOptions } from "./state/tensor.js";
export { StructuredSpace } from "./state/structured.js";
export { inferStateSpace } from "./state/infer.js";

for (const plugin of integratorPlugins) registries.integrator.register(plugin);
