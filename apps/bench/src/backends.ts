/**
 * The backends side by side in Node: tfjs `cpu` (pure JavaScript), `wasm` (SIMD, one thread) and
 * `webgpu` (Dawn over Mesa's lavapipe, a software Vulkan driver: no GPU on this machine), each
 * with its own matMul rate (1000×2000 · 2000×1000, float32) and the time of one MNE right-hand
 * side of the main job's size (OU on the reference mixture, tanh MLP [32, 32] + quadratic,
 * p = 1188, N = 1000, Gaussian sketch n = 100; θ as initialised — the cost does not depend on
 * the fit).
 *
 * WebGPU needs the Vulkan driver in the environment when the process starts, so it runs in a
 * child process with VK_ICD_FILENAMES / LD_LIBRARY_PATH pointed at <repo>/.cache/vulkan (what
 * scripts/run-with-vulkan.mjs does for the WebGPU tests). The NVIDIA (node-gpu / CUDA) backend
 * is not measured: no GPU machine was available to this benchmark.
 *
 * Run: pnpm --filter @minevo/bench bench:backends
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { selectBackend, type ActiveBackend } from "@minevo/core";
import "@minevo/backend-cpu";
import { webgpuBackend } from "@minevo/backend-webgpu";
import { benchRoot, collocationPoints, median, recipeSolver, tf } from "./ou-common.js";
import { writeSection } from "./report.js";

interface BackendResult {
  readonly backend: string;
  readonly engine: string;
  readonly matMulGflops: number;
  readonly rhsMs: number;
  readonly rhsFlopFraction: number;
  readonly error?: string;
}

const child = process.argv[2] === "--child" ? process.argv[3] : undefined;

async function measure(name: string): Promise<BackendResult> {
  let active: ActiveBackend;
  if (name === "webgpu") {
    active = await selectBackend(webgpuBackend.with({ allowSoftwareAdapter: true }));
  } else active = await selectBackend(name);
  if (active.tf !== tf) throw new Error("the backend package loaded a second copy of TensorFlow.js");
  const repeats = name === "cpu" ? 2 : 3;

  // matMul rate: the product and a one-number readback (so that asynchronous backends finish).
  const size = name === "cpu" ? 500 : 1000;
  const a = tf.randomNormal([size, 2 * size]);
  const b = tf.randomNormal([2 * size, size]);
  const timeProduct = async () => {
    const start = performance.now();
    const s = tf.tidy(() => tf.sum(tf.matMul(a as never, b as never)));
    await s.data();
    s.dispose();
    return performance.now() - start;
  };
  await timeProduct();
  const productTimes: number[] = [];
  for (let i = 0; i < repeats; i++) productTimes.push(await timeProduct());
  a.dispose();
  b.dispose();
  const rate = (2 * size * 2 * size * size) / (median(productTimes) / 1000);

  // One right-hand side of the main job's size.
  const N = 1000;
  const solver = recipeSolver({ dim: 2, hiddenWidths: [32, 32], sketch: "gaussian", sketchSize: 100 });
  const run = solver.prepare({ parameters: solver.initialParameters(), points: collocationPoints(N, 2) });
  await run.rhs(0, run.initialState);
  const rhsTimes: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run.rhs(0, run.initialState);
    rhsTimes.push(performance.now() - start);
  }
  run.dispose();
  solver.dispose();
  const rhsMs = median(rhsTimes);
  // Flops of one RHS: the forward pass with d + 2 directions (value, ∇, Δ) through [32, 32],
  // Z = JᵀΩ (2Npn) and the float64 Gram (pn²).
  const p = 1188;
  const flops = 2 * N * (2 * 32 + 32 * 32 + 32) * 4 + 2 * N * p * 100 + p * 100 * 100;
  return { backend: name, engine: active.engine, matMulGflops: rate / 1e9, rhsMs, rhsFlopFraction: flops / (rhsMs / 1000) / rate };
}

if (child !== undefined) {
  const result = await measure(child);
  console.log(`RESULT ${JSON.stringify(result)}`);
} else {
  const results: BackendResult[] = [];
  for (const name of ["cpu", "wasm"]) {
    const result = await measure(name);
    console.log(`${name}: matMul ${result.matMulGflops.toFixed(2)} GFLOP/s, one RHS ${result.rhsMs.toFixed(0)} ms (${result.engine})`);
    results.push(result);
  }
  // WebGPU in a child process with the lavapipe driver in its environment.
  const repo = resolve(benchRoot, "../..");
  const cache = join(repo, ".cache", "vulkan");
  const env = { ...process.env };
  if (env["VK_ICD_FILENAMES"] === undefined && existsSync(join(cache, "lvp_icd.json"))) {
    env["VK_ICD_FILENAMES"] = join(cache, "lvp_icd.json");
    const libraries = join(cache, "root", "usr", "lib", "x86_64-linux-gnu");
    env["LD_LIBRARY_PATH"] = env["LD_LIBRARY_PATH"] ? `${libraries}:${env["LD_LIBRARY_PATH"]}` : libraries;
  }
  if (env["XDG_RUNTIME_DIR"] === undefined) {
    const runtimeDir = join(tmpdir(), `minevo-xdg-${process.getuid?.() ?? "user"}`);
    mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
    env["XDG_RUNTIME_DIR"] = runtimeDir;
  }
  const spawned = spawnSync(process.execPath, [...process.execArgv, process.argv[1] as string, "--child", "webgpu"], { env, encoding: "utf8", timeout: 900_000 });
  const line = spawned.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (line !== undefined) {
    const result = JSON.parse(line.slice(7)) as BackendResult;
    console.log(`webgpu: matMul ${result.matMulGflops.toFixed(2)} GFLOP/s, one RHS ${result.rhsMs.toFixed(0)} ms (${result.engine})`);
    results.push(result);
  } else {
    const reason = `${spawned.error?.message ?? ""} ${spawned.stderr.split("\n").filter((l) => l.trim() !== "").slice(-3).join(" ")}`.trim();
    console.log(`webgpu failed: ${reason}`);
    results.push({ backend: "webgpu", engine: "—", matMulGflops: Number.NaN, rhsMs: Number.NaN, rhsFlopFraction: Number.NaN, error: reason });
  }

  const wasm = results.find((r) => r.backend === "wasm");
  const lines: string[] = [];
  lines.push(
    "matMul rate: 1000×2000 · 2000×1000 float32 (cpu: 500×1000 · 1000×500), median of 3 (cpu: 2) after a warm-up, each with a one-number readback. " +
      "One RHS: the MNE right-hand side of the main job's size (OU on the reference mixture, mlp [32, 32] + quadratic, p = 1188, N = 1000, Gaussian sketch n = 100), end to end (network, products, transfers, float64 solve). " +
      "*RHS flop rate* = the RHS's flops over its time, as a fraction of the same backend's matMul rate.",
  );
  lines.push("");
  lines.push("| backend | engine | matMul GFLOP/s | one RHS ms | RHS vs wasm | RHS flop rate / own matMul rate |");
  lines.push("|---|---|---:|---:|---:|---:|");
  for (const r of results) {
    lines.push(
      `| ${r.backend} | ${r.engine} | ${Number.isFinite(r.matMulGflops) ? r.matMulGflops.toFixed(2) : "failed"} | ${Number.isFinite(r.rhsMs) ? r.rhsMs.toFixed(0) : "—"} | ${wasm && Number.isFinite(r.rhsMs) ? `${(r.rhsMs / wasm.rhsMs).toFixed(2)}×` : "—"} | ${Number.isFinite(r.rhsFlopFraction) ? `${(100 * r.rhsFlopFraction).toFixed(0)}%` : "—"} |`,
    );
  }
  for (const r of results) if (r.error !== undefined) lines.push(`\n${r.backend} did not run: ${r.error}`);
  lines.push("");
  lines.push(
    "WebGPU here is Dawn on **lavapipe, a software Vulkan rasteriser on the CPU**, not a GPU: its figures say that the WebGPU path works and what it costs without a GPU, nothing about GPU speed. " +
      "**The NVIDIA figures (node-gpu / CUDA, WebGPU on a real GPU) are not measured**: no GPU machine was lent to this session. One run on the shared 2-core machine (other jobs running).",
  );
  console.log(`\n${lines.join("\n")}`);
  writeSection("backends", "pnpm --filter @minevo/bench bench:backends", lines.join("\n"));
}
