/**
 * The stage both OU samplers share (the unconditional `runOuSampler` and the conditional
 * `runConditionalOuSampler`): the initial fit, then the forward evolution of (θ, X) with dense
 * output, with checkpoints after the fit, every `everySteps` accepted forward steps and at the end,
 * resumption from any of them, progress events and aborts by signal.
 *
 * A {@link SamplerRun} carries what outlives the stage: the latest checkpoint (re-saved when an
 * abort comes in a later stage that is not checkpointed itself, the reverse flow) and `abort`,
 * which throws the `Aborted` error naming where the run stopped and whether a checkpoint exists.
 */
import { ErrorCode, MinevoError, isMinevoError, quote, type IntegrationResult, type RandomStream, type ResumableIntegrator, type SolveSnapshot, type StepReport } from "@minevo/core";
import type { InitialConditionTarget, InitialFitProgress, InitialFitReport, MneState, Solver } from "@minevo/evolution";
import { fitCompleteCheckpoint, forwardCheckpoint, type OuSamplerCheckpoint, type OuSamplerForwardStep } from "./checkpoint.js";
import type { OuSamplerCheckpointOptions, OuSamplerFitProgress, OuSamplerForwardProgress } from "./ou-sampler.js";

/** The latest checkpoint of a run and its abort. */
export class SamplerRun {
  private latest: OuSamplerCheckpoint | undefined;

  constructor(
    /** The sampler's name, for messages ("runOuSampler"). */
    private readonly sampler: string,
    private readonly checkpoint: OuSamplerCheckpointOptions | undefined,
    resume: OuSamplerCheckpoint | undefined,
  ) {
    this.latest = resume;
  }

  async save(next: OuSamplerCheckpoint): Promise<void> {
    this.latest = next;
    await this.checkpoint?.save(next);
  }

  /**
   * Throws MinevoError `Aborted` saying where; with `saveLatest` the latest checkpoint is saved
   * again first (an abort in a stage that is not checkpointed itself).
   */
  async abort(where: string, saveLatest: boolean): Promise<never> {
    if (saveLatest && this.checkpoint !== undefined && this.latest !== undefined) await this.checkpoint.save(this.latest);
    const saved = this.checkpoint !== undefined && this.latest !== undefined;
    throw new MinevoError(
      ErrorCode.Aborted,
      `${this.sampler} was aborted ${where}; ` +
        (saved ? `the checkpoint of phase "${this.latest?.phase}" was saved: pass it as \`resume\` to continue` : "no checkpoint was saved (configure `checkpoint` to resume later)"),
      { stage: where, phase: this.latest?.phase },
    );
  }
}

export interface FitAndForwardOptions {
  readonly run: SamplerRun;
  readonly solver: Solver;
  /** The solver's integrator, or its resumable view when checkpointing or resuming. */
  readonly integrator: Solver["integrator"];
  /** X(0) (the resumed run's own when resuming). */
  readonly points: Float64Array;
  /** The fit's points and target (not called when resuming: the checkpoint holds the fit). */
  readonly fitProblem: () => Promise<{ readonly points: Float64Array; readonly target: InitialConditionTarget }>;
  readonly weightDecay: number;
  readonly fitIterations: number;
  /** Fit the target's gradient too (default false). */
  readonly fitGradients?: boolean;
  /** The fit's Gram precision (default: fitInitialCondition's "auto"). */
  readonly gramPrecision?: "float64" | "float32" | "auto";
  readonly horizon: number;
  readonly fingerprint: string;
  readonly settings: Record<string, unknown>;
  readonly random: RandomStream;
  readonly resume: OuSamplerCheckpoint | undefined;
  readonly checkpoint: OuSamplerCheckpointOptions | undefined;
  readonly signal: AbortSignal | undefined;
  readonly progress: ((event: OuSamplerFitProgress | OuSamplerForwardProgress) => void) | undefined;
  /** What a failed forward run's message calls it ("the forward evolution"). */
  readonly forwardName: string;
  /** Advice appended to a failed forward run's message, after the fit's warnings. */
  readonly failureAdvice: string;
}

