/**
 * The sketch-saturation warning. A sketch of size n can represent at most n directions of the
 * neural tangent kernel; when the effective rank r_λ it reports reaches n, the MNE step is
 * rank-limited and misses the equation's right-hand side — on a three-mode mixture whose r_λ is
 * ≈ 280 at ε = 1e-6, n = 100 left 70 % of ∂t u unrepresented where the mass is and the run blew
 * up (docs/design.md). The fix is a larger sketch, which the warning says.
 */
export function sketchSaturationWarning(
  steps: readonly { readonly effectiveRank: number }[],
  sketch: { readonly name: string; readonly options: Readonly<Record<string, unknown>> },
): string | undefined {
  const n = sketch.options.sketchSize;
  if (typeof n !== "number" || steps.length === 0) return undefined;
  const ranks = steps.map((s) => s.effectiveRank).filter((r) => Number.isFinite(r));
  if (ranks.length === 0) return undefined;
  const saturated = ranks.filter((r) => r >= 0.95 * n).length;
  if (saturated === 0) return undefined;
  const highest = Math.max(...ranks);
  return (
    `the ${sketch.name} sketch was saturated in ${saturated} of ${ranks.length} forward steps (effective rank r_λ up to ${highest.toFixed(1)} of n = ${n}): ` +
    `the MNE step is then rank-limited and may miss the equation; rerun with --sketch-option sketchSize=${2 * n}`
  );
}
