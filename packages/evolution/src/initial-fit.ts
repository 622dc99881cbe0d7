/**
 * The initial condition: fit u_θ to a given function g by Levenberg–Marquardt with weight decay,
 *
 *     min ½‖u_θ(X) − g(X)‖² (+ ½w Σₖ‖∂ₖu_θ(X) − ∂ₖg(X)‖²) + ½ν|X|‖sθ‖²,
 *
 * and report how good the fit is, derivatives included. s is the network's `parameterScales`
 * (1 for most networks): the decay acts on coefficients in the function's own units, so a length
 * scale of an explicit term (which only changes the minimal-norm metric of θ̇) leaves the fit alone.
 *
 * Why the weight decay ν: a fit by (nearly) unregularised least squares matches the values but
 * not the derivatives — in the STABILITY study max|Δu| at the points was 1.5e4 against an exact
 * 5.75 — and the evolution is then stiff from t = 0 (the step size collapses). ν = 1e-4 gives
 * derivatives within a few per cent and a stable run. Hence the guard: max|Δu_θ| at the check
 * points is compared with max|Δg| from the formula and flagged when more than 2× off.
 *
 * Numerics: J comes from the network on the backend (float32); the normal equations are formed
 * and solved in float64 on the CPU, as the p×p primal system when p ≤ M (M residual rows) and
 * through the M×M dual (Woodbury) otherwise. Marquardt scaling diag(JᵀJ) in the primal form,
 * a scalar Levenberg damping mean(diag JᵀJ) = tr(JJᵀ)/p in the dual form; μ ÷3 after an
 * accepted step, ×4 after a rejected one.
 */
import type { Tensor2D } from "@tensorflow/tfjs-core";
import {
  ErrorCode,
  MinevoError,
  cholesky,
  denseMatrix,
  gramOfColumns,
  gramOfRows,
  isMinevoError,
  quote,
  startCholeskyWorker,
  timesVector,
  transposeTimesVector,
  type CholeskyFactor,
  type DenseMatrix,
  type Network,
  type NetworkRequest,
  type TensorFlow,
} from "@minevo/core";

/** The function to fit, evaluated point by point in float64. */
export interface InitialConditionTarget {
  /** g at one point (its d + c coordinates). */
  value(point: Float64Array): number;
  /** ∇ₓg (d entries): for the report, and fitted when `fitGradients`. */
  gradient?(point: Float64Array): ArrayLike<number>;
  /** Δₓg: enables the derivative guard. */
  laplacian?(point: Float64Array): number;
}

