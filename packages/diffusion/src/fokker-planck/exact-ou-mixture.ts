/**
 * The exact solution of the Ornstein–Uhlenbeck Fokker–Planck equation from a Gaussian mixture,
 * in float64 on the CPU: each component N(m, S) maps to N(e^{−γt}m, e^{−2γt}S + (D/γ)(1 − e^{−2γt})I),
 * so log ρ_t, its score and its Laplacian are known at every t (METHOD.md §7). The ground truth
 * for the accuracy of MNE runs (relative score error on fresh exact samples).
 */
import { ErrorCode, MinevoError, cholesky, denseMatrix, type RandomStream } from "@minevo/core";

export interface MixtureSpec {
  readonly weights: readonly number[];
  /** K means of length d. */
  readonly means: readonly (readonly number[])[];
  /** K covariances, d×d row-major each. */
  readonly covariances: readonly (readonly number[])[];
}

export interface ExactOuMixture {
  readonly dim: number;
  /** log ρ_t, ∇ log ρ_t and Δ log ρ_t at `count` points (row-major count×d). */
  evaluate(t: number, points: Float64Array): { logDensity: Float64Array; score: Float64Array; laplacian: Float64Array };
  /** `count` exact draws from ρ_t. */
  sample(t: number, random: RandomStream, count: number): Float64Array;
}

interface Component {
  readonly logWeight: number;
  readonly mean: Float64Array;
  readonly precision: Float64Array;
  readonly lower: Float64Array;
  readonly logNormaliser: number;
  readonly precisionTrace: number;
}

export function exactOuMixture(spec: MixtureSpec, options: { rate?: number; diffusion?: number } = {}): ExactOuMixture {
  const gamma = options.rate ?? 1;
  const D = options.diffusion ?? 1;
  const K = spec.weights.length;
  const d = spec.means[0]?.length ?? 0;
  if (K === 0 || spec.means.length !== K || spec.covariances.length !== K) {
    throw new MinevoError(ErrorCode.InvalidArgument, `a mixture needs as many weights, means and covariances (got ${K}, ${spec.means.length}, ${spec.covariances.length})`);
  }
  const total = spec.weights.reduce((s, w) => s + w, 0);

  function componentsAt(t: number): Component[] {
    const a = Math.exp(-gamma * t);
    const noise = (D / gamma) * (1 - a * a);
    return spec.weights.map((w, k) => {
      const mean = Float64Array.from(spec.means[k] as readonly number[], (m) => a * m);
      const cov = Float64Array.from(spec.covariances[k] as readonly number[], (s) => a * a * s);
      for (let i = 0; i < d; i++) cov[i * d + i] = (cov[i * d + i] as number) + noise;
      const factor = cholesky(denseMatrix(d, d, cov));
      const identity = denseMatrix(d, d);
      for (let i = 0; i < d; i++) identity.data[i * d + i] = 1;
      const precision = factor.solve(identity).data;
      let precisionTrace = 0;
      for (let i = 0; i < d; i++) precisionTrace += precision[i * d + i] as number;
      return {
        logWeight: Math.log(w / total),
        mean,
        precision,
        lower: factor.lower.data,
        logNormaliser: -0.5 * (d * Math.log(2 * Math.PI) + factor.logDeterminant()),
        precisionTrace,
      };
    });
  }

  return {
    dim: d,
    evaluate(t, points) {
      const count = points.length / d;
      const components = componentsAt(t);
      const logDensity = new Float64Array(count);
      const score = new Float64Array(count * d);
      const laplacian = new Float64Array(count);
      const logTerms = new Float64Array(K);
      const scores = new Float64Array(K * d);
      for (let n = 0; n < count; n++) {
        let peak = -Infinity;
        components.forEach((c, k) => {
          // s_k = −P_k (x − m_k); log term = log w_k + log N(x; m_k, S_k).
          let quadratic = 0;
          for (let i = 0; i < d; i++) {
            let s = 0;
            for (let j = 0; j < d; j++) s -= (c.precision[i * d + j] as number) * ((points[n * d + j] as number) - (c.mean[j] as number));
            scores[k * d + i] = s;
            quadratic -= s * ((points[n * d + i] as number) - (c.mean[i] as number));
          }
          logTerms[k] = c.logWeight + c.logNormaliser - 0.5 * quadratic;
          peak = Math.max(peak, logTerms[k] as number);
        });
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp((logTerms[k] as number) - peak);
        logDensity[n] = peak + Math.log(sum);
        // Responsibilities r_k; ∇ log ρ = Σ r_k s_k; Δ log ρ = Σ r_k (|s_k|² − tr P_k) − |∇ log ρ|².
        let lap = 0;
        for (let k = 0; k < K; k++) {
          const r = Math.exp((logTerms[k] as number) - (logDensity[n] as number));
          let squared = 0;
          for (let i = 0; i < d; i++) {
            const s = scores[k * d + i] as number;
            score[n * d + i] = (score[n * d + i] as number) + r * s;
            squared += s * s;
          }
          lap += r * (squared - (components[k] as Component).precisionTrace);
        }
        for (let i = 0; i < d; i++) lap -= (score[n * d + i] as number) ** 2;
        laplacian[n] = lap;
      }
      return { logDensity, score, laplacian };
    },
    sample(t, random, count) {
      const components = componentsAt(t);
      const out = new Float64Array(count * d);
      const z = new Float64Array(d);
      for (let n = 0; n < count; n++) {
        let u = random.uniform();
        let k = 0;
        while (k < K - 1 && u >= Math.exp((components[k] as Component).logWeight)) {
          u -= Math.exp((components[k] as Component).logWeight);
          k++;
        }
        const c = components[k] as Component;
        random.fillNormal(z);
        for (let i = 0; i < d; i++) {
          let v = c.mean[i] as number;
          for (let j = 0; j <= i; j++) v += (c.lower[i * d + j] as number) * (z[j] as number);
          out[n * d + i] = v;
        }
      }
      return out;
    },
  };
}

/** The two-component 2-D mixture of the float64 reference study (shared/reference/mne.py). */
export const referenceMixture: MixtureSpec = {
  weights: [0.3, 0.7],
  means: [
    [-2, 0],
    [2, 1],
  ],
  covariances: [
    [0.5, 0, 0, 0.5],
    [1, 0.3, 0.3, 0.6],
  ],
};
