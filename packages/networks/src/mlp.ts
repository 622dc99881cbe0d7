/**
 * The multilayer perceptron ansatz
 *
 *     u(x, y) = e(x)·(wᵀh_L + b) − ½ xᵀPx − ¼ Σᵢ rᵢxᵢ⁴ − ½ Σᵢ qᵢxᵢ² / (e^{vᵀx+c} + e^k),
 *     h_0 = [s, sin(sB), cos(sB)] or s,   s = (x, y)/ℓ_in,
 *     h_l = σ(W_l h_{l−1} + b_l)  (+ h_{l−1} with a residual connection),
 *
 * with the optional Fourier features, Gaussian envelope e(x) = exp(−|x|²/(2ℓ²)), quadratic term
 * per-coordinate quartic term (for log-densities with quartic tails: many-well, banana) and
 * hierarchical term (a variance set by other coordinates: Neal's funnel). Every derivative is exact and batched over the N points:
 *  - ∇ₓ and Δₓ by forward propagation: each layer carries G = ∂h/∂x as a d×N×width tensor
 *    (one matMul per layer for all d directions) and Λ = Δₓh; through a = σ(z),
 *    ∂a = σ'(z)·∂z and Δa = σ''(z)·Σₖ(∂ₖz)² + σ'(z)·Δz. No probes, no per-point autodiff.
 *  - J by manual backpropagation of δ_l = ∂u/∂z_l, returned in factored form (see
 *    factored-jacobian.ts).
 * Weights are stored input-major (fanIn×fanOut) so the forward pass is h·W with no transpose.
 */
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs-core";
import {
  ErrorCode,
  MinevoError,
  RandomStream,
  assertFinite,
  quote,
  type Network,
  type NetworkEvaluation,
  type NetworkJSON,
  type NetworkRequest,
  type ParameterBlock,
  type TensorFlow,
} from "@minevo/core";
import { activate, activateFloat64 } from "./activations.js";
import { FactoredJacobian, type JacobianBlock } from "./factored-jacobian.js";
import { layoutSize, parameterLayout } from "./layout.js";
import type { MlpOptions } from "./mlp-options.js";
import { QuadraticTerm } from "./quadratic.js";

interface DenseLayer {
  readonly weight: ParameterBlock;
  readonly bias: ParameterBlock;
  readonly fanIn: number;
  readonly fanOut: number;
  readonly residual: boolean;
}

/** Derivative state of a layer's activations: ∂h/∂x as d×N×width (or d×1×width, constant in the points) and Δₓh. */
interface Derivatives {
  readonly gradient: Tensor;
  readonly laplacian: Tensor | null;
}

export class MlpNetwork implements Network {
  readonly name = "mlp";
  readonly inputDim: number;
  readonly conditionDim: number;
  readonly numParameters: number;
  readonly parameterLayout: readonly ParameterBlock[];
  /** The validated options this network was built from (recorded by toJSON). */
  readonly options: MlpOptions;
  /** 1/ℓ_q² over the quadratic block, 1/ℓ_r⁴ over the quartic block, 1 elsewhere; undefined when both are 1. */
  readonly parameterScales?: Float64Array;
  readonly #layers: readonly DenseLayer[];
  readonly #outputWeight: ParameterBlock;
  readonly #outputBias: ParameterBlock;
  readonly #quadratic: QuadraticTerm | null;
  readonly #quadraticBlock: ParameterBlock | null;
  readonly #fixedQuadraticCoefficients: Float32Array | null;
  /** 1/ℓ_q²: the quadratic term is −½xᵀ(P/ℓ_q²)x. */
  readonly #quadraticScale: number;
  /** The quartic term's coefficients r (d values), when it is on. */
  readonly #quarticBlock: ParameterBlock | null;
  /** 1/ℓ_r⁴: the stored quartic coefficients times this are rᵢ in x's units. */
  readonly #quarticScale: number;
  /** The hierarchical term's q (d), v (d), c and k, when it is on. */
  readonly #hierarchicalBlock: ParameterBlock | null;
  /** Fourier frequencies B, (d+c)×m row-major, rounded to float32 so both evaluation paths use the same B. */
  readonly #frequencies: Float32Array | null;
  readonly #numFrequencies: number;
  /** The radial features' group indicator M (d×g row-major, Mₖg = 1 when k ∈ G_g), or null. */
  readonly #radialMask: Float32Array | null;
  readonly #numRadial: number;

