/**
 * Debian's chromium, driven by playwright-core (which never downloads a browser here), headless,
 * with WebGPU enabled: on a machine without a GPU its adapter is SwiftShader, a software Vulkan
 * that Debian's package ships. Each launch gets a fresh user-data directory.
 */
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** The switches the test (and README.md) use; --enable-unsafe-webgpu is the one that gives an adapter. */
export const chromiumArgs = [
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** $MINEVO_CHROMIUM, else /usr/bin/chromium; a clear error naming the fix when neither exists. */
export function findChromium(): string {
  const candidates = [process.env.MINEVO_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter((c): c is string => c !== undefined && c !== "");
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error(
    `apps/web's browser test needs Chromium, and none was found (looked at ${candidates.join(", ")}). ` +
      "Install Debian's package with `sudo bash scripts/setup-chromium.sh` (apt-get install chromium), " +
      "or point MINEVO_CHROMIUM at a Chromium binary.",
  );
}

export interface LaunchedChromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(executablePath: string): Promise<LaunchedChromium> {
  const userDataDir = mkdtempSync(join(tmpdir(), "minevo-web-chromium-"));
  // headless: true is Chromium's new headless mode; the old --headless switch wants an X server.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1440, height: 1000 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
