export { ErrorCode, MinevoError, isMinevoError, assertFinite, quote } from "./errors.js";
export type { ErrorDetails } from "./errors.js";
export {
  Registry,
  registries,
  slotNames,
  definePlugin,
  defineNetwork,
  defineSketch,
  defineIntegrator,
  defineEquation,
  defineTarget,
  defineBackend,
  parseWithSchema,
  describeIssues,
} from "./registry.js";
export type {
  NetworkMap,
  SketchMap,
  IntegratorMap,
  EquationMap,
  TargetMap,
  BackendMap,
  SlotMaps,
  SlotName,
  OptionsSchema,
  PluginDefinition,
  ConfiguredPlugin,
  PluginSpec,
  PluginName,
  PluginOptions,
  PluginInstance,
  PluginChoice,
  RegisterOptions,
} from "./registry.js";
export { RandomStream } from "./random.js";
export type { RandomStreamState, Seed } from "./random.js";
export { denseMatrix, cholesky, conjugateGradient, solveLinear, symmetricEigen, svd, multiply, transpose } from "./linalg.js";
export { startCholeskyWorker, stopCholeskyWorker, choleskyWorkerRunning } from "./cholesky-worker.js";
export type { DenseMatrix, CholeskyFactor, ConjugateGradientResult, SymmetricEigen, SingularValues } from "./linalg.js";
export { gramOfRows, gramOfColumns, timesVector, transposeTimesVector } from "./products.js";
export type { RowMajor } from "./products.js";
export { selectBackend, setTensorFlowBackend } from "./backend.js";
export type { TensorFlow, BackendProbe, ActiveBackend, BackendProvider, SelectBackendOptions } from "./backend.js";
export { expectNoTensorLeak, toFloat64 } from "./memory.js";
export type { JacobianOperator } from "./contracts/jacobian.js";
export type { Network, NetworkRequest, NetworkEvaluation, NetworkJSON, ParameterBlock } from "./contracts/network.js";
export type {
  IntegrationStateLeaf,
  IntegrationState,
  RightHandSide,
  IntegrationStatus,
  IntegrationStatistics,
  ToleranceSpec,
  ToleranceHandle,
  StateSpace,
  IntegrationProblem,
  SavePolicy,
  StepReport,
  SolveOptions,
  IntegrationResult,
  Stepper,
  Integrator,
} from "./contracts/integrator.js";
export type { SketchStrategy, SketchPrepareContext, SketchSolveInput, SketchSolution, SketchState } from "./contracts/sketch.js";
export type { SamplingTarget, TargetScore, TargetMoments, ConditionalTargetFacts } from "./contracts/target.js";
export type { EvolutionEquation, EquationInput, EquationRequirements, EquationDimensions } from "./contracts/equation.js";
export type {
  StepperSnapshot,
  ResumableStepper,
  DenseSegment,
  SolveSnapshot,
  ResumableSolveOptions,
  ResumableIntegrator,
} from "./contracts/integrator.js";
