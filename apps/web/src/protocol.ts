/** The messages between the page and the sampler's Web Worker (structured-clone data only). */
import type { DensityGrid } from "./density-grid.js";
import type { RunConfig } from "./run-config.js";

export interface StartMessage {
  readonly type: "start";
  readonly runId: number;
  readonly config: RunConfig;
  /** Where the tfjs-backend-wasm .wasm files are served (absolute URL ending in "/"). */
  readonly wasmPaths: string;
  /**
   * One Int32 set to 1 by the page's Stop button. Shared memory, so the worker sees it between two
   * steps even while a step never yields to the event loop (the cpu backend's awaits resolve as
   * microtasks, so a posted "stop" message would wait for the run to end). Absent when the page is
   * not cross-origin isolated; then the posted message and, failing that, terminate() stop it.
   */
  readonly stopFlag?: SharedArrayBuffer;
}

export interface StopMessage {
  readonly type: "stop";
  readonly runId: number;
}

export type PageMessage = StartMessage | StopMessage;

export interface BackendInfo {
  readonly name: string;
  readonly tfBackend: string;
  readonly engine: string;
  readonly accelerated: boolean;
  /** Why a better backend was passed over (selectBackend's notes and log lines). */
  readonly notes: readonly string[];
}

/** A progress event of runOuSampler, as plain data. */
export type ProgressData =
  /** Drawing the collocation points (MALA or SMC on π̃) before the fit. */
  | { readonly stage: "points"; readonly caption: string }
  | { readonly stage: "fit"; readonly iteration: number; readonly valueRms: number }
  | {
      readonly stage: "forward";
      readonly t: number;
      readonly stepSize: number;
      readonly acceptedSteps: number;
      readonly rejectedSteps: number;
      readonly effectiveRank: number;
      /** X(t), N×2 row-major. */
      readonly points: Float64Array;
    }
  | { readonly stage: "sample"; readonly t: number; readonly acceptedSteps: number; readonly rejectedSteps: number }
  | { readonly stage: "weights" };

export interface RunSummary {
  readonly logZ: number;
  readonly logZForward: number;
  readonly exactLogZ: number | null;
  readonly ess: number;
  readonly essFraction: number;
  readonly numSamples: number;
  readonly acceptanceRate: number;
  /** x₀, M×2: the raw reverse-flow draws. */
  readonly samples: Float64Array;
  /** log w of each draw. */
  readonly logWeights: Float64Array;
  readonly pointPaths: { readonly times: Float64Array; readonly points: Float64Array };
  /** u_θ(t) on the grid at pointPaths.times. */
  readonly learnedGrids: readonly DensityGrid[];
  readonly fit: { readonly iterations: number; readonly valueRms: number; readonly warnings: readonly string[] };
  readonly forward: { readonly status: string; readonly acceptedSteps: number; readonly rejectedSteps: number };
  readonly sampler: { readonly acceptedSteps: number; readonly rejectedSteps: number };
  readonly effectiveRanks: Float64Array;
  readonly timings: { readonly fit: number; readonly forward: number; readonly sample: number; readonly weights: number };
  /** tf.memory().numTensors after the run and the grids: the same count before and after means no leak. */
  readonly tensorsBefore: number;
  readonly tensorsAfter: number;
}

export type WorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "backend"; readonly runId: number; readonly backend: BackendInfo }
  | { readonly type: "target-grid"; readonly runId: number; readonly grid: DensityGrid; readonly exactLogZ: number | null; readonly description: string }
  | { readonly type: "progress"; readonly runId: number; readonly progress: ProgressData }
  | { readonly type: "result"; readonly runId: number; readonly summary: RunSummary }
  | { readonly type: "stopped"; readonly runId: number; readonly message: string }
  | { readonly type: "failed"; readonly runId: number; readonly code: string | null; readonly message: string };