export interface FitAndForwardResult {
  readonly fit: InitialFitReport;
  readonly fitSeconds: number;
  /** The successful forward solve with dense output: the caller's to dispose. */
  readonly forward: IntegrationResult<MneState>;
  readonly forwardSeconds: number;
  readonly forwardSteps: readonly OuSamplerForwardStep[];
}

/** The largest |entry| of `values` (NaN when one is NaN). */
function maxAbs(values: Float64Array): number {
  let m = 0;
  for (const v of values) {
    if (Number.isNaN(v)) return Number.NaN;
    m = Math.max(m, Math.abs(v));
  }
  return m;
}

/** A forward run stops as stalled after `stallSteps` accepted steps in a row shorter than `stallFraction`·T. */
export const stallSteps = 100;
export const stallFraction = 1e-6;

/** The samplers' `fitGradients` option, checked (default false). */
export function fitGradientsOption(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw new MinevoError(ErrorCode.InvalidOptions, `fitGradients must be true or false, got ${quote(value)}`, { field: "fitGradients" });
  }
  return value;
}

/** The fit (or the resumed one), then the forward run to `horizon`; a failed forward run throws. */
export async function fitAndForward(options: FitAndForwardOptions): Promise<FitAndForwardResult> {
  const { run, solver, integrator, points, resume, checkpoint, signal, progress, fingerprint, settings, random, horizon } = options;

  // 1. The initial condition, from the formula only.
  let fit: InitialFitReport;
  let fitSeconds: number;
  if (resume !== undefined) {
    fit = resume.fit;
    fitSeconds = resume.timings.fit;
  } else {
    const problem = await options.fitProblem();
    const start = performance.now();
    let abortedAt: number | undefined;
    try {
      fit = await solver.fitInitialCondition({
        points: problem.points,
        checkPoints: points,
        target: problem.target,
        weightDecay: options.weightDecay,
        maxIterations: options.fitIterations,
        fitGradients: options.fitGradients === true,
        ...(options.gramPrecision !== undefined ? { gramPrecision: options.gramPrecision } : {}),
        ...(progress !== undefined || signal !== undefined
          ? {
              onIteration: (p: InitialFitProgress) => {
                progress?.({ stage: "fit", iteration: p.iteration, valueRms: p.valueRms, damping: p.damping });
                if (signal?.aborted === true) {
                  abortedAt = p.iteration;
                  throw new MinevoError(ErrorCode.Aborted, `aborted after LM iteration ${p.iteration}`);
                }
              },
            }
          : {}),
      });
    } catch (error) {
      if (abortedAt !== undefined && isMinevoError(error, ErrorCode.Aborted)) {
        return await run.abort(`during the initial fit, after LM iteration ${abortedAt} (the fit is not resumable part-way: it restarts)`, false);
      }
      throw error;
    }
    fitSeconds = (performance.now() - start) / 1000;
    if (checkpoint !== undefined) {
      await run.save(fitCompleteCheckpoint({ fingerprint, settings, random: random.getState(), collocationPoints: points, fit }, fitSeconds));
    }
    if (signal?.aborted === true) await run.abort("after the initial fit", false);
  }

  // 2. Forward evolution with dense output: θ(t) on [0, T].
  const start = performance.now();
  const previousForwardSeconds = resume?.timings.forward ?? 0;
  const forwardResume = resume !== undefined && resume.phase !== "fit-complete" ? (resume.forward ?? undefined) : undefined;
  const prepared = solver.prepare({ parameters: fit.parameters, points }, resume?.sketch != null ? { sketchState: resume.sketch } : {});
  const forwardSteps: OuSamplerForwardStep[] = [...(resume?.forwardSteps ?? [])];
  let rejectedSoFar = forwardSteps.reduce((s, step) => s + step.rejectedAttempts, 0);
  // The stall watchdog: a model that left the solution while staying finite makes the integrator
  // creep on with ever smaller accepted steps (measured: 10⁻⁹ at max|f| ~ 10¹³, for as long as one
  // lets it run). Sound runs take steps of 10⁻³–10⁻¹.
  const stallStep = stallFraction * horizon;
  let shortInARow = 0;
  // Every integrator of @minevo/integrators hands the state to `onStepState`; another one may not.
  const reportsStates = typeof (integrator as Partial<ResumableIntegrator>).restoreStepper === "function";
  // The farthest collocation point, at the start and at the latest step that handed its state out
  // (named in a failed run's message: a point running away marks wrong tails).
  const startMaxAbsPoint = maxAbs(prepared.pointsOf(prepared.initialState));
  let latestMaxAbsPoint = startMaxAbsPoint;
  const farthest = (): string =>
    reportsStates ? `; the farthest collocation point has |x_k| = ${latestMaxAbsPoint.toPrecision(3)} (${startMaxAbsPoint.toPrecision(3)} at t = 0; far beyond that, a point ran away along the probability flow: the model's tails are wrong beyond the points)` : "";
  const event = (r: StepReport, pointsNow: Float64Array | undefined, state: MneState | undefined): OuSamplerForwardProgress => {
    const diagnostics = prepared.vectorField.lastDiagnostics;
    return {
      stage: "forward",
      t: r.t,
      stepSize: r.t - r.tPrevious,
      acceptedSteps: forwardSteps.length,
      rejectedSteps: rejectedSoFar,
      effectiveRank: diagnostics?.effectiveRank ?? Number.NaN,
      maxAbsRhs: diagnostics?.maxAbsRhs ?? Number.NaN,
      thetaDotNorm: diagnostics?.thetaDotNorm ?? Number.NaN,
      maxAbsPoint: pointsNow === undefined ? Number.NaN : latestMaxAbsPoint,
      // Copies, the callee's to keep; empty without the state (an integrator without `onStepState`).
      points: pointsNow ?? new Float64Array(0),
      parameters: state === undefined ? new Float64Array(0) : Float64Array.from(state.theta),
    };
  };
  let forward: IntegrationResult<MneState>;
  try {
    forward = await (integrator as ResumableIntegrator).solve<MneState>(
      { rhs: prepared.rhs, t0: 0, t1: horizon, y0: prepared.initialState },
      {
        save: { kind: "dense" },
        ...(forwardResume !== undefined ? { resume: forwardResume } : {}),
        onStep: (r: StepReport) => {
          shortInARow = Math.abs(r.t - r.tPrevious) < stallStep ? shortInARow + 1 : 0;
          if (shortInARow >= stallSteps) {
            const diagnostics = prepared.vectorField.lastDiagnostics;
            throw new MinevoError(
              ErrorCode.StepSizeCollapse,
              `${options.forwardName} stalled at t = ${r.t.toPrecision(6)} of ${horizon}: ${stallSteps} accepted steps in a row shorter than ${stallStep.toExponential(1)} (${stallFraction.toExponential(0)}·T; the latest ${(r.t - r.tPrevious).toExponential(2)}, max|f| ${diagnostics?.maxAbsRhs.toExponential(2) ?? "?"}) — the model left the solution. ` +
                `Check the initial fit (warnings: ${quote(fit.warnings)})${farthest()}${options.failureAdvice}`,
              { t: r.t, stepSize: r.t - r.tPrevious, acceptedSteps: forwardSteps.length, maxAbsRhs: diagnostics?.maxAbsRhs, maxAbsPoint: latestMaxAbsPoint },
            );
          }
          rejectedSoFar += r.rejectedAttempts;
          forwardSteps.push({ t: r.t, stepSize: r.t - r.tPrevious, effectiveRank: prepared.vectorField.lastDiagnostics?.effectiveRank ?? Number.NaN, rejectedAttempts: r.rejectedAttempts });
          if (progress !== undefined && !reportsStates) progress(event(r, undefined, undefined));
        },
        onStepState: (r: StepReport, state: MneState) => {
          const pointsNow = prepared.pointsOf(state);
          latestMaxAbsPoint = maxAbs(pointsNow);
          progress?.(event(r, pointsNow, state));
        },
        ...(checkpoint !== undefined
          ? {
              checkpoint: {
                everySteps: checkpoint.everySteps,
                atEnd: true,
                save: (snapshot: SolveSnapshot<MneState>) =>
                  run.save(
                    forwardCheckpoint({ fingerprint, settings, random: random.getState(), collocationPoints: points, fit }, snapshot, solver.sketch.getState(), forwardSteps, {
                      fit: fitSeconds,
                      forward: previousForwardSeconds + (performance.now() - start) / 1000,
                    }),
                  ),
              },
            }
          : {}),
        ...(signal !== undefined ? { signal } : {}),
      },
    );
  } catch (error) {
    if (isMinevoError(error, ErrorCode.Aborted)) {
      const t = (error.details as { t?: number }).t;
      return await run.abort(`in the forward evolution at t = ${t} of ${horizon} (after ${forwardSteps.length} accepted steps)`, false);
    }
    throw error;
  } finally {
    prepared.dispose();
  }
  const forwardSeconds = previousForwardSeconds + (performance.now() - start) / 1000;
  if (forward.status !== "success") {
    forward.dispose();
    throw new MinevoError(
      forward.status === "dt_underflow" ? ErrorCode.StepSizeCollapse : forward.status === "nonfinite" ? ErrorCode.NonFinite : ErrorCode.IntegrationFailed,
      `${options.forwardName} stopped at t = ${forward.t} of ${horizon} (${forward.status}): ${forward.message}. ` + `Check the initial fit (warnings: ${quote(fit.warnings)})${farthest()}${options.failureAdvice}`,
      { status: forward.status, t: forward.t, maxAbsPoint: latestMaxAbsPoint },
    );
  }
  if (signal?.aborted === true) {
    forward.dispose();
    await run.abort(`after ${options.forwardName}`, true);
  }
  return { fit, fitSeconds, forward, forwardSeconds, forwardSteps };
}

