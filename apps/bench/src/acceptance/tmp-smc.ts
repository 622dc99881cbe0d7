import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { RandomStream, registries, setTensorFlowBackend, type SamplingTarget } from "@minevo/core";
import { smcPoints } from "@minevo/diffusion";
await setTensorFlowBackend(tf, "wasm", "smc check");
const target = registries.target.configure("funnel", {}).create() as SamplingTarget;
for (const moves of (process.argv[2] ?? "50,200").split(",").map(Number)) {
  for (const seed of [0, 1]) {
    const t0 = performance.now();
    const r = smcPoints({ tf, target, random: RandomStream.fromSeed(seed).derive("x"), count: 300, start: 6, movesPerStage: 50, temperature: moves });
    const x0 = Array.from({ length: 300 }, (_, j) => r.points[10 * j]!).sort((a, b) => a - b);
    const frac = (c: number) => (x0.filter((v) => v < c).length / 300).toFixed(4);
    const fracUp = (c: number) => (x0.filter((v) => v > c).length / 300).toFixed(4);
    console.log(`moves ${moves} seed ${seed}: ${((performance.now() - t0) / 1000).toFixed(1)} s, stages ${r.betas.length - 1}, logZ ${r.logZ.toFixed(3)}, P(x0<-3) ${frac(-3)} (π 0.1587), P(<-6) ${frac(-6)} (0.0228), P(>3) ${fracUp(3)}, P(>6) ${fracUp(6)}, 1%/99% ${x0[3]!.toFixed(2)}/${x0[296]!.toFixed(2)} step ${r.stepSize.toExponential(2)}`);
  }
}
