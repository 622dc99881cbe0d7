/**
 * `minevo sample` end to end on a small run (cpu backend): the output contract, and nothing lost —
 * a run killed with SIGKILL mid forward evolution, or stopped by SIGINT, and continued by
 * `minevo resume DIR` gives exactly the numbers of an uninterrupted run with the same seed.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeCheckpoint, type OuSamplerPhase } from "@minevo/diffusion";
import { runCli, spawnCli, temporaryDirectory, tinyConfig, writeFile, type CliOutcome } from "./test-support/cli.js";

const dir = temporaryDirectory("sample");
const configPath = writeFile(dir, "tiny.json", JSON.stringify({ ...tinyConfig, plots: true }));

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

/** The checkpoint's phase, or undefined while there is none (or it is being replaced). */
function checkpointPhase(run: string): OuSamplerPhase | undefined {
  const path = join(run, "checkpoint.bin");
  if (!existsSync(path)) return undefined;
  try {
    return decodeCheckpoint(new Uint8Array(readFileSync(path))).phase;
  } catch {
    return undefined;
  }
}

/** Starts a run and sends `signal` once its checkpoint is one taken during the forward evolution. */
async function interruptDuringForward(run: string, signal: NodeJS.Signals): Promise<CliOutcome> {
  const child = spawnCli(["sample", "--config", configPath, "--out", run, "--no-plots"]);
  let sent = false;
  while (child.exitCode === null && !sent) {
    if (checkpointPhase(run) === "forward") {
      child.kill(signal);
      sent = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const outcome = await child.outcome;
  expect(sent, `the run ended before a forward checkpoint appeared: ${outcome.stderr}`).toBe(true);
  return outcome;
}

/** The numbers of a result that an interruption must not change. */
function numbers(result: Record<string, unknown>): unknown {
  const diagnostics = result.diagnostics as { forward: Record<string, unknown>; sampler: Record<string, unknown> };
  return {
    logZ: result.logZ,
    logZForward: result.logZForward,
    ess: result.ess,
    essFraction: result.essFraction,
    weightedMean: result.weightedMean,
    exact: result.exact,
    numSamples: result.numSamples,
    dim: result.dim,
    seed: result.seed,
    chain: result.independenceChain,
    forwardSteps: diagnostics.forward.steps,
    forward: [diagnostics.forward.acceptedSteps, diagnostics.forward.rejectedSteps],
    sampler: diagnostics.sampler.steps,
  };
}

let reference: Record<string, unknown>;
const referenceRun = join(dir, "reference");

beforeAll(async () => {
  const outcome = await runCli(["sample", "--config", configPath, "--out", referenceRun]);
  expect(outcome.code, outcome.stderr).toBe(0);
  reference = readJson(join(referenceRun, "result.json"));
});

describe("minevo sample: the output contract", () => {
  it("writes result.json with the estimates, the exact answer, the resolved config, timings and diagnostics", () => {
    const r = reference;
    expect(r.numSamples).toBe(300);
    expect(r.dim).toBe(2);
    expect(r.seed).toBe(2);
    // The target's log Z is 0 (a normalised Gaussian); the estimate is close and its error recorded.
    const exact = r.exact as { logZ: number; logZError: number; mean: number[]; meanError: number[] };
    expect(exact.logZ).toBe(0);
    expect(exact.logZError).toBe((r.logZ as number) - 0);
    expect(Math.abs(exact.logZError)).toBeLessThan(0.02);
    expect(r.essFraction as number).toBeGreaterThan(0.95);
    expect(r.ess as number).toBeCloseTo(300 * (r.essFraction as number), 6);
    expect(exact.mean).toEqual([0.8, -0.4]);
    const timings = r.timings as Record<string, number>;
    for (const phase of ["fit", "forward", "sample", "weights", "output", "total"]) expect(timings[phase]).toBeGreaterThan(0);
    const forward = (r.diagnostics as { forward: { acceptedSteps: number; steps: { t: number; stepSize: number; effectiveRank: number }[] } }).forward;
    expect(forward.steps).toHaveLength(forward.acceptedSteps);
    expect(forward.steps.at(-1)?.t).toBeCloseTo(5, 12);
    for (const step of forward.steps) expect(step.effectiveRank).toBeGreaterThan(0);
    expect((r.backend as { name: string }).name).toBe("cpu");
    // The resolved config is explicit enough to rerun: every plugin with its parsed options.
    const config = r.config as Record<string, { name: string; options: Record<string, unknown> }>;
    expect(config.network?.options.inputDim).toBe(2);
    expect(config.network?.options.hiddenWidths).toEqual([8]);
    expect(config.integrator?.name).toBe("dopri5");
    expect(config.integrator?.options.rtol).toBe(1e-4);
    expect(readJson(join(referenceRun, "config.json"))).toEqual(r.config);
  });

  it("writes samples.csv (x0,x1,logWeight) and resampled.csv with one row per sample, no NaN", () => {
    const samples = readFileSync(join(referenceRun, "samples.csv"), "utf8").trim().split("\n");
    expect(samples[0]).toBe("x0,x1,logWeight");
    expect(samples).toHaveLength(301);
    const resampled = readFileSync(join(referenceRun, "resampled.csv"), "utf8").trim().split("\n");
    expect(resampled[0]).toBe("x0,x1");
    expect(resampled).toHaveLength(301);
    for (const row of [...samples.slice(1), ...resampled.slice(1)]) for (const cell of row.split(",")) expect(Number.isFinite(Number(cell))).toBe(true);
    // The self-normalised weights of samples.csv reproduce the reported ESS.
    const logWeights = samples.slice(1).map((row) => Number(row.split(",")[2]));
    const max = Math.max(...logWeights);
    const w = logWeights.map((l) => Math.exp(l - max));
    const sum = w.reduce((a, b) => a + b, 0);
    const ess = sum ** 2 / w.reduce((a, b) => a + b * b, 0);
    expect(ess).toBeCloseTo(reference.ess as number, 6);
  });

  it("draws the figures as SVG and PNG", () => {
    for (const name of ["samples", "point-paths", "marginals", "steps"]) {
      const svg = readFileSync(join(referenceRun, `${name}.svg`), "utf8");
      expect(svg.startsWith("<svg")).toBe(true);
      expect(svg).not.toContain("NaN");
      const png = readFileSync(join(referenceRun, `${name}.png`));
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.length).toBeGreaterThan(10_000);
    }
  });
});

describe("minevo sample: nothing lost", () => {
  it("SIGKILL mid forward evolution, then minevo resume DIR: the same numbers as the uninterrupted run", async () => {
    const run = join(dir, "killed");
    const killed = await interruptDuringForward(run, "SIGKILL");
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(join(run, "result.json"))).toBe(false);
    const resumed = await runCli(["resume", run]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = readJson(join(run, "result.json"));
    expect(result.resumedFrom).toBe("forward");
    expect(numbers(result)).toEqual(numbers(reference));
    // Bit for bit: the same draws and weights.
    expect(readFileSync(join(run, "samples.csv"), "utf8")).toBe(readFileSync(join(referenceRun, "samples.csv"), "utf8"));
  });

  it("SIGINT saves a checkpoint, exits 130 with how to resume, and the resumed run matches", async () => {
    const run = join(dir, "interrupted");
    const stopped = await interruptDuringForward(run, "SIGINT");
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain(`resume with: minevo resume ${run}`);
    expect(stopped.stderr).not.toMatch(/^\s+at /m);
    expect(checkpointPhase(run)).toBe("forward");
    const resumed = await runCli(["resume", run, "--quiet"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(numbers(readJson(join(run, "result.json")))).toEqual(numbers(reference));
  });
});

describe("minevo sample --condition", () => {
  it("samples x | y of a joint Gaussian and estimates log Z(y) against the exact value", async () => {
    const run = join(dir, "conditional");
    const outcome = await runCli([
      "sample", "--target", "joint-gaussian", "--condition", "y=0.5", "--backend", "cpu", "--samples", "300", "--points", "150",
      "--extra-fit-points", "150", "--fit-iterations", "30", "--fit-gradients", "--network-option", "hiddenWidths=[8]", "--sketch", "dense", "--no-plots", "--out", run,
    ]);
    expect(outcome.code, outcome.stderr).toBe(0);
    const result = readJson(join(run, "result.json"));
    expect(result.condition).toEqual([0.5]);
    expect((result.config as { fitGradients: unknown }).fitGradients).toBe(true);
    const exact = result.exact as { logZ: number; logZError: number };
    // log Z(y) of the default joint Gaussian at y = 0.5 is the log of y's marginal density there.
    expect(exact.logZ).toBeLessThan(0);
    expect(Math.abs(exact.logZError)).toBeLessThan(0.02);
    expect(result.essFraction as number).toBeGreaterThan(0.9);
    expect(readFileSync(join(run, "samples.csv"), "utf8").split("\n")[0]).toBe("x0,x1,logWeight");
  });
});

describe("minevo sample --smoothing", () => {
  it("fits the blurred log-density, reports the blur in result.json, and the weights remove it", async () => {
    const run = join(dir, "smoothing");
    const outcome = await runCli([
      "sample", "--target", "gaussian", "--target-option", "mean=[1,-1]", "--target-option", "diagonal=[0.5,2]", "--smoothing", "0.6", "--backend", "cpu",
      "--samples", "1000", "--points", "150", "--extra-fit-points", "150", "--fit-iterations", "30", "--point-source", "mala",
      "--network-option", "hiddenWidths=[8]", "--sketch", "dense", "--no-plots", "--quiet", "--out", run,
    ]);
    expect(outcome.code, outcome.stderr).toBe(0);
    const result = readJson(join(run, "result.json"));
    expect((result.config as { smoothing: unknown }).smoothing).toBe(0.6);
    const smoothing = result.smoothing as { scale: number; draws: number; medianEffectiveDraws: number };
    expect(smoothing.scale).toBe(0.6);
    expect(smoothing.draws).toBe(256);
    expect(smoothing.medianEffectiveDraws).toBeGreaterThan(50);
    const exact = result.exact as { logZError: number; meanError: number[] };
    expect(Math.abs(exact.logZError)).toBeLessThan(0.05);
    for (const e of exact.meanError) expect(Math.abs(e)).toBeLessThan(0.15);
    // The draws are the blurred law's, so the weights are not all equal.
    expect(result.essFraction as number).toBeLessThan(0.99);
    expect(result.essFraction as number).toBeGreaterThan(0.4);
  });

  it("with --smoothing-method laplace carries the draws back to the target's own", async () => {
    const run = join(dir, "smoothing-laplace");
    const outcome = await runCli([
      "sample", "--target", "gaussian", "--target-option", "mean=[1,-1]", "--target-option", "diagonal=[0.5,2]", "--smoothing", "0.6", "--smoothing-method", "laplace",
      "--backend", "cpu", "--samples", "1000", "--points", "150", "--extra-fit-points", "150", "--fit-iterations", "30", "--point-source", "mala",
      "--network-option", "hiddenWidths=[8]", "--sketch", "dense", "--no-plots", "--quiet", "--out", run,
    ]);
    expect(outcome.code, outcome.stderr).toBe(0);
    const result = readJson(join(run, "result.json"));
    expect(result.config).toMatchObject({ smoothing: 0.6, smoothingMethod: "laplace" });
    expect(result.smoothing).toMatchObject({ scale: 0.6, draws: 16, method: "laplace" });
    const exact = result.exact as { logZError: number; meanError: number[] };
    expect(Math.abs(exact.logZError)).toBeLessThan(0.05);
    for (const e of exact.meanError) expect(Math.abs(e)).toBeLessThan(0.15);
    // The pair's weight is π_s(x)/q₀(x) for a Gaussian: nearly equal weights (the blurred draws of the
    // test above stay below 0.99).
    expect(result.essFraction as number).toBeGreaterThan(0.99);
  });

  it("refuses --smoothing with --condition and a non-positive blur, naming the flag", async () => {
    const conditional = await runCli(["sample", "--target", "joint-gaussian", "--condition", "y=0.5", "--smoothing", "0.5", "--backend", "cpu", "--no-plots", "--out", join(dir, "smoothing-conditional")]);
    expect(conditional.code).not.toBe(0);
    expect(conditional.stderr).toMatch(/--smoothing is for unconditional runs/);
    const negative = await runCli(["sample", "--smoothing", "-1", "--backend", "cpu", "--no-plots", "--out", join(dir, "smoothing-negative")]);
    expect(negative.code).not.toBe(0);
    expect(negative.stderr).toMatch(/--smoothing/);
    const methodAlone = await runCli(["sample", "--smoothing-method", "laplace", "--backend", "cpu", "--no-plots", "--out", join(dir, "smoothing-method-alone")]);
    expect(methodAlone.code).not.toBe(0);
    expect(methodAlone.stderr).toMatch(/smoothingMethod = "laplace" needs a blur to remove: give smoothing s \(--smoothing s\)/);
  });
});

describe("minevo sample --point-source smc", () => {
  it("draws a share of the points by tempered SMC on the formula and samples the target", async () => {
    const run = join(dir, "smc-points");
    const outcome = await runCli([
      "sample", "--target", "gaussian", "--target-option", "mean=[1,-1]", "--target-option", "diagonal=[0.5,2]", "--backend", "cpu",
      "--samples", "1000", "--points", "150", "--extra-fit-points", "150", "--fit-iterations", "30", "--point-source", "smc",
      "--point-fraction", "0.8", "--fit-jitter", "0.3", "--fit-jitter-max-drop", "5", "--point-scale", "2.5", "--fit-gram-precision", "float64",
      "--defensive-latent", "1.5,0.2", "--network-option", "hiddenWidths=[8]", "--sketch", "dense", "--no-plots", "--quiet", "--out", run,
    ]);
    expect(outcome.code, outcome.stderr).toBe(0);
    const result = readJson(join(run, "result.json"));
    expect(result.config).toMatchObject({ pointSource: "smc", pointFraction: 0.8, fitJitter: 0.3, fitJitterMaxDrop: 5, pointScale: 2.5, fitGramPrecision: "float64", defensiveLatent: { scale: 1.5, weight: 0.2 } });
    expect(result.defensiveLatent).toEqual({ scale: 1.5, weight: 0.2 });
    // They reached the sampler: its checkpoint records the resolved settings (120 of 150 points from SMC).
    const settings = decodeCheckpoint(new Uint8Array(readFileSync(join(run, "checkpoint.bin")))).settings;
    expect(settings).toMatchObject({ pointScale: 2.5, fitGramPrecision: "float64", pointSource: { kind: "smc", chains: 120, fitJitter: 0.3, fitJitterMaxDrop: 5, reference: 2.5 } });
    const exact = result.exact as { logZError: number; meanError: number[] };
    expect(Math.abs(exact.logZError)).toBeLessThan(0.05);
    for (const e of exact.meanError) expect(Math.abs(e)).toBeLessThan(0.15);
    expect(result.essFraction as number).toBeGreaterThan(0.9);
  });
});

describe("minevo sample --standardize", () => {
  it("runs a target far from unit scale in z = (x − m)/s from a pilot, and records the map", async () => {
    const run = join(dir, "standardized");
    const outcome = await runCli([
      "sample", "--target", "gaussian", "--target-option", "mean=[30,-50]", "--target-option", "diagonal=[100,400]", "--backend", "cpu",
      "--samples", "1000", "--points", "150", "--extra-fit-points", "150", "--fit-iterations", "30", "--standardize-reference", "60",
      "--network-option", "hiddenWidths=[8]", "--sketch", "dense", "--no-plots", "--out", run,
    ]);
    expect(outcome.code, outcome.stderr).toBe(0);
    const result = readJson(join(run, "result.json"));
    expect((result.config as { standardize: unknown }).standardize).toEqual({ particles: 1000, reference: 60 });
    const map = result.standardization as { shift: number[]; scale: number[]; pilot: { stages: number } };
    expect(Math.abs(map.shift[0]! - 30)).toBeLessThan(3);
    expect(Math.abs(map.scale[1]! / 20 - 1)).toBeLessThan(0.2);
    // The draws come back in x.
    const exact = result.exact as { logZError: number; meanError: number[] };
    expect(Math.abs(exact.logZError)).toBeLessThan(0.05);
    expect(Math.abs(exact.meanError[0]!)).toBeLessThan(1);
    expect(Math.abs(exact.meanError[1]!)).toBeLessThan(2);
    // The pilot's progress reached stderr before the fit's.
    expect(outcome.stderr).toMatch(/pilot[\s\S]*fit/);
  });
});

describe("minevo sample: the sketch-saturation warning", () => {
  it("warns, in result.json and on stderr, when the effective rank reaches the sketch size, and names the fix", async () => {
    const run = join(dir, "saturated");
    // n = 4 is so saturated that the run is refused as a blow-up by default, naming r_λ ...
    const refused = await runCli(["sample", "--config", configPath, "--sketch", "gaussian", "--sketch-option", "sketchSize=4", "--no-plots", "--out", join(dir, "refused")]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the forward evolution and the reverse flow disagree .*largest effective rank r_λ was 4\.0.*\[MINEVO_MODEL_BLOW_UP\]/);
    // ... and with the check off it completes, with the saturation warning.
    const outcome = await runCli([
      "sample", "--config", configPath, "--sketch", "gaussian", "--sketch-option", "sketchSize=4", "--max-flow-inconsistency", "off", "--no-plots", "--out", run,
    ]);
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(readJson(join(run, "config.json")).maxFlowInconsistency).toBeNull();
    expect(readJson(join(run, "result.json")).flowInconsistency as number).toBeGreaterThan(10);
    const warnings = readJson(join(run, "result.json")).warnings as string[];
    const saturation = warnings.find((w) => w.includes("sketch was saturated"));
    expect(saturation, JSON.stringify(warnings)).toBeDefined();
    expect(saturation).toContain("of n = 4");
    expect(saturation).toContain("--sketch-option sketchSize=8");
    expect(outcome.stderr).toContain("warning: the gaussian sketch was saturated");
    // The dense reference run has no sketch size, hence no such warning.
    expect((reference.warnings as string[]).some((w) => w.includes("saturated"))).toBe(false);
  });
});

describe("minevo sample --condition: nothing lost", () => {
  const conditionalArgs = (run: string): string[] => [
    "sample", "--target", "joint-gaussian", "--condition", "y=0.5", "--backend", "cpu", "--samples", "300", "--points", "150",
    "--extra-fit-points", "150", "--fit-iterations", "30", "--network-option", "hiddenWidths=[8]", "--sketch", "dense", "--no-plots",
    "--checkpoint-every", "1", "--quiet", "--out", run,
  ];
  const conditionalNumbers = (run: string): unknown => {
    const r = readJson(join(run, "result.json"));
    return [r.logZ, r.logZForward, r.ess, r.essFraction, r.weightedMean, r.exact, r.diagnostics, r.condition];
  };

  it("SIGKILL mid forward evolution of a conditional run, then minevo resume DIR: the same numbers and draws", async () => {
    const whole = join(dir, "conditional-whole");
    const uninterrupted = await runCli(conditionalArgs(whole));
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    const run = join(dir, "conditional-killed");
    const child = spawnCli(conditionalArgs(run));
    let sent = false;
    while (child.exitCode === null && !sent) {
      if (checkpointPhase(run) === "forward") {
        child.kill("SIGKILL");
        sent = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const killed = await child.outcome;
    expect(sent, `the run ended before a forward checkpoint appeared: ${killed.stderr}`).toBe(true);
    expect(existsSync(join(run, "result.json"))).toBe(false);
    const resumed = await runCli(["resume", run, "--quiet"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readJson(join(run, "result.json")).resumedFrom).toBe("forward");
    expect(conditionalNumbers(run)).toEqual(conditionalNumbers(whole));
    expect(readFileSync(join(run, "samples.csv"), "utf8")).toBe(readFileSync(join(whole, "samples.csv"), "utf8"));
  });
});

describe("minevo sample --target ./module.mjs", () => {
  it("samples a user's log-density written with the tf namespace it is handed, and reports the error against its log Z", async () => {
    // A correlated Gaussian: precision [[1 + c², −c²], [−c², c²]] with c = 1.25 (determinant c²), times e^{0.7}.
    const module = writeFile(
      dir,
      "my-target.mjs",
      [
        "export const dim = 2;",
        "export const logZ = 0.7;",
        "export function logDensity(x, tf) {",
        "  const a = tf.slice(x, [0, 0], [-1, 1]);",
        "  const b = tf.slice(x, [0, 1], [-1, 1]);",
        "  const q = tf.add(tf.square(tf.sub(a, 1)), tf.square(tf.mul(tf.sub(b, a), 1.25)));",
        "  return tf.reshape(tf.add(tf.mul(q, -0.5), 0.7 - Math.log((2 * Math.PI) / 1.25)), [-1]);",
        "}",
      ].join("\n"),
    );
    const run = join(dir, "module");
    const outcome = await runCli([
      "sample", "--target", module, "--backend", "cpu", "--samples", "300", "--points", "150", "--extra-fit-points", "150",
      "--fit-iterations", "30", "--fit-gradients", "--point-source", "mala", "--network-option", "hiddenWidths=[8]", "--sketch", "dense", "--no-plots", "--quiet", "--out", run,
    ]);
    expect(outcome.code, outcome.stderr).toBe(0);
    const result = readJson(join(run, "result.json"));
    expect((result.config as { target: unknown }).target).toEqual({ module });
    // --fit-gradients: the fit matched the module's score (by autodiff) as well as its values.
    expect((result.config as { fitGradients: unknown }).fitGradients).toBe(true);
    expect((result.fit as { gradientRelativeRms: number }).gradientRelativeRms).toBeLessThan(0.05);
    // --point-source mala: 100 of the 150 points from MALA chains on the module's formula.
    expect((result.config as { pointSource: unknown }).pointSource).toBe("mala");
    const exact = result.exact as { logZ: number; logZError: number };
    expect(exact.logZ).toBe(0.7);
    expect(Math.abs(exact.logZError)).toBeLessThan(0.02);
    expect(result.essFraction as number).toBeGreaterThan(0.95);
  });
});