/**
 * The forward run's terminal model against the OU stationary law. The OU flow brings any ρ₀ within
 * e^{−T} of N(0, I), so at T the model's log-ratio r(x) = u_θ(T)(x) + (1 − shift)|x|²/2 (u is
 * log ρ_T up to a constant in the log-density form, shift = 0; log ρ_T + |x|²/2 in the log-ratio
 * form, shift = 1) is nearly constant over x ~ N(0, I): its mean plus (d/2) log 2π estimates
 * log Z (METHOD.md §4 step 3), and its standard deviation over the probes, the spread, measures
 * how far ρ_T is from N(0, I): for a Gaussian target N(m, S) it is √(½ tr((I − C⁻¹)²) + |C⁻¹μ|²)
 * with μ = e^{−T}m and C = e^{−2T}S + (1 − e^{−2T})I, of order e^{−T}|m| — small for a sound run,
 * and large for a forward run that blew up while staying finite.
 */
export function terminalLogRatio(probes: Float64Array, values: ArrayLike<number>, dim: number, shift: number): { readonly logZForward: number; readonly spread: number } {
  const count = values.length;
  let mean = 0;
  let squares = 0;
  for (let j = 0; j < count; j++) {
    let squared = 0;
    for (let k = 0; k < dim; k++) squared += (probes[j * dim + k] as number) ** 2;
    const r = (values[j] as number) + (1 - shift) * 0.5 * squared;
    // Welford's update: the values can sit far from zero (log Z) with a small spread.
    const delta = r - mean;
    mean += delta / (j + 1);
    squares += delta * (r - mean);
  }
  return { logZForward: mean + 0.5 * dim * Math.log(2 * Math.PI), spread: Math.sqrt(squares / Math.max(1, count - 1)) };
}

