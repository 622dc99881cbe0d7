/**
 * End to end, in a real browser: the production build served statically (vite preview, with the
 * COOP/COEP headers), Debian's headless chromium driving the page through its form, runs that go
 * to completion in the Web Worker, and the figures on the page checked against the same
 * runOuSampler configuration run here in Node.
 *
 *  - cpu in the page vs cpu here: the same float32 kernels (tfjs-backend-cpu, plain JavaScript)
 *    on the same inputs; what can differ is the last bit of some float64 Math functions between
 *    Chromium's V8 and Node's (the kernels compute exp, tanh, log in float64, then round to
 *    float32, so such a bit rarely shows at all). Measured on this run: log Ẑ
 *    and ESS differ by 9e-13 and 1.6e-11 relative. The test allows 1e-6 relative — five orders
 *    above what was seen, yet far below what any real change moves (another seed or kernel moves
 *    log Ẑ by 1e-2). A badly conditioned run amplifies those last bits through its adaptive
 *    steps: seed 7 with N = 80 (fit RMS 0.07, 88 forward steps, ESS 5.8 of 300) differed by
 *    1e-4 in ESS, which is why the test uses a well-fitted configuration.
 *  - webgpu (SwiftShader) in the page vs cpu here: float32 kernels with other summation orders
 *    (matMul tiles, reductions on the GPU), so every RHS differs at ~1e-7 relative and the
 *    differences travel through the LM fit, the forward run and the reverse flow: 1e-3 in log Ẑ
 *    and ESS/M (measured 7e-6 and 1e-5; see the test).
 *
 * Fails on any console error or uncaught exception in the page, and takes a screenshot of each
 * finished run into apps/web/test-output/ (gitignored).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import "@minevo/integrators";
import "@minevo/networks";
import "@minevo/sketching";
import { runOuSampler } from "@minevo/diffusion";
import type { Page } from "playwright-core";
import { build, preview, type PreviewServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultRunConfig, type RunConfig } from "../src/run-config.js";
import { samplerOptions } from "../src/sampler-options.js";
import { findChromium, launchChromium, type LaunchedChromium } from "./chromium.js";

const appRoot = fileURLToPath(new URL("..", import.meta.url));
const outputDir = join(appRoot, "test-output");
const buildDir = join(outputDir, "dist");

/** A mixture typed as a formula: Z = 0.3π + 0.7·1.2π, so log Z = log(1.14π). */
const mixtureFormula = "logaddexp(log(0.3) - ((x + 2)^2 + y^2), log(0.7) - ((x - 2)^2 + (y - 1)^2) / 1.2)";
const mixtureLogZ = Math.log(1.14 * Math.PI);

/**
 * Small enough to finish in seconds on the cpu backend, and the same here and in the page. Runs
 * this small are at the mercy of their seed (seed 1 gave log Ẑ = 4.03 here, its 12-iteration fit
 * ending at value RMS 0.13); seed 2 gives a fit at RMS 0.02 and ESS/M ≈ 0.43.
 */
const cpuRun: RunConfig = {
  ...defaultRunConfig,
  target: { kind: "formula", formula: mixtureFormula, view: { xMin: -5, xMax: 5, yMin: -4, yMax: 5 } },
  numPoints: 120,
  numExtraFitPoints: 120,
  fitIterations: 15,
  sketchSize: 30,
  numSamples: 300,
  seed: 2,
  horizon: 5,
  backend: "cpu",
};

/**
 * SwiftShader takes seconds per forward step whatever the size (dispatch and read-back
 * overhead), so the WebGPU run is the smallest that still runs every stage: T = 1 and few points.
 */
const webgpuRun: RunConfig = {
  ...defaultRunConfig,
  target: { kind: "preset", id: "gmm2-reference" },
  numPoints: 40,
  numExtraFitPoints: 40,
  fitIterations: 4,
  sketchSize: 16,
  numSamples: 200,
  seed: 11,
  horizon: 1,
  recordPathSteps: 6,
  backend: "webgpu",
  allowSoftwareAdapter: true,
};

let chromiumPath: string;
let server: PreviewServer;
let baseUrl: string;
let browser: LaunchedChromium;

