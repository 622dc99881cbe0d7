/**
 * Runs one sub-command with the command's error and signal policy:
 *
 *  - a failure becomes one line `minevo: <message> [<code>]` on stderr and exit code 1;
 *  - the first SIGINT/SIGTERM aborts the run through its AbortSignal: the sampler stops after the
 *    current step and saves DIR/checkpoint.bin, and the command exits 130 (SIGINT) or 143
 *    (SIGTERM) with a line saying how to resume; a second signal exits at once.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ErrorCode, MinevoError, isMinevoError, quote, registries, slotNames, type SlotName } from "@minevo/core";
import { decodeCheckpoint, type OuSamplerCheckpoint } from "@minevo/diffusion";
import { runEvolve } from "./evolve-command.js";
import { prepareOutputDirectory, readText, toJson, writeFileAtomic } from "./files.js";
import { createProgress } from "./progress.js";
import { resolveSampleConfig, sampleConfigFromCommandLine, type SampleCommandLine } from "./resolve-sample.js";
import { checkpointFile, configFile, runSample } from "./sample-command.js";
import { parseSampleConfig } from "./sample-config.js";

export type CommandRequest =
  | { readonly kind: "sample"; readonly options: Record<string, unknown> }
  | { readonly kind: "resume"; readonly dir: string; readonly options: Record<string, unknown> }
  | { readonly kind: "evolve"; readonly options: Record<string, unknown> }
  | { readonly kind: "list"; readonly slot?: string };

const signalExitCode = { SIGINT: 130, SIGTERM: 143 } as const;

/** One line for any error: a MinevoError's message and code; anything else its first line. */
export function describeError(error: unknown): string {
  if (isMinevoError(error)) return `${error.message} [${error.code}]`;
  if (error instanceof Error) return `unexpected error: ${error.message.split("\n")[0] ?? ""} (set MINEVO_DEBUG=1 for the stack)`;
  return `unexpected error: ${quote(error)}`;
}

function fail(error: unknown): never {
  if (process.env.MINEVO_DEBUG === "1" && error instanceof Error) console.error(error.stack);
  process.stderr.write(`minevo: ${describeError(error)}\n`);
  process.exit(1);
}

/** Aborts `controller` on the first SIGINT/SIGTERM; exits at once on a second. */
function trapSignals(controller: AbortController): { signal: () => keyof typeof signalExitCode | undefined; release: () => void } {
  let received: keyof typeof signalExitCode | undefined;
  const handler = (name: keyof typeof signalExitCode) => () => {
    if (received !== undefined) {
      process.stderr.write(`minevo: ${name} again, exiting without waiting for the checkpoint\n`);
      process.exit(signalExitCode[name]);
    }
    received = name;
    process.stderr.write(`\nminevo: ${name} received, stopping after the current step and saving a checkpoint (send it again to exit at once)\n`);
    controller.abort(new MinevoError(ErrorCode.Aborted, `stopped by ${name}`));
  };
  const onInt = handler("SIGINT");
  const onTerm = handler("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return {
    signal: () => received,
    release: () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    },
  };
}

async function readCheckpoint(dir: string): Promise<OuSamplerCheckpoint | undefined> {
  const path = join(dir, checkpointFile);
  if (!existsSync(path)) return undefined;
  const bytes = await readFile(path);
  try {
    return decodeCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    if (isMinevoError(error)) {
      throw new MinevoError(error.code, `${path}: ${error.message}; delete it to restart the run from the beginning`, error.details, { cause: error });
    }
    throw error;
  }
}

