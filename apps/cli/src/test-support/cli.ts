/**
 * Runs the `minevo` command as a child process, the way a user does (node + tsx on the sources),
 * so that tests see real exit codes, real stderr and real signals.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const cliRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface CliOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function spawnCli(args: readonly string[]): ChildProcess & { outcome: Promise<CliOutcome> } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.MINEVO_DEBUG;
  const child = spawn(process.execPath, ["--conditions=@minevo/source", "--import", "tsx", "src/main.ts", ...args], { cwd: cliRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const outcome = new Promise<CliOutcome>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return Object.assign(child, { outcome });
}

export function runCli(args: readonly string[]): Promise<CliOutcome> {
  return spawnCli(args).outcome;
}

export function temporaryDirectory(label: string): string {
  return mkdtempSync(join(tmpdir(), `minevo-cli-${label}-`));
}

/** Writes `text` to `dir/name` and returns the path. */
export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * A run small enough for a test (a few seconds of CPU): the unnormalised Gaussian of the
 * sampler's own end-to-end test, whose quadratic log-density the network's quadratic term carries.
 */
export const tinyConfig = {
  target: { name: "gaussian", options: { mean: [0.8, -0.4], covariance: [[0.6, 0.2], [0.2, 1.3]] } },
  samples: 300,
  seed: 2,
  backend: "cpu",
  points: 150,
  extraFitPoints: 150,
  fitIterations: 30,
  horizon: 5,
  network: { name: "mlp", options: { hiddenWidths: [8] } },
  sketch: { name: "dense", options: { regularisation: { kind: "relative-trace", epsilon: 1e-8 } } },
  checkpointEvery: 2,
  plots: false,
} as const;
