import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.ts";

// The CLI's tests spawn the command as a child process (a real exit code, real signals), one
// file at a time so that two runs do not compete for the machine's cores.
export default mergeConfig(shared, defineConfig({ test: { testTimeout: 300_000, fileParallelism: false } }));
