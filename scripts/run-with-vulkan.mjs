// Starts `vitest run` in the current package with a Vulkan driver Dawn can use (the test script
// of every package that tests WebGPU in Node: `node ../../scripts/run-with-vulkan.mjs`). The variables must be in the
// environment when the process starts (the Vulkan loader reads them, and LD_LIBRARY_PATH is
// consulted by dlopen), so they are set here and vitest runs as a child process.
//
// - If VK_ICD_FILENAMES is already set, or MINEVO_VULKAN=system, the environment is left alone
//   (a machine with a GPU uses its own Vulkan driver).
// - Otherwise, if `bash scripts/setup-vulkan.sh` has unpacked Mesa lavapipe into
//   <repo>/.cache/vulkan, that software driver is used.
// - XDG_RUNTIME_DIR is pointed at a private temporary folder if unset (Mesa warns without it).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = process.cwd();
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cache = join(repo, ".cache", "vulkan");
const icd = join(cache, "lvp_icd.json");
const libraries = join(cache, "root", "usr", "lib", "x86_64-linux-gnu");

const env = { ...process.env };
if (env.VK_ICD_FILENAMES === undefined && env.MINEVO_VULKAN !== "system") {
  if (existsSync(icd)) {
    env.VK_ICD_FILENAMES = icd;
    env.LD_LIBRARY_PATH = env.LD_LIBRARY_PATH ? `${libraries}:${env.LD_LIBRARY_PATH}` : libraries;
  } else {
    console.warn(`run-tests: no Vulkan driver in ${cache}; WebGPU tests need one: run \`bash scripts/setup-vulkan.sh\` (as root) first`);
  }
}
if (env.XDG_RUNTIME_DIR === undefined) {
  const runtimeDir = join(tmpdir(), `minevo-xdg-${process.getuid?.() ?? "user"}`);
  mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
  env.XDG_RUNTIME_DIR = runtimeDir;
}

const require = createRequire(join(packageDir, "package.json"));
const vitest = join(dirname(require.resolve("vitest/package.json")), "vitest.mjs");
const child = spawn(process.execPath, [vitest, "run", ...process.argv.slice(2)], { cwd: packageDir, env, stdio: "inherit" });
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