/**
 * Refuses a terminal model whose log-ratio spread exceeds `bound` (see {@link terminalLogRatio}):
 * a blow-up is reported with its diagnostics, never sampled from.
 */
export function checkTerminalSpread(spread: number, bound: number, what: string, horizon: number, details: Readonly<Record<string, unknown>>): void {
  if (Number.isFinite(spread) && spread <= bound) return;
  throw new MinevoError(
    ErrorCode.ModelBlowUp,
    `${what}: at T = ${horizon} the model's log-density is not near the OU stationary N(0, I) — u_θ(T)(x) + |x|²/2 varies with standard deviation ${spread.toPrecision(3)} over x ~ N(0, I) ` +
      `(maxTerminalSpread = ${bound}; sound runs at T = 4–5 give 0.006–0.05). The forward evolution left the solution (see the forward diagnostics: max|f|, step sizes) ` +
      `or T is too short for this target: improve the initial fit (more LM iterations, fit points where π̃ has mass), enlarge the sketch, or raise horizon`,
    { spread, bound, horizon, ...details },
  );
}

/**
 * The forward run against the reverse flow, per sample. Along a reverse-flow path x_t the model's
 * log-density ℓ_θ(t) (u_θ minus shift·|x|²/2) and the flow's exact log q_t change by
 * d/dt (ℓ_θ(t, x_t) − log q_t(x_t)) = the Fokker–Planck residual of ℓ_θ at (t, x_t), so for a
 * consistent run c = ℓ_θ(0)(x₀) − log q₀(x₀) stays at its value at T, whose mean over N(0, I) is
 * the forward log Z. `rms` is the root mean square of c − logZForward over the samples: the
 * evolution's own error (no target involved), which together with the fit's error log π̃ − ℓ_θ(0)
 * makes up the log-weight log π̃ − log q₀. A forward run that lost or gained mass while staying
 * finite (banana attempt 3: logZForward 505 against log Z 4.1) shows here as hundreds.
 */
