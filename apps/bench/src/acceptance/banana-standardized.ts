/**
 * The banana case's recipe (sampler-cases.ts: standardised coordinates from a tempered-SMC pilot)
 * run with the sampler's checks off, printing log Ẑ, ESS/M, the flow inconsistency and where the
 * lowest and highest log-weights sit: what the case's refusals hide, and the variants of its
 * history (attempts 16–17).
 *
 * Run (apps/bench): node --conditions=@minevo/source --import tsx src/acceptance/banana-standardized.ts
 *   [--seed 0]  (the sampler's seed; the pilot is drawn as bench:acceptance draws it from this seed)
 *   [--pilot-seed <text>]  (draw the pilot from RandomStream.fromSeed(text) instead)
 *   [--map m1,m2,s1,s2]  (use this standardising map instead of the pilot's)
 *   [--override '{"fitIterations":200}']  (runOuSampler options over the recipe's)
 */
import { parseArgs } from "node:util";
import { RandomStream, registries, type SamplingTarget } from "@minevo/core";
import { affineTarget, affineToX, runOuSampler, type AffineMap } from "@minevo/diffusion";
import { tf, useWasm } from "../ou-common.js";
import { samplerCases } from "./sampler-cases.js";
import { pilotStreamLabel, standardizingPilot } from "./standardize.js";

const { values } = parseArgs({ options: { seed: { type: "string", default: "0" }, "pilot-seed": { type: "string" }, map: { type: "string" }, override: { type: "string", default: "{}" } } });
await useWasm();
const seed = Number(values.seed);
const spec = samplerCases.find((c) => c.name === "banana")!;
const target = registries.target.configure(spec.target, {}).create() as SamplingTarget;
let map: AffineMap;
if (values.map !== undefined) {
  const v = values.map.split(",").map(Number);
  map = { shift: Float64Array.from(v.slice(0, 2)), scale: Float64Array.from(v.slice(2)) };
} else {
  const random = values["pilot-seed"] !== undefined ? RandomStream.fromSeed(values["pilot-seed"]) : RandomStream.fromSeed(seed).derive(pilotStreamLabel);
  const pilot = standardizingPilot(tf, target, spec.standardize!, random);
  map = pilot.map;
  console.log(`pilot: ${pilot.stages} stages, log Ẑ ${pilot.logZ.toFixed(3)}`);
}
console.log(`map: shift ${Array.from(map.shift, (v) => v.toFixed(2)).join(", ")}, scale ${Array.from(map.scale, (v) => v.toFixed(2)).join(", ")}`);
const started = performance.now();
let lastLine = started;
const result = await runOuSampler({
  tf,
  target: affineTarget(target, map),
  seed,
  ...spec.recipe,
  ...(JSON.parse(values.override) as object),
  maxFlowInconsistency: Number.POSITIVE_INFINITY,
  maxTerminalSpread: Number.POSITIVE_INFINITY,
  onProgress: (event: { stage: string; t?: number; acceptedSteps?: number; effectiveRank?: number; maxAbsRhs?: number; iteration?: number; valueRms?: number }) => {
    const now = performance.now();
    if (now - lastLine < 30_000) return;
    lastLine = now;
    if (event.stage === "fit") console.log(`  fit ${event.iteration}: value RMS ${event.valueRms?.toExponential(2)}`);
    else if (event.stage === "forward") console.log(`  forward t = ${event.t?.toFixed(3)}, ${event.acceptedSteps} steps, r_λ ${event.effectiveRank?.toFixed(1)}, max|f| ${event.maxAbsRhs?.toExponential(2)}`);
    else console.log(`  ${event.stage} t = ${event.t?.toFixed(3)}, ${event.acceptedSteps} steps`);
  },
} as never);
const r = result as { logZ: number; essFraction: number; flowInconsistency: number; terminalSpread: number; logZForward: number; logWeights: Float64Array; samples: Float64Array };
const exact = target.logZ!;
console.log(
  `${((performance.now() - started) / 1000).toFixed(0)} s: log Ẑ ${r.logZ.toFixed(4)} (error ${(r.logZ - exact).toExponential(2)}), ESS/M ${r.essFraction.toPrecision(3)}, ` +
    `flow inconsistency ${r.flowInconsistency.toPrecision(3)}, terminal spread ${r.terminalSpread.toPrecision(3)}, forward log Z ${r.logZForward.toFixed(3)}`,
);
const x = affineToX(map, r.samples);
const order = Array.from(r.logWeights, (v, j) => [v, j] as const).sort((a, b) => a[0] - b[0]);
const at = ([v, j]: readonly [number, number]) => `${v.toPrecision(3)} at (${(x[2 * j] as number).toPrecision(3)}, ${(x[2 * j + 1] as number).toPrecision(3)})`;
console.log(`lowest log-weights: ${order.slice(0, 3).map(at).join("; ")}; highest: ${order.slice(-3).map(at).join("; ")}`);
