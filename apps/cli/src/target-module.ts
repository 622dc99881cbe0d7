/**
 * Targets for `minevo sample`: a registered name with options, or a user's ES module exporting
 * `dim` and `logDensity(x, tf)` (optionally `conditionDim`, `logZ`, `name`, `description`),
 * wrapped by @minevo/diffusion's `userTarget` (autodiff score, shape and finiteness checks).
 *
 * A user's module is the likeliest place for a mistake, so loading it and a first evaluation at a
 * few points are checked here, before any expensive work, and every failure becomes one line
 * naming the module: it does not load, exports the wrong things, throws, returns NaN/Inf, or
 * returns the wrong shape.
 */
import { access } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import type { Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import { ErrorCode, MinevoError, RandomStream, isMinevoError, quote, registries, type SamplingTarget, type TensorFlow } from "@minevo/core";
import { userTarget } from "@minevo/diffusion";
import { ensureGradients } from "./gradients.js";
import type { ResolvedTarget } from "./sample-config.js";

/** What a target module exports (named exports, or the same fields on its default export). */
interface TargetModuleExports {
  readonly dim?: unknown;
  readonly conditionDim?: unknown;
  readonly logDensity?: unknown;
  readonly logZ?: unknown;
  readonly name?: unknown;
  readonly description?: unknown;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] ?? error.message : String(error);
}

/** Loads a target module; errors name the file and what is wrong with it. */
export async function loadTargetModule(path: string): Promise<SamplingTarget> {
  try {
    await access(path);
  } catch {
    throw new MinevoError(ErrorCode.InvalidArgument, `target module ${quote(path)} does not exist; give a registered target name or the path of an ES module`, { path });
  }
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new MinevoError(ErrorCode.InvalidArgument, `target module ${quote(path)} failed to load: ${message(error)}`, { path }, { cause: error });
  }
  const exports: TargetModuleExports =
    loaded.logDensity === undefined && typeof loaded.default === "object" && loaded.default !== null ? (loaded.default as TargetModuleExports) : (loaded as TargetModuleExports);
  const { dim, conditionDim, logDensity, logZ, name, description } = exports;
  if (typeof dim !== "number" || !Number.isSafeInteger(dim) || dim < 1) {
    throw new MinevoError(ErrorCode.InvalidArgument, `target module ${quote(path)} must export dim, a positive integer; got ${quote(dim)}`, { path, field: "dim" });
  }
  if (conditionDim !== undefined && (typeof conditionDim !== "number" || !Number.isSafeInteger(conditionDim) || conditionDim < 0)) {
    throw new MinevoError(ErrorCode.InvalidArgument, `target module ${quote(path)}: conditionDim must be a non-negative integer; got ${quote(conditionDim)}`, { path, field: "conditionDim" });
  }
  if (typeof logDensity !== "function") {
    throw new MinevoError(ErrorCode.InvalidArgument, `target module ${quote(path)} must export logDensity(x, tf), a function of a [M, ${dim}] tensor returning shape [M]; got ${quote(logDensity)}`, {
      path,
      field: "logDensity",
    });
  }
  if (logZ !== undefined && (typeof logZ !== "number" || !Number.isFinite(logZ))) {
    throw new MinevoError(ErrorCode.InvalidArgument, `target module ${quote(path)}: logZ must be a finite number; got ${quote(logZ)}`, { path, field: "logZ" });
  }
  await ensureGradients();
  const user = logDensity as (x: Tensor2D, tf: TensorFlow) => Tensor1D;
  // A throw inside the user's function would otherwise surface as TensorFlow.js's or the
  // sampler's error; naming the module is what the user needs.
  const guarded = (x: Tensor2D, tf: TensorFlow): Tensor1D => {
    try {
      return user(x, tf);
    } catch (error) {
      if (isMinevoError(error)) throw error;
      throw new MinevoError(ErrorCode.InvalidArgument, `logDensity of target module ${quote(path)} threw: ${message(error)}`, { path }, { cause: error });
    }
  };
  return userTarget({
    dim,
    ...(conditionDim !== undefined ? { conditionDim: conditionDim as number } : {}),
    logDensity: guarded,
    name: typeof name === "string" ? name : path,
    ...(typeof description === "string" ? { description } : {}),
    ...(logZ !== undefined ? { logZ: logZ as number } : {}),
  });
}

/** The target of a resolved config: a registered one (its schema validates the options) or a module. */
export async function loadTarget(target: ResolvedTarget): Promise<SamplingTarget> {
  if ("module" in target) return loadTargetModule(target.module);
  return registries.target.configure(target.name, target.options).create() as SamplingTarget;
}

/**
 * Evaluates log π̃ and its score at a few points from N(0, I) and checks both are finite, so a
 * broken formula fails in a second with the module's name rather than deep in the fit.
 */
export async function probeTarget(tf: TensorFlow, target: SamplingTarget, condition: readonly number[] | undefined): Promise<void> {
  const d = target.dim;
  const c = target.conditionDim ?? 0;
  const count = 8;
  const x = RandomStream.fromSeed("probe").normals(count * d);
  const points = new Float32Array(count * (d + c));
  for (let j = 0; j < count; j++) {
    for (let k = 0; k < d; k++) points[j * (d + c) + k] = x[j * d + k] as number;
    for (let k = 0; k < c; k++) points[j * (d + c) + d + k] = condition?.[k] ?? 0;
  }
  const tensor = tf.tensor2d(points, [count, d + c]);
  try {
    const { logDensity, score } = target.scoreAndLogDensity(tensor, tf);
    try {
      const [values, gradients] = await Promise.all([logDensity.data(), score.data()]);
      const bad = [...values, ...gradients].findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new MinevoError(ErrorCode.NonFinite, `target ${quote(target.name)} gave a non-finite log-density or score at a point drawn from N(0, I); it must be finite everywhere`, {});
      }
    } finally {
      tf.dispose([logDensity, score]);
    }
  } finally {
    tensor.dispose();
  }
}
