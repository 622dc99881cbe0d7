/**
 * The sampler's Web Worker: selects the compute backend, runs runOuSampler on the page's
 * configuration and streams its progress back, so the page stays responsive however long the run.
 *
 * TensorFlow.js is imported once here (a second copy of tfjs-core would not see the backends the
 * first registered); gradients are registered for typed formulas, whose score is autodiff's.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import "@minevo/backend-cpu";
import "@minevo/backend-webgpu";
import "@minevo/integrators";
import "@minevo/networks";
import "@minevo/sketching";
import { ErrorCode, MinevoError, isMinevoError, selectBackend, type ActiveBackend } from "@minevo/core";
import { runOuSampler, type OuSamplerPointsProgress, type OuSamplerProgress } from "@minevo/diffusion";
import { learnedLogDensityGrids, targetLogDensityGrid } from "./density-grid.js";
import type { BackendInfo, PageMessage, ProgressData, RunSummary, StartMessage, WorkerMessage } from "./protocol.js";
import type { RunConfig } from "./run-config.js";
import { samplerOptions } from "./sampler-options.js";
import { viewOf } from "./presets.js";

/** The grid the densities are drawn from (cells per side). */
const gridResolution = 72;

interface WorkerScope {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<PageMessage>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let wasmPathsSet = false;
let current: { runId: number; controller: AbortController; stopFlag: Int32Array | null } | null = null;

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

async function activateBackend(config: RunConfig): Promise<BackendInfo> {
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  let active: ActiveBackend;
  if (config.backend === "auto" && config.allowSoftwareAdapter) {
    // `auto` passes over a software WebGPU adapter by design; asked to allow one, try it first.
    try {
      active = await selectBackend({ name: "webgpu", options: { allowSoftwareAdapter: true } }, { log });
    } catch (error) {
      log(`webgpu (software adapter allowed) unavailable: ${error instanceof Error ? error.message : String(error)}`);
      active = await selectBackend("auto", { log });
    }
  } else if (config.backend === "webgpu") {
    active = await selectBackend({ name: "webgpu", options: { allowSoftwareAdapter: config.allowSoftwareAdapter } }, { log });
  } else {
    active = await selectBackend(config.backend, { log });
  }
  if (active.tf !== tf) {
    throw new MinevoError(ErrorCode.BackendUnavailable, "the backend package loaded a second copy of @tensorflow/tfjs-core; the bundle must hold exactly one");
  }
  const notes = [...new Set([...lines.filter((l) => !l.startsWith("backend: ")), ...active.notes])];
  return { name: active.name, tfBackend: active.tfBackend, engine: active.engine, accelerated: active.accelerated, notes };
}

function pointsCaption(progress: OuSamplerPointsProgress): string {
  if (progress.source === "mala") return `collocation points: MALA move ${progress.move}/${progress.moves}${progress.round === 2 ? " (after restarts)" : ""}`;
  return `${progress.source === "smc" ? "collocation points" : "standardising pilot"}: SMC stage ${progress.smcStage}, β = ${progress.beta.toFixed(3)}`;
}

function progressData(progress: OuSamplerProgress): { data: ProgressData; transfer: Transferable[] } {
  switch (progress.stage) {
    case "points":
      return { data: { stage: "points", caption: pointsCaption(progress) }, transfer: [] };
    case "fit":
      return { data: { stage: "fit", iteration: progress.iteration, valueRms: progress.valueRms }, transfer: [] };
    case "forward":
      return {
        data: {
          stage: "forward",
          t: progress.t,
          stepSize: progress.stepSize,
          acceptedSteps: progress.acceptedSteps,
          rejectedSteps: progress.rejectedSteps,
          effectiveRank: progress.effectiveRank,
          points: progress.points,
        },
        // The points are the callee's copy: hand the buffer over instead of cloning it.
        transfer: [progress.points.buffer],
      };
    case "sample":
      return { data: { stage: "sample", t: progress.t, acceptedSteps: progress.acceptedSteps, rejectedSteps: progress.rejectedSteps }, transfer: [] };
    default:
      return { data: { stage: "weights" }, transfer: [] };
  }
}

async function run(message: StartMessage): Promise<void> {
  const { runId, config } = message;
  const controller = new AbortController();
  const stopFlag = message.stopFlag !== undefined ? new Int32Array(message.stopFlag) : null;
  current = { runId, controller, stopFlag };
  try {
    // Once per worker: after a failed wasm initialisation tfjs refuses further calls.
    if (!wasmPathsSet) {
      setWasmPaths(message.wasmPaths);
      wasmPathsSet = true;
    }
    const backend = await activateBackend(config);
    post({ type: "backend", runId, backend });

    const options = samplerOptions(config, tf);
    const view = viewOf(config.target);
    const targetGrid = await targetLogDensityGrid(tf, options.target, view, gridResolution);
    post({ type: "target-grid", runId, grid: targetGrid, exactLogZ: options.target.logZ ?? null, description: options.target.description }, [targetGrid.values.buffer]);

    const tensorsBefore = tf.memory().numTensors;
    const result = await runOuSampler({
      ...options,
      signal: controller.signal,
      onProgress: (progress) => {
        const { data, transfer } = progressData(progress);
        post({ type: "progress", runId, progress: data }, transfer);
        if (stopFlag !== null && Atomics.load(stopFlag, 0) === 1) controller.abort();
      },
    });
    const learnedGrids = await learnedLogDensityGrids(tf, result, view, gridResolution);
    const summary: RunSummary = {
      logZ: result.logZ,
      logZForward: result.logZForward,
      exactLogZ: options.target.logZ ?? null,
      ess: result.ess,
      essFraction: result.essFraction,
      numSamples: config.numSamples,
      acceptanceRate: result.chain.acceptanceRate,
      samples: result.samples,
      logWeights: result.logWeights,
      pointPaths: result.pointPaths,
      learnedGrids,
      fit: { iterations: result.fit.iterations, valueRms: result.fit.valueRms, warnings: [...result.fit.warnings] },
      forward: { status: result.forward.status, acceptedSteps: result.forward.acceptedSteps, rejectedSteps: result.forward.rejectedSteps },
      sampler: { acceptedSteps: result.sampler.acceptedSteps, rejectedSteps: result.sampler.rejectedSteps },
      effectiveRanks: Float64Array.from(result.diagnostics.forwardSteps, (s) => s.effectiveRank),
      timings: result.timings,
      tensorsBefore,
      tensorsAfter: tf.memory().numTensors,
    };
    post({ type: "result", runId, summary }, [
      summary.samples.buffer,
      summary.logWeights.buffer,
      summary.pointPaths.times.buffer,
      summary.pointPaths.points.buffer,
      ...learnedGrids.map((g) => g.values.buffer),
    ]);
  } catch (error) {
    if (isMinevoError(error, ErrorCode.Aborted)) {
      post({ type: "stopped", runId, message: error.message });
    } else {
      const code = error instanceof MinevoError ? error.code : null;
      post({ type: "failed", runId, code, message: error instanceof Error ? error.message : String(error) });
    }
  } finally {
    current = null;
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === "start") {
    if (current !== null) {
      post({ type: "failed", runId: message.runId, code: ErrorCode.InvalidArgument, message: `run ${current.runId} is still going: stop it first` });
      return;
    }
    void run(message);
  } else if (message.type === "stop" && current?.runId === message.runId) {
    current.controller.abort();
  }
};

post({ type: "ready" });
