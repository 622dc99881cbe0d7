// When the WebAssembly binaries cannot be loaded, TensorFlow.js's setBackend("wasm") resolves to
// false and tfjs would compute on another backend; minevo must say so instead. (A file of its own:
// the wasm paths are process-wide state of @tensorflow/tfjs-backend-wasm.)
import { ErrorCode, isMinevoError, selectBackend } from "@minevo/core";
import { describe, expect, it } from "vitest";
import "./index.js";

describe("wasm that cannot initialise", () => {
  it("naming it fails with BACKEND_UNAVAILABLE instead of silently running elsewhere", async () => {
    const error = await selectBackend({ name: "wasm", options: { wasmPaths: "/nonexistent/minevo-wasm/" } }).catch((e: unknown) => e);
    expect(isMinevoError(error, ErrorCode.BackendUnavailable)).toBe(true);
    expect((error as Error).message).toMatch(
      /^TensorFlow\.js did not switch to its "wasm" backend \(setBackend returned false, the active backend is "\w+"\); check that the tfjs-backend-wasm\*\.wasm files are served from "\/nonexistent\/minevo-wasm\/"$/,
    );
  });

  it('"auto" then falls back to cpu and notes why', async () => {
    const active = await selectBackend("auto");
    expect(active.name).toBe("cpu");
    expect(active.tf.getBackend()).toBe("cpu");
    expect(active.notes).toHaveLength(1);
    expect(active.notes[0]).toMatch(/^backend "wasm" failed to initialise: TensorFlow\.js did not switch to its "wasm" backend/);
  });
});
