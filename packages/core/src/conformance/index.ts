/**
 * The backend conformance suite (`@minevo/core/conformance`): the tensor operations minevo relies
 * on, each checked against a float64 reference with a float32 tolerance. Any backend — the
 * built-in ones or a third party's — runs it on a `tf` already set to that backend:
 *
 * ```ts
 * import { backendConformanceCases, runConformanceCase } from "@minevo/core/conformance";
 * for (const c of backendConformanceCases) {
 *   it(c.name, async () => {
 *     const result = await runConformanceCase(tf, c);
 *     expect(result.passed, result.message).toBe(true);
 *   });
 * }
 * ```
 *
 * It imports neither TensorFlow.js nor a test framework at run time. Gradient cases need the
 * gradients registered (`import "@tensorflow/tfjs-core/dist/register_all_gradients"`).
 */
export { backendConformanceCases, EXACT, ROUNDED, DIVISION, TRANSCENDENTAL, ACCUMULATED, GRADIENT } from "./cases.js";
export type { BackendConformanceCase, ConformanceGroup } from "./cases.js";
export { runBackendConformance, runConformanceCase, conformanceSeed } from "./run.js";
export type { ConformanceResult, RunConformanceOptions } from "./run.js";
export { compare } from "./compare.js";
export type { Tolerance, Observation, Expectation, ComparisonResult } from "./compare.js";
export { createContext } from "./context.js";
export type { ConformanceContext, Check } from "./context.js";
export type { HostArray } from "./reference.js";