  constructor(options: MlpOptions) {
    this.options = options;
    this.inputDim = options.inputDim;
    this.conditionDim = options.conditionDim;
    const inputs = this.inputDim + this.conditionDim;
    const fourier = options.fourierFeatures;
    if (options.inputWarp !== undefined && fourier !== undefined) {
      throw new MinevoError(ErrorCode.InvalidOptions, `inputWarp "${options.inputWarp}" and fourierFeatures cannot be combined: the Fourier phases would need the warp's chain rule; use one of the two`, {
        field: "inputWarp",
      });
    }
    const radial = options.radialFeatures;
    if (radial !== undefined && fourier !== undefined) {
      throw new MinevoError(ErrorCode.InvalidOptions, "radialFeatures and fourierFeatures cannot be combined: use one of the two", { field: "radialFeatures" });
    }
    this.#numRadial = radial?.groups.length ?? 0;
    this.#radialMask = null;
    if (radial !== undefined) {
      const mask = new Float32Array(this.inputDim * this.#numRadial);
      radial.groups.forEach((group, g) => {
        for (const k of group) {
          if (k >= this.inputDim) {
            throw new MinevoError(ErrorCode.InvalidOptions, `radialFeatures.groups[${g}] names coordinate ${k}, but the diffused coordinates are 0…${this.inputDim - 1}`, {
              field: "radialFeatures.groups",
            });
          }
          if (mask[k * this.#numRadial + g] === 1) {
            throw new MinevoError(ErrorCode.InvalidOptions, `radialFeatures.groups[${g}] names coordinate ${k} twice`, { field: "radialFeatures.groups" });
          }
          mask[k * this.#numRadial + g] = 1;
        }
      });
      this.#radialMask = mask;
    }
    this.#numFrequencies = fourier?.count ?? 0;
    if (fourier !== undefined) {
      const random = RandomStream.fromSeed(fourier.seed).derive("fourier-features");
      this.#frequencies = Float32Array.from(random.normals(inputs * fourier.count), (v) => v * fourier.scale);
    } else this.#frequencies = null;

    const blocks: { name: string; shape: number[] }[] = [];
    const widths = [inputs + 2 * this.#numFrequencies + this.#numRadial, ...options.hiddenWidths];
    for (let l = 0; l + 1 < widths.length; l++) {
      blocks.push({ name: `hidden${l}.weight`, shape: [widths[l] as number, widths[l + 1] as number] });
      blocks.push({ name: `hidden${l}.bias`, shape: [widths[l + 1] as number] });
    }
    const last = widths[widths.length - 1] as number;
    blocks.push({ name: "output.weight", shape: [last] }, { name: "output.bias", shape: [] });
    const quadratic = options.quadratic;
    this.#quadratic = quadratic === undefined ? null : new QuadraticTerm(quadratic.form, this.inputDim);
    if (quadratic !== undefined && quadratic.learnable) blocks.push({ name: "quadratic", shape: [this.#quadratic!.numCoefficients] });
    this.#quadraticScale = quadratic === undefined ? 1 : 1 / quadratic.lengthScale ** 2;
    this.#fixedQuadraticCoefficients =
      quadratic !== undefined && !quadratic.learnable ? Float32Array.from(this.#initialQuadratic(quadratic.initial, quadratic.lengthScale)) : null;
    if (options.quartic !== undefined) blocks.push({ name: "quartic", shape: [this.inputDim] });
    this.#quarticScale = options.quartic === undefined ? 1 : 1 / options.quartic.lengthScale ** 4;
    if (options.hierarchical !== undefined) {
      const weights = options.hierarchical.initialWeights;
      if (weights !== undefined && weights.length !== this.inputDim) {
        throw new MinevoError(
          ErrorCode.InvalidOptions,
          `hierarchical.initialWeights must have one value per diffused coordinate (d = ${this.inputDim}), got ${weights.length}`,
          { field: "hierarchical.initialWeights" },
        );
      }
      const initial = options.hierarchical.initial;
      if (typeof initial !== "number" && initial.length !== this.inputDim) {
        throw new MinevoError(
          ErrorCode.InvalidOptions,
          `hierarchical.initial must be one number or one value per diffused coordinate (d = ${this.inputDim}), got ${initial.length} values`,
          { field: "hierarchical.initial" },
        );
      }
      blocks.push({ name: "hierarchical", shape: [2 * this.inputDim + 2] });
    }

    this.parameterLayout = Object.freeze(parameterLayout(blocks));
    this.numParameters = layoutSize(this.parameterLayout);
    const byName = new Map(this.parameterLayout.map((b) => [b.name, b]));
    this.#layers = options.hiddenWidths.map((fanOut, l) => {
      const fanIn = widths[l] as number;
      // The first layer maps the inputs (not a hidden state), so it never takes a skip connection.
      return { weight: byName.get(`hidden${l}.weight`)!, bias: byName.get(`hidden${l}.bias`)!, fanIn, fanOut, residual: options.residual && l > 0 && fanIn === fanOut };
    });
    this.#outputWeight = byName.get("output.weight")!;
    this.#outputBias = byName.get("output.bias")!;
    this.#quadraticBlock = byName.get("quadratic") ?? null;
    this.#quarticBlock = byName.get("quartic") ?? null;
    this.#hierarchicalBlock = byName.get("hierarchical") ?? null;
    if (this.#quadraticScale !== 1 || this.#quarticScale !== 1) {
      const scales = new Float64Array(this.numParameters).fill(1);
      if (this.#quadraticBlock !== null) scales.fill(this.#quadraticScale, this.#quadraticBlock.offset, this.#quadraticBlock.offset + this.#quadraticBlock.size);
      if (this.#quarticBlock !== null) scales.fill(this.#quarticScale, this.#quarticBlock.offset, this.#quarticBlock.offset + this.#quarticBlock.size);
      this.parameterScales = scales;
    }
  }

  initialParameters(random: RandomStream): Float64Array {
    const init = this.options.initialization;
    const theta = new Float64Array(this.numParameters);
    const fill = (block: ParameterBlock, std: number) => {
      for (let i = 0; i < block.size; i++) theta[block.offset + i] = std * random.normal();
    };
    this.#layers.forEach((layer, l) => {
      const variance = init.weights === "lecun" ? 1 / layer.fanIn : init.weights === "he" ? 2 / layer.fanIn : 2 / (layer.fanIn + layer.fanOut);
      fill(layer.weight, Math.sqrt(variance));
      fill(layer.bias, l === 0 ? init.firstBiasStd : init.hiddenBiasStd);
    });
    fill(this.#outputWeight, init.outputScale / Math.sqrt(this.#outputWeight.size));
    if (this.#quadraticBlock !== null && this.options.quadratic !== undefined) {
      theta.set(this.#initialQuadratic(this.options.quadratic.initial, this.options.quadratic.lengthScale), this.#quadraticBlock.offset);
    }
    if (this.#quarticBlock !== null) theta.fill(this.options.quartic!.initial / this.#quarticScale, this.#quarticBlock.offset, this.#quarticBlock.offset + this.#quarticBlock.size);
    if (this.#hierarchicalBlock !== null) {
      const { offset } = this.#hierarchicalBlock;
      const d = this.inputDim;
      const { initial, initialWeights: weights, initialLogScale, initialFloor } = this.options.hierarchical!;
      if (typeof initial === "number") theta.fill(initial, offset, offset + d);
      else theta.set(initial, offset);
      if (weights !== undefined) theta.set(weights, offset + d);
      // By default c = k = 0: the variance starts at e^{vᵀx} + 1.
      theta[offset + 2 * d] = initialLogScale;
      theta[offset + 2 * d + 1] = Math.log(initialFloor);
    }
    return theta;
  }

  evaluate(tf: TensorFlow, parameters: Tensor1D | Float64Array | Float32Array, points: Tensor2D, request: NetworkRequest): NetworkEvaluation {
    this.#checkInputs(parameters, points);
    const wantGradient = request.gradient === true;
    const wantLaplacian = request.laplacian === true;
    const wantJacobian = request.jacobian === true;
    const propagate = wantGradient || wantLaplacian;
    const activationOrder = wantLaplacian ? 2 : propagate || wantJacobian ? 1 : 0;
    const n = points.shape[0];
    const d = this.inputDim;
    const inputs = d + this.conditionDim;

    const kept = tf.tidy(() => {
      const theta = parameters instanceof Float64Array || parameters instanceof Float32Array ? tf.tensor1d(Float32Array.from(parameters)) : parameters;
      const read = (block: ParameterBlock): Tensor => tf.reshape(tf.slice(theta, [block.offset], [block.size]), block.shape as number[]);
      const lengthScale = this.options.inputLengthScale;
      // A clone, not the caller's tensor: it may become a Jacobian factor that the operator disposes.
      const unwarped = lengthScale === 1 ? tf.clone(points) : tf.div(points, lengthScale);
      const x: Tensor2D = this.conditionDim === 0 ? points : tf.slice(points, [0, 0], [n, d]);
      // The warp acts on x's columns only; `warpInputs` keeps s = x/ℓ for the warp's derivatives.
      const warpInputs = (this.options.inputWarp === undefined ? null : this.conditionDim === 0 ? unwarped : tf.slice(unwarped, [0, 0], [n, d])) as Tensor2D | null;
      const scaled = (
        warpInputs === null ? unwarped : this.conditionDim === 0 ? tf.asinh(warpInputs) : tf.concat([tf.asinh(warpInputs), tf.slice(unwarped, [0, d], [n, this.conditionDim])], 1)
      ) as Tensor2D;

      let frequencies: Tensor2D | null = null;
      let sinFeatures: Tensor | null = null;
      let cosFeatures: Tensor | null = null;
      let h: Tensor = scaled;
      if (this.#frequencies !== null) {
        frequencies = tf.tensor2d(this.#frequencies, [inputs, this.#numFrequencies]);
        const phases = tf.matMul(scaled, frequencies);
        sinFeatures = tf.sin(phases);
        cosFeatures = tf.cos(phases);
        h = tf.concat([scaled, sinFeatures, cosFeatures], 1);
      }
      // ψ_G = ½ log(1 + r_G²/ℓ²) with r_G² = x²M; `radialDenominator` keeps ℓ² + r_G² for the derivatives.
      let radialMask: Tensor2D | null = null;
      let radialDenominator: Tensor2D | null = null;
      if (this.#radialMask !== null) {
        const ell2 = this.options.radialFeatures!.lengthScale ** 2;
        radialMask = tf.tensor2d(this.#radialMask, [d, this.#numRadial]);
        const radius2 = tf.matMul(tf.square(x), radialMask);
        radialDenominator = tf.add(radius2, ell2) as Tensor2D;
        h = tf.concat([scaled, tf.mul(0.5, tf.log1p(tf.div(radius2, ell2)))], 1);
      }

      const layerInputs: Tensor[] = [];
      const slopes: Tensor[] = [];
      const weights: Tensor2D[] = [];
      let derivatives: Derivatives | null = null;
      for (let l = 0; l < this.#layers.length; l++) {
        const layer = this.#layers[l]!;
        const weight = read(layer.weight) as Tensor2D;
        weights.push(weight);
        layerInputs.push(h);
        const z = tf.add(tf.matMul(h as Tensor2D, weight), read(layer.bias));
        const act = activate(tf, this.options.activation, z, activationOrder);
        if (act.first !== undefined) slopes.push(act.first);
        if (propagate) {
          const incoming =
            l === 0
              ? this.#radialDerivatives(
                  tf,
                  this.#firstLayerDerivatives(tf, weight, frequencies, sinFeatures, cosFeatures, warpInputs, n, wantLaplacian),
                  weight,
                  x,
                  radialMask,
                  radialDenominator,
                  n,
                  wantLaplacian,
                )
              : this.#linearDerivatives(tf, derivatives!, weight, n, wantLaplacian);
          const outgoing = nonlinearDerivatives(tf, incoming, act.first!, act.second);
          derivatives =
            layer.residual && derivatives !== null
              ? {
                  gradient: tf.add(derivatives.gradient, outgoing.gradient),
                  laplacian: outgoing.laplacian === null ? null : tf.add(derivatives.laplacian!, outgoing.laplacian),
                }
              : outgoing;
        }
        h = layer.residual ? tf.add(h, act.value) : act.value;
      }

      const width = this.#outputWeight.size;
      const outputWeight = tf.reshape(read(this.#outputWeight), [width, 1]) as Tensor2D;
      const mlpValue = tf.add(tf.reshape(tf.matMul(h as Tensor2D, outputWeight), [n]), read(this.#outputBias));
      let mlpGradient: Tensor | null = null;
      let mlpLaplacian: Tensor | null = null;
      const state = derivatives as Derivatives | null;
      // The envelope's Laplacian needs ∇m even when ∇u itself was not asked for.
      if (state !== null && (wantGradient || this.options.gaussianEnvelope !== undefined)) {
        const g = state.gradient.shape[1] === n ? state.gradient : tf.broadcastTo(state.gradient, [d, n, width]);
        mlpGradient = tf.transpose(tf.reshape(tf.matMul(tf.reshape(g, [d * n, width]) as Tensor2D, outputWeight), [d, n]));
      }
      if (state !== null && state.laplacian !== null) {
        mlpLaplacian = tf.reshape(tf.matMul(state.laplacian as Tensor2D, outputWeight), [n]);
      }

      // The envelope e(x) multiplies the MLP part: ∇(em) = e∇m + m∇e, Δ(em) = eΔm + 2∇e·∇m + mΔe.
      let envelope: Tensor | null = null;
      let value: Tensor = mlpValue;
      let gradient: Tensor | null = mlpGradient;
      let laplacian: Tensor | null = mlpLaplacian;
      if (this.options.gaussianEnvelope !== undefined) {
        const inverseWidth2 = 1 / this.options.gaussianEnvelope.width ** 2;
        const radius2 = tf.sum(tf.square(x), 1);
        const e = tf.exp(tf.mul(-0.5 * inverseWidth2, radius2));
        envelope = e;
        value = tf.mul(e, mlpValue);
        const envelopeGradient = tf.mul(tf.expandDims(tf.mul(-inverseWidth2, e), 1), x);
        if (mlpGradient !== null) {
          gradient = tf.add(tf.mul(tf.expandDims(e, 1), mlpGradient), tf.mul(tf.expandDims(mlpValue, 1), envelopeGradient));
        }
        if (mlpLaplacian !== null && mlpGradient !== null) {
          const envelopeLaplacian = tf.mul(e, tf.sub(tf.mul(inverseWidth2 * inverseWidth2, radius2), d * inverseWidth2));
          laplacian = tf.addN([tf.mul(e, mlpLaplacian), tf.mul(2, tf.sum(tf.mul(envelopeGradient, mlpGradient), 1)), tf.mul(mlpValue, envelopeLaplacian)]);
        }
      }

      if (this.#quadratic !== null) {
        const q: Tensor1D =
          this.#quadraticBlock !== null ? (read(this.#quadraticBlock) as Tensor1D) : tf.tensor1d(this.#fixedQuadraticCoefficients!);
        const xP = this.#quadratic.timesMatrix(tf, x, this.#quadraticScale === 1 ? q : tf.mul(q, this.#quadraticScale));
        value = tf.sub(value, tf.mul(0.5, tf.sum(tf.mul(xP, x), 1)));
        if (gradient !== null) gradient = tf.sub(gradient, xP);
        if (laplacian !== null) laplacian = tf.sub(laplacian, tf.mul(this.#quadratic.trace(tf, q), this.#quadraticScale));
      }
      // −¼ Σ rᵢxᵢ⁴: ∇ᵢ = −rᵢxᵢ³, Δ = −3 Σ rᵢxᵢ².
      if (this.#quarticBlock !== null) {
        const stored = read(this.#quarticBlock);
        const r = this.#quarticScale === 1 ? stored : tf.mul(stored, this.#quarticScale);
        const x2 = tf.square(x);
        value = tf.sub(value, tf.mul(0.25, tf.sum(tf.mul(tf.square(x2), r), 1)));
        if (gradient !== null) gradient = tf.sub(gradient, tf.mul(tf.mul(x2, x), r));
        if (laplacian !== null) laplacian = tf.sub(laplacian, tf.mul(3, tf.sum(tf.mul(x2, r), 1)));
      }
      let hierarchicalColumns: Tensor2D | null = null;
      if (this.#hierarchicalBlock !== null) {
        const term = hierarchicalTerm(tf, read(this.#hierarchicalBlock) as Tensor1D, x, d, gradient !== null, laplacian !== null, wantJacobian);
        value = tf.add(value, term.value);
        if (gradient !== null) gradient = tf.add(gradient, term.gradient!);
        if (laplacian !== null) laplacian = tf.add(laplacian, term.laplacian!);
        hierarchicalColumns = term.columns;
      }

      let jacobianBlocks: { left?: Tensor2D; right?: Tensor2D; columns?: Tensor2D }[] = [];
      if (wantJacobian) jacobianBlocks = this.#backpropagate(tf, layerInputs, slopes, weights, h, outputWeight, envelope, x, n);
      if (hierarchicalColumns !== null) jacobianBlocks.push({ columns: hierarchicalColumns });
      return {
        value: request.value === true ? (value as Tensor1D) : undefined,
        gradient: wantGradient && gradient !== null ? (gradient as Tensor2D) : undefined,
        laplacian: wantLaplacian && laplacian !== null ? (laplacian as Tensor1D) : undefined,
        jacobianBlocks,
      };
    });

    const jacobian = wantJacobian
      ? new FactoredJacobian(
          tf,
          n,
          kept.jacobianBlocks.map((b): JacobianBlock => (b.columns !== undefined ? { kind: "columns", columns: b.columns } : { kind: "outer", left: b.left!, right: b.right! })),
        )
      : undefined;
    const evaluation: NetworkEvaluation = {
      ...(kept.value !== undefined ? { value: kept.value } : {}),
      ...(kept.gradient !== undefined ? { gradient: kept.gradient } : {}),
      ...(kept.laplacian !== undefined ? { laplacian: kept.laplacian } : {}),
      ...(jacobian !== undefined ? { jacobian } : {}),
      dispose() {
        kept.value?.dispose();
        kept.gradient?.dispose();
        kept.laplacian?.dispose();
        jacobian?.dispose();
      },
    };
    return evaluation;
  }

  referenceValues(parameters: Float64Array, points: Float64Array, numPoints: number): Float64Array {
    const d = this.inputDim;
    const inputs = d + this.conditionDim;
    if (parameters.length !== this.numParameters || points.length !== numPoints * inputs) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `referenceValues needs θ of length ${this.numParameters} and ${numPoints}×${inputs} points, got ${parameters.length} and ${points.length} values`,
      );
    }
    const out = new Float64Array(numPoints);
    const m = this.#numFrequencies;
    const lengthScale = this.options.inputLengthScale;
    const quadraticCoefficients =
      this.#quadraticBlock !== null
        ? parameters.subarray(this.#quadraticBlock.offset, this.#quadraticBlock.offset + this.#quadraticBlock.size)
        : this.#fixedQuadraticCoefficients;
    for (let p = 0; p < numPoints; p++) {
      const g = this.#numRadial;
      let h = new Float64Array(inputs + 2 * m + g);
      for (let i = 0; i < inputs; i++) {
        const scaled = (points[p * inputs + i] as number) / lengthScale;
        h[i] = this.options.inputWarp === "asinh" && i < d ? Math.asinh(scaled) : scaled;
      }
      for (let f = 0; f < m; f++) {
        let phase = 0;
        for (let i = 0; i < inputs; i++) phase += (h[i] as number) * (this.#frequencies![i * m + f] as number);
        h[inputs + f] = Math.sin(phase);
        h[inputs + m + f] = Math.cos(phase);
      }
      for (let group = 0; group < g; group++) {
        let radius2 = 0;
        for (let k = 0; k < d; k++) radius2 += (this.#radialMask![k * g + group] as number) * (points[p * inputs + k] as number) ** 2;
        h[inputs + 2 * m + group] = 0.5 * Math.log1p(radius2 / this.options.radialFeatures!.lengthScale ** 2);
      }
      for (const layer of this.#layers) {
        const next = new Float64Array(layer.fanOut);
        for (let j = 0; j < layer.fanOut; j++) {
          let z = parameters[layer.bias.offset + j] as number;
          for (let i = 0; i < layer.fanIn; i++) z += (h[i] as number) * (parameters[layer.weight.offset + i * layer.fanOut + j] as number);
          next[j] = activateFloat64(this.options.activation, z) + (layer.residual ? (h[j] as number) : 0);
        }
        h = next;
      }
      let u = parameters[this.#outputBias.offset] as number;
      for (let j = 0; j < h.length; j++) u += (h[j] as number) * (parameters[this.#outputWeight.offset + j] as number);
      if (this.options.gaussianEnvelope !== undefined) {
        let radius2 = 0;
        for (let k = 0; k < d; k++) radius2 += (points[p * inputs + k] as number) ** 2;
        u *= Math.exp((-0.5 * radius2) / this.options.gaussianEnvelope.width ** 2);
      }
      if (this.#quadratic !== null) u += this.#quadraticScale * this.#quadratic.valueFloat64(quadraticCoefficients!, points, p * inputs);
      if (this.#quarticBlock !== null) {
        for (let k = 0; k < d; k++) u -= 0.25 * this.#quarticScale * (parameters[this.#quarticBlock.offset + k] as number) * (points[p * inputs + k] as number) ** 4;
      }
      if (this.#hierarchicalBlock !== null) {
        const o = this.#hierarchicalBlock.offset;
        let quadratic = 0;
        let exponent = parameters[o + 2 * d] as number;
        for (let k = 0; k < d; k++) {
          const xk = points[p * inputs + k] as number;
          quadratic += (parameters[o + k] as number) * xk * xk;
          exponent += (parameters[o + d + k] as number) * xk;
        }
        u -= (0.5 * quadratic) / (Math.exp(exponent) + Math.exp(parameters[o + 2 * d + 1] as number));
      }
      out[p] = u;
    }
    return out;
  }

  toJSON(parameters: ArrayLike<number>): NetworkJSON {
    if (parameters.length !== this.numParameters) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `toJSON needs θ of length p = ${this.numParameters}, got ${parameters.length}`,
        { expected: this.numParameters, actual: parameters.length },
      );
    }
    assertFinite(parameters, "θ", "a network with non-finite parameters cannot be saved meaningfully");
    return { name: this.name, options: structuredClone(this.options), parameters: Array.from(parameters) };
  }

  /** ∂z₁/∂x and Δₓz₁ for the first layer z₁ = h₀W₁ + b₁, without forming ∂h₀/∂x. */
  #firstLayerDerivatives(
    tf: TensorFlow,
    weight: Tensor2D,
    frequencies: Tensor2D | null,
    sinFeatures: Tensor | null,
    cosFeatures: Tensor | null,
    warpInputs: Tensor2D | null,
    n: number,
    wantLaplacian: boolean,
  ): Derivatives {
    const d = this.inputDim;
    const inputs = d + this.conditionDim;
    const fanOut = weight.shape[1];
    const lengthScale = this.options.inputLengthScale;
    if (warpInputs !== null) {
      // h₀ₖ = asinh(sₖ), sₖ = xₖ/ℓ: ∂h₀ₖ/∂xₖ = (1 + sₖ²)^{−½}/ℓ and ∂²h₀ₖ/∂xₖ² = −sₖ(1 + sₖ²)^{−3/2}/ℓ²,
      // so ∂z₁/∂xₖ = W₁[k]·∂h₀ₖ/∂xₖ (per point) and Δₓz₁ = Σₖ ∂²h₀ₖ/∂xₖ² W₁[k].
      const rowsOfX = tf.slice(weight, [0, 0], [d, fanOut]) as Tensor2D;
      const onePlus = tf.add(1, tf.square(warpInputs));
      const slope = tf.div(tf.rsqrt(onePlus), lengthScale); // [n, d]
      const gradient = tf.mul(tf.expandDims(tf.transpose(slope), 2), tf.expandDims(rowsOfX, 1)); // [d, n, fanOut]
      if (!wantLaplacian) return { gradient, laplacian: null };
      const curvature = tf.div(tf.neg(tf.mul(warpInputs, tf.pow(onePlus, -1.5))), lengthScale * lengthScale) as Tensor2D;
      return { gradient, laplacian: tf.matMul(curvature, rowsOfX) };
    }
    // ∂s/∂xₖ = eₖ/ℓ_in: the x-rows of W₁, the same at every point.
    const direct = tf.reshape(tf.div(tf.slice(weight, [0, 0], [d, fanOut]), lengthScale), [d, 1, fanOut]);
    if (frequencies === null) return { gradient: direct, laplacian: null };
    // ∂sin(sB)/∂xₖ = cos(sB)·Bₖ/ℓ_in, ∂cos(sB)/∂xₖ = −sin(sB)·Bₖ/ℓ_in; Δₓ gives −sin·β and −cos·β, β = Σₖ Bₖ²/ℓ_in².
    const m = this.#numFrequencies;
    const rows = tf.reshape(tf.div(tf.slice(frequencies, [0, 0], [d, m]), lengthScale), [d, 1, m]);
    const sinWeight = tf.slice(weight, [inputs, 0], [m, fanOut]) as Tensor2D;
    const cosWeight = tf.slice(weight, [inputs + m, 0], [m, fanOut]) as Tensor2D;
    const sinGradient = tf.reshape(tf.mul(tf.expandDims(cosFeatures!, 0), rows), [d * n, m]) as Tensor2D;
    const cosGradient = tf.reshape(tf.mul(tf.expandDims(tf.neg(sinFeatures!), 0), rows), [d * n, m]) as Tensor2D;
    const gradient = tf.add(
      direct,
      tf.reshape(tf.add(tf.matMul(sinGradient, sinWeight), tf.matMul(cosGradient, cosWeight)), [d, n, fanOut]),
    );
    if (!wantLaplacian) return { gradient, laplacian: null };
    const beta = tf.sum(tf.square(rows), 0);
    const laplacian = tf.neg(
      tf.add(tf.matMul(tf.mul(sinFeatures!, beta) as Tensor2D, sinWeight), tf.matMul(tf.mul(cosFeatures!, beta) as Tensor2D, cosWeight)),
    );
    return { gradient, laplacian };
  }

  /**
   * Adds the radial features' share of ∂z₁/∂x and Δₓz₁: ∂ψ_G/∂xₖ = xₖ/(ℓ² + r_G²) for k ∈ G and
   * Δψ_G = |G|/(ℓ² + r_G²) − 2r_G²/(ℓ² + r_G²)², each times ψ_G's row of W₁.
   */
  #radialDerivatives(
    tf: TensorFlow,
    base: Derivatives,
    weight: Tensor2D,
    x: Tensor2D,
    mask: Tensor2D | null,
    denominator: Tensor2D | null,
    n: number,
    wantLaplacian: boolean,
  ): Derivatives {
    if (mask === null || denominator === null) return base;
    const d = this.inputDim;
    const g = this.#numRadial;
    const fanOut = weight.shape[1];
    const rows = tf.slice(weight, [this.inputDim + this.conditionDim + 2 * this.#numFrequencies, 0], [g, fanOut]) as Tensor2D;
    const inverse = tf.reciprocal(denominator); // [n, g]
    // [d, n, g]: xₖ·Mₖg/(ℓ² + r_g²).
    const featureGradient = tf.mul(tf.mul(tf.expandDims(tf.transpose(x), 2), tf.expandDims(mask, 1)), tf.expandDims(inverse, 0));
    const gradient = tf.add(base.gradient, tf.reshape(tf.matMul(tf.reshape(featureGradient, [d * n, g]) as Tensor2D, rows), [d, n, fanOut]));
    if (!wantLaplacian) return { gradient, laplacian: base.laplacian };
    const sizes = tf.sum(mask, 0); // |G| per group
    const radius2 = tf.sub(denominator, this.options.radialFeatures!.lengthScale ** 2);
    const featureLaplacian = tf.sub(tf.mul(sizes, inverse), tf.mul(2, tf.mul(radius2, tf.square(inverse)))) as Tensor2D;
    const laplacian = tf.matMul(featureLaplacian, rows);
    return { gradient, laplacian: base.laplacian === null ? laplacian : tf.add(base.laplacian, laplacian) };
  }

  /** Pushes (∂h/∂x, Δₓh) through z = hW + b: both are linear in h. */
  #linearDerivatives(tf: TensorFlow, state: Derivatives, weight: Tensor2D, n: number, wantLaplacian: boolean): Derivatives {
    const d = this.inputDim;
    const [fanIn, fanOut] = weight.shape;
    const full = state.gradient.shape[1] === n ? state.gradient : tf.broadcastTo(state.gradient, [d, n, fanIn]);
    const gradient = tf.reshape(tf.matMul(tf.reshape(full, [d * n, fanIn as number]) as Tensor2D, weight), [d, n, fanOut as number]);
    const laplacian = wantLaplacian && state.laplacian !== null ? tf.matMul(state.laplacian as Tensor2D, weight) : null;
    return { gradient, laplacian };
  }

  /**
   * Backpropagates g = ∂u/∂h from the output: δ_l = g ⊙ σ'(z_l) gives the weight block
   * (h_{l−1} ⊗ δ_l) and the bias block δ_l; g ← δ_l W_lᵀ (+ g through a skip connection).
   */
  #backpropagate(
    tf: TensorFlow,
    layerInputs: readonly Tensor[],
    slopes: readonly Tensor[],
    weights: readonly Tensor2D[],
    lastHidden: Tensor,
    outputWeight: Tensor2D,
    envelope: Tensor | null,
    x: Tensor2D,
    n: number,
  ): { left?: Tensor2D; right?: Tensor2D; columns?: Tensor2D }[] {
    const width = outputWeight.shape[0];
    const row = tf.reshape(outputWeight, [1, width]) as Tensor2D;
    let sensitivity: Tensor = envelope === null ? row : tf.mul(tf.expandDims(envelope, 1), row);
    const hidden: { left?: Tensor2D; right?: Tensor2D; columns?: Tensor2D }[] = [];
    for (let l = this.#layers.length - 1; l >= 0; l--) {
      const delta = tf.mul(sensitivity, slopes[l]!) as Tensor2D;
      hidden.unshift({ left: layerInputs[l] as Tensor2D, right: delta }, { columns: delta });
      if (l > 0) {
        const back = tf.matMul(delta, tf.transpose(weights[l]!));
        sensitivity = this.#layers[l]!.residual ? tf.add(back, sensitivity) : back;
      }
    }
    const outputColumns = (envelope === null ? lastHidden : tf.mul(tf.expandDims(envelope, 1), lastHidden)) as Tensor2D;
    const biasColumn = envelope === null ? tf.ones([n, 1]) : tf.expandDims(envelope, 1);
    const blocks = [...hidden, { columns: outputColumns }, { columns: biasColumn as Tensor2D }];
    if (this.#quadraticBlock !== null) {
      const features = this.#quadratic!.features(tf, x);
      blocks.push({ columns: this.#quadraticScale === 1 ? features : (tf.mul(features, this.#quadraticScale) as Tensor2D) });
    }
    if (this.#quarticBlock !== null) blocks.push({ columns: tf.mul(-0.25 * this.#quarticScale, tf.square(tf.square(x))) as Tensor2D });
    return blocks;
  }

  /** P = initial·I in x's units: coefficients initial·ℓ_q² in the scaled form. */
  #initialQuadratic(initial: number, lengthScale: number): ArrayLike<number> {
    const coefficients = this.#quadratic!.initialCoefficients(initial);
    return lengthScale === 1 ? coefficients : Array.from(coefficients, (c) => c * lengthScale * lengthScale);
  }

  #checkInputs(parameters: Tensor1D | Float64Array | Float32Array, points: Tensor2D): void {
    const inputs = this.inputDim + this.conditionDim;
    if (points.rank !== 2 || points.shape[1] !== inputs) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `points must have shape [N, ${inputs}] (d = ${this.inputDim} diffused + c = ${this.conditionDim} conditioning columns), got ${quote(points.shape)}`,
        { expected: inputs, shape: points.shape },
      );
    }
    if (points.dtype !== "float32") {
      throw new MinevoError(ErrorCode.InvalidArgument, `points must be a float32 tensor, got dtype ${quote(points.dtype)}`);
    }
    const isArray = parameters instanceof Float64Array || parameters instanceof Float32Array;
    const length = isArray ? parameters.length : parameters.rank === 1 ? parameters.shape[0] : -1;
    if (length !== this.numParameters) {
      throw new MinevoError(
        ErrorCode.DimensionMismatch,
        `θ must be a vector of length p = ${this.numParameters}, got ${isArray ? `length ${parameters.length}` : `shape ${quote(parameters.shape)}`}`,
        { expected: this.numParameters },
      );
    }
    if (!isArray && parameters.dtype !== "float32") {
      throw new MinevoError(ErrorCode.InvalidArgument, `θ must be a float32 tensor, got dtype ${quote(parameters.dtype)}`);
    }
  }
}

/** Through a = σ(z): ∂a = σ'·∂z, Δa = σ''·Σₖ(∂ₖz)² + σ'·Δz. */
function nonlinearDerivatives(tf: TensorFlow, incoming: Derivatives, first: Tensor, second: Tensor | undefined): Derivatives {
  const gradient = tf.mul(tf.expandDims(first, 0), incoming.gradient);
  if (second === undefined) return { gradient, laplacian: null };
  const curvature = tf.mul(second, tf.sum(tf.square(incoming.gradient), 0));
  const laplacian = incoming.laplacian === null ? curvature : tf.add(curvature, tf.mul(first, incoming.laplacian));
  return { gradient, laplacian };
}

/**
 * The hierarchical term h(x) = −½ Q C, Q = Σᵢ qᵢxᵢ², C = 1/D, D = e^{s} + e^{k}, s = vᵀx + c,
 * from the block θ_h = [q (d), v (d), c, k]. With ρ = e^{s}/D = sigmoid(s − k) (so that nothing
 * overflows: C = e^{−m}/(e^{s−m} + e^{k−m}), m = max(s, k)):
 *
 *     ∇h = −C q⊙x + ½ Q ρ C v,
 *     Δh = −C Σqᵢ + 2 ρ C Σ qᵢvᵢxᵢ − ½ Q |v|² ρ(2ρ − 1) C,
 *     ∂h/∂qᵢ = −½ C xᵢ²,   ∂h/∂vⱼ = ½ Q ρ C xⱼ,   ∂h/∂c = ½ Q ρ C,   ∂h/∂k = ½ Q (1 − ρ) C.
 */
function hierarchicalTerm(
  tf: TensorFlow,
  block: Tensor1D,
  x: Tensor2D,
  d: number,
  wantGradient: boolean,
  wantLaplacian: boolean,
  wantJacobian: boolean,
): { value: Tensor; gradient?: Tensor; laplacian?: Tensor; columns: Tensor2D | null } {
  const q = tf.slice(block, [0], [d]);
  const v = tf.slice(block, [d], [d]);
  const c = tf.slice(block, [2 * d], [1]);
  const k = tf.slice(block, [2 * d + 1], [1]);
  const n = x.shape[0];
  const s = tf.add(tf.reshape(tf.matMul(x, tf.reshape(v, [d, 1])), [n]), c);
  const m = tf.maximum(s, k);
  const inverse = tf.div(tf.exp(tf.neg(m)), tf.add(tf.exp(tf.sub(s, m)), tf.exp(tf.sub(k, m))));
  const rho = tf.sigmoid(tf.sub(s, k));
  const x2 = tf.square(x);
  const quadratic = tf.sum(tf.mul(x2, q), 1);
  const value = tf.mul(-0.5, tf.mul(quadratic, inverse));
  // ½ Q ρ C and ½ Q (1 − ρ) C: the factors of v in ∇h and of the columns for v, c and k.
  const halfQRhoC = tf.mul(0.5, tf.mul(quadratic, tf.mul(rho, inverse)));
  const result: { value: Tensor; gradient?: Tensor; laplacian?: Tensor; columns: Tensor2D | null } = { value, columns: null };
  if (wantGradient) {
    result.gradient = tf.add(tf.mul(tf.neg(tf.expandDims(inverse, 1)), tf.mul(x, q)), tf.mul(tf.expandDims(halfQRhoC, 1), tf.reshape(v, [1, d])));
  }
  if (wantLaplacian) {
    const rhoC = tf.mul(rho, inverse);
    const qvx = tf.sum(tf.mul(x, tf.mul(q, v)), 1);
    result.laplacian = tf.addN([
      tf.mul(tf.neg(inverse), tf.sum(q)),
      tf.mul(2, tf.mul(rhoC, qvx)),
      tf.mul(tf.mul(-1, tf.sum(tf.square(v))), tf.mul(halfQRhoC, tf.sub(tf.mul(2, rho), 1))),
    ]);
  }
  if (wantJacobian) {
    const halfQOneMinusRhoC = tf.mul(0.5, tf.mul(quadratic, tf.mul(tf.sub(1, rho), inverse)));
    result.columns = tf.concat(
      [tf.mul(tf.expandDims(tf.mul(-0.5, inverse), 1), x2), tf.mul(tf.expandDims(halfQRhoC, 1), x), tf.expandDims(halfQRhoC, 1), tf.expandDims(halfQOneMinusRhoC, 1)],
      1,
    ) as Tensor2D;
  }
  return result;
}
