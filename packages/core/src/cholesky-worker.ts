/**
 * A second thread for `cholesky` in Node: one worker (worker_threads) that takes every other
 * 4-row panel of the factor over shared memory, so that the float64 factorisations of the initial
 * fit's p×p systems (and the dense strategy's N×N kernels) use two cores. The factor is bitwise
 * the one-thread factor (see `choleskyPanels`), so results do not depend on whether it runs.
 *
 * Started by `startCholeskyWorker()` (the initial fit and `evolve` call it), a no-op outside Node or without
 * SharedArrayBuffer. The worker runs `choleskyPanels`' own source text (an eval worker: no file to
 * locate in bundles or under test runners), does not keep the process alive, and is given up —
 * every factorisation then runs on the calling thread — if it fails to start or ever stalls.
 */
import { choleskyPanels } from "./cholesky-panels.js";

interface WorkerLike {
  postMessage(message: unknown): void;
  once(event: "message" | "error" | "exit", listener: (value: unknown) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}

interface WorkerThreadsModule {
  Worker: new (code: string, options: { eval: true }) => WorkerLike;
}

/**
 * Below this order the hand-off (A copied into shared memory, the worker woken, a wait per panel)
 * is a large share of the work; bench:fit times one and two threads from n = 600 up.
 */
const minimumOrder = 400;
/** How long a thread waits for the other's panel before the factorisation falls back to one thread. */
const patienceMs = 30_000;

let worker: WorkerLike | undefined;
let starting: Promise<boolean> | undefined;
/** The shared copy of A, reused between factorisations of one order (it is read only during the call). */
let input: Float64Array | undefined;

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof proc?.versions?.node === "string";
}

const workerSource = (kernel: string) => `
const { parentPort } = require("node:worker_threads");
const choleskyPanels = ${kernel};
parentPort.on("message", (job) => {
  if (job === "ping") return parentPort.postMessage("ready");
  choleskyPanels(new Float64Array(job.l), new Float64Array(job.src), job.n, new Int32Array(job.state), new Float64Array(job.failure), job.patienceMs);
});
`;

/**
 * Starts the worker once (later calls return the first call's answer): true when `cholesky` will
 * use two threads for orders ≥ 256, false where it cannot (a browser, no SharedArrayBuffer, a
 * worker that did not start).
 */
export function startCholeskyWorker(): Promise<boolean> {
  starting ??= (async () => {
    if (!isNode() || typeof SharedArrayBuffer !== "function") return false;
    try {
      // A variable specifier keeps browser bundlers from resolving a Node built-in.
      const specifier = "node:worker_threads";
      const threads = (await import(/* @vite-ignore */ specifier)) as WorkerThreadsModule;
      const candidate = new threads.Worker(workerSource(choleskyPanels.toString()), { eval: true });
      candidate.unref();
      const ready = await new Promise<boolean>((resolve) => {
        candidate.once("message", (message) => resolve(message === "ready"));
        candidate.once("error", () => resolve(false));
        candidate.once("exit", () => resolve(false));
        candidate.postMessage("ping");
      });
      if (!ready) {
        await candidate.terminate();
        return false;
      }
      worker = candidate;
      // A worker that ends (a crash, a terminate elsewhere) is not waited for again.
      candidate.once("exit", () => {
        if (worker === candidate) worker = undefined;
      });
      return true;
    } catch {
      return false;
    }
  })();
  return starting;
}

/** Stops the worker (tests; a long-lived process that wants its thread back). */
export async function stopCholeskyWorker(): Promise<void> {
  const running = worker;
  worker = undefined;
  starting = undefined;
  if (running !== undefined) await running.terminate();
}

/** Whether `cholesky` currently hands panels to the worker. */
export function choleskyWorkerRunning(): boolean {
  return worker !== undefined;
}

/**
 * The panels of L on this thread and the worker together, or undefined when there is no worker
 * or the order is small, or when the worker stalled (it is then given up, and the caller factors
 * alone). A pivot that is not positive comes back as `{ pivot, value }`, as one thread finds it.
 */
export function choleskyPanelsInParallel(src: ArrayLike<number>, n: number): { readonly l: Float64Array } | { readonly pivot: number; readonly value: number } | undefined {
  if (worker === undefined || n < minimumOrder) return undefined;
  const panels = Math.floor(n / 4);
  const l = new Float64Array(new SharedArrayBuffer(8 * n * n));
  if (input?.length !== n * n) input = new Float64Array(new SharedArrayBuffer(8 * n * n));
  const shared = input;
  shared.set(src);
  const state = new Int32Array(new SharedArrayBuffer(4 * (2 + panels)));
  const failure = new Float64Array(new SharedArrayBuffer(16));
  worker.postMessage({ l: l.buffer, src: shared.buffer, n, state: state.buffer, failure: failure.buffer, patienceMs });
  choleskyPanels(l, shared, n, state, failure, patienceMs);
  // The worker may still be on its last panel.
  for (let p = 0; p < panels && Atomics.load(state, 1) === 0; p++) {
    const start = Date.now();
    while (Atomics.load(state, 2 + p) === 0 && Atomics.load(state, 1) === 0) {
      if (Date.now() - start > patienceMs) {
        failure[0] = -1;
        Atomics.store(state, 1, 1);
        break;
      }
      Atomics.wait(state, 2 + p, 0, 20);
    }
  }
  if (Atomics.load(state, 1) === 0) return { l };
  if (failure[0] !== -1) return { pivot: failure[0] as number, value: failure[1] as number };
  void stopCholeskyWorker();
  return undefined;
}
