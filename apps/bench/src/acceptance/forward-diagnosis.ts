/**
 * The sampler's model against an exact ρ_t over the forward run: the part the target-specific
 * diagnoses (banana-diagnosis.ts, funnel-diagnosis.ts) share. A diagnosis supplies exact draws of
 * ρ_t with ∇log ρ_t there; at every `dt` of forward time this prints the relative score error
 * E|∇u_θ − ∇log ρ_t|²/E|∇log ρ_t|² on them, where the worst draws sit, r_λ and max|f| (and every
 * 30 s of wall time where the forward run has got to). The run is
 * observed, not judged: the sampler's checks are off, since a broken-down model is what this
 * looks at.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { registries, type Network, type SamplingTarget } from "@minevo/core";
import { runOuSampler, type OuSamplerOptions, type OuSamplerProgress } from "@minevo/diffusion";
import { tf } from "../ou-common.js";

export interface ExactDraws {
  /** count×d. */
  readonly points: Float64Array;
  /** ∇log ρ_t at `points`, count×d. */
  readonly score: Float64Array;
}

/** The relative score error of u_θ at the exact draws, and (the first `show` coordinates of) the four worst draws. */
async function scoreError(network: Network, theta: Float64Array, exact: ExactDraws, show: number): Promise<string> {
  const d = network.inputDim;
  const count = exact.points.length / d;
  const x = tf.tensor2d(Float32Array.from(exact.points), [count, d]);
  const evaluation = network.evaluate(tf, theta, x, { gradient: true });
  const gradient = await evaluation.gradient!.data();
  evaluation.dispose();
  x.dispose();
  let num = 0;
  let den = 0;
  const perDraw: [number, number][] = [];
  for (let j = 0; j < count; j++) {
    let e = 0;
    for (let k = 0; k < d; k++) {
      const g = exact.score[j * d + k] as number;
      e += ((gradient[j * d + k] as number) - g) ** 2;
      den += g * g;
    }
    num += e;
    perDraw.push([e, j]);
  }
  perDraw.sort((p, q) => q[0] - p[0]);
  const worst = perDraw.slice(0, 4).map(([, j]) => `(${Array.from(exact.points.subarray(j * d, j * d + show), (v) => v.toFixed(1)).join(", ")})`);
  return `relative score error ${(num / den).toExponential(2)}, worst draws at ${worst.join(" ")}`;
}

export interface DiagnosisOptions {
  /** The network by registry name (default "mlp") and its options (the run builds it by name; this builds the same network to evaluate θ). */
  readonly network?: string;
  readonly networkOptions: Record<string, unknown>;
  readonly target: SamplingTarget;
  /** Exact draws of ρ_t (of the blurred target when the run smooths). */
  exactAt(t: number): ExactDraws;
  /** Forward time between reports. */
  readonly dt: number;
  /** How many leading coordinates of the worst draws to print. */
  readonly show: number;
  /** The run (network, target and the checks are set here). */
  readonly run: Omit<OuSamplerOptions, "tf" | "target" | "network" | "networkOptions" | "onProgress">;
  /** The exact log Z, for the last line. */
  readonly logZ: number;
  /** More for the last line: the target's own measure of the weighted draws. */
  readonly describeResult?: (samples: Float64Array, normalisedWeights: Float64Array) => string;
}

/** Runs the sampler once, printing the fit's progress and the score error along the forward run. */
export async function diagnoseForward(options: DiagnosisOptions): Promise<void> {
  const network = registries.network.configure(options.network ?? "mlp", options.networkOptions).create() as Network;
  let next = 0;
  let lastLine = performance.now();
  const pending: Promise<void>[] = [];
  await runOuSampler({
    tf,
    target: options.target,
    network: options.network ?? "mlp",
    networkOptions: options.networkOptions,
    ...options.run,
    maxFlowInconsistency: Number.POSITIVE_INFINITY,
    maxTerminalSpread: Number.POSITIVE_INFINITY,
    onProgress: (event: OuSamplerProgress) => {
      if (event.stage === "fit" && event.iteration % 20 === 0) console.log(`fit ${event.iteration}: value RMS ${event.valueRms.toExponential(2)}`);
      if (event.stage !== "forward") return;
      const now = performance.now();
      if (now - lastLine > 30_000) {
        lastLine = now;
        console.log(`  forward t = ${event.t.toExponential(3)}, ${event.acceptedSteps} steps (+${event.rejectedSteps} rejected), r_λ ${event.effectiveRank.toFixed(1)}, max|f| ${event.maxAbsRhs.toExponential(2)}`);
      }
      if (event.t < next) return;
      next = event.t + options.dt;
      const { parameters, t, effectiveRank, maxAbsRhs, maxAbsPoint } = event;
      const exact = options.exactAt(t);
      // The global terms' stored coefficients (the quartic's and the quadratic's first few, the hierarchical term's), where the network has them.
      // The hierarchical term's q₀, q₁, v₀, v₁, c and k (its layout: q (d), v (d), c, k).
      const d = network.inputDim;
      const entries = (name: string, size: number) => (name === "hierarchical" ? [0, 1, d, d + 1, 2 * d, 2 * d + 1] : Array.from({ length: Math.min(size, 4) }, (_, i) => i));
      const terms = network.parameterLayout
        .filter((b) => b.name === "quartic" || b.name === "quadratic" || b.name === "hierarchical")
        .map((b) => `${b.name} ${entries(b.name, b.size).map((i) => (parameters[b.offset + i] as number).toPrecision(3)).join(",")}`)
        .join("  ");
      pending.push(
        scoreError(network, parameters, exact, options.show).then((line) =>
          console.log(`t = ${t.toFixed(3)}  r_λ ${effectiveRank.toFixed(1)}  max|f| ${maxAbsRhs.toExponential(2)}  max|X| ${maxAbsPoint.toFixed(2)}  ${terms}  ${line}`),
        ),
      );
    },
  } as never)
    .then((result: { logZ: number; essFraction: number; flowInconsistency: number; samples: Float64Array; normalisedWeights: Float64Array }) =>
      console.log(
        `finished: log Ẑ ${result.logZ.toFixed(4)} (exact ${options.logZ.toFixed(4)}), ESS/M ${result.essFraction.toFixed(4)}, flow inconsistency ${result.flowInconsistency.toExponential(2)}` +
          (options.describeResult === undefined ? "" : `, ${options.describeResult(result.samples, result.normalisedWeights)}`),
      ),
    )
    .catch((error: Error) => console.log(`stopped: ${error.message.slice(0, 300)}`));
  await Promise.all(pending);
}

