/**
 * A run's configuration from the page's URL (`?target=gmm-four&points=200&backend=webgpu&
 * allowSoftwareAdapter=1`), so that a run can be linked to, and the browser test can pick the
 * WebGPU backend on a software adapter without clicking through the form.
 */
import { ErrorCode, MinevoError, quote } from "@minevo/core";
import { defaultRunConfig, type BackendChoice, type RunConfig } from "./run-config.js";
import { findPreset } from "./presets.js";

const numberParameters = {
  points: "numPoints",
  extraFitPoints: "numExtraFitPoints",
  fitIterations: "fitIterations",
  sketch: "sketchSize",
  tolerance: "tolerance",
  samplerTolerance: "samplerTolerance",
  samples: "numSamples",
  seed: "seed",
  horizon: "horizon",
  pathSteps: "recordPathSteps",
} as const satisfies Record<string, keyof RunConfig>;

function numberParameter(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new MinevoError(ErrorCode.InvalidOptions, `URL parameter ${name} must be a number, got ${quote(text)}`, { field: name });
  return value;
}

/** The defaults, overridden by whatever the query string names; unknown parameters are refused. */
export function runConfigFromSearch(search: string, base: RunConfig = defaultRunConfig): RunConfig {
  const parameters = new URLSearchParams(search);
  const known = new Set<string>([...Object.keys(numberParameters), "target", "formula", "view", "backend", "allowSoftwareAdapter"]);
  for (const name of parameters.keys()) {
    if (!known.has(name)) {
      throw new MinevoError(ErrorCode.InvalidOptions, `unknown URL parameter ${quote(name)}; the known ones are ${[...known].join(", ")}`, { field: name });
    }
  }
  const config: Record<string, unknown> = { ...base };
  for (const [name, field] of Object.entries(numberParameters)) {
    const text = parameters.get(name);
    if (text !== null) config[field] = numberParameter(name, text);
  }
  const formula = parameters.get("formula");
  const target = parameters.get("target");
  if (formula !== null) {
    const view = (parameters.get("view") ?? "-5,5,-5,5").split(",").map((v) => numberParameter("view", v));
    if (view.length !== 4) throw new MinevoError(ErrorCode.InvalidOptions, `URL parameter view must be xMin,xMax,yMin,yMax, got ${quote(parameters.get("view"))}`, { field: "view" });
    const [xMin, xMax, yMin, yMax] = view as [number, number, number, number];
    config.target = { kind: "formula", formula, view: { xMin, xMax, yMin, yMax } };
  } else if (target !== null) {
    config.target = { kind: "preset", id: findPreset(target).id };
  }
  const backend = parameters.get("backend");
  if (backend !== null) {
    if (!["auto", "webgpu", "wasm", "cpu"].includes(backend)) {
      throw new MinevoError(ErrorCode.InvalidOptions, `URL parameter backend must be auto, webgpu, wasm or cpu, got ${quote(backend)}`, { field: "backend" });
    }
    config.backend = backend as BackendChoice;
  }
  const allow = parameters.get("allowSoftwareAdapter");
  if (allow !== null) config.allowSoftwareAdapter = allow === "" || allow === "1" || allow === "true";
  return config as unknown as RunConfig;
}
