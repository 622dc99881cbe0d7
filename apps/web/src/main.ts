/**
 * The page: a form for the run, the worker that computes it, and two plots — the collocation
 * points X(t) flowing (live) and the learned density u_θ(t) evolving (replayed from the recorded
 * path once the forward run is done), and the reverse-flow samples over the target's contours —
 * with log Ẑ, ESS and the backend in use.
 *
 * Elements carry `data-value` with the full-precision number behind each rounded figure, for the
 * browser test and for anyone copying a result.
 */
import "./style.css";
import type { DensityGrid } from "./density-grid.js";
import { compileFormula } from "./formula.js";
import { PlotCanvas } from "./plot.js";
import type { BackendInfo, PageMessage, ProgressData, RunSummary, WorkerMessage } from "./protocol.js";
import { checkRunConfig, type BackendChoice, type RunConfig } from "./run-config.js";
import { targetPresets, viewOf } from "./presets.js";
import { runConfigFromSearch } from "./url-parameters.js";

const defaultFormula = "logaddexp(log(0.3) - ((x + 2)^2 + y^2), log(0.7) - ((x - 2)^2 + (y - 1)^2) / 1.2)";
/** How long Stop waits for the worker to confirm before terminating it. */
const stopGraceMs = 5000;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no element #${id}`);
  return found as T;
}

const form = element<HTMLFormElement>("controls");
const targetSelect = element<HTMLSelectElement>("target");
const formulaBox = element<HTMLDivElement>("formula-box");
const formulaInput = element<HTMLTextAreaElement>("formula");
const startButton = element<HTMLButtonElement>("start");
const stopButton = element<HTMLButtonElement>("stop");
const statusLine = element<HTMLParagraphElement>("status");
const backendLine = element<HTMLParagraphElement>("backend-info");
const playButton = element<HTMLButtonElement>("play");
const timeSlider = element<HTMLInputElement>("time-slider");
const timeLabel = element<HTMLSpanElement>("time-label");
const evolutionCaption = element<HTMLSpanElement>("evolution-caption");
const warningsList = element<HTMLUListElement>("warnings");

const numberInputs = {
  numPoints: element<HTMLInputElement>("num-points"),
  numExtraFitPoints: element<HTMLInputElement>("extra-fit-points"),
  fitIterations: element<HTMLInputElement>("fit-iterations"),
  sketchSize: element<HTMLInputElement>("sketch-size"),
  tolerance: element<HTMLInputElement>("tolerance"),
  samplerTolerance: element<HTMLInputElement>("sampler-tolerance"),
  horizon: element<HTMLInputElement>("horizon"),
  numSamples: element<HTMLInputElement>("num-samples"),
  seed: element<HTMLInputElement>("seed"),
} as const;
const viewInputs = {
  xMin: element<HTMLInputElement>("view-xmin"),
  xMax: element<HTMLInputElement>("view-xmax"),
  yMin: element<HTMLInputElement>("view-ymin"),
  yMax: element<HTMLInputElement>("view-ymax"),
} as const;
const backendSelect = element<HTMLSelectElement>("backend");
const allowSoftware = element<HTMLInputElement>("allow-software");

for (const preset of targetPresets) targetSelect.add(new Option(preset.label, preset.id));
targetSelect.add(new Option("a formula you type…", "formula"));

/** Path times not recorded by the URL or form (they only set how finely the replay is kept). */
let recordPathSteps = 26;

function fillForm(config: RunConfig): void {
  for (const [field, input] of Object.entries(numberInputs)) input.value = String(config[field as keyof typeof numberInputs]);
  if (config.target.kind === "formula") {
    targetSelect.value = "formula";
    formulaInput.value = config.target.formula;
    for (const [edge, input] of Object.entries(viewInputs)) input.value = String(config.target.view[edge as keyof typeof viewInputs]);
  } else {
    targetSelect.value = config.target.id;
    formulaInput.value = defaultFormula;
  }
  formulaBox.hidden = targetSelect.value !== "formula";
  backendSelect.value = config.backend;
  allowSoftware.checked = config.allowSoftwareAdapter;
  recordPathSteps = config.recordPathSteps;
}

