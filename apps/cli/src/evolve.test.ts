/**
 * `minevo evolve`: the heat equation from a Gaussian, whose exact solution is the spreading
 * Gaussian A(s²/(s² + 2κt))^{d/2} exp(−x²/(2(s² + 2κt))); the command reports the error at
 * held-out points and writes the parameters.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, temporaryDirectory, writeFile } from "./test-support/cli.js";

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
