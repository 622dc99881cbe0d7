#!/usr/bin/env node
/**
 * Bundles the `minevo` command into one ES module, dist/minevo.mjs, for a packed install: the
 * workspace packages (@minevo/*) are compiled in from their TypeScript sources, with the
 * pure-JavaScript libraries they use (commander, zod, d3-contour, ml-matrix, pure-rand). What
 * stays an import resolved from node_modules at run time: TensorFlow.js and its backends (one
 * tfjs-core instance must serve every backend, and the wasm backend loads its .wasm files from
 * its own folder), @resvg/resvg-js (a native binary), and the optional packages loaded only when
 * asked for (webgpu, tfjs-node, tfjs-node-gpu). Node then runs it without tsx or the sources.
 *
 *   node scripts/bundle.mjs [outfile]       (default dist/minevo.mjs)
 */
import { build } from "esbuild";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The packages that stay imports (they are this package's dependencies or optional ones). */
export const externalPattern = /^(@tensorflow\/|@resvg\/|webgpu($|\/))/;

const externalPackages = {
  name: "external-packages",
  setup(builder) {
    builder.onResolve({ filter: externalPattern }, (args) => ({ path: args.path, external: true }));
  },
};

export async function bundle(outfile = resolve(root, "dist/minevo.mjs")) {
  const result = await build({
    entryPoints: [resolve(root, "src/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["@minevo/source"],
    plugins: [externalPackages],
    // CommonJS libraries inside the bundle (commander) require Node's built-ins: give them a require.
    banner: {
      js: [
        "// The minevo command, bundled by apps/cli/scripts/bundle.mjs from the workspace sources.",
        'import { createRequire as __minevoCreateRequire } from "node:module";',
        "const require = __minevoCreateRequire(import.meta.url);",
      ].join("\n"),
    },
    metafile: true,
    logLevel: "warning",
  });
  const externals = new Set();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imported of input.imports) if (imported.external && !imported.path.startsWith("node:")) externals.add(imported.path);
  }
  return { outfile, externals: [...externals].sort() };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outfile, externals } = await bundle(process.argv[2] !== undefined ? resolve(process.argv[2]) : undefined);
  console.log(`wrote ${outfile} (external: ${externals.join(", ")})`);
}