function readForm(): RunConfig {
  const numbers = Object.fromEntries(Object.entries(numberInputs).map(([field, input]) => [field, Number(input.value)])) as Record<keyof typeof numberInputs, number>;
  const target: RunConfig["target"] =
    targetSelect.value === "formula"
      ? {
          kind: "formula",
          formula: formulaInput.value,
          view: { xMin: Number(viewInputs.xMin.value), xMax: Number(viewInputs.xMax.value), yMin: Number(viewInputs.yMin.value), yMax: Number(viewInputs.yMax.value) },
        }
      : { kind: "preset", id: targetSelect.value };
  // A typo in the formula is reported here, before the worker is asked to run it.
  if (target.kind === "formula") compileFormula(target.formula);
  return checkRunConfig({ ...numbers, target, recordPathSteps, backend: backendSelect.value as BackendChoice, allowSoftwareAdapter: allowSoftware.checked });
}

targetSelect.addEventListener("change", () => {
  formulaBox.hidden = targetSelect.value !== "formula";
});

// ---- what is drawn -------------------------------------------------------------------------

interface PageState {
  config: RunConfig | null;
  targetGrid: DensityGrid | null;
  /** The latest progress event. */
  progress: ProgressData | null;
  /** The latest X(t) of the forward run, and its t. */
  livePoints: { t: number; points: Float64Array } | null;
  summary: RunSummary | null;
  /** Index into summary.pointPaths.times shown by the replay. */
  frame: number;
}

const state: PageState = { config: null, targetGrid: null, progress: null, livePoints: null, summary: null, frame: 0 };
const initialView = { xMin: -5, xMax: 5, yMin: -5, yMax: 5 };
const evolutionPlot = new PlotCanvas(element<HTMLCanvasElement>("evolution-canvas"), initialView);
const samplesPlot = new PlotCanvas(element<HTMLCanvasElement>("samples-canvas"), initialView);

let drawPending = false;
function requestDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
  });
}

function progressCaption(progress: ProgressData | null): string {
  if (progress === null) return "";
  switch (progress.stage) {
    case "points":
      return progress.caption;
    case "fit":
      return `fitting u_θ(0) ≈ log π̃: iteration ${progress.iteration}, value RMS ${progress.valueRms.toExponential(2)}`;
    case "forward":
      return `forward: t = ${progress.t.toFixed(3)}, step ${progress.acceptedSteps} (+${progress.rejectedSteps} rejected), effective rank ${progress.effectiveRank}`;
    case "sample":
      return `reverse flow: t = ${progress.t.toFixed(3)}, step ${progress.acceptedSteps}`;
    default:
      return "importance weights";
  }
}

function draw(): void {
  const view = state.config !== null ? viewOf(state.config.target) : initialView;
  evolutionPlot.setView(view);
  samplesPlot.setView(view);
  evolutionPlot.clear();
  samplesPlot.clear();
  const summary = state.summary;
  if (summary !== null) {
    const k = Math.min(state.frame, summary.learnedGrids.length - 1);
    const grid = summary.learnedGrids[k];
    const t = summary.pointPaths.times[k] as number;
    if (grid !== undefined) evolutionPlot.heatMap(grid);
    if (state.targetGrid !== null && k === 0) evolutionPlot.contours(state.targetGrid, "rgba(255,255,255,0.8)");
    const n = summary.pointPaths.points.length / summary.pointPaths.times.length;
    evolutionPlot.points(summary.pointPaths.points.subarray(k * n, (k + 1) * n), "#ff7f0e", 1.8, 0.85);
    evolutionPlot.caption(`learned density u_θ(t) and points X(t), t = ${t.toFixed(2)}`);
    timeLabel.textContent = `t = ${t.toFixed(2)}`;
  } else {
    if (state.targetGrid !== null) evolutionPlot.contours(state.targetGrid, "#6b6b80");
    if (state.livePoints !== null) evolutionPlot.points(state.livePoints.points, "#d95f02", 1.8, 0.8);
    const caption = progressCaption(state.progress);
    if (caption !== "") evolutionPlot.caption(caption);
  }
  if (state.targetGrid !== null) samplesPlot.heatMap(state.targetGrid);
  if (summary !== null) {
    samplesPlot.points(summary.samples, "#e8463a", 1.4, 0.55);
    if (state.targetGrid !== null) samplesPlot.contours(state.targetGrid, "rgba(255,255,255,0.9)");
    samplesPlot.caption(`${summary.numSamples} samples of the reverse flow`);
  } else if (state.targetGrid !== null) {
    samplesPlot.caption("the target π̃");
  }
}