export interface InitialFitOptions {
  readonly tf: TensorFlow;
  readonly network: Network;
  /** The starting θ (for instance `network.initialParameters(random)`). Not modified. */
  readonly parameters: Float64Array;
  /** The fit points X, N×(d+c) row-major. */
  readonly points: Float64Array;
  readonly target: InitialConditionTarget;
  /**
   * ν: the weight decay, scaled by |X|, on sθ (s = `network.parameterScales`, 1 when undefined).
   * Default 1e-4 (the STABILITY recipe; 1e-5…1e-3 work).
   */
  readonly weightDecay?: number;
  /** Also fit ∇ₓu to ∇ₓg (needs `target.gradient`). Default false. */
  readonly fitGradients?: boolean;
  /** w: the weight of the gradient residuals. Default 1. */
  readonly gradientWeight?: number;
  /** Levenberg–Marquardt iterations (Jacobian evaluations). Default 100. */
  readonly maxIterations?: number;
  /** μ₀. Default 1e-2. */
  readonly initialDamping?: number;
  /** Stop when an accepted step lowers the loss by less than this fraction. Default 1e-10. */
  readonly tolerance?: number;
  /** Where the report (and the guard) evaluates, N'×(d+c): the collocation points. Default `points`. */
  readonly checkPoints?: Float64Array;
  /** The guard's factor: max|Δu_θ| must be within this factor of max|Δg|. Default 2. */
  readonly guardFactor?: number;
  /**
   * Where the O(M·p·min(M, p)) Gram matrix of the normal equations is formed: `"float64"` on the
   * CPU; `"float32"` by one matMul on the backend (read back and solved in float64 all the same);
   * `"auto"` (default) takes float32 above 2·10⁸ multiply-adds on a compiled backend (wasm, node,
   * GPU) and float64 on the pure-JavaScript `cpu` backend, whose matMul is ~5× slower than the
   * float64 loops here (measured: 625×721 Gram, 0.65 s against 0.14 s). The LM step only has to be a good
   * damped direction — acceptance uses the true loss and the gradient Jᵀr + ν|X|θ stays float64,
   * so the fixed point is unchanged — and the ridge and damping keep the system far above the
   * float32 rounding of the Gram matrix (unlike the MNE step's λ = 1e-6·tr K/N).
   */
  readonly gramPrecision?: "float64" | "float32" | "auto";
  /**
   * How μ moves between trials. `"fixed-factors"` (default; the float64 reference's rule): μ/3
   * after an accepted step, 4μ after a rejected one. `"gain-ratio"` (Madsen, Nielsen and
   * Tingleff): after an accepted step μ ← μ·max(1/3, 1 − (2ρ − 1)³) with ρ the ratio of the
   * actual to the predicted decrease of the loss; after a rejected one μ ← μ·ν and ν doubles
   * (ν = 2 after an accepted step). Every rejected trial costs a p×p factorisation; measured by
   * bench:fit at p = 1188, the gain ratio takes a third fewer trials (16–29 % less time for 100
   * iterations) but reaches a slightly higher value RMS per iteration (1.08e-2 against 1.01e-2 at
   * 100, 5.4e-2 against 1.9e-2 at 20), so it is not the default.
   */
  readonly dampingUpdate?: "gain-ratio" | "fixed-factors";
  /** Called after every iteration. */
  readonly onIteration?: (progress: InitialFitProgress) => void;
}

export interface InitialFitProgress {
  readonly iteration: number;
  readonly loss: number;
  readonly damping: number;
  /** RMS of u_θ − g over the fit points. */
  readonly valueRms: number;
  readonly accepted: boolean;
}

/** max|Δu_θ| against max|Δg| at the check points. */
export interface LaplacianGuard {
  readonly modelMaxAbs: number;
  /** Absent when the target gives no Laplacian; the guard then only reports. */
  readonly targetMaxAbs?: number;
  /** modelMaxAbs / targetMaxAbs. */
  readonly ratio?: number;
  /** Within `guardFactor` either way (true when there is nothing to compare with). */
  readonly ok: boolean;
}

/**
 * Why the fit stopped: all iterations used; an accepted step lowered the loss by less than
 * `tolerance`; or no damping up to μ = 1e10 lowered it (the usual end once the float32
 * evaluation of u_θ limits the attainable loss — a converged fit, not a failure).
 */
export type InitialFitStopReason = "max_iterations" | "converged" | "no_decrease";

export interface InitialFitReport {
  readonly parameters: Float64Array;
  readonly iterations: number;
  readonly stopReason: InitialFitStopReason;
  /** The objective at the returned θ (weight decay included). */
  readonly loss: number;
  readonly finalDamping: number;
  /** RMS and max of |u_θ − g| at the check points. */
  readonly valueRms: number;
  readonly valueMaxAbs: number;
  /** RMS of |∇ₓu_θ − ∇ₓg| over the check points (when the target has a gradient). */
  readonly gradientRms?: number;
  /** The same, relative to the RMS of |∇ₓg|. */
  readonly gradientRelativeRms?: number;
  /** RMS of Δₓu_θ − Δₓg at the check points (when the target has a Laplacian). */
  readonly laplacianRms?: number;
  readonly laplacianGuard: LaplacianGuard;
  readonly parameterNorm: number;
  /** What a user should look at before evolving (a failed guard, a stalled fit). */
  readonly warnings: readonly string[];
  /** Where the fit's wall time went, in seconds (see `InitialFitTimings`). */
  readonly timings: InitialFitTimings;
  /** LM trial steps taken (one factorisation each): `iterations` plus the rejected trials. */
  readonly trials: number;
}

