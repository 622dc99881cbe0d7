import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { RandomStream, registries, setTensorFlowBackend, type Network, type SamplingTarget } from "@minevo/core";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/integrators";
import { runOuSampler, type OuSamplerCheckpoint } from "@minevo/diffusion";
import { samplerCases } from "./sampler-cases.js";

await setTensorFlowBackend(tf, "wasm", "fit check");
const seed = Number(process.argv[2] ?? 1);
const override = process.argv[3] ? JSON.parse(process.argv[3]) : {};
const spec = samplerCases.find((c) => c.name === "funnel")!;
const target = registries.target.configure(spec.target, {}).create() as SamplingTarget;
const controller = new AbortController();
let saved: OuSamplerCheckpoint | undefined;
let last = 0;
try {
  await runOuSampler({ tf, target, seed, ...spec.recipe, ...override, signal: controller.signal,
    onProgress: (p) => { if (p.stage === "fit" && p.iteration - last >= 20) { last = p.iteration; console.log(`fit ${p.iteration} RMS ${p.valueRms.toExponential(2)} μ ${p.damping.toExponential(1)}`); } },
    checkpoint: { everySteps: 1000, save: (c) => { saved = c; controller.abort(); } } } as never);
} catch (e) { if (saved === undefined) throw e; }
const c = saved!;
console.log(`fit: ${c.fit.iterations} it, value RMS ${c.fit.valueRms.toExponential(3)}, max ${c.fit.valueMaxAbs.toExponential(2)}, ${c.fit.warnings.join("; ")}`);
const network = registries.network.create("mlp", spec.recipe.networkOptions as never) as Network;
const d = 10;
async function residuals(points: Float64Array, label: string) {
  const n = points.length / d;
  const x = tf.tensor2d(Float32Array.from(points), [n, d]);
  const ev = network.evaluate(tf, c.fit.parameters, x, { value: true });
  const u = (await ev.value!.data()) as Float32Array;
  const lp = target.logDensity(x, tf);
  const l = (await lp.data()) as Float32Array;
  ev.dispose(); lp.dispose(); x.dispose();
  // residual up to the best constant
  let mean = 0; for (let j = 0; j < n; j++) mean += (u[j]! - l[j]!) / n;
  const bands = [-Infinity, -6, -3, 0, 3, 6, Infinity];
  const out: string[] = [];
  for (let b = 0; b + 1 < bands.length; b++) {
    let s = 0, k = 0, mx = 0;
    for (let j = 0; j < n; j++) { const x0 = points[j * d]!; if (x0 >= bands[b]! && x0 < bands[b + 1]!) { const r = u[j]! - l[j]! - mean; s += r * r; k++; mx = Math.max(mx, Math.abs(r)); } }
    out.push(`[${bands[b]},${bands[b + 1]}): n ${k} rms ${k ? Math.sqrt(s / k).toFixed(3) : "-"} max ${mx.toFixed(2)}`);
  }
  console.log(`${label} (constant ${mean.toFixed(3)}): ${out.join(" | ")}`);
}
await residuals(c.collocationPoints, "collocation");
await residuals(target.sample!(RandomStream.fromSeed(99), 3000), "exact draws");
