/**
 * bench:backends' browser rows: ./browser/page.ts bundled by esbuild, served from 127.0.0.1 with
 * the COOP/COEP headers that give wasm its threads, and measured in Debian's headless Chromium
 * (driven by playwright-core, a fresh profile, WebGPU enabled; on a machine without a GPU its
 * adapter is SwiftShader, a software Vulkan).
 */
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import type { BackendResult } from "./backend-measure.js";

const here = dirname(fileURLToPath(import.meta.url));

function findChromium(): string | undefined {
  for (const candidate of [process.env["MINEVO_CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (candidate === undefined || candidate === "") continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

export type BrowserMeasurement = { readonly browser: string; readonly crossOriginIsolated: boolean; readonly results: BackendResult[] } | { readonly error: string };

export async function measureInChromium(timeoutMs = 900_000): Promise<BrowserMeasurement> {
  const executablePath = findChromium();
  if (executablePath === undefined) return { error: "no Chromium found (MINEVO_CHROMIUM, /usr/bin/chromium): sudo bash scripts/setup-chromium.sh" };
  const bundle = await build({
    entryPoints: [resolve(here, "browser/page.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["@minevo/source"],
    ignoreAnnotations: true,
    write: false,
    logLevel: "error",
  });
  const script = bundle.outputFiles[0]!.contents;
  const wasmDir = join(dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");
  const server = createServer((request, response) => {
    const headers = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };
    const url = request.url ?? "/";
    if (url === "/") {
      response.writeHead(200, { ...headers, "Content-Type": "text/html" });
      response.end('<!doctype html><meta charset="utf-8"><title>minevo backends</title><script type="module" src="/page.js"></script>');
    } else if (url === "/page.js") {
      response.writeHead(200, { ...headers, "Content-Type": "text/javascript" });
      response.end(script);
    } else if (/^\/wasm\/tfjs-backend-wasm[a-z-]*\.wasm$/.test(url)) {
      response.writeHead(200, { ...headers, "Content-Type": "application/wasm" });
      response.end(readFileSync(join(wasmDir, url.slice("/wasm/".length))));
    } else {
      response.writeHead(404, headers);
      response.end();
    }
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const userDataDir = mkdtempSync(join(tmpdir(), "minevo-bench-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: ["--no-sandbox", "--enable-unsafe-webgpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const browser = await page.evaluate(() => navigator.userAgent);
      const crossOriginIsolated = await page.evaluate(() => globalThis.crossOriginIsolated);
      await page.waitForFunction(() => window.minevoBench !== undefined, undefined, { timeout: 60_000 }).catch(() => {
        throw new Error(`the page did not start its measurement: ${errors.join("; ") || "no error reported"}`);
      });
      page.setDefaultTimeout(timeoutMs);
      const results = await page.evaluate(() => window.minevoBench!);
      return { browser: browser.replace(/^.*(Chrome\/\S+).*$/, "$1").replace("Chrome", "Chromium (headless)"), crossOriginIsolated, results };
    } finally {
      await context.close();
    }
  } catch (error) {
    return { error: error instanceof Error ? error.message.split("\n")[0]! : String(error) };
  } finally {
    rmSync(userDataDir, { recursive: true, force: true });
    server.close();
  }
}