// ---- figures ---------------------------------------------------------------------------------

function showNumber(id: string, value: number | null, text: string): void {
  const cell = element<HTMLTableCellElement>(id);
  cell.textContent = text;
  if (value === null) delete cell.dataset.value;
  else cell.dataset.value = String(value);
}

function clearFigures(): void {
  for (const id of ["log-z", "exact-log-z", "log-z-forward", "ess", "ess-fraction", "mh-acceptance", "steps", "timings"]) showNumber(id, null, "–");
  warningsList.replaceChildren();
}

function showSummary(summary: RunSummary): void {
  showNumber("log-z", summary.logZ, summary.logZ.toFixed(5));
  showNumber("exact-log-z", summary.exactLogZ, summary.exactLogZ === null ? "unknown" : summary.exactLogZ.toFixed(5));
  showNumber("log-z-forward", summary.logZForward, summary.logZForward.toFixed(5));
  showNumber("ess", summary.ess, `${summary.ess.toFixed(1)} of ${summary.numSamples}`);
  showNumber("ess-fraction", summary.essFraction, summary.essFraction.toFixed(4));
  showNumber("mh-acceptance", summary.acceptanceRate, summary.acceptanceRate.toFixed(3));
  showNumber(
    "steps",
    summary.forward.acceptedSteps,
    `fit ${summary.fit.iterations} LM iterations (value RMS ${summary.fit.valueRms.toExponential(2)}); forward ${summary.forward.acceptedSteps} (+${summary.forward.rejectedSteps} rejected); reverse flow ${summary.sampler.acceptedSteps} (+${summary.sampler.rejectedSteps})`,
  );
  const t = summary.timings;
  showNumber("timings", t.fit + t.forward + t.sample + t.weights, `fit ${t.fit.toFixed(1)}, forward ${t.forward.toFixed(1)}, sampling ${t.sample.toFixed(1)}, weights ${t.weights.toFixed(2)}`);
  const warnings = [...summary.fit.warnings];
  if (summary.tensorsAfter !== summary.tensorsBefore) warnings.push(`${summary.tensorsAfter - summary.tensorsBefore} tensors were left undisposed by the run`);
  warningsList.replaceChildren(...warnings.map((w) => Object.assign(document.createElement("li"), { textContent: w })));
}

function showBackend(backend: BackendInfo): void {
  backendLine.dataset.value = backend.name;
  backendLine.dataset.tfBackend = backend.tfBackend;
  backendLine.dataset.engine = backend.engine;
  const lines = [`backend: ${backend.name} — ${backend.engine}${backend.accelerated ? "" : " (on the CPU)"}`, ...backend.notes.map((n) => `  ${n}`)];
  backendLine.textContent = lines.join("\n");
}

function setStatus(kind: "idle" | "running" | "stopping" | "done" | "stopped" | "failed", text: string): void {
  statusLine.dataset.state = kind;
  statusLine.textContent = text;
  const busy = kind === "running" || kind === "stopping";
  startButton.disabled = busy;
  stopButton.disabled = kind !== "running";
}

// ---- the worker ------------------------------------------------------------------------------

let worker: Worker;
let runId = 0;
let running = false;
let stopTimer: ReturnType<typeof setTimeout> | undefined;
let stopFlag: SharedArrayBuffer | undefined;

function createWorker(): Worker {
  const created = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: "minevo-sampler" });
  created.onmessage = (event: MessageEvent<WorkerMessage>) => onWorkerMessage(event.data);
  created.onerror = (event) => {
    event.preventDefault();
    finish("failed", `the worker failed: ${event.message}`);
  };
  return created;
}

function finish(kind: "done" | "stopped" | "failed", text: string): void {
  running = false;
  clearTimeout(stopTimer);
  setStatus(kind, text);
}

