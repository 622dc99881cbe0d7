/**
 * Runs conformance cases against a `tf` namespace whose backend is already set, and reports per
 * case whether every comparison held and the case left no tensor behind. Never throws for a
 * failing backend: a thrown error becomes a failed result whose message says what happened.
 */
import type { TensorFlow } from "../backend.js";
import { RandomStream } from "../random.js";
import type { BackendConformanceCase, ConformanceGroup } from "./cases.js";
import { backendConformanceCases } from "./cases.js";
import { compare, type ComparisonResult } from "./compare.js";
import { createContext } from "./context.js";

/** The seed every case's inputs derive from (by case name), so every backend sees the same numbers. */
export const conformanceSeed = "minevo-backend-conformance";

export interface ConformanceResult {
  readonly name: string;
  readonly group: ConformanceGroup;
  /** True when every comparison held, nothing threw, and no tensor leaked. */
  readonly passed: boolean;
  /** Each comparison's outcome (empty when the case threw). */
  readonly comparisons: readonly ComparisonResult[];
  /** Live tensors the case left behind. */
  readonly leakedTensors: number;
  /** One paragraph: what failed and how, or the accuracy reached. */
  readonly message: string;
  /** The TensorFlow.js backend the case ran on. */
  readonly backend: string;
  /** The error the case threw, if any. */
  readonly error?: unknown;
}

export interface RunConformanceOptions {
  /** The cases to run; all of {@link backendConformanceCases} by default. */
  readonly cases?: readonly BackendConformanceCase[];
  /** Called after each case, for progress output. */
  readonly onResult?: (result: ConformanceResult) => void;
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/gradient function not found/i.test(text)) {
    return `${text} (register the gradients first: import "@tensorflow/tfjs-core/dist/register_all_gradients")`;
  }
  return text;
}

/** Runs one case on `tf`'s current backend. */
export async function runConformanceCase(tf: TensorFlow, testCase: BackendConformanceCase): Promise<ConformanceResult> {
  await tf.ready();
  const backend = tf.getBackend();
  const context = createContext(tf, RandomStream.fromSeed(conformanceSeed).derive(testCase.name));
  const before = tf.memory().numTensors;
  const base = { name: testCase.name, group: testCase.group, backend };
  let comparisons: ComparisonResult[];
  try {
    const checks = await testCase.run(context);
    comparisons = checks.map((c) => compare(c, c.observed));
  } catch (error) {
    const leakedTensors = tf.memory().numTensors - before;
    return { ...base, passed: false, comparisons: [], leakedTensors, message: `${testCase.name} threw on backend "${backend}": ${describeError(error)}`, error };
  }
  const leakedTensors = tf.memory().numTensors - before;
  const failed = comparisons.filter((c) => !c.passed);
  const lines = (failed.length > 0 ? failed : comparisons).map((c) => c.message);
  if (leakedTensors !== 0) lines.push(`the case left ${leakedTensors} live tensors behind (tf.memory().numTensors went from ${before} to ${before + leakedTensors})`);
  const passed = failed.length === 0 && leakedTensors === 0 && comparisons.length > 0;
  if (comparisons.length === 0) lines.push("the case compared nothing");
  return { ...base, passed, comparisons, leakedTensors, message: `${passed ? "passed" : "FAILED"} on "${backend}": ${lines.join("; ")}` };
}

/** Runs every case (or `options.cases`) in order on `tf`'s current backend. */
export async function runBackendConformance(tf: TensorFlow, options: RunConformanceOptions = {}): Promise<ConformanceResult[]> {
  const results: ConformanceResult[] = [];
  for (const testCase of options.cases ?? backendConformanceCases) {
    const result = await runConformanceCase(tf, testCase);
    options.onResult?.(result);
    results.push(result);
  }
  return results;
}
