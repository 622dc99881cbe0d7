#!/usr/bin/env node
// The `minevo` command for the workspace: runs src/main.ts with Node + tsx and the
// "@minevo/source" export condition (the workspace packages resolve to their TypeScript
// sources, no build needed). Signals are passed on so that Ctrl-C still saves a checkpoint,
// and the exit code (0, 1, 130, 143) comes back unchanged.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const tsx = require.resolve("tsx");
const child = spawn(process.execPath, ["--conditions=@minevo/source", "--import", tsx, main, ...process.argv.slice(2)], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("close", (code, signal) => process.exit(code ?? (signal === "SIGINT" ? 130 : signal === "SIGTERM" ? 143 : 1)));
