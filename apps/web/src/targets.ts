/** The SamplingTarget of a target choice (in the worker, and in the Node reference run). */
import { ErrorCode, MinevoError, quote, registries, type SamplingTarget } from "@minevo/core";
import { userTarget } from "@minevo/diffusion";
import { compileFormula } from "./formula.js";
import { findPreset, type TargetChoice } from "./presets.js";

/** The SamplingTarget of a choice; a formula is compiled here, so a typo fails before any run. */
export function createTarget(choice: TargetChoice): SamplingTarget {
  if (choice.kind === "formula") {
    return userTarget({ dim: 2, name: "formula", description: `log π̃(x, y) = ${choice.formula}`, logDensity: compileFormula(choice.formula) });
  }
  const preset = findPreset(choice.id);
  const target = registries.target.configure(preset.name, preset.options).create() as SamplingTarget;
  if (target.dim !== 2 || (target.conditionDim ?? 0) !== 0) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `preset ${quote(preset.id)} gave a ${target.dim}-D target; the page draws 2-D targets only`);
  }
  return target;
}
