/**
 * Bad input ends as one clear line on stderr and exit code 1: never a stack trace, never a
 * half-written result. Each case spawns the command; none gets as far as the fit.
 */
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, temporaryDirectory, tinyConfig, writeFile, type CliOutcome } from "./test-support/cli.js";

/** The one error line; fails the test if there is a stack trace or more than one error line. */
function errorLine(outcome: CliOutcome): string {
  expect(outcome.code).toBe(1);
  expect(outcome.stderr).not.toMatch(/^\s+at /m);
  const lines = outcome.stderr.split("\n").filter((line) => line.startsWith("minevo: "));
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

const dir = temporaryDirectory("errors");
const out = join(dir, "out");

function module(name: string, body: string): string {
  return writeFile(dir, name, body);
}

describe("minevo sample: bad input is one line and exit code 1", () => {
  it("an unknown target lists the registered ones", async () => {
    const line = errorLine(await runCli(["sample", "--target", "gmm26", "--out", out]));
    expect(line).toContain('unknown target "gmm26"');
    expect(line).toContain('"gmm25"');
    expect(line).toContain('"gmm2-reference"');
    expect(line).toContain("MINEVO_UNKNOWN_PLUGIN");
  });

  it("an unknown target option names the field", async () => {
    const line = errorLine(await runCli(["sample", "--target", "gmm25", "--target-option", "spacing=3", "--target-option", "bogus=1", "--out", out]));
    expect(line).toContain("bogus");
    expect(line).toContain("MINEVO_INVALID_OPTIONS");
  });

  it("an unknown sketch lists the registered ones, and a bad sketch option names its field", async () => {
    const unknown = errorLine(await runCli(["sample", "--sketch", "gauss", "--out", out]));
    expect(unknown).toContain('unknown sketch "gauss"');
    expect(unknown).toContain('"gaussian"');
    const bad = errorLine(await runCli(["sample", "--sketch", "gaussian", "--sketch-option", "sketchSize=-3", "--out", out]));
    expect(bad).toContain('field "sketchSize"');
    expect(bad).toContain("--sketch-option");
  });

  it("an unknown flag and a malformed number are refused before any work", async () => {
    const flag = errorLine(await runCli(["sample", "--sample", "10"]));
    expect(flag).toMatch(/unknown option '--sample'/);
    expect(flag).toContain("--samples");
    const number = errorLine(await runCli(["sample", "--samples", "ten", "--out", out]));
    expect(number).toBe('minevo: --samples must be a positive integer, got "ten" [MINEVO_INVALID_ARGUMENT]');
    const bound = errorLine(await runCli(["sample", "--max-flow-inconsistency", "-1", "--out", out]));
    expect(bound).toBe('minevo: --max-flow-inconsistency must be a finite positive number or "off", got "-1" [MINEVO_INVALID_ARGUMENT]');
  });

  it("a config file with an unknown field or invalid JSON names the file and the field", async () => {
    const unknownField = writeFile(dir, "bad-field.json", JSON.stringify({ ...tinyConfig, sampels: 10 }));
    const line = errorLine(await runCli(["sample", "--config", unknownField, "--out", out]));
    expect(line).toContain("bad-field.json");
    expect(line).toContain("sampels");
    // A share of drawn points in a file whose points are broad would go unused: refused, naming it.
    const unused = writeFile(dir, "unused-fraction.json", JSON.stringify({ ...tinyConfig, pointSource: "broad", pointFraction: 0.9 }));
    expect(errorLine(await runCli(["sample", "--config", unused, "--out", out]))).toContain('pointFraction = 0.9 applies to pointSource "mala" or "smc"; the points are broad here');
    const unusedJitter = writeFile(dir, "unused-jitter.json", JSON.stringify({ ...tinyConfig, fitJitter: 0.1 }));
    expect(errorLine(await runCli(["sample", "--config", unusedJitter, "--out", out]))).toContain("fitJitter = 0.1 applies to");
    const notJson = writeFile(dir, "not-json.json", "{ samples: 10 ");
    expect(errorLine(await runCli(["sample", "--config", notJson, "--out", out]))).toContain("is not valid JSON");
  });

  it("a target module that throws names the module and the error", async () => {
    const path = module("throws.mjs", `export const dim = 2;\nexport function logDensity(x, tf) { throw new Error("boom in my density"); }\n`);
    const line = errorLine(await runCli(["sample", "--target", path, "--backend", "cpu", "--out", out]));
    expect(line).toContain("throws.mjs");
    expect(line).toContain("boom in my density");
  });

  it("a target module returning NaN is refused with the point where it happened", async () => {
    const path = module("nan.mjs", `export const dim = 2;\nexport function logDensity(x, tf) { return tf.log(tf.sub(tf.sum(x, 1), 1e9)); }\n`);
    const line = errorLine(await runCli(["sample", "--target", path, "--backend", "cpu", "--out", out]));
    expect(line).toContain("NaN");
    expect(line).toContain("MINEVO_NONFINITE");
  });

  it("a target module with the wrong dimension or shape is refused", async () => {
    // Forgot to reduce over the coordinates: [M, 2] instead of [M].
    const shape = module("shape.mjs", `export const dim = 2;\nexport function logDensity(x, tf) { return tf.mul(tf.square(x), -0.5); }\n`);
    const shapeLine = errorLine(await runCli(["sample", "--target", shape, "--backend", "cpu", "--out", out]));
    expect(shapeLine).toContain("MINEVO_DIMENSION_MISMATCH");
    expect(shapeLine).toContain("must return shape [8]");
    // Declares d = 3 but its formula reads 2 coordinates.
    const dim = module("dim.mjs", `export const dim = 3;\nexport function logDensity(x, tf) { return tf.sum(tf.mul(tf.matMul(x, tf.ones([2, 1])), -0.5), 1); }\n`);
    const dimLine = errorLine(await runCli(["sample", "--target", dim, "--backend", "cpu", "--out", out]));
    expect(dimLine).toContain("dim.mjs");
    const noDim = module("no-dim.mjs", `export function logDensity(x, tf) { return tf.sum(x, 1); }\n`);
    expect(errorLine(await runCli(["sample", "--target", noDim, "--out", out]))).toContain("must export dim, a positive integer; got undefined");
  });

  it("a missing target module is one line", async () => {
    expect(errorLine(await runCli(["sample", "--target", join(dir, "nowhere.mjs"), "--out", out]))).toContain("does not exist");
  });

  it("an unwritable output directory is refused before any work", async () => {
    const locked = join(dir, "locked");
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    // Root ignores permission bits; a path under a regular file fails for everyone.
    const blocker = writeFile(dir, "a-file", "x");
    for (const target of [join(locked, "run"), join(blocker, "run")]) {
      const outcome = await runCli(["sample", "--config", writeFile(dir, "ok.json", JSON.stringify(tinyConfig)), "--out", target]);
      if (process.getuid?.() === 0 && target.startsWith(locked)) continue;
      const line = errorLine(outcome);
      expect(line).toContain("cannot write to the output directory");
      expect(line).toContain(target);
    }
  });

  it("a corrupt checkpoint is refused by minevo resume with what is wrong", async () => {
    const run = join(dir, "corrupt");
    mkdirSync(run);
    // A config.json as minevo sample writes it, and a checkpoint.bin that is not one.
    writeFile(run, "config.json", JSON.stringify({ command: "sample", ...tinyConfig }));
    writeFile(run, "checkpoint.bin", "MINEVOCP this is not a checkpoint");
    const line = errorLine(await runCli(["resume", run]));
    expect(line).toContain("checkpoint.bin");
    expect(line).toContain("MINEVO_CORRUPT_CHECKPOINT");
    expect(existsSync(join(run, "result.json"))).toBe(false);
  });

  it("--condition on a target without condition variables, or a joint target without it, is refused", async () => {
    const line = errorLine(await runCli(["sample", "--target", "gmm2-reference", "--condition", "y=1", "--out", out]));
    expect(line).toContain("no condition variables");
    const missing = errorLine(await runCli(["sample", "--target", "joint-gaussian", "--out", out]));
    expect(missing).toContain("give --condition y=v1");
    const wrongLength = errorLine(await runCli(["sample", "--target", "joint-gaussian", "--condition", "y=1,2", "--out", out]));
    expect(wrongLength).toContain("--condition has 2 values but target \"joint-gaussian\" has conditionDim = 1");
    const source = errorLine(await runCli(["sample", "--target", "joint-gaussian", "--condition", "y=1", "--point-source", "mala", "--out", out]));
    expect(source).toContain("--point-source mala is for unconditional runs");
    expect(errorLine(await runCli(["sample", "--point-source", "chains", "--out", out]))).toMatch(/--point-source.*chains.*broad, mala/);
    expect(errorLine(await runCli(["sample", "--target", "joint-gaussian", "--condition", "y=1", "--point-source", "smc", "--out", out]))).toContain("--point-source smc is for unconditional runs");
    expect(errorLine(await runCli(["sample", "--target", "joint-gaussian", "--condition", "y=1", "--standardize", "--out", out]))).toContain("--standardize is for unconditional runs");
    expect(errorLine(await runCli(["sample", "--standardize-reference", "-1", "--out", out]))).toMatch(/--standardize-reference must be a finite positive number, got "?-1"?/);
    expect(errorLine(await runCli(["sample", "--defensive", "1", "--out", out]))).toMatch(/--defensive must be a number strictly between 0 and 1, got "?1"?/);
    expect(errorLine(await runCli(["sample", "--point-fraction", "0.5", "--out", out]))).toContain("--point-fraction applies to --point-source mala or smc");
    expect(errorLine(await runCli(["sample", "--point-source", "mala", "--point-fraction", "1.5", "--out", out]))).toMatch(/--point-fraction must be a number in \(0, 1\], got "?1.5"?/);
    expect(errorLine(await runCli(["sample", "--fit-gram-precision", "double", "--out", out]))).toMatch(/fit-gram-precision.*double/);
    expect(errorLine(await runCli(["sample", "--target", "joint-gaussian", "--condition", "y=1", "--fit-gram-precision", "float64", "--out", out]))).toContain("--fit-gram-precision is for unconditional runs");
    expect(errorLine(await runCli(["sample", "--defensive", "0.1", "--out", out]))).toContain("--defensive needs an estimate of log Z for the floor's height: add --point-source smc or --standardize");
    expect(errorLine(await runCli(["sample", "--defensive-latent", "1,0.2", "--out", out]))).toMatch(/--defensive-latent must be scale,weight with scale > 1 and weight in \(0, 1\), e.g. 1.5,0.2; got "?1,0.2"?/);
    expect(errorLine(await runCli(["sample", "--defensive-latent", "2", "--out", out]))).toMatch(/--defensive-latent must be scale,weight/);
    expect(errorLine(await runCli(["sample", "--target", "joint-gaussian", "--condition", "y=1", "--defensive-latent", "1.5,0.2", "--out", out]))).toContain("--defensive-latent is for unconditional runs");
    expect(errorLine(await runCli(["sample", "--fit-jitter-max-drop", "5", "--out", out]))).toContain("--fit-jitter-max-drop applies to --point-source mala or smc; the points are broad here");
    expect(errorLine(await runCli(["sample", "--point-source", "smc", "--fit-jitter-max-drop", "0", "--out", out]))).toMatch(/--fit-jitter-max-drop must be a finite positive number, got "?0"?/);
  });
});