/**
 * Wall seconds of the fit by phase: the stacked Jacobian (network passes on the backend and the
 * read-back), the normal-equation matrix (JᵀJ or JJᵀ, backend or float64 loops) with the gradient
 * Jᵀr, the float64 factorisations and solves (one per damping trial), and the residual
 * evaluations (one per trial, plus the start). `total` includes the final error report.
 */
export interface InitialFitTimings {
  readonly jacobian: number;
  readonly gram: number;
  readonly solve: number;
  readonly residuals: number;
  readonly total: number;
}

/** The central-difference step in x for ∂(∇ₓu)/∂θ (see `gradientJacobian`). */
const gradientJacobianStep = 5e-3;

interface Residuals {
  readonly residual: Float64Array;
  readonly loss: number;
}

function checkPoints(points: Float64Array, width: number, what: string): number {
  if (points.length === 0 || points.length % width !== 0) {
    throw new MinevoError(
      ErrorCode.DimensionMismatch,
      `${what} have ${points.length} numbers, not a positive multiple of d + c = ${width}; pass N×(d+c) row-major`,
      { length: points.length, width },
    );
  }
  return points.length / width;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!(Number.isFinite(v) && v >= 0)) {
    throw new MinevoError(ErrorCode.InvalidOptions, `${name} = ${quote(value)} must be a finite number ≥ 0`, { field: name });
  }
  return v;
}

/** Target values (and gradients) at every point, float64, checked finite. */
function evaluateTarget(target: InitialConditionTarget, points: Float64Array, numPoints: number, width: number, d: number, withGradient: boolean) {
  const value = new Float64Array(numPoints);
  const gradient = withGradient ? new Float64Array(numPoints * d) : undefined;
  for (let i = 0; i < numPoints; i++) {
    const x = points.subarray(i * width, (i + 1) * width);
    const v = target.value(x);
    if (!Number.isFinite(v)) {
      throw new MinevoError(ErrorCode.NonFinite, `the initial-condition target is ${String(v)} at point ${i} ${quote(Array.from(x))}`, { index: i });
    }
    value[i] = v;
    if (gradient !== undefined && target.gradient !== undefined) {
      const g = target.gradient(x);
      if (g.length !== d) {
        throw new MinevoError(ErrorCode.DimensionMismatch, `the target's gradient has ${g.length} entries at point ${i}; expected d = ${d}`);
      }
      for (let k = 0; k < d; k++) {
        const gk = g[k] as number;
        if (!Number.isFinite(gk)) throw new MinevoError(ErrorCode.NonFinite, `the target's gradient is ${String(gk)} at point ${i}`, { index: i });
        gradient[i * d + k] = gk;
      }
    }
  }
  return { value, gradient };
}

/**
 * Fits u_θ to `target` at `points` (see the module comment). Returns θ and the fit's errors;
 * never throws for a poor fit — read `warnings` and `laplacianGuard.ok`.
 */
