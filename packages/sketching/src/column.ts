/**
 * Random parameter columns per step (as in Randomized Sparse Neural Galerkin): at every solve a
 * fresh subset S of k parameters is drawn and only θ̇_S moves,
 *
 *     θ̇_S = (J_SᵀJ_S + λI)⁻¹ J_Sᵀ f,   θ̇ = 0 off S.
 *
 * FOR COMPARISON WITH FIXED-STEP INTEGRATORS ONLY: the subset changes at every call, so θ̇ is not
 * a function of the state (`smooth` is false) and an adaptive integrator's error estimate is
 * meaningless with it. The draws come from the strategy's copy of the run's stream, so a run is
 * still reproducible, and `getState()` returns the stream's current state to resume it.
 *
 * J_S = J E_S is one backend product with the p×k selection matrix. "relative-trace" scales λ by
 * the trace of the kernel it sees, tr(J_S J_Sᵀ) = tr(J_SᵀJ_S): λ = ε·tr(J_SᵀJ_S)/N.
 */
import { ErrorCode, MinevoError, type SketchPrepareContext, type SketchSolution, type SketchSolveInput, type SketchState, type SketchStrategy, gramOfColumns, transposeTimesVector } from "@minevo/core";
import { checkPrepareContext, checkSolveInput, checkThetaDot, download, requirePrepared, stateOf, type Prepared } from "./preparation.js";
import { solveRegularised, trace, type RegularisationPolicy } from "./regularisation.js";

export interface ColumnOptions {
  readonly numColumns: number;
  readonly regularisation: RegularisationPolicy;
}

export class ColumnStrategy implements SketchStrategy {
  readonly name: string;
  readonly smooth = false;
  readonly options: ColumnOptions;
  #prepared: Prepared | undefined;

  constructor(name: string, options: ColumnOptions) {
    this.name = name;
    this.options = options;
  }

  prepare(context: SketchPrepareContext): void {
    const prepared = checkPrepareContext(this.name, context);
    if (this.options.numColumns > prepared.numParameters) {
      throw new MinevoError(
        ErrorCode.InvalidArgument,
        `sketch "${this.name}": numColumns = ${this.options.numColumns} exceeds the number of parameters p = ${prepared.numParameters}; choose numColumns ≤ p`,
        { numColumns: this.options.numColumns, numParameters: prepared.numParameters },
      );
    }
    this.#prepared = prepared;
  }

  async solve(input: SketchSolveInput): Promise<SketchSolution> {
    const prepared = requirePrepared(this.name, this.#prepared);
    const tf = checkSolveInput(this.name, prepared, input);
    const { numPoints, numParameters } = prepared;
    const k = this.options.numColumns;
    const columns = prepared.random.permutation(numParameters).slice(0, k).sort();
    const selection = new Float32Array(numParameters * k);
    columns.forEach((column, j) => {
      selection[column * k + j] = 1;
    });
    const selectionTensor = tf.tensor2d(selection, [numParameters, k], "float32");
    let columnsTensor;
    try {
      columnsTensor = input.jacobian.times(selectionTensor);
    } finally {
      selectionTensor.dispose();
    }
    const jS = await download(columnsTensor, numPoints, k, `sketch "${this.name}": J_S`);
    const gram = gramOfColumns(jS);
    const kernelTrace = trace(gram);
    const { solution, lambda, effectiveRank } = solveRegularised(gram, transposeTimesVector(jS, input.rhs), this.options.regularisation, kernelTrace, numPoints);
    const thetaDot = new Float64Array(numParameters);
    columns.forEach((column, j) => {
      thetaDot[column] = solution[j] as number;
    });
    return { thetaDot: checkThetaDot(this.name, thetaDot), effectiveRank, lambda, systemSize: k, kernelTrace };
  }

  getState(): SketchState {
    return stateOf(this.name, this.#prepared, "current");
  }

  dispose(): void {
    this.#prepared = undefined;
  }
}
