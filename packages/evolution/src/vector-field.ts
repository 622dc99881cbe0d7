/**
 * The MNE vector field: (t, θ, X, extra) ↦ (θ̇, Ẋ, extra rates).
 *
 * θ̇ is the smallest parameter velocity that satisfies the equation at the collocation points,
 * θ̇ = argmin ‖J θ̇ − f‖² + λ‖θ̇‖² with J = ∂u_θ(X)/∂θ and f = A_t[u_θ](X), solved by the
 * sketching strategy; Ẋ and the extra rates come from the equation, evaluated with the same
 * u, ∇ₓu, Δₓu of the network.
 *
 * The integrated state lives on the CPU in float64 ({@link MneState}): the integrator's stage
 * combinations stay in float64, and θ is rounded to float32 once per evaluation when it is
 * uploaded (p numbers, negligible next to the N×p Jacobian). Points are uploaded the same way;
 * fixed points are uploaded once and kept on the backend.
 */
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import {
  ErrorCode,
  MinevoError,
  isMinevoError,
  quote,
  type EquationInput,
  type EvolutionEquation,
  type Network,
  type NetworkEvaluation,
  type SketchStrategy,
  type TensorFlow,
} from "@minevo/core";

/**
 * The state the integrator carries. `points` (N×d, row-major: the diffused coordinates only;
 * conditioning variables never move) is present exactly when the equation moves the points;
 * `extra` exactly when the equation carries per-point scalars. Keeping fixed coordinates out of
 * the state keeps them out of the integrator's RMS error norm, which they would otherwise dilute.
 */
export type MneState = {
  readonly theta: Float64Array;
  readonly points?: Float64Array;
  readonly extra?: { readonly [name: string]: Float64Array };
};

/** What one right-hand-side evaluation saw: the numbers to log, plot or abort on. */
export interface VectorFieldDiagnostics {
  readonly t: number;
  /** The running count of evaluations, this one included. */
  readonly evaluation: number;
  /** max |f| over the points (NaN when f is not finite). */
  readonly maxAbsRhs: number;
  /** ‖θ̇‖₂ (NaN when f is not finite). */
  readonly thetaDotNorm: number;
  /** The effective rank r_λ the sketch reported. */
  readonly effectiveRank: number;
  readonly lambda: number;
  readonly systemSize: number;
  /** ‖J θ̇ − f‖ / ‖f‖, when the residual was requested. */
  readonly relativeResidual?: number;
  /** False when f (or θ̇) was not finite: the evaluation then returned NaN rates. */
  readonly finite: boolean;
}

export interface MneVectorFieldOptions {
  readonly tf: TensorFlow;
  readonly network: Network;
  /** A prepared strategy (its Ω drawn for these N and p). */
  readonly sketch: SketchStrategy;
  readonly equation: EvolutionEquation;
  /** All initial collocation points, N×(d+c) row-major. Only the fixed columns are kept. */
  readonly points: Float64Array;
  /** Compute ‖Jθ̇ − f‖/‖f‖ at every evaluation (one more N×p product and readback). */
  readonly computeResidual?: boolean;
  /** Called after every evaluation, accepted step or not. */
  readonly onEvaluation?: (diagnostics: VectorFieldDiagnostics) => void;
}

export class MneVectorField {
  readonly numPoints: number;
  readonly numParameters: number;
  readonly inputDim: number;
  readonly conditionDim: number;
  /** True when the equation moves the points (the state then carries them). */
  readonly movesPoints: boolean;
  readonly extraState: readonly string[];
  #evaluations = 0;
  #last: VectorFieldDiagnostics | undefined;
  readonly #options: MneVectorFieldOptions;
  /** N×c conditioning columns, float32 (empty when c = 0). */
  readonly #conditions: Float32Array;
  /** The points as a float32 tensor, kept while they do not move. */
  #fixedPoints: Tensor2D | undefined;
  #disposed = false;

