/**
 * The banana case's recipe (sampler-cases.ts: runOuSampler's `standardize`, a tempered-SMC pilot)
 * run with the sampler's checks off, printing log Ẑ, ESS/M, the flow inconsistency and where the
 * lowest and highest log-weights sit: what the case's refusals hide, and the variants of its
 * history (attempts 16–22). `--case` runs another 2-d case's recipe the same way.
 *
 * Run (apps/bench): node --conditions=@minevo/source --import tsx src/acceptance/banana-standardized.ts
 *   [--seed 0]  (the sampler's seed; its pilot is drawn from it, as in bench:acceptance)
 *   [--pilot-seed <text>]  (draw the pilot from RandomStream.fromSeed(text) instead)
 *   [--map m1,m2,s1,s2]  (use this standardising map instead of the pilot's)
 *   [--override '{"fitIterations":200}']  (runOuSampler options over the recipe's)
 *   [--case gmm25]  (another case of sampler-cases.ts; default banana)
 */
import { parseArgs } from "node:util";
import { RandomStream, registries, type SamplingTarget } from "@minevo/core";
import { runOuSampler, standardizingPilot, type OuSamplerOptions, type OuSamplerProgress, type StandardizeOptions } from "@minevo/diffusion";
import { tf, useWasm } from "../ou-common.js";
import { samplerCases } from "./sampler-cases.js";

const { values } = parseArgs({
  options: { seed: { type: "string", default: "0" }, "pilot-seed": { type: "string" }, map: { type: "string" }, override: { type: "string", default: "{}" }, case: { type: "string", default: "banana" } },
});
await useWasm();
const seed = Number(values.seed);
const spec = samplerCases.find((c) => c.name === values.case);
if (spec === undefined) throw new Error(`no sampler case ${values.case}: ${samplerCases.map((c) => c.name).join(", ")}`);
const target = registries.target.configure(spec.target, spec.targetOptions ?? {}).create() as SamplingTarget;
const recipe = { ...spec.recipe, ...(JSON.parse(values.override) as Partial<OuSamplerOptions>) };
const given = (typeof recipe.standardize === "object" ? recipe.standardize : {}) as StandardizeOptions;
// The sampler's own pilot (drawn from --seed), or one drawn from another seed, or a given map.
let standardize: StandardizeOptions | undefined = recipe.standardize === undefined || recipe.standardize === false ? undefined : given;
if (values.map !== undefined) {
  const v = values.map.split(",").map(Number);
  standardize = { map: { shift: Float64Array.from(v.slice(0, 2)), scale: Float64Array.from(v.slice(2)) } };
} else if (values["pilot-seed"] !== undefined) {
  const pilot = standardizingPilot({ tf, target, random: RandomStream.fromSeed(values["pilot-seed"]), ...given });
  console.log(`pilot: ${pilot.stages} stages, log Ẑ ${pilot.logZ.toFixed(3)}`);
  standardize = { map: pilot.map };
}
const started = performance.now();
let lastLine = started;
const result = await runOuSampler({
  tf,
  target,
  seed,
  ...recipe,
  ...(standardize !== undefined ? { standardize } : {}),
  maxFlowInconsistency: Number.POSITIVE_INFINITY,
  maxTerminalSpread: Number.POSITIVE_INFINITY,
  onProgress: (event: OuSamplerProgress) => {
    const now = performance.now();
    if (now - lastLine < 30_000) return;
    lastLine = now;
    if (event.stage === "fit") console.log(`  fit ${event.iteration}: value RMS ${event.valueRms.toExponential(2)}`);
    else if (event.stage === "forward") console.log(`  forward t = ${event.t.toFixed(3)}, ${event.acceptedSteps} steps, r_λ ${event.effectiveRank.toFixed(1)}, max|f| ${event.maxAbsRhs.toExponential(2)}`);
    else if (event.stage === "sample") console.log(`  sample t = ${event.t.toFixed(3)}, ${event.acceptedSteps} steps`);
    else if (event.stage === "points") console.log(`  ${event.source} ${event.source === "mala" ? `move ${event.move}` : `stage ${event.smcStage}, β ${event.beta.toFixed(4)}`}`);
  },
} as never);
const map = result.standardization;
if (map !== undefined) console.log(`map: shift ${Array.from(map.shift, (v) => v.toFixed(2)).join(", ")}, scale ${Array.from(map.scale, (v) => v.toFixed(2)).join(", ")}${map.pilot !== undefined ? ` (pilot: ${map.pilot.stages} stages, log Ẑ ${map.pilot.logZ.toFixed(3)})` : ""}`);
const exact = target.logZ!;
console.log(
  `${((performance.now() - started) / 1000).toFixed(0)} s: log Ẑ ${result.logZ.toFixed(4)} (error ${(result.logZ - exact).toExponential(2)}), ESS/M ${result.essFraction.toPrecision(3)}, ` +
    `flow inconsistency ${result.flowInconsistency.toPrecision(3)}, terminal spread ${result.terminalSpread.toPrecision(3)}, forward log Z ${result.logZForward.toFixed(3)}`,
);
console.log(`${spec.error.label} = ${spec.error.compute(result.samples, result.normalisedWeights, target.dim).toPrecision(4)}`);
// How many draws the reverse flow threw where the model is no density (log-weights far below the
// best), and the flow inconsistency without them: what the check's RMS is made of.
const best = result.logWeights.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY);
const outliers = result.logWeights.reduce((n, v) => n + (v < best - 100 ? 1 : 0), 0);
console.log(`draws with a log-weight more than 100 below the best: ${outliers} of ${result.logWeights.length}`);
const x = result.samples;
const order = Array.from(result.logWeights, (v, j) => [v, j] as const).sort((a, b) => a[0] - b[0]);
const at = ([v, j]: readonly [number, number]) => `${v.toPrecision(3)} at (${(x[2 * j] as number).toPrecision(3)}, ${(x[2 * j + 1] as number).toPrecision(3)})`;
console.log(`lowest log-weights: ${order.slice(0, 3).map(at).join("; ")}; highest: ${order.slice(-3).map(at).join("; ")}`);
