/**
 * The fixed sketch Ω (N×n), drawn once per run. Its values are rounded to float32 when drawn, so
 * the tensor the backend multiplies by and the float64 copy used for Ωᵀf are the same matrix.
 *
 * Scaling: both kinds satisfy E[ΩΩᵀ] = (n/N)·I_N and ΩᵀΩ ≈ I_n (exactly I_n for the DCT), as in
 * the reference (STABILITY.md, "MNE step": entries N(0, 1/N)). Hence E tr(ZᵀZ) = (n/N)·tr K for
 * Z = JᵀΩ, and tr(ZᵀZ)/n estimates tr K/N — the quantity λ is scaled by.
 */
import { ErrorCode, MinevoError, quote, type RandomStream } from "@minevo/core";

/** Which fixed sketch: iid Gaussian, or random signs times n sampled orthonormal DCT-II columns. */
export type OmegaKind = "gaussian" | "dct";

export interface Omega {
  readonly kind: OmegaKind;
  readonly numPoints: number;
  readonly sketchSize: number;
  /** Row-major N×n, float32-representable values. */
  readonly values: Float64Array;
}

export function checkSketchSize(sketchSize: number, numPoints: number): void {
  if (!Number.isSafeInteger(numPoints) || numPoints <= 0) {
    throw new MinevoError(ErrorCode.InvalidArgument, `numPoints ${quote(numPoints)} must be a positive integer`, { numPoints });
  }
  if (sketchSize > numPoints) {
    throw new MinevoError(
      ErrorCode.InvalidArgument,
      `sketch size n = ${sketchSize} exceeds the number of collocation points N = ${numPoints}; ` +
        `choose n ≤ N (a sketch larger than N cannot help: use the "dense" strategy)`,
      { sketchSize, numPoints },
    );
  }
}

/** Ω with iid N(0, 1/N) entries, drawn row by row from `random`. */
export function gaussianOmega(numPoints: number, sketchSize: number, random: RandomStream): Omega {
  checkSketchSize(sketchSize, numPoints);
  const values = new Float64Array(numPoints * sketchSize);
  const std = 1 / Math.sqrt(numPoints);
  for (let i = 0; i < values.length; i++) values[i] = Math.fround(std * random.normal());
  return { kind: "gaussian", numPoints, sketchSize, values };
}

/**
 * Ω = D C_S: D = diag of N random signs, C_S = n distinct columns (frequencies, uniformly without
 * replacement) of the orthonormal DCT-II matrix, C[i,k] = s_k cos(π(2i+1)k / 2N). Columns are
 * orthonormal, so ΩᵀΩ = I_n up to float32 rounding. The signs spread every frequency's weight
 * evenly over the points (the "randomised" in SRFT).
 *
 * Ω is formed densely and applied with the same matMul as the Gaussian sketch, so it costs the
 * same per step (O(Npn)); the O(pN log N) fast transform would need J itself, which a
 * {@link JacobianOperator} does not promise.
 */
export function dctOmega(numPoints: number, sketchSize: number, random: RandomStream): Omega {
  checkSketchSize(sketchSize, numPoints);
  const n = sketchSize;
  const bigN = numPoints;
  const signs = new Float64Array(bigN);
  for (let i = 0; i < bigN; i++) signs[i] = random.uniform() < 0.5 ? -1 : 1;
  const frequencies = random.permutation(bigN).slice(0, n);
  const values = new Float64Array(bigN * n);
  const period = 4 * bigN;
  for (let j = 0; j < n; j++) {
    const k = frequencies[j] as number;
    const scale = k === 0 ? Math.sqrt(1 / bigN) : Math.sqrt(2 / bigN);
    for (let i = 0; i < bigN; i++) {
      // Reduce the integer phase (2i+1)k modulo 4N before scaling, so the cosine's argument is
      // exact in [0, 2π) however large N and k are.
      const phase = ((2 * i + 1) * k) % period;
      values[i * n + j] = Math.fround((signs[i] as number) * scale * Math.cos((Math.PI * phase) / (2 * bigN)));
    }
  }
  return { kind: "dct", numPoints, sketchSize, values };
}

export function drawOmega(kind: OmegaKind, numPoints: number, sketchSize: number, random: RandomStream): Omega {
  return kind === "gaussian" ? gaussianOmega(numPoints, sketchSize, random) : dctOmega(numPoints, sketchSize, random);
}