export async function fitInitialCondition(options: InitialFitOptions): Promise<InitialFitReport> {
  // Its float64 factorisations use a second thread where there is one (Node), bitwise as on one.
  await startCholeskyWorker();
  const { tf, network, target } = options;
  const d = network.inputDim;
  const width = d + network.conditionDim;
  const p = network.numParameters;
  if (options.parameters.length !== p) {
    throw new MinevoError(ErrorCode.DimensionMismatch, `θ has ${options.parameters.length} entries; the network has p = ${p}`);
  }
  const numPoints = checkPoints(options.points, width, "the fit points");
  const nu = nonNegative(options.weightDecay, 1e-4, "weightDecay");
  const fitGradients = options.fitGradients === true;
  if (fitGradients && target.gradient === undefined) {
    throw new MinevoError(ErrorCode.InvalidOptions, "fitGradients needs target.gradient: give ∇ₓg, or fit values only", { field: "fitGradients" });
  }
  const gradientWeight = nonNegative(options.gradientWeight, 1, "gradientWeight");
  const maxIterations = Math.floor(nonNegative(options.maxIterations, 100, "maxIterations"));
  let damping = nonNegative(options.initialDamping, 1e-2, "initialDamping");
  const tolerance = nonNegative(options.tolerance, 1e-10, "tolerance");
  const dampingUpdate = options.dampingUpdate ?? "fixed-factors";
  if (dampingUpdate !== "gain-ratio" && dampingUpdate !== "fixed-factors") {
    throw new MinevoError(ErrorCode.InvalidOptions, `dampingUpdate = ${quote(dampingUpdate)} must be "gain-ratio" or "fixed-factors"`, { field: "dampingUpdate" });
  }
  // ν of the gain-ratio rule: the factor for the next rejection.
  let growth = 2;
  let trials = 0;
  const guardFactor = options.guardFactor ?? 2;
  if (!(guardFactor >= 1)) throw new MinevoError(ErrorCode.InvalidOptions, `guardFactor = ${quote(guardFactor)} must be ≥ 1`, { field: "guardFactor" });

  const goal = evaluateTarget(target, options.points, numPoints, width, d, fitGradients);
  const rows = numPoints * (fitGradients ? 1 + d : 1);
  const gramPrecision = options.gramPrecision ?? "auto";
  if (gramPrecision !== "auto" && gramPrecision !== "float64" && gramPrecision !== "float32") {
    throw new MinevoError(ErrorCode.InvalidOptions, `gramPrecision = ${quote(gramPrecision)} must be "float64", "float32" or "auto"`, { field: "gramPrecision" });
  }
  const useBackendGram =
    gramPrecision === "float32" || (gramPrecision === "auto" && tf.getBackend() !== "cpu" && rows * p * Math.min(rows, p) > 2e8);
  const gradientScale = Math.sqrt(gradientWeight);
  const ridge = nu * numPoints;
  // The weight decay acts on the coefficients in the function's own units (Network.parameterScales):
  // ν|X|·s_k² per parameter, so a length scale changes θ̇'s metric but not the fit. All s_k = 1: the scalar ridge.
  const scales = network.parameterScales;
  if (scales !== undefined && (scales.length !== p || !scales.every((v) => v > 0 && Number.isFinite(v)))) {
    throw new MinevoError(ErrorCode.InvalidArgument, `the network's parameterScales must be ${p} finite positive numbers (one per parameter)`, { field: "parameterScales" });
  }
  const ridges = scales === undefined || scales.every((v) => v === 1) ? undefined : Float64Array.from(scales, (v) => ridge * v * v);
  const ridgeOf = (k: number): number => (ridges === undefined ? ridge : (ridges[k] as number));
  const pointsTensor = tf.tensor2d(Float32Array.from(options.points), [numPoints, width]);

  // r = [u − g; √w (∇u − ∇g)] and the objective ½‖r‖² + ½ν|X|‖sθ‖².
  const residuals = async (theta: Float64Array): Promise<Residuals> => {
    const evaluation = network.evaluate(tf, theta, pointsTensor, { value: true, gradient: fitGradients });
    try {
      const u = await evaluation.value!.data();
      const residual = new Float64Array(rows);
      for (let i = 0; i < numPoints; i++) residual[i] = (u[i] as number) - (goal.value[i] as number);
      if (fitGradients) {
        const g = await evaluation.gradient!.data();
        for (let i = 0; i < numPoints * d; i++) residual[numPoints + i] = gradientScale * ((g[i] as number) - (goal.gradient![i] as number));
      }
      let loss = 0;
      for (let i = 0; i < rows; i++) loss += (residual[i] as number) ** 2;
      let decay = 0;
      for (let k = 0; k < p; k++) decay += ridgeOf(k) * (theta[k] as number) ** 2;
      return { residual, loss: 0.5 * loss + 0.5 * decay };
    } finally {
      evaluation.dispose();
    }
  };

  const denseJacobian = async (theta: Float64Array, at: Tensor2D): Promise<Float64Array> => {
    const evaluation = network.evaluate(tf, theta, at, { jacobian: true });
    try {
      const dense = evaluation.jacobian!.dense();
      const values = Float64Array.from(await dense.data());
      dense.dispose();
      return values;
    } finally {
      evaluation.dispose();
    }
  };

  // The stacked Jacobian [J; √w ∂(∇u)/∂θ]. The network contract gives ∂u/∂θ only, so the
  // gradient rows are central differences of J in x (step h: float32 rounding ~6e-8/h, truncation
  // ~h²). Only the step direction uses them; acceptance uses the exact ∇ₓu of the loss, so an
  // inexact direction slows the fit but does not bias the accepted θ.
  const stackedJacobian = async (theta: Float64Array): Promise<Float64Array> => {
    const jacobian = await denseJacobian(theta, pointsTensor);
    if (!fitGradients) return jacobian;
    const stacked = new Float64Array(rows * p);
    stacked.set(jacobian);
    for (let k = 0; k < d; k++) {
      const shift = new Float32Array(numPoints * width);
      for (let i = 0; i < numPoints; i++) shift[i * width + k] = gradientJacobianStep;
      const shiftTensor = tf.tensor2d(shift, [numPoints, width]);
      const plus = tf.add(pointsTensor, shiftTensor) as Tensor2D;
      const minus = tf.sub(pointsTensor, shiftTensor) as Tensor2D;
      shiftTensor.dispose();
      const jPlus = await denseJacobian(theta, plus);
      const jMinus = await denseJacobian(theta, minus);
      plus.dispose();
      minus.dispose();
      const scale = gradientScale / (2 * gradientJacobianStep);
      for (let i = 0; i < numPoints; i++) {
        const target0 = (numPoints + i * d + k) * p;
        const source = i * p;
        for (let c = 0; c < p; c++) stacked[target0 + c] = scale * ((jPlus[source + c] as number) - (jMinus[source + c] as number));
      }
    }
    return stacked;
  };

  const clock = { jacobian: 0, gram: 0, solve: 0, residuals: 0 };
  const started = performance.now();
  let mark = started;
  const lap = (phase: keyof typeof clock): void => {
    const now = performance.now();
    clock[phase] += (now - mark) / 1000;
    mark = now;
  };
  let theta = Float64Array.from(options.parameters);
  let current = await residuals(theta);
  lap("residuals");
  if (!Number.isFinite(current.loss)) {
    pointsTensor.dispose();
    throw new MinevoError(ErrorCode.NonFinite, `the initial fit's starting loss is ${String(current.loss)}: u_θ is not finite at the fit points`);
  }
  let iterations = 0;
  let indefiniteTrials = 0;
  let stopReason: InitialFitStopReason = "max_iterations";
  try {
    while (iterations < maxIterations) {
      iterations++;
      const jacobian = await stackedJacobian(theta);
      lap("jacobian");
      const gradient = transposeTimesVector({ rows, cols: p, data: jacobian }, current.residual);
      for (let k = 0; k < p; k++) gradient[k] = (gradient[k] as number) + ridgeOf(k) * (theta[k] as number);
      // The dual (Woodbury) step needs one scalar ridge: with per-parameter ridges, solve p×p.
      const primal = p <= rows || ridges !== undefined;
      const normal = useBackendGram
        ? await backendGram(tf, jacobian, rows, p, primal)
        : primal
          ? gramOfColumns({ rows, cols: p, data: jacobian })
          : gramOfRows({ rows, cols: p, data: jacobian });
      let diagonalMean = 0;
      for (let k = 0; k < normal.rows; k++) diagonalMean += normal.data[k * normal.rows + k] as number;
      // mean(diag JᵀJ) = tr(JᵀJ)/p = tr(JJᵀ)/p in either form.
      diagonalMean /= p;
      lap("gram");
      let accepted = false;
      let decrease = 0;
      const reject = (): void => {
        if (dampingUpdate === "gain-ratio") {
          damping = Math.max(damping * growth, 1e-12);
          growth *= 2;
        } else {
          damping = Math.max(damping * 4, 1e-12);
        }
      };
      while (!accepted) {
        let step: Float64Array;
        trials++;
        try {
          step = primal
            ? primalStep(normal.data, p, gradient, ridgeOf, damping, diagonalMean)
            : dualStep(jacobian, rows, p, normal.data, gradient, ridge + damping * diagonalMean);
        } catch (error) {
          // Positive definite in exact arithmetic whenever ν or μ > 0, but a float32 Gram (or a
          // rank-deficient J with ν = μ ≈ 0) can leave a pivot ≤ 0 at small damping: a rejected
          // trial, so μ grows; only a system still indefinite at μ = 1e10 is an error.
          if (!isMinevoError(error, ErrorCode.NotPositiveDefinite) || damping > 1e10) throw error;
          indefiniteTrials++;
          reject();
          continue;
        }
        const trial = new Float64Array(p);
        for (let k = 0; k < p; k++) trial[k] = (theta[k] as number) + (step[k] as number);
        // The quadratic model's decrease −gᵀδ − ½(‖Jδ‖² + ν|X|‖δ‖²), for the gain ratio.
        let predicted = 0;
        if (dampingUpdate === "gain-ratio") {
          const jStep = timesVector({ rows, cols: p, data: jacobian }, step);
          let curvature = 0;
          for (let i = 0; i < rows; i++) curvature += (jStep[i] as number) ** 2;
          for (let k = 0; k < p; k++) {
            const sk = step[k] as number;
            predicted -= (gradient[k] as number) * sk;
            curvature += ridgeOf(k) * sk * sk;
          }
          predicted -= 0.5 * curvature;
        }
        lap("solve");
        const next = await residuals(trial);
        lap("residuals");
        if (Number.isFinite(next.loss) && next.loss < current.loss) {
          decrease = (current.loss - next.loss) / current.loss;
          if (dampingUpdate === "gain-ratio") {
            const rho = predicted > 0 ? (current.loss - next.loss) / predicted : 1;
            damping = Math.max(damping * Math.max(1 / 3, 1 - (2 * rho - 1) ** 3), 1e-12);
            growth = 2;
          } else {
            damping = Math.max(damping / 3, 1e-12);
          }
          theta = trial;
          current = next;
          accepted = true;
        } else {
          reject();
          if (damping > 1e10) break;
        }
      }
      options.onIteration?.({
        iteration: iterations,
        loss: current.loss,
        damping,
        valueRms: rms(current.residual.subarray(0, numPoints)),
        accepted,
      });
      if (!accepted) {
        stopReason = "no_decrease";
        break;
      }
      if (decrease < tolerance) {
        stopReason = "converged";
        break;
      }
    }
  } finally {
    pointsTensor.dispose();
  }

  const report = await fitErrors(options, theta, guardFactor);
  const warnings = [...report.warnings];
  if (indefiniteTrials > 0) {
    warnings.push(
      `${indefiniteTrials} of ${trials} damping trials met a system that was not positive definite in float64 and were rejected (μ raised); ` +
        `a float32 Gram at small damping does this — weightDecay > 0 or gramPrecision: "float64" avoids it`,
    );
  }
  if (stopReason === "max_iterations") {
    warnings.push(`the fit used all ${maxIterations} iterations; more may lower the error (value RMS ${report.valueRms.toExponential(2)})`);
  }
  let norm2 = 0;
  for (let k = 0; k < p; k++) norm2 += (theta[k] as number) ** 2;
  return {
    ...report,
    parameters: theta,
    iterations,
    stopReason,
    loss: current.loss,
    finalDamping: damping,
    parameterNorm: Math.sqrt(norm2),
    warnings,
    timings: { ...clock, total: (performance.now() - started) / 1000 },
    trials,
  };
}

