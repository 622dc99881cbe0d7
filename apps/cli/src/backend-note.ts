import type { ActiveBackend } from "@minevo/core";
import type { ProgressSink } from "./progress.js";

/**
 * The one hint the command gives about speed: TensorFlow.js's own banner ("Hi, looks like you are
 * running TensorFlow.js in Node.js…", silenced in main.ts) points to tfjs-node, which this
 * project does not need on a CPU; the fast CPU path here is the wasm backend.
 */
export function noteBackend(backend: ActiveBackend, progress: ProgressSink): void {
  if (backend.tfBackend === "cpu") {
    progress.note("note: the cpu backend is plain JavaScript, about 20× slower than wasm per step; --backend wasm is the fast CPU path");
  }
}