beforeAll(async () => {
  chromiumPath = findChromium();
  mkdirSync(outputDir, { recursive: true });
  // Build the current sources (not whatever dist/ holds) into the test's own folder.
  await build({ root: appRoot, configFile: join(appRoot, "vite.config.ts"), logLevel: "warn", build: { outDir: buildDir, emptyOutDir: true } });
  server = await preview({
    root: appRoot,
    configFile: join(appRoot, "vite.config.ts"),
    logLevel: "warn",
    build: { outDir: buildDir },
    preview: { port: 0, host: "127.0.0.1", strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (url === undefined) throw new Error("vite preview did not report its URL");
  baseUrl = url;
  browser = await launchChromium(chromiumPath);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A page that records every console error and uncaught exception. */
async function openPage(query = ""): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console.error: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  await page.goto(`${baseUrl}${query}`);
  expect(await page.evaluate(() => globalThis.crossOriginIsolated), "the page must be cross-origin isolated (COOP/COEP headers)").toBe(true);
  return { page, errors };
}

async function fillForm(page: Page, config: RunConfig): Promise<void> {
  if (config.target.kind === "formula") {
    await page.selectOption("#target", "formula");
    await page.fill("#formula", config.target.formula);
    await page.fill("#view-xmin", String(config.target.view.xMin));
    await page.fill("#view-xmax", String(config.target.view.xMax));
    await page.fill("#view-ymin", String(config.target.view.yMin));
    await page.fill("#view-ymax", String(config.target.view.yMax));
  } else {
    await page.selectOption("#target", config.target.id);
  }
  const fields: [string, number][] = [
    ["#num-points", config.numPoints],
    ["#extra-fit-points", config.numExtraFitPoints],
    ["#fit-iterations", config.fitIterations],
    ["#sketch-size", config.sketchSize],
    ["#tolerance", config.tolerance],
    ["#sampler-tolerance", config.samplerTolerance],
    ["#horizon", config.horizon],
    ["#num-samples", config.numSamples],
    ["#seed", config.seed],
  ];
  for (const [selector, value] of fields) await page.fill(selector, String(value));
  await page.selectOption("#backend", config.backend);
  await page.setChecked("#allow-software", config.allowSoftwareAdapter);
}

async function waitForEnd(page: Page, timeout: number): Promise<string> {
  await page.waitForFunction(() => ["done", "failed", "stopped"].includes(document.querySelector<HTMLElement>("#status")?.dataset.state ?? ""), null, { timeout, polling: 250 });
  return (await page.getAttribute("#status", "data-state")) ?? "";
}

interface ShownFigures {
  logZ: number;
  ess: number;
  essFraction: number;
  backend: string;
  engine: string;
}

/** The full-precision numbers behind the figures, after checking that the text shows them. */
async function shownFigures(page: Page): Promise<ShownFigures> {
  const value = async (selector: string): Promise<number> => {
    const raw = await page.getAttribute(selector, "data-value");
    expect(raw, `${selector} has no value`).not.toBeNull();
    return Number(raw);
  };
  const logZ = await value("#log-z");
  const essFraction = await value("#ess-fraction");
  const ess = await value("#ess");
  expect(await page.textContent("#log-z")).toBe(logZ.toFixed(5));
  expect(await page.textContent("#ess-fraction")).toBe(essFraction.toFixed(4));
  return {
    logZ,
    ess,
    essFraction,
    backend: (await page.getAttribute("#backend-info", "data-value")) ?? "",
    engine: (await page.getAttribute("#backend-info", "data-engine")) ?? "",
  };
}

/** The same configuration through runOuSampler in this process, on tfjs cpu. */
async function nodeReference(config: RunConfig): Promise<{ logZ: number; ess: number; essFraction: number }> {
  await tf.setBackend("cpu");
  await tf.ready();
  const before = tf.memory().numTensors;
  const result = await runOuSampler(samplerOptions(config, tf));
  expect(tf.memory().numTensors).toBe(before);
  return { logZ: result.logZ, ess: result.ess, essFraction: result.essFraction };
}

describe("the page in headless chromium", () => {
  it("stops a run on Stop, then runs the cpu backend to the same log Ẑ and ESS as Node", async () => {
    const { page, errors } = await openPage();

    // Stop: a default-sized run, stopped during its fit, must end by the AbortSignal (not by
    // terminating the worker), after which the page must take the next run.
    await fillForm(page, { ...cpuRun, fitIterations: 500 });
    await page.click("#start");
    await page.waitForFunction(() => /iteration \d+/.test(document.querySelector("#status")?.textContent ?? ""), null, { timeout: 60_000, polling: 100 });
    await page.click("#stop");
    expect(await waitForEnd(page, 30_000)).toBe("stopped");
    const stopped = (await page.textContent("#status")) ?? "";
    expect(stopped).toMatch(/aborted/);
    expect(stopped).not.toMatch(/terminated/);

    await fillForm(page, cpuRun);
    await page.click("#start");
    expect(await waitForEnd(page, 180_000), (await page.textContent("#status")) ?? "").toBe("done");
    const shown = await shownFigures(page);
    expect(shown.backend).toBe("cpu");
    expect(await page.getAttribute("#time-slider", "max")).toBe(String(cpuRun.recordPathSteps - 1));
    await page.screenshot({ path: join(outputDir, "cpu-run.png"), fullPage: true });

    const reference = await nodeReference(cpuRun);
    console.log(
      `browser cpu: log Ẑ ${shown.logZ}, ESS ${shown.ess}; Node cpu: log Ẑ ${reference.logZ}, ESS ${reference.ess}; ` +
        `differences ${Math.abs(shown.logZ - reference.logZ).toExponential(2)}, ${Math.abs(shown.ess - reference.ess).toExponential(2)}`,
    );
    expect(Math.abs(shown.logZ - reference.logZ)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(reference.logZ)));
    expect(Math.abs(shown.ess - reference.ess)).toBeLessThanOrEqual(1e-6 * reference.ess);
    // A sanity check of the method itself, loose because the run is tiny (ESS/M ≈ 0.5).
    expect(Math.abs(shown.logZ - mixtureLogZ)).toBeLessThan(0.25);
    expect(errors).toEqual([]);

    // The error capture itself: a console.error in a worker must reach `errors` too.
    const probe = await openPage();
    await probe.page.evaluate(() => {
      const source = URL.createObjectURL(new Blob(['console.error("worker console probe")'], { type: "text/javascript" }));
      new Worker(source);
    });
    await expect.poll(() => probe.errors.join("\n"), { timeout: 10_000 }).toMatch(/worker console probe/);
  }, 300_000);

  it("runs on WebGPU (SwiftShader) when a software adapter is allowed, close to the cpu run", async () => {
    const { page, errors } = await openPage("?backend=webgpu&allowSoftwareAdapter=1");
    const adapter = await page.evaluate(async () => {
      type AdapterInfo = { info?: Record<string, unknown> };
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<AdapterInfo | null> } }).gpu;
      const found = await gpu?.requestAdapter();
      return found ? { vendor: found.info?.vendor, architecture: found.info?.architecture, description: found.info?.description } : null;
    });
    expect(adapter, "chromium gave no WebGPU adapter: it needs --enable-unsafe-webgpu").not.toBeNull();
    console.log(`WebGPU adapter in headless chromium: ${JSON.stringify(adapter)}`);
    expect(await page.isChecked("#allow-software"), "the URL parameter allowSoftwareAdapter=1 must tick the box").toBe(true);

    await fillForm(page, webgpuRun);
    await page.click("#start");
    // The page mostly waits on SwiftShader: compute the reference meanwhile.
    const referenceRun = nodeReference({ ...webgpuRun, backend: "cpu" });
    expect(await waitForEnd(page, 420_000), (await page.textContent("#status")) ?? "").toBe("done");
    const shown = await shownFigures(page);
    console.log(`webgpu run, seconds: ${await page.textContent("#timings")}`);
    expect(shown.backend).toBe("webgpu");
    expect(shown.engine).toMatch(/swiftshader/i);
    await page.screenshot({ path: join(outputDir, "webgpu-run.png"), fullPage: true });

    const reference = await referenceRun;
    console.log(
      `browser webgpu: log Ẑ ${shown.logZ}, ESS/M ${shown.essFraction}; Node cpu: log Ẑ ${reference.logZ}, ESS/M ${reference.essFraction}`,
    );
    // Measured: 6.8e-6 in log Ẑ and 1.0e-5 in ESS/M. Allowed: 1e-3, a hundred times that, and still
    // a hundredth of this run's Monte Carlo error in log Ẑ (√(1/ESS − 1/M) ≈ 0.1 at ESS/M = 0.27,
    // M = 200): anything beyond float32 rounding (a wrong kernel, a skipped step) fails.
    expect(Math.abs(shown.logZ - reference.logZ)).toBeLessThanOrEqual(1e-3);
    expect(Math.abs(shown.essFraction - reference.essFraction)).toBeLessThanOrEqual(1e-3);
    expect(errors).toEqual([]);
  }, 600_000);
});