/**
 * JᵀJ (primal) or JJᵀ (dual) by float32 matMuls on the backend, with explicit transposes. The
 * product is symmetric, so above 512 rows it is formed as a staircase of 4 row blocks, each only
 * from its diagonal block rightwards (G[i-block, s_i:] = M_i·(Mᵀ)[:, s_i:] for M = Jᵀ or J):
 * 10/16 of the full product's multiply-adds.
 * Exported (as an internal) for its test and for bench:fit.
 */
export async function backendGram(tf: TensorFlow, jacobian: Float64Array, rows: number, p: number, primal: boolean): Promise<DenseMatrix> {
  const size = primal ? p : rows;
  const numBlocks = size > 512 ? 4 : 1;
  const bounds = Array.from({ length: numBlocks + 1 }, (_, i) => Math.round((i * size) / numBlocks));
  const products = tf.tidy(() => {
    const j = tf.tensor2d(Float32Array.from(jacobian), [rows, p]);
    const jt = tf.transpose(j);
    const m = primal ? jt : j; // size × inner
    const mt = primal ? j : jt; // inner × size
    if (numBlocks === 1) return [tf.matMul(m, mt)];
    return bounds.slice(0, -1).map((s, i) => {
      const height = (bounds[i + 1] as number) - s;
      return tf.matMul(tf.slice(m, [s, 0], [height, -1]), tf.slice(mt, [0, s], [-1, size - s]));
    });
  });
  try {
    const data = new Float64Array(size * size);
    for (let i = 0; i < numBlocks; i++) {
      const s = bounds[i] as number;
      const e = bounds[i + 1] as number;
      const width = size - s;
      const values = await (products[i] as Tensor2D).data();
      for (let r = 0; r < e - s; r++) {
        const a = s + r;
        for (let c = 0; c < width; c++) {
          const b = s + c;
          if (b < a) continue;
          // Inside the diagonal block both triangles were computed: symmetrise (the two float32
          // roundings need not agree); right of it each entry exists once.
          const value = b < e ? 0.5 * ((values[r * width + c] as number) + (values[(b - s) * width + (a - s)] as number)) : (values[r * width + c] as number);
          data[a * size + b] = value;
          data[b * size + a] = value;
        }
      }
    }
    return denseMatrix(size, size, data);
  } finally {
    for (const product of products) product.dispose();
  }
}

