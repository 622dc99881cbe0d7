/**
 * @minevo/sketching — strategies for the MNE step θ̇ = argmin ‖Jθ̇ − f‖² + λ‖θ̇‖².
 * Importing this module registers them in `registries.sketch`.
 */
import { registries } from "@minevo/core";
import { builtinSketches } from "./plugins.js";

for (const definition of builtinSketches) registries.sketch.register(definition);

export {
  denseSketch,
  gaussianSketch,
  srftSketch,
  dctSketch,
  nystromSketch,
  columnSketch,
  builtinSketches,
  denseOptionsSchema,
  fixedSketchOptionsSchema,
  nystromOptionsSchema,
  columnOptionsSchema,
} from "./plugins.js";
export { DenseStrategy, type DenseOptions } from "./dense.js";
export { FixedSketchStrategy, type FixedSketchOptions } from "./fixed-sketch.js";
export { NystromStrategy, type NystromOptions } from "./nystrom.js";
export { ColumnStrategy, type ColumnOptions } from "./column.js";
export { gaussianOmega, dctOmega, drawOmega, type Omega, type OmegaKind } from "./omega.js";
export {
  regularisationSchema,
  defaultRegularisation,
  ridgeFor,
  solveRegularised,
  type RegularisationPolicy,
  type RegularisedSolution,
} from "./regularisation.js";
export { denseJacobianOperator } from "./dense-jacobian-operator.js";
export { kernelFromFactors, transposeTimesFromFactors, hasHostFactors, type HostFactorBlock, type HostFactorSource } from "./factored-kernel.js";
