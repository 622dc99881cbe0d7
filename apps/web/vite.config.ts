/**
 * Vite builds the page and its worker from the workspace packages' TypeScript sources (the
 * "@minevo/source" condition), so no package needs building first. Two small plugins:
 *
 *  - `tfjsWasmFiles` copies @tensorflow/tfjs-backend-wasm's three .wasm binaries into the build
 *    (and serves them in dev) under tfjs-wasm/, where the worker's setWasmPaths points: the page
 *    fetches nothing from a CDN.
 *  - `bundleSizeReport` prints every emitted file's raw and gzip size after the build and writes
 *    the table to dist/bundle-size.json.
 *
 * Both servers send COOP/COEP headers: a cross-origin-isolated page gets SharedArrayBuffer, which
 * the wasm backend needs for threads and the Stop button for its shared flag.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

const require = createRequire(import.meta.url);
const wasmDirectory = dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
const wasmFiles = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"];

export const isolationHeaders = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

function tfjsWasmFiles(): Plugin {
  return {
    name: "minevo:tfjs-wasm-files",
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        const match = /\/tfjs-wasm\/([\w.-]+\.wasm)$/.exec(request.url?.split("?")[0] ?? "");
        if (match === null || !wasmFiles.includes(match[1] as string)) return next();
        response.setHeader("Content-Type", "application/wasm");
        response.end(readFileSync(join(wasmDirectory, match[1] as string)));
      });
    },
    generateBundle() {
      for (const file of wasmFiles) this.emitFile({ type: "asset", fileName: `tfjs-wasm/${file}`, source: readFileSync(join(wasmDirectory, file)) });
    },
  };
}

export interface BundleFile {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

function listFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

function bundleSizeReport(): Plugin {
  let outDir = "dist";
  return {
    name: "minevo:bundle-size",
    apply: "build",
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      const files: BundleFile[] = listFiles(outDir)
        .filter((path) => !path.endsWith("bundle-size.json"))
        .map((path) => {
          const content = readFileSync(path);
          return { file: relative(outDir, path), bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
        })
        .sort((a, b) => b.bytes - a.bytes);
      const total = files.reduce((s, f) => ({ bytes: s.bytes + f.bytes, gzipBytes: s.gzipBytes + f.gzipBytes }), { bytes: 0, gzipBytes: 0 });
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`.padStart(11);
      const width = Math.max(...files.map((f) => f.file.length), 5);
      console.log(`\nbundle size (raw, gzip -9), ${outDir}:`);
      for (const f of files) console.log(`  ${f.file.padEnd(width)} ${kib(f.bytes)} ${kib(f.gzipBytes)}`);
      console.log(`  ${"total".padEnd(width)} ${kib(total.bytes)} ${kib(total.gzipBytes)}`);
      writeFileSync(join(outDir, "bundle-size.json"), `${JSON.stringify({ files, total }, null, 2)}\n`);
    },
  };
}

const sourceConditions = ["@minevo/source", "module", "browser", "import", "default"];

export default defineConfig({
  base: "./",
  resolve: { conditions: sourceConditions },
  plugins: [tfjsWasmFiles(), bundleSizeReport()],
  worker: {
    format: "es",
    // tfjs-backend-wasm starts its pthreads from `wasmFactoryThreadedSimd.toString()` in a blob,
    // so that function must survive minification self-contained. The compressor folds its guard
    // `typeof _scriptDir !== "undefined" && _scriptDir` into a bare reference to a closure
    // variable the blob does not have ("ReferenceError: _scriptDir is not defined" in every
    // pthread); mangling alone keeps the guard. Costs ≈ 60 KiB raw on the worker.
    rolldownOptions: { output: { minify: { mangle: true, compress: false } } },
  },
  build: { target: "es2022", chunkSizeWarningLimit: 4096, reportCompressedSize: false },
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders, host: "127.0.0.1" },
});
