/**
 * Each package can be packed and installed on its own: pack @minevo/core and
 * @minevo/integrators as a publisher would, install the tarballs into a fresh project outside
 * the workspace (dependencies from the npm registry), and import them there.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const packagesDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const work = mkdtempSync(join(tmpdir(), "minevo-pack-"));

afterAll(() => rmSync(work, { recursive: true, force: true }));

function pack(name: string): string {
  const out = join(work, "tarballs");
  execFileSync("pnpm", ["pack", "--pack-destination", out], { cwd: join(packagesDir, name), stdio: "pipe" });
  const file = readdirSync(out).find((f) => f.startsWith(`minevo-${name}-`) && f.endsWith(".tgz"));
  if (file === undefined) throw new Error(`pnpm pack produced no tarball for ${name}`);
  return join(out, file);
}

describe("packing", () => {
  it("installs @minevo/core and @minevo/integrators into a fresh project and imports them", () => {
    const core = pack("core");
    const integrators = pack("integrators");
    const project = join(work, "consumer");
    execFileSync("mkdir", ["-p", project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    execFileSync(
      "npm",
      ["install", "--no-audit", "--no-fund", "--loglevel=error", core, integrators, "@tensorflow/tfjs-core@4.22.0"],
      { cwd: project, stdio: "pipe" },
    );
    const script = `
      import { registries, RandomStream, cholesky, denseMatrix } from "@minevo/core";
      import * as integrators from "@minevo/integrators";
      const names = registries.integrator.names();
      const l = cholesky(denseMatrix(2, 2, [4, 2, 2, 3])).lower.data;
      console.log(JSON.stringify({ names, exports: Object.keys(integrators).length, l: Array.from(l), r: RandomStream.fromSeed(1).normal() }));
    `;
    writeFileSync(join(project, "check.mjs"), script);
    const output = JSON.parse(execFileSync("node", ["check.mjs"], { cwd: project, encoding: "utf8" })) as {
      names: string[];
      exports: number;
      l: number[];
      r: number;
    };
    expect(output.names).toEqual(expect.arrayContaining(["dopri5", "dop853", "rk4", "tsit5"]));
    expect(output.exports).toBeGreaterThan(0);
    expect(output.l[0]).toBeCloseTo(2, 12);
    expect(Number.isFinite(output.r)).toBe(true);
  });
});
