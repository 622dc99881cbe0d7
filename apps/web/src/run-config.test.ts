import { ErrorCode, isMinevoError } from "@minevo/core";
import { describe, expect, it } from "vitest";
import { targetPresets, viewOf } from "./presets.js";
import { checkRunConfig, defaultRunConfig, type RunConfig } from "./run-config.js";
import { runConfigFromSearch } from "./url-parameters.js";

function errorOf(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isMinevoError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a MinevoError, nothing was thrown");
}

describe("run configuration", () => {
  it("accepts the defaults and refuses what the form can get wrong, naming the field", () => {
    expect(checkRunConfig(defaultRunConfig)).toBe(defaultRunConfig);
    const bad: [Partial<RunConfig>, RegExp][] = [
      [{ numPoints: 0 }, /numPoints must be a whole number ≥ 1, got 0/],
      [{ numSamples: 2.5 }, /numSamples must be a whole number ≥ 1, got 2.5/],
      [{ seed: -1 }, /seed must be a whole number ≥ 0/],
      [{ tolerance: Number.NaN }, /tolerance must be a positive number, got NaN/],
      [{ samplerTolerance: 2 }, /tolerances must be below 1/],
      [{ sketchSize: 500, numPoints: 100 }, /sketch size n = 500 exceeds the number of collocation points N = 100/],
      [{ recordPathSteps: 1 }, /recordPathSteps must be a whole number ≥ 2/],
    ];
    for (const [change, message] of bad) {
      const error = errorOf(() => checkRunConfig({ ...defaultRunConfig, ...change }));
      expect(error.code).toBe(ErrorCode.InvalidOptions);
      expect(error.message).toMatch(message);
    }
  });

  it("reads the URL's parameters over the defaults", () => {
    const config = runConfigFromSearch("?target=gmm-four&points=200&sketch=50&tolerance=1e-3&seed=4&backend=webgpu&allowSoftwareAdapter=1");
    expect(config).toEqual({
      ...defaultRunConfig,
      target: { kind: "preset", id: "gmm-four" },
      numPoints: 200,
      sketchSize: 50,
      tolerance: 1e-3,
      seed: 4,
      backend: "webgpu",
      allowSoftwareAdapter: true,
    });
    const formula = runConfigFromSearch(`?formula=${encodeURIComponent("-(x^2+y^2)/2")}&view=-3,3,-2,2`);
    expect(formula.target).toEqual({ kind: "formula", formula: "-(x^2+y^2)/2", view: { xMin: -3, xMax: 3, yMin: -2, yMax: 2 } });
    expect(runConfigFromSearch("")).toEqual(defaultRunConfig);
  });

  it("refuses unknown or malformed URL parameters", () => {
    expect(errorOf(() => runConfigFromSearch("?pionts=3")).message).toMatch(/unknown URL parameter "pionts"/);
    expect(errorOf(() => runConfigFromSearch("?points=many")).message).toMatch(/points must be a number, got "many"/);
    expect(errorOf(() => runConfigFromSearch("?backend=gpu")).message).toMatch(/backend must be auto, webgpu, wasm or cpu, got "gpu"/);
    expect(errorOf(() => runConfigFromSearch("?target=nowhere")).message).toMatch(/unknown target preset "nowhere"; the presets are gmm2-reference/);
    expect(errorOf(() => runConfigFromSearch("?formula=x&view=1,2,3")).message).toMatch(/view must be xMin,xMax,yMin,yMax/);
  });

  it("gives every preset a proper window, and checks a typed formula's window", () => {
    for (const preset of targetPresets) {
      const view = viewOf({ kind: "preset", id: preset.id });
      expect(view.xMin < view.xMax && view.yMin < view.yMax, preset.id).toBe(true);
    }
    expect(errorOf(() => viewOf({ kind: "formula", formula: "x", view: { xMin: 1, xMax: -1, yMin: 0, yMax: 1 } })).message).toMatch(/finite xMin < xMax/);
  });
});
