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
 * The library entry (src/index.ts, the package's "." export) is bundled the same way into
 * dist/index.js, so that `import { runSample } from "@minevo/cli"` works from a packed install
 * too (tsc's per-module output would import @minevo/*, which a packed install does not have).
 *
 *   node scripts/bundle.mjs [outfile]       (default dist/minevo.mjs; the library goes to dist/index.js)
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

export async function bundle(outfile = resolve(root, "dist/minevo.mjs"), entry = resolve(root, "src/main.ts")) {
  const result = await build({
    entryPoints: [entry],
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
        "// The minevo command (or its library entry), bundled by apps/cli/scripts/bundle.mjs from the workspace sources.",
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

/** The library entry src/index.ts as one ES module (default dist/index.js). */
export function bundleLibrary(outfile = resolve(root, "dist/index.js")) {
  return bundle(outfile, resolve(root, "src/index.ts"));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outfile, externals } = await bundle(process.argv[2] !== undefined ? resolve(process.argv[2]) : undefined);
  console.log(`wrote ${outfile} (external: ${externals.join(", ")})`);
  const library = await bundleLibrary();
  console.log(`wrote ${library.outfile} (external: ${library.externals.join(", ")})`);
}
