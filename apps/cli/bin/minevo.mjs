#!/usr/bin/env node
// The `minevo` command. In the workspace (src/ and tsx present) it runs src/main.ts with Node +
// tsx and the "@minevo/source" export condition, so the packages' TypeScript sources are used
// with no build step; in a packed install it runs the bundle dist/minevo.mjs (scripts/bundle.mjs),
// which needs neither. Signals are passed on so that Ctrl-C still saves a checkpoint, and the exit
// code (0, 1, 130, 143) comes back unchanged.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const bundled = fileURLToPath(new URL("../dist/minevo.mjs", import.meta.url));

function tsxPath() {
  try {
    return require.resolve("tsx");
  } catch {
    return undefined;
  }
}

const tsx = existsSync(main) ? tsxPath() : undefined;
if (tsx === undefined && !existsSync(bundled)) {
  process.stderr.write(`minevo: neither the sources with tsx nor the bundle ${bundled} is present; run \`pnpm --filter @minevo/cli build\` [MINEVO_INVALID_ARGUMENT]\n`);
  process.exit(1);
}
const args = tsx !== undefined ? ["--conditions=@minevo/source", "--import", tsx, main] : [bundled];
const child = spawn(process.execPath, [...args, ...process.argv.slice(2)], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("close", (code, signal) => process.exit(code ?? (signal === "SIGINT" ? 130 : signal === "SIGTERM" ? 143 : 1)));