function onWorkerMessage(message: WorkerMessage): void {
  if (message.type === "ready" || message.runId !== runId || !running) return;
  switch (message.type) {
    case "backend":
      showBackend(message.backend);
      return;
    case "target-grid":
      state.targetGrid = message.grid;
      showNumber("exact-log-z", message.exactLogZ, message.exactLogZ === null ? "unknown" : message.exactLogZ.toFixed(5));
      requestDraw();
      return;
    case "progress":
      state.progress = message.progress;
      if (message.progress.stage === "forward") state.livePoints = { t: message.progress.t, points: message.progress.points };
      if (statusLine.dataset.state === "running") statusLine.textContent = `running — ${progressCaption(message.progress)}`;
      requestDraw();
      return;
    case "result": {
      state.summary = message.summary;
      const frames = message.summary.pointPaths.times.length;
      state.frame = frames - 1;
      timeSlider.max = String(frames - 1);
      timeSlider.value = String(frames - 1);
      timeSlider.disabled = frames < 2;
      playButton.disabled = frames < 2;
      evolutionCaption.textContent = "the learned density u_θ(t) and the collocation points X(t): drag or play to replay t = 0 → T";
      showSummary(message.summary);
      finish("done", `done: log Ẑ = ${message.summary.logZ.toFixed(4)}, ESS/M = ${message.summary.essFraction.toFixed(3)}`);
      requestDraw();
      return;
    }
    case "stopped":
      finish("stopped", `stopped: ${message.message}`);
      return;
    case "failed":
      finish("failed", `failed${message.code !== null ? ` (${message.code})` : ""}: ${message.message}`);
      return;
  }
}

function start(): void {
  if (running) return;
  let config: RunConfig;
  try {
    config = readForm();
  } catch (error) {
    setStatus("failed", `not started: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  runId += 1;
  running = true;
  stopAnimation();
  Object.assign(state, { config, targetGrid: null, progress: null, livePoints: null, summary: null, frame: 0 });
  timeSlider.disabled = true;
  playButton.disabled = true;
  timeLabel.textContent = "t = –";
  evolutionCaption.textContent = "collocation points X(t) as the forward run moves them";
  clearFigures();
  backendLine.textContent = "backend: selecting…";
  delete backendLine.dataset.value;
  // Shared memory needs a cross-origin-isolated page (COOP/COEP headers): then Stop reaches the
  // worker between two steps even while the run never yields to the worker's event loop.
  stopFlag = globalThis.crossOriginIsolated === true ? new SharedArrayBuffer(4) : undefined;
  const message: PageMessage = {
    type: "start",
    runId,
    config,
    wasmPaths: new URL("tfjs-wasm/", document.baseURI).href,
    ...(stopFlag !== undefined ? { stopFlag } : {}),
  };
  setStatus("running", "running — starting");
  worker.postMessage(message);
  requestDraw();
}

function stop(): void {
  if (!running) return;
  const stoppingRun = runId;
  if (stopFlag !== undefined) Atomics.store(new Int32Array(stopFlag), 0, 1);
  worker.postMessage({ type: "stop", runId } satisfies PageMessage);
  setStatus("stopping", "stopping after the current step…");
  stopTimer = setTimeout(() => {
    if (!running || runId !== stoppingRun) return;
    // The worker did not answer: end it the hard way and start a fresh one for the next run.
    worker.terminate();
    worker = createWorker();
    finish("stopped", `stopped: the worker did not answer within ${stopGraceMs / 1000} s, so it was terminated`);
  }, stopGraceMs);
}

// ---- replay ----------------------------------------------------------------------------------

let animation: ReturnType<typeof setInterval> | undefined;
function stopAnimation(): void {
  clearInterval(animation);
  animation = undefined;
  playButton.textContent = "Play";
}
playButton.addEventListener("click", () => {
  if (animation !== undefined || state.summary === null) {
    stopAnimation();
    return;
  }
  const frames = state.summary.pointPaths.times.length;
  if (state.frame >= frames - 1) state.frame = 0;
  playButton.textContent = "Pause";
  animation = setInterval(() => {
    state.frame += 1;
    timeSlider.value = String(state.frame);
    requestDraw();
    if (state.frame >= frames - 1) stopAnimation();
  }, 120);
});
timeSlider.addEventListener("input", () => {
  stopAnimation();
  state.frame = Number(timeSlider.value);
  requestDraw();
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  start();
});
stopButton.addEventListener("click", stop);

try {
  fillForm(runConfigFromSearch(location.search));
} catch (error) {
  fillForm(runConfigFromSearch(""));
  setStatus("failed", `the URL's settings were ignored: ${error instanceof Error ? error.message : String(error)}`);
}
worker = createWorker();
draw();
