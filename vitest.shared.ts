// Shared vitest settings: tests run against each package's TypeScript sources through the
// "@minevo/source" export condition, so no build is needed to test a package.
import { defineConfig } from "vitest/config";

export const sourceConditions = ["@minevo/source", "module", "node", "import", "default"];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ["@minevo/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
  },
});