/** (JᵀJ + ν|X| diag(s²) + μ (diag JᵀJ + 10⁻⁶ mean diag)) δ = −g, in float64. */
function primalStep(gram: Float64Array, p: number, gradient: Float64Array, ridgeOf: (k: number) => number, damping: number, diagonalMean: number): Float64Array {
  const system = new Float64Array(gram);
  for (let k = 0; k < p; k++) {
    const dk = gram[k * p + k] as number;
    system[k * p + k] = dk + ridgeOf(k) + damping * (dk + 1e-6 * diagonalMean);
  }
  const step = factorise(system, p).solve(gradient);
  for (let k = 0; k < p; k++) step[k] = -(step[k] as number);
  return step;
}

/** δ = −(JᵀJ + cI)⁻¹g = −(g − Jᵀ(JJᵀ + cI)⁻¹Jg)/c (Woodbury), for p > M. */
function dualStep(jacobian: Float64Array, rows: number, p: number, kernel: Float64Array, gradient: Float64Array, c: number): Float64Array {
  const system = new Float64Array(kernel);
  for (let i = 0; i < rows; i++) system[i * rows + i] = (system[i * rows + i] as number) + c;
  const jg = timesVector({ rows, cols: p, data: jacobian }, gradient);
  const w = factorise(system, rows).solve(jg);
  const back = transposeTimesVector({ rows, cols: p, data: jacobian }, w);
  const step = new Float64Array(p);
  for (let k = 0; k < p; k++) step[k] = -((gradient[k] as number) - (back[k] as number)) / c;
  return step;
}

