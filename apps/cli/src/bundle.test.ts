/**
 * The packed install: `scripts/bundle.mjs` builds dist/minevo.mjs, which must run with plain Node
 * — no tsx, no "@minevo/source" condition, no workspace sources — given only the packages it
 * leaves external in a node_modules beside it (what `npm install` of the packed package
 * provides). Here the bundle goes to a folder outside the workspace whose node_modules holds
 * links to exactly those packages; it must give the same numbers as the command run from the
 * sources, and sample a user's module target (TensorFlow.js gradients loaded from node_modules).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, realpathSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cliRoot, runCli, temporaryDirectory, tinyConfig, writeFile } from "./test-support/cli.js";

const dir = temporaryDirectory("bundle");
const packageDir = join(dir, "package");
const bundlePath = join(packageDir, "dist", "minevo.mjs");
const require = createRequire(join(cliRoot, "package.json"));

/** The folder of an installed package, found from apps/cli the way Node would. */
function packageRoot(name: string): string {
  return realpathSync(dirname(require.resolve(`${name}/package.json`)));
}

function runBundle(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  // cwd outside the workspace and no NODE_OPTIONS: nothing but the bundle and its node_modules.
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.MINEVO_DEBUG;
  const result = spawnSync(process.execPath, [bundlePath, ...args], { cwd: dir, env, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const numbers = (path: string): unknown => {
  const result = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  return [result.logZ, result.ess, result.essFraction, result.numSamples];
};

let externals: string[] = [];
let libraryExternals: string[] = [];

beforeAll(async () => {
  const bundler = (await import(join(cliRoot, "scripts", "bundle.mjs"))) as {
    bundle(outfile: string): Promise<{ externals: string[] }>;
    bundleLibrary(outfile: string): Promise<{ externals: string[] }>;
  };
  externals = (await bundler.bundle(bundlePath)).externals;
  libraryExternals = (await bundler.bundleLibrary(join(packageDir, "dist", "index.js"))).externals;
  for (const name of new Set([...externals, ...libraryExternals])) {
    const link = join(packageDir, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(packageRoot(name), link, "dir");
  }
});

describe("the bundled minevo command (packed install)", () => {
  it("leaves only TensorFlow.js and the native renderer external, all of them dependencies of the package", () => {
    const manifest = JSON.parse(readFileSync(join(cliRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(externals.length).toBeGreaterThan(0);
    for (const name of externals) {
      expect(name).toMatch(/^(@tensorflow\/|@resvg\/)/);
      expect(Object.keys(manifest.dependencies)).toContain(name);
    }
  });

  it("runs with plain Node outside the workspace and gives the numbers of the command run from the sources", async () => {
    const config = writeFile(dir, "tiny.json", JSON.stringify(tinyConfig));
    const bundled = runBundle(["sample", "--config", config, "--out", join(dir, "bundled"), "--quiet"]);
    expect(bundled.code, bundled.stderr).toBe(0);
    const fromSources = await runCli(["sample", "--config", config, "--out", join(dir, "sources"), "--quiet"]);
    expect(fromSources.code, fromSources.stderr).toBe(0);
    expect(numbers(join(dir, "bundled", "result.json"))).toEqual(numbers(join(dir, "sources", "result.json")));
    expect(readFileSync(join(dir, "bundled", "samples.csv"), "utf8")).toBe(readFileSync(join(dir, "sources", "samples.csv"), "utf8"));
  });

  it("serves the library entry (dist/index.js) to a program outside the workspace: config in, the command's numbers out", () => {
    for (const name of libraryExternals) expect(name).toMatch(/^(@tensorflow\/|@resvg\/)/);
    const program = writeFile(
      dir,
      "library.mjs",
      [
        `import { parseSampleConfig, prepareOutputDirectory, resolveSampleConfig, runSample, createProgress } from ${JSON.stringify(join(packageDir, "dist", "index.js"))};`,
        `const input = parseSampleConfig(${JSON.stringify(JSON.stringify({ ...tinyConfig, checkpointEvery: undefined }))}, "inline");`,
        "const config = await resolveSampleConfig(input);",
        `await prepareOutputDirectory(${JSON.stringify(join(dir, "library"))});`,
        `const summary = await runSample({ config, outDir: ${JSON.stringify(join(dir, "library"))}, progress: createProgress(process.stderr, { quiet: true }) });`,
        "console.log(JSON.stringify([summary.result.logZ, summary.result.ess, summary.result.essFraction]));",
      ].join("\n"),
    );
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_OPTIONS;
    const run = spawnSync(process.execPath, [program], { cwd: dir, env, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const [logZ, ess, essFraction] = JSON.parse(run.stdout.trim().split("\n").pop()!) as number[];
    const result = JSON.parse(readFileSync(join(dir, "library", "result.json"), "utf8")) as Record<string, number>;
    expect([logZ, ess, essFraction]).toEqual([result.logZ, result.ess, result.essFraction]);
    expect(Math.abs(logZ!)).toBeLessThan(0.05);
  });

  it("samples a user's module target (its score by TensorFlow.js autodiff) and prints one-line errors", () => {
    const module = writeFile(
      dir,
      "shifted.mjs",
      "export const dim = 2;\nexport const logZ = 0;\nexport function logDensity(x, tf) {\n  return tf.sub(tf.mul(tf.sum(tf.square(tf.sub(x, 0.5)), 1), -0.5), Math.log(2 * Math.PI));\n}\n",
    );
    const run = runBundle([
      "sample", "--target", module, "--backend", "cpu", "--samples", "200", "--points", "150", "--extra-fit-points", "150",
      "--fit-iterations", "30", "--network-option", "hiddenWidths=[8]", "--sketch", "dense", "--no-plots", "--quiet", "--out", join(dir, "module"),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, "module", "result.json"), "utf8")) as { exact: { logZError: number } };
    expect(Math.abs(result.exact.logZError)).toBeLessThan(0.02);
    const unknown = runBundle(["sample", "--target", "no-such-target", "--out", join(dir, "x")]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown target "no-such-target"');
    expect(unknown.stderr).not.toMatch(/^\s+at /m);
  });
});