  constructor(options: MneVectorFieldOptions) {
    const { network, equation, points } = options;
    this.#options = options;
    this.inputDim = network.inputDim;
    this.conditionDim = network.conditionDim;
    this.numParameters = network.numParameters;
    const width = this.inputDim + this.conditionDim;
    if (points.length % width !== 0 || points.length === 0) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `the collocation points have ${points.length} numbers, not a positive multiple of d + c = ${width}; pass N×(d+c) row-major`,
        { length: points.length, width },
      );
    }
    this.numPoints = points.length / width;
    this.movesPoints = equation.pointVelocity !== undefined;
    this.extraState = [...equation.extraState];
    if (this.extraState.length > 0 && equation.extraStateRates === undefined) {
      throw new MinevoError(
        ErrorCode.InvalidArgument,
        `equation "${equation.name}" declares extra state ${quote(this.extraState)} but no extraStateRates`,
        { equation: equation.name },
      );
    }
    equation.checkDimensions?.({ inputDim: this.inputDim, conditionDim: this.conditionDim });
    this.#conditions = new Float32Array(this.numPoints * this.conditionDim);
    for (let i = 0; i < this.numPoints; i++) {
      for (let j = 0; j < this.conditionDim; j++) {
        this.#conditions[i * this.conditionDim + j] = points[i * width + this.inputDim + j] as number;
      }
    }
    if (!this.movesPoints) this.#fixedPoints = options.tf.tensor2d(Float32Array.from(points), [this.numPoints, width]);
  }

  /** Right-hand-side evaluations so far. */
  get evaluations(): number {
    return this.#evaluations;
  }

  /** The diagnostics of the latest evaluation. */
  get lastDiagnostics(): VectorFieldDiagnostics | undefined {
    return this.#last;
  }

  /** The initial integrator state from θ, all points N×(d+c), and the extra scalars. */
  initialState(parameters: Float64Array, points: Float64Array, extra: Readonly<Record<string, ArrayLike<number>>> = {}): MneState {
    if (parameters.length !== this.numParameters) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `θ has ${parameters.length} entries but the network has p = ${this.numParameters} parameters`,
        { length: parameters.length, expected: this.numParameters },
      );
    }
    const state: { theta: Float64Array; points?: Float64Array; extra?: Record<string, Float64Array> } = {
      theta: Float64Array.from(parameters),
    };
    if (this.movesPoints) state.points = this.diffusedCoordinates(points);
    const names = Object.keys(extra);
    for (const name of names) {
      if (!this.extraState.includes(name)) {
        throw new MinevoError(
          ErrorCode.InvalidArgument,
          `extra state ${quote(name)} is not carried by equation "${this.#options.equation.name}" (it carries ${quote(this.extraState)})`,
          { name },
        );
      }
    }
    if (this.extraState.length > 0) {
      const carried: Record<string, Float64Array> = {};
      for (const name of this.extraState) {
        const values = extra[name];
        if (values === undefined || values.length !== this.numPoints) {
          throw new MinevoError(
            ErrorCode.DimensionMismatch,
            `equation "${this.#options.equation.name}" carries the per-point scalar ${quote(name)}: give ${this.numPoints} initial values, got ${values === undefined ? "none" : values.length}`,
            { name, expected: this.numPoints },
          );
        }
        carried[name] = Float64Array.from(values);
      }
      state.extra = carried;
    }
    return state;
  }

  /** The first d columns of N×(d+c) points. */
  diffusedCoordinates(points: Float64Array): Float64Array {
    const width = this.inputDim + this.conditionDim;
    const d = this.inputDim;
    const out = new Float64Array(this.numPoints * d);
    for (let i = 0; i < this.numPoints; i++) for (let j = 0; j < d; j++) out[i * d + j] = points[i * width + j] as number;
    return out;
  }

  /** All points N×(d+c) (float64) for a state: moving x from the state, fixed columns otherwise. */
  pointsOf(state: MneState, initialPoints: Float64Array): Float64Array {
    if (state.points === undefined) return Float64Array.from(initialPoints);
    const width = this.inputDim + this.conditionDim;
    const d = this.inputDim;
    const c = this.conditionDim;
    const out = new Float64Array(this.numPoints * width);
    for (let i = 0; i < this.numPoints; i++) {
      for (let j = 0; j < d; j++) out[i * width + j] = state.points[i * d + j] as number;
      for (let j = 0; j < c; j++) out[i * width + d + j] = this.#conditions[i * c + j] as number;
    }
    return out;
  }

  #uploadPoints(state: MneState): Tensor2D {
    const { tf } = this.#options;
    if (this.#fixedPoints !== undefined) return tf.clone(this.#fixedPoints);
    const moving = state.points;
    const d = this.inputDim;
    const c = this.conditionDim;
    if (moving === undefined || moving.length !== this.numPoints * d) {
      throw new MinevoError(ErrorCode.DimensionMismatch, `the state's points must hold N×d = ${this.numPoints * d} numbers`, {
        length: moving?.length,
      });
    }
    const width = d + c;
    const data = new Float32Array(this.numPoints * width);
    for (let i = 0; i < this.numPoints; i++) {
      for (let j = 0; j < d; j++) data[i * width + j] = moving[i * d + j] as number;
      for (let j = 0; j < c; j++) data[i * width + d + j] = this.#conditions[i * c + j] as number;
    }
    return tf.tensor2d(data, [this.numPoints, width]);
  }

  /** d/dt of the state at (t, state). Owned by the caller (fresh arrays every call). */
  async evaluate(t: number, state: MneState): Promise<MneState> {
    if (this.#disposed) throw new MinevoError(ErrorCode.InvalidState, "the MNE vector field was disposed; create a new solver run");
    const { tf, network, equation } = this.#options;
    const N = this.numPoints;
    const d = this.inputDim;
    this.#evaluations++;
    const points = this.#uploadPoints(state);
    const needGradient = equation.requirements.gradient;
    let evaluation: NetworkEvaluation | undefined;
    let packed: Tensor1D | undefined;
    try {
      evaluation = network.evaluate(tf, state.theta, points, {
        value: true,
        gradient: needGradient,
        laplacian: equation.requirements.laplacian,
        jacobian: true,
      });
      const current = evaluation;
      packed = tf.tidy(() => this.#equationOutputs(t, state, points, current));
      // One readback for f, Ẋ and the extra rates together.
      const values = await packed.data();
      const f = Float64Array.from(values.subarray(0, N));
      let offset = N;
      const velocity = this.movesPoints ? Float64Array.from(values.subarray(offset, (offset += N * d))) : undefined;
      const extraRates: Record<string, Float64Array> = {};
      for (const name of this.extraState) extraRates[name] = Float64Array.from(values.subarray(offset, (offset += N)));

      let maxAbsRhs = 0;
      let finite = true;
      for (let i = 0; i < N; i++) {
        const a = Math.abs(f[i] as number);
        if (!(a <= Number.MAX_VALUE)) finite = false;
        else if (a > maxAbsRhs) maxAbsRhs = a;
      }
      let thetaDot: Float64Array;
      let diagnostics: VectorFieldDiagnostics;
      const solution = finite ? await this.#solveSketch(evaluation, f) : undefined;
      if (solution === undefined) {
        // A non-finite f (or θ̇) cannot be projected. NaN rates make the integrator reject the
        // step or stop with a "nonfinite" status; the diagnostics say where it happened.
        thetaDot = new Float64Array(this.numParameters).fill(Number.NaN);
        diagnostics = {
          t,
          evaluation: this.#evaluations,
          maxAbsRhs: finite ? maxAbsRhs : Number.NaN,
          thetaDotNorm: Number.NaN,
          effectiveRank: Number.NaN,
          lambda: Number.NaN,
          systemSize: 0,
          finite: false,
        };
      } else {
        thetaDot = solution.thetaDot;
        let norm2 = 0;
        for (let k = 0; k < thetaDot.length; k++) norm2 += (thetaDot[k] as number) ** 2;
        const base = {
          t,
          evaluation: this.#evaluations,
          maxAbsRhs,
          thetaDotNorm: Math.sqrt(norm2),
          effectiveRank: solution.effectiveRank,
          lambda: solution.lambda,
          systemSize: solution.systemSize,
          finite: Number.isFinite(norm2),
        };
        diagnostics =
          this.#options.computeResidual === true
            ? { ...base, relativeResidual: await this.#relativeResidual(evaluation, thetaDot, f) }
            : base;
      }
      this.#last = diagnostics;
      this.#options.onEvaluation?.(diagnostics);

      const rate: { theta: Float64Array; points?: Float64Array; extra?: Record<string, Float64Array> } = { theta: thetaDot };
      if (velocity !== undefined) rate.points = velocity;
      if (this.extraState.length > 0) rate.extra = extraRates;
      return rate;
    } finally {
      packed?.dispose();
      evaluation?.dispose();
      points.dispose();
    }
  }

  /** [f; vec(Ẋ); extra rates] as one flat tensor, shapes checked. Runs inside tf.tidy. */
  #equationOutputs(t: number, state: MneState, points: Tensor2D, evaluation: NetworkEvaluation): Tensor1D {
    const { tf, equation } = this.#options;
    const N = this.numPoints;
    const d = this.inputDim;
    const value = evaluation.value;
    if (value === undefined) {
      throw new MinevoError(ErrorCode.InvalidArgument, `network "${this.#options.network.name}" returned no value although it was requested`);
    }
    const extra: Record<string, Tensor1D> = {};
    for (const name of this.extraState) extra[name] = tf.tensor1d(Float32Array.from(state.extra?.[name] ?? []));
    const input: EquationInput = {
      tf,
      t,
      points,
      inputDim: d,
      conditionDim: this.conditionDim,
      value,
      ...(evaluation.gradient !== undefined ? { gradient: evaluation.gradient } : {}),
      ...(evaluation.laplacian !== undefined ? { laplacian: evaluation.laplacian } : {}),
      extra,
    };
    const parts: Tensor[] = [];
    const f = equation.rhs(input);
    this.#checkShape(f, [N], "rhs");
    parts.push(f);
    if (this.movesPoints && equation.pointVelocity !== undefined) {
      const velocity = equation.pointVelocity(input);
      this.#checkShape(velocity, [N, d], "pointVelocity");
      parts.push(tf.reshape(velocity, [-1]));
    }
    if (this.extraState.length > 0 && equation.extraStateRates !== undefined) {
      const rates = equation.extraStateRates(input);
      for (const name of this.extraState) {
        const rate = rates[name];
        if (rate === undefined) {
          throw new MinevoError(ErrorCode.InvalidArgument, `equation "${equation.name}" returned no rate for its extra state ${quote(name)}`);
        }
        this.#checkShape(rate, [N], `extraStateRates.${name}`);
        parts.push(rate);
      }
    }
    return (parts.length === 1 ? tf.clone(f) : tf.concat(parts.map((p) => tf.reshape(p, [-1])))) as Tensor1D;
  }

  #checkShape(tensor: Tensor, expected: readonly number[], what: string): void {
    const shape = tensor.shape;
    if (shape.length !== expected.length || shape.some((s, i) => s !== expected[i])) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `equation "${this.#options.equation.name}" ${what} returned shape ${quote(shape)}; expected ${quote(expected)}`,
        { shape, expected },
      );
    }
  }

  async #solveSketch(evaluation: NetworkEvaluation, f: Float64Array) {
    const jacobian = evaluation.jacobian;
    if (jacobian === undefined) {
      throw new MinevoError(ErrorCode.InvalidArgument, `network "${this.#options.network.name}" returned no Jacobian although it was requested`);
    }
    try {
      return await this.#options.sketch.solve({ jacobian, rhs: f, tf: this.#options.tf });
    } catch (error) {
      // A non-finite J makes θ̇ non-finite: the same failure as a non-finite f, reported the same way.
      if (isMinevoError(error, ErrorCode.NonFinite)) return undefined;
      throw error;
    }
  }

  async #relativeResidual(evaluation: NetworkEvaluation, thetaDot: Float64Array, f: Float64Array): Promise<number> {
    const { tf } = this.#options;
    const jacobian = evaluation.jacobian;
    if (jacobian === undefined) return Number.NaN;
    const direction = tf.tensor2d(Float32Array.from(thetaDot), [thetaDot.length, 1]);
    const product = jacobian.times(direction);
    direction.dispose();
    const jThetaDot = await product.data();
    product.dispose();
    let r2 = 0;
    let f2 = 0;
    for (let i = 0; i < f.length; i++) {
      r2 += ((jThetaDot[i] as number) - (f[i] as number)) ** 2;
      f2 += (f[i] as number) ** 2;
    }
    return f2 > 0 ? Math.sqrt(r2 / f2) : Math.sqrt(r2);
  }

  /** Releases the fixed points kept on the backend. Safe to call twice. */
  dispose(): void {
    this.#disposed = true;
    this.#fixedPoints?.dispose();
    this.#fixedPoints = undefined;
  }
}