/** The defaults a diagnosis gives the shared command-line options (`diagnosisArguments`). */
export interface DiagnosisDefaults {
  readonly smoothing: number;
  readonly n: number;
  readonly points: number;
  readonly extraFitPoints: number;
  readonly fitJitter: number;
  readonly malaFraction: number;
  readonly inputLengthScale: number;
  readonly fitIterations: number;
}

/**
 * The command-line options every MALA-point diagnosis takes, parsed with the diagnosis' own
 * `extra` options: --smoothing (0: no blur) --sketch --n --epsilon --points --extra-fit-points
 * --fit-jitter --mala-fraction --widths --input-length-scale --fit-iterations --weight-decay --dt
 * --restart-below (default: the sampler's) --step-adaptation global|per-chain --point-scale
 * --point-source mala|smc (smc: tempered SMC particles instead of the chains, `--mala-fraction` of
 * the points; --smc-reference s (default: the point scale) --smc-moves --smc-ess --smc-temperature β
 * (the last SMC temperature, default 1)) --gram auto|float64|float32
 * (the fit's Gram precision) --smoothing-draws K (the blur's draws, default 256).
 */
export function diagnosisArguments(defaults: DiagnosisDefaults, extra: NonNullable<ParseArgsConfig["options"]>, pointScale: number) {
  const parsed = parseArgs({
    options: {
      smoothing: { type: "string", default: String(defaults.smoothing) },
      sketch: { type: "string", default: "gaussian" },
      n: { type: "string", default: String(defaults.n) },
      epsilon: { type: "string", default: "1e-6" },
      points: { type: "string", default: String(defaults.points) },
      "extra-fit-points": { type: "string", default: String(defaults.extraFitPoints) },
      "fit-jitter": { type: "string", default: String(defaults.fitJitter) },
      "mala-fraction": { type: "string", default: String(defaults.malaFraction) },
      widths: { type: "string", default: "32,32" },
      "input-length-scale": { type: "string", default: String(defaults.inputLengthScale) },
      "fit-iterations": { type: "string", default: String(defaults.fitIterations) },
      "weight-decay": { type: "string", default: "1e-4" },
      dt: { type: "string", default: "0.1" },
      "restart-below": { type: "string" },
      "step-adaptation": { type: "string", default: "global" },
      "point-scale": { type: "string", default: String(pointScale) },
      "point-source": { type: "string", default: "mala" },
      "smc-reference": { type: "string" },
      "smc-moves": { type: "string", default: "50" },
      "smc-ess": { type: "string", default: "0.95" },
      "smc-temperature": { type: "string", default: "1" },
      gram: { type: "string", default: "auto" },
      "smoothing-draws": { type: "string", default: "256" },
      ...extra,
    },
  });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const shared = values as Record<string, string | undefined>;
  const smoothing = Number(shared["smoothing"]);
  const at = (name: string): number => Number(shared[name]);
  /** The sampler options these arguments set (network, target and checks aside). */
  const run: DiagnosisOptions["run"] = {
    numPoints: at("points"),
    pointScale: at("point-scale"),
    numSamples: 2000,
    numExtraFitPoints: at("extra-fit-points"),
    fitIterations: at("fit-iterations"),
    weightDecay: at("weight-decay"),
    pointSource:
      shared["point-source"] === "smc"
        ? {
            kind: "smc",
            fraction: at("mala-fraction"),
            fitJitter: at("fit-jitter"),
            ...(shared["smc-reference"] !== undefined ? { reference: at("smc-reference") } : {}),
            movesPerStage: at("smc-moves"),
            essFraction: at("smc-ess"),
            ...(at("smc-temperature") !== 1 ? { temperature: at("smc-temperature") } : {}),
          }
        : {
            kind: "mala",
            fraction: at("mala-fraction"),
            fitJitter: at("fit-jitter"),
            ...(shared["restart-below"] !== undefined ? { restartBelow: at("restart-below") } : {}),
            stepAdaptation: shared["step-adaptation"] as "global",
          },
    ...(smoothing > 0 ? { smoothing: { scale: smoothing, draws: at("smoothing-draws") } } : {}),
    ...(shared["gram"] !== "auto" ? { fitGramPrecision: shared["gram"] as "float64" } : {}),
    sketch: shared["sketch"] as "gaussian",
    // The dense step takes no sketch size.
    sketchOptions: { ...(shared["sketch"] === "dense" ? {} : { sketchSize: at("n") }), regularisation: { kind: "relative-trace", epsilon: at("epsilon") } },
    seed: 0,
  };
  return { values, smoothing, run, widths: shared["widths"]!.split(",").map(Number), inputLengthScale: at("input-length-scale"), dt: at("dt") };
}