async function sample(request: { options: Record<string, unknown> } & ({ kind: "sample" } | { kind: "resume"; dir: string })): Promise<void> {
  const quiet = request.options.quiet === true;
  const progress = createProgress(process.stderr, { quiet });
  let outDir: string;
  let config;
  let resume: OuSamplerCheckpoint | undefined;
  if (request.kind === "sample") {
    const line = request.options as SampleCommandLine & { out?: string };
    config = await sampleConfigFromCommandLine(line, process.cwd());
    outDir = resolve(line.out ?? "minevo-out");
    await prepareOutputDirectory(outDir);
    await writeFileAtomic(join(outDir, configFile), toJson(config));
  } else {
    outDir = resolve(request.dir);
    const configPath = join(outDir, configFile);
    config = await resolveSampleConfig(parseSampleConfig(await readText(configPath, "config"), configPath));
    await prepareOutputDirectory(outDir);
    resume = await readCheckpoint(outDir);
    if (resume === undefined) progress.log(`no ${checkpointFile} in ${outDir} (the run stopped before its first checkpoint): starting it from the beginning`);
  }
  await withSignals(outDir, async (signal) => {
    const { result } = await runSample({ config, outDir, progress, signal, ...(resume !== undefined ? { resume } : {}) });
    const exact = result.exact as { logZ?: number; logZError?: number } | undefined;
    process.stdout.write(
      `ESS/M ${(result.essFraction as number).toFixed(5)} (ESS ${(result.ess as number).toFixed(0)} of ${result.numSamples as number}); ` +
        `log Ẑ ${(result.logZ as number).toFixed(5)}${exact?.logZ !== undefined ? ` (exact ${exact.logZ.toFixed(5)}, error ${(exact.logZError as number).toExponential(2)})` : ""}\n` +
        `wrote ${join(outDir, "result.json")} and ${(result.files as string[]).length - 1} more files in ${outDir}\n`,
    );
  });
}

/** Runs `work` with SIGINT/SIGTERM turned into an abort; an aborted run exits 130/143 with how to resume. */
async function withSignals(outDir: string, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const signals = trapSignals(controller);
  try {
    await work(controller.signal);
  } catch (error) {
    const name = signals.signal();
    if (name !== undefined && isMinevoError(error, ErrorCode.Aborted)) {
      const saved = existsSync(join(outDir, checkpointFile));
      process.stderr.write(
        `minevo: interrupted by ${name}. ${saved ? `Checkpoint in ${join(outDir, checkpointFile)}` : "No checkpoint yet (stopped during the fit)"}; resume with: minevo resume ${outDir}\n`,
      );
      process.exit(signalExitCode[name]);
    }
    throw error;
  } finally {
    signals.release();
  }
}

function list(slot: string | undefined): void {
  if (slot !== undefined && !(slotNames as readonly string[]).includes(slot)) {
    throw new MinevoError(ErrorCode.InvalidArgument, `unknown slot ${quote(slot)}: slots are ${slotNames.join(", ")}`);
  }
  for (const name of (slot !== undefined ? [slot] : slotNames) as SlotName[]) {
    process.stdout.write(`${name}s:\n`);
    for (const plugin of registries[name].names()) process.stdout.write(`  ${plugin.padEnd(20)} ${registries[name].lookup(plugin).description}\n`);
  }
}

export async function runCommand(request: CommandRequest): Promise<void> {
  try {
    switch (request.kind) {
      case "sample":
        await sample(request);
        break;
      case "resume": {
        const dir = resolve(request.dir);
        const configPath = join(dir, configFile);
        if (!existsSync(configPath)) {
          throw new MinevoError(ErrorCode.InvalidArgument, `${quote(dir)} has no ${configFile}: give the --out directory of a run started by minevo sample or minevo evolve`, { dir });
        }
        let command: unknown;
        try {
          command = (JSON.parse(await readText(configPath, "config")) as { command?: unknown }).command;
        } catch (error) {
          if (isMinevoError(error)) throw error;
          throw new MinevoError(ErrorCode.InvalidOptions, `${configPath} is not valid JSON; it is written by minevo sample/evolve, rerun the command`, { path: configPath });
        }
        if (command === "evolve") {
          await withSignals(dir, (signal) => runEvolve(request.options, createProgress(process.stderr, { quiet: request.options.quiet === true }), dir, signal).then(() => undefined));
        } else {
          await sample(request);
        }
        break;
      }
      case "evolve": {
        const dir = resolve(typeof request.options.out === "string" ? request.options.out : "minevo-evolve-out");
        await withSignals(dir, (signal) => runEvolve({ ...request.options, out: dir }, createProgress(process.stderr, { quiet: request.options.quiet === true }), undefined, signal).then(() => undefined));
        break;
      }
      case "list":
        list(request.slot);
        break;
    }
  } catch (error) {
    fail(error);
  }
  // The wasm backend may hold worker handles; the work is done and every file is written.
  process.exit(0);
}