function factorise(system: Float64Array, n: number): CholeskyFactor {
  try {
    return cholesky({ rows: n, cols: n, data: system });
  } catch (error) {
    if (!isMinevoError(error, ErrorCode.NotPositiveDefinite)) throw error;
    throw new MinevoError(
      ErrorCode.NotPositiveDefinite,
      `the ${n}×${n} Levenberg–Marquardt system is not positive definite in float64 even with damping μ > 1e10; check the network's Jacobian for non-finite or huge entries`,
      { n },
      { cause: error },
    );
  }
}

function rms(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i] as number) ** 2;
  return values.length === 0 ? 0 : Math.sqrt(s / values.length);
}

/** The fit's errors at the check points, and the derivative guard. */
async function fitErrors(options: InitialFitOptions, theta: Float64Array, guardFactor: number) {
  const { tf, network, target } = options;
  const d = network.inputDim;
  const width = d + network.conditionDim;
  const points = options.checkPoints ?? options.points;
  const numPoints = checkPoints(points, width, "the check points");
  const request: NetworkRequest = { value: true, gradient: target.gradient !== undefined, laplacian: true };
  const pointsTensor = tf.tensor2d(Float32Array.from(points), [numPoints, width]);
  const evaluation = network.evaluate(tf, theta, pointsTensor, request);
  let u: Float32Array;
  let gradient: Float32Array | undefined;
  let laplacian: Float32Array;
  try {
    u = (await evaluation.value!.data()) as Float32Array;
    gradient = target.gradient !== undefined ? ((await evaluation.gradient!.data()) as Float32Array) : undefined;
    laplacian = (await evaluation.laplacian!.data()) as Float32Array;
  } finally {
    evaluation.dispose();
    pointsTensor.dispose();
  }
  const goal = evaluateTarget(target, points, numPoints, width, d, target.gradient !== undefined);
  let valueSquares = 0;
  let valueMaxAbs = 0;
  let gradientSquares = 0;
  let gradientNormSquares = 0;
  let modelMaxAbs = 0;
  let targetMaxAbs = 0;
  let laplacianSquares = 0;
  for (let i = 0; i < numPoints; i++) {
    const e = (u[i] as number) - (goal.value[i] as number);
    valueSquares += e * e;
    valueMaxAbs = Math.max(valueMaxAbs, Math.abs(e));
    if (gradient !== undefined && goal.gradient !== undefined) {
      for (let k = 0; k < d; k++) {
        gradientSquares += ((gradient[i * d + k] as number) - (goal.gradient[i * d + k] as number)) ** 2;
        gradientNormSquares += (goal.gradient[i * d + k] as number) ** 2;
      }
    }
    const lap = laplacian[i] as number;
    modelMaxAbs = Math.max(modelMaxAbs, Math.abs(lap));
    if (target.laplacian !== undefined) {
      const exact = target.laplacian(points.subarray(i * width, (i + 1) * width));
      targetMaxAbs = Math.max(targetMaxAbs, Math.abs(exact));
      laplacianSquares += (lap - exact) ** 2;
    }
  }
  const warnings: string[] = [];
  let guard: LaplacianGuard;
  if (target.laplacian !== undefined) {
    const ratio = modelMaxAbs / targetMaxAbs;
    // A zero target Laplacian admits only a (numerically) zero model Laplacian.
    const ok = targetMaxAbs === 0 ? modelMaxAbs <= 1e-3 : ratio <= guardFactor && ratio >= 1 / guardFactor;
    guard = { modelMaxAbs, targetMaxAbs, ratio, ok };
    if (!ok) {
      warnings.push(
        `derivative guard: max|Δu_θ| = ${modelMaxAbs.toPrecision(3)} at the check points against max|Δg| = ${targetMaxAbs.toPrecision(3)} ` +
          `(ratio ${ratio.toPrecision(3)}, allowed ${guardFactor}×): the fit matches values but not derivatives and the evolution ` +
          `will be stiff; raise weightDecay (1e-4…1e-3), add a quadratic term, or fit gradients`,
      );
    }
  } else {
    guard = { modelMaxAbs, ok: true };
  }
  if (!Number.isFinite(valueSquares)) warnings.push("the fitted u_θ is not finite at some check points");
  return {
    valueRms: Math.sqrt(valueSquares / numPoints),
    valueMaxAbs,
    ...(gradient !== undefined
      ? { gradientRms: Math.sqrt(gradientSquares / numPoints), gradientRelativeRms: Math.sqrt(gradientSquares / Math.max(gradientNormSquares, Number.MIN_VALUE)) }
      : {}),
    ...(target.laplacian !== undefined ? { laplacianRms: Math.sqrt(laplacianSquares / numPoints) } : {}),
    laplacianGuard: guard,
    warnings,
  };
}
