// Shared vitest settings: tests run against each package's TypeScript sources through the
// "@minevo/source" export condition, so no build is needed to test a package.
import { defineConfig } from "vitest/config";

export const sourceConditions = ["@minevo/source", "module", "node", "import", "default"];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ["@minevo/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // A hang guard, not a timing check: turbo runs every package's suite at once on CI's two
    // cores, and the heavier accuracy tests (17 s alone) have taken 90 s under that load.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: "forks",
    reporters: ["default"],
  },
});
