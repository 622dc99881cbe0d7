/**
 * The unsketched MNE step θ̇ = Jᵀ(K + λI)⁻¹f with the N×N kernel K = JJᵀ, solved by Cholesky in
 * float64. "relative-trace" gives λ = ε·tr K/N exactly as in the reference.
 *
 * K is formed in float64 by default: from the Jacobian's factors when the operator offers them
 * (factored-kernel.ts: N²(a + b)/2 multiply-adds per weight block), otherwise from the float32 J
 * (N²p/2 multiply-adds in JavaScript, the cost that dominates at large N); `gramPrecision:
 * "float32"` forms it with one backend matMul instead, which the STABILITY study found makes runs
 * stiff unless ε ≥ 1e-5.
 */
import { ErrorCode, MinevoError, gramOfRows, transposeTimesVector, type RowMajor, type SketchPrepareContext, type SketchSolution, type SketchSolveInput, type SketchState, type SketchStrategy } from "@minevo/core";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { hasHostFactors, kernelFromFactors, transposeTimesFromFactors } from "./factored-kernel.js";
import { checkPrepareContext, checkSolveInput, checkThetaDot, download, requirePrepared, stateOf, type Prepared } from "./preparation.js";
import { solveRegularised, trace, type RegularisationPolicy } from "./regularisation.js";

export interface DenseOptions {
  readonly regularisation: RegularisationPolicy;
  readonly gramPrecision: "float64" | "float32";
}

export class DenseStrategy implements SketchStrategy {
  readonly name: string;
  readonly smooth = true;
  readonly options: DenseOptions;
  #prepared: Prepared | undefined;

  constructor(name: string, options: DenseOptions) {
    this.name = name;
    this.options = options;
  }

  prepare(context: SketchPrepareContext): void {
    this.#prepared = checkPrepareContext(this.name, context);
  }

  async solve(input: SketchSolveInput): Promise<SketchSolution> {
    const prepared = requirePrepared(this.name, this.#prepared);
    const tf = checkSolveInput(this.name, prepared, input);
    const { numPoints, numParameters } = prepared;
    if (this.options.gramPrecision === "float64" && hasHostFactors(input.jacobian)) {
      // K from the Jacobian's factors: the same float64 kernel at a fraction of the cost.
      const blocks = await input.jacobian.readFactors();
      const width = blocks.reduce((total, b) => total + (b.kind === "outer" ? b.left.cols * b.right.cols : b.columns.cols), 0);
      if (width !== numParameters) {
        throw new MinevoError(ErrorCode.DimensionMismatch, `sketch "${this.name}": the Jacobian's factors span ${width} parameters, expected p = ${numParameters}`, {
          width,
          numParameters,
        });
      }
      const kernel = kernelFromFactors(blocks, numPoints);
      const kernelTrace = trace(kernel);
      const { solution, lambda, effectiveRank } = solveRegularised(kernel, input.rhs, this.options.regularisation, kernelTrace, numPoints);
      const thetaDot = checkThetaDot(this.name, transposeTimesFromFactors(blocks, solution, numParameters));
      return { thetaDot, effectiveRank, lambda, systemSize: numPoints, kernelTrace };
    }
    const jacobian = input.jacobian.dense();
    let kernel;
    let j: RowMajor;
    try {
      if (this.options.gramPrecision === "float32") {
        // Transpose explicitly: matMul with transposeB is many times slower on wasm.
        const kernelTensor = tf.tidy(() => tf.matMul(jacobian, tf.transpose(jacobian))) as Tensor2D;
        const k32 = await download(kernelTensor, numPoints, numPoints, `sketch "${this.name}": K = JJᵀ`);
        kernel = { rows: numPoints, cols: numPoints, data: Float64Array.from(k32.data) };
        j = await download(jacobian, numPoints, numParameters, `sketch "${this.name}": J`);
      } else {
        const j32 = await download(jacobian, numPoints, numParameters, `sketch "${this.name}": J`);
        j = { rows: numPoints, cols: numParameters, data: Float64Array.from(j32.data) };
        kernel = gramOfRows(j);
      }
    } finally {
      jacobian.dispose();
    }
    const kernelTrace = trace(kernel);
    const { solution, lambda, effectiveRank } = solveRegularised(kernel, input.rhs, this.options.regularisation, kernelTrace, numPoints);
    const thetaDot = checkThetaDot(this.name, transposeTimesVector(j, solution));
    return { thetaDot, effectiveRank, lambda, systemSize: numPoints, kernelTrace };
  }

  getState(): SketchState {
    return stateOf(this.name, this.#prepared, "initial");
  }

  dispose(): void {
    this.#prepared = undefined;
  }
}
