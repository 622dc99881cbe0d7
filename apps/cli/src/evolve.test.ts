/**
 * `minevo evolve`: the heat equation from a Gaussian, whose exact solution is the spreading
 * Gaussian A(s²/(s² + 2κt))^{d/2} exp(−x²/(2(s² + 2κt))); the command reports the error at
 * held-out points and writes the parameters.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, spawnCli, temporaryDirectory, writeFile } from "./test-support/cli.js";

const dir = temporaryDirectory("evolve");

const heat = {
  command: "evolve",
  equation: { name: "heat", options: { diffusivity: 0.5 } },
  initial: { kind: "gaussian", mean: [0], width: 1 },
  domain: { kind: "grid", min: [-8], max: [8], points: [81] },
  t1: 1,
  saveAt: [0.5],
  network: { name: "mlp", options: { hiddenWidths: [16] } },
  sketch: "dense",
  integrator: { name: "dopri5", options: { rtol: 1e-6, atol: 1e-6 } },
  fitIterations: 60,
  backend: "cpu",
};

describe("minevo evolve", () => {
  it("evolves the heat equation and reports its error against the exact solution, and the parameters", async () => {
    const out = join(dir, "heat");
    const outcome = await runCli(["evolve", "--config", writeFile(dir, "heat.json", JSON.stringify(heat)), "--out", out, "--quiet"]);
    expect(outcome.code, outcome.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(out, "result.json"), "utf8")) as {
      status: string;
      error: { testPoints: number; snapshots: { t: number; relativeL2: number; maxAbs: number }[] };
      diagnostics: { acceptedSteps: number; steps: unknown[] };
      numParameters: number;
    };
    expect(result.status).toBe("success");
    expect(result.error.snapshots.map((s) => s.t)).toEqual([0.5, 1]);
    // The exact solution's peak falls from 1 to 1/√2 by t = 1: an error of 1e-3 is well resolved.
    for (const snapshot of result.error.snapshots) {
      expect(snapshot.relativeL2).toBeLessThan(1e-3);
      expect(snapshot.maxAbs).toBeGreaterThan(0);
    }
    expect(result.diagnostics.steps).toHaveLength(result.diagnostics.acceptedSteps);
    const parameters = JSON.parse(readFileSync(join(out, "parameters.json"), "utf8")) as { snapshots: { t: number; parameters: number[] }[] };
    expect(parameters.snapshots.map((s) => s.t)).toEqual([0.5, 1]);
    for (const snapshot of parameters.snapshots) expect(snapshot.parameters).toHaveLength(result.numParameters);
  });

  it("an unknown equation lists the registered ones; a config error names the field", async () => {
    const unknown = await runCli(["evolve", "--config", writeFile(dir, "unknown.json", JSON.stringify({ ...heat, equation: "heet" })), "--out", join(dir, "x")]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown equation "heet"');
    expect(unknown.stderr).toContain('"advection"');
    expect(unknown.stderr).not.toMatch(/^\s+at /m);
    const badField = await runCli(["evolve", "--config", writeFile(dir, "bad.json", JSON.stringify({ ...heat, t2: 1 })), "--out", join(dir, "x")]);
    expect(badField.code).toBe(1);
    expect(badField.stderr).toContain("t2");
  });
});

/**
 * A user's equation module in the plain form (no imports, so it runs from any folder): the heat
 * equation with its own option name and its own exact solution.
 */
const userHeatModule = `
export const name = "user-heat";
export const requirements = { gradient: false, laplacian: true };
export function rhs({ tf, laplacian }, options) {
  return tf.mul(laplacian, options.kappa);
}
export function exactSolution(t, x, options) {
  const spread = 1 + 2 * options.kappa * t;
  return Math.exp(-(x[0] * x[0]) / (2 * spread)) / Math.sqrt(spread);
}
`;

interface EvolveResult {
  status: string;
  equation: unknown;
  error: { snapshots: { t: number; relativeL2: number }[] } | null;
  diagnostics: { acceptedSteps: number; rejectedSteps: number; rhsEvaluations: number; steps: unknown[] };
  resumedFrom: number | null;
}

function readResult(run: string): EvolveResult {
  return JSON.parse(readFileSync(join(run, "result.json"), "utf8")) as EvolveResult;
}

function readSnapshots(run: string): unknown {
  return (JSON.parse(readFileSync(join(run, "parameters.json"), "utf8")) as { snapshots: unknown }).snapshots;
}

