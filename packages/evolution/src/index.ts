/**
 * @minevo/evolution: the evolution-equation interface, the MNE vector field (θ̇, Ẋ),
 * createSolver / evolve, and the regularised Levenberg–Marquardt initial-condition fit.
 * Importing this module registers the built-in equations (`heat`, `advection`) in
 * `registries.equation`.
 */
import { registries } from "@minevo/core";
import { advection } from "./equations/advection.js";
import { heat } from "./equations/heat.js";

registries.equation.register(heat);
registries.equation.register(advection);

export { heat, heatOptionsSchema, createHeatEquation } from "./equations/heat.js";
export type { HeatOptions } from "./equations/heat.js";
export { advection, advectionOptionsSchema, createAdvectionEquation } from "./equations/advection.js";
export type { AdvectionOptions } from "./equations/advection.js";
export { requireDerivative } from "./equations/require-derivative.js";
export { MneVectorField } from "./vector-field.js";
export type { MneState, MneVectorFieldOptions, VectorFieldDiagnostics } from "./vector-field.js";
export { createSolver, evolve, encodeEvolutionCheckpoint, decodeEvolutionCheckpoint } from "./solver.js";
export type {
  SolverOptions,
  Solver,
  InitialState,
  EvolveOptions,
  EvolutionResult,
  EvolutionStatus,
  EvolutionSnapshot,
  EvolutionProgress,
  PreparedRun,
  PrepareOptions,
  EvolutionCheckpoint,
} from "./solver.js";
export { resolveComponent } from "./choices.js";
export type { ComponentChoice, SolverSlot, SolverSlotInstances } from "./choices.js";
export { fitInitialCondition } from "./initial-fit.js";
/** Internal: the fit's backend Gram matrix, exported for benchmarks. */
export { backendGram } from "./initial-fit.js";
export type {
  InitialConditionTarget,
  InitialFitOptions,
  InitialFitProgress,
  InitialFitReport,
  InitialFitStopReason,
  InitialFitTimings,
  LaplacianGuard,
} from "./initial-fit.js";
export { encodeCheckpointTree, decodeCheckpointTree, crc32, checkpointFormatVersion } from "./checkpoint-file.js";
