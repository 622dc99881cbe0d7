/**
 * The demos' command-line plumbing: option parsing with one-line errors that list the valid
 * options, number checks that name the bad value, and a runner that turns a MinevoError into a
 * one-line message and a non-zero exit instead of a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ErrorCode, MinevoError, isMinevoError } from "@minevo/core";

type StringOptions = Record<string, { readonly type: "string"; readonly default: string }>;

/** Parses the process's arguments; an unknown or malformed option is a MinevoError listing the valid ones. */
export function parseOptions<O extends StringOptions>(options: O): { [K in keyof O]: string } {
  try {
    return parseArgs({ options: options as ParseArgsConfig["options"] }).values as { [K in keyof O]: string };
  } catch (error) {
    throw new MinevoError(
      ErrorCode.InvalidArgument,
      `${error instanceof Error ? error.message : String(error)}; options: ${Object.keys(options).map((o) => `--${o}`).join(", ")}`,
    );
  }
}

export function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new MinevoError(ErrorCode.InvalidArgument, `--${name} must be a positive integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

export function integer(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new MinevoError(ErrorCode.InvalidArgument, `--${name} must be an integer, got ${JSON.stringify(text)}`);
  return value;
}

export function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new MinevoError(ErrorCode.InvalidArgument, `--${name} must be a positive number, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Runs `main`; a MinevoError becomes one line on stderr and exit code 1. */
export function run(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (isMinevoError(error)) {
      console.error(`minevo demo: ${error.message} [${error.code}]`);
    } else {
      console.error(error);
    }
    process.exitCode = 1;
  });
}