export function flowConsistency(
  modelValues: ArrayLike<number>,
  samples: Float64Array,
  logProposal: Float64Array,
  dim: number,
  shift: number,
  logZForward: number,
  /** Only the rows j with include[j] = 1 (default: all). */
  include?: Uint8Array,
): { readonly rms: number; readonly offset: number } {
  let count = 0;
  let sum = 0;
  let squares = 0;
  for (let j = 0; j < logProposal.length; j++) {
    if (include !== undefined && include[j] !== 1) continue;
    count++;
    let squared = 0;
    for (let k = 0; k < dim; k++) squared += (samples[j * dim + k] as number) ** 2;
    const deviation = (modelValues[j] as number) - shift * 0.5 * squared - (logProposal[j] as number) - logZForward;
    sum += deviation;
    squares += deviation * deviation;
  }
  return { rms: Math.sqrt(squares / Math.max(1, count)), offset: sum / Math.max(1, count) };
}

/** A check's bound: a positive number, or Infinity (the check off). */
export function checkBound(value: number, name: string): number {
  if (!(value > 0) || Number.isNaN(value)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `${name} must be a positive number (Infinity turns the check off), got ${quote(value)}`, { field: name });
  }
  return value;
}

/** Refuses a run whose forward evolution and reverse flow disagree by more than `bound` (see {@link flowConsistency}). */
export function checkFlowConsistency(
  consistency: { readonly rms: number; readonly offset: number },
  bound: number,
  what: string,
  details: Readonly<Record<string, unknown>>,
  largestRank?: number,
): void {
  if (Number.isFinite(consistency.rms) && consistency.rms <= bound) return;
  throw new MinevoError(
    ErrorCode.ModelBlowUp,
    `${what}: the forward evolution and the reverse flow disagree — the model's log-density at t = 0 minus the flow's exact log q₀ differs from the forward log Z by ${consistency.rms.toPrecision(3)} ` +
      `(root mean square over the samples; mean ${consistency.offset.toPrecision(3)}; maxFlowInconsistency = ${bound}): the forward run gained or lost mass or left the solution while staying finite. ` +
      `Improve the initial fit (more LM iterations, fit points where π̃ has mass) or enlarge the sketch ` +
      (largestRank !== undefined && Number.isFinite(largestRank) ? `(the forward run's largest effective rank r_λ was ${largestRank.toFixed(1)}: a sketch at r_λ ≈ n is saturated)` : "(check r_λ against n)"),
    { rms: consistency.rms, offset: consistency.offset, bound, ...details, ...(largestRank !== undefined ? { largestRank } : {}) },
  );
}