describe("minevo evolve with a user's equation module", () => {
  it("evolves the module's equation with its options and reports the error against the module's exact solution", async () => {
    const modulePath = writeFile(dir, "user-heat.mjs", userHeatModule);
    const config = { ...heat, equation: { module: modulePath, options: { kappa: 0.5 } } };
    const out = join(dir, "user-heat");
    const outcome = await runCli(["evolve", "--config", writeFile(dir, "user-heat.json", JSON.stringify(config)), "--out", out, "--quiet"]);
    expect(outcome.code, outcome.stderr).toBe(0);
    const result = readResult(out);
    expect(result.status).toBe("success");
    expect(result.error?.snapshots.map((s) => s.t)).toEqual([0.5, 1]);
    for (const snapshot of result.error!.snapshots) expect(snapshot.relativeL2).toBeLessThan(1e-3);
    // The same equation as the built-in heat with κ = 0.5, computed by the same op: the same θ(t).
    const builtIn = join(dir, "built-in-heat");
    const reference = await runCli(["evolve", "--config", writeFile(dir, "built-in.json", JSON.stringify(heat)), "--out", builtIn, "--quiet"]);
    expect(reference.code, reference.stderr).toBe(0);
    expect(readSnapshots(out)).toEqual(readSnapshots(builtIn));
    // The option reaches the module: another κ gives another solution, still matching its exact one.
    const faster = join(dir, "user-heat-faster");
    const fasterOutcome = await runCli([
      "evolve", "--config", writeFile(dir, "user-heat-faster.json", JSON.stringify({ ...config, equation: { module: modulePath, options: { kappa: 1 } } })), "--out", faster, "--quiet",
    ]);
    expect(fasterOutcome.code, fasterOutcome.stderr).toBe(0);
    expect(readSnapshots(faster)).not.toEqual(readSnapshots(out));
    for (const snapshot of readResult(faster).error!.snapshots) expect(snapshot.relativeL2).toBeLessThan(1e-3);
  });

  it("a module that throws, returns the wrong shape, or exports no equation fails with one line naming it", async () => {
    const cases: [string, string, string][] = [
      ["throws.mjs", `export function rhs() { throw new Error("kaboom"); }`, "rhs threw: kaboom"],
      ["shape.mjs", `export function rhs({ tf, points }) { return tf.mul(points, 2); }`, "rhs must return a tensor of shape [81], got [81, 1]"],
      ["nothing.mjs", `export const something = 1;`, "must export `rhs(input, options)`"],
      ["syntax.mjs", `export function rhs( {`, "failed to load"],
    ];
    for (const [file, source, message] of cases) {
      const modulePath = writeFile(dir, file, source);
      const outcome = await runCli(["evolve", "--config", writeFile(dir, `${file}.json`, JSON.stringify({ ...heat, equation: { module: modulePath } })), "--out", join(dir, `bad-${file}`), "--quiet"]);
      expect(outcome.code, file).toBe(1);
      expect(outcome.stderr, file).toContain(`equation module "${modulePath}"`);
      expect(outcome.stderr, file).toContain(message);
      // One error line, no stack (the line before it, if any, names the backend chosen).
      const lines = outcome.stderr.trim().split("\n");
      expect(lines.filter((line) => line.includes("equation module")), file).toHaveLength(1);
      expect(lines.at(-1), file).toContain("equation module");
      expect(outcome.stderr, file).not.toMatch(/^\s+at /m);
    }
  });
});

describe("minevo evolve: nothing lost", () => {
  it("SIGKILL mid evolution, then minevo resume DIR: the same parameters and step record as an uninterrupted run", async () => {
    const config = writeFile(dir, "resumable.json", JSON.stringify({ ...heat, checkpointEvery: 1 }));
    const reference = join(dir, "uninterrupted");
    const whole = await runCli(["evolve", "--config", config, "--out", reference, "--quiet"]);
    expect(whole.code, whole.stderr).toBe(0);
    const run = join(dir, "killed");
    const child = spawnCli(["evolve", "--config", config, "--out", run, "--quiet"]);
    let sent = false;
    while (child.exitCode === null && !sent) {
      if (existsSync(join(run, "checkpoint.bin"))) {
        child.kill("SIGKILL");
        sent = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const killed = await child.outcome;
    expect(sent, `the run ended before its first checkpoint: ${killed.stderr}`).toBe(true);
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(join(run, "result.json"))).toBe(false);
    const resumed = await runCli(["resume", run, "--quiet"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = readResult(run);
    expect(result.resumedFrom).toBeGreaterThan(0);
    expect(readSnapshots(run)).toEqual(readSnapshots(reference));
    const expected = readResult(reference);
    expect(result.error).toEqual(expected.error);
    expect(result.diagnostics.acceptedSteps).toBe(expected.diagnostics.acceptedSteps);
    expect(result.diagnostics.steps).toEqual(expected.diagnostics.steps);
  });
});

describe("minevo on the cpu backend", () => {
  it("prints its own one-line hint about wasm instead of TensorFlow.js's banner, and --quiet drops the hint", async () => {
    const config = writeFile(dir, "banner.json", JSON.stringify({ ...heat, fitIterations: 5, t1: 0.05, saveAt: [] }));
    const loud = await runCli(["evolve", "--config", config, "--out", join(dir, "banner")]);
    expect(loud.code, loud.stderr).toBe(0);
    expect(loud.stderr).not.toContain("Hi, looks like you are running TensorFlow.js");
    expect(loud.stderr).toContain("--backend wasm is the fast CPU path");
    const quiet = await runCli(["evolve", "--config", config, "--out", join(dir, "banner-quiet"), "--quiet"]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toContain("--backend wasm");
    expect(quiet.stderr).not.toContain("Hi, looks like");
  });
});
