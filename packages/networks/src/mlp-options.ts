/**
 * Options of the `mlp` network, as a zod schema: the same schema types the options at compile
 * time (through the registry) and validates a JSON config at run time.
 */
import { z } from "zod";
import { activationNames } from "./activations.js";
import { quadraticForms } from "./quadratic.js";

export const weightInitializations = ["lecun", "xavier", "he"] as const;

export const fourierFeaturesSchema = z.strictObject({
  /** m: frequencies; the first layer sees [s, sin(sB), cos(sB)] with s the scaled input. */
  count: z.number().int().positive(),
  /** Standard deviation of the entries of the fixed frequency matrix B. */
  scale: z.number().positive().default(1),
  /** Seed of B. B is fixed (not trained), so it is rebuilt from this seed on restore. */
  seed: z.number().int().default(0),
});

export const radialFeaturesSchema = z.strictObject({
  /**
   * Groups G of diffused coordinates (0-based indices); the first layer also sees, per group,
   * ψ_G(x) = ½ log(1 + Σ_{i∈G} xᵢ²/ℓ²): the log of a soft radius over the group.
   */
  groups: z.array(z.array(z.number().int().nonnegative()).min(1)).min(1).readonly(),
  /** ℓ: the radius below which ψ_G is quadratic (above it, log r − log ℓ). Default 1. */
  lengthScale: z.number().positive().default(1),
});

export const quadraticSchema = z.strictObject({
  /** Structure of P in −½xᵀPx: full symmetric, diagonal, or a multiple of I. */
  form: z.enum(quadraticForms).default("symmetric"),
  /** Whether P's coefficients are parameters; a fixed P = initial·I adds no parameters. */
  learnable: z.boolean().default(true),
  /** P starts as initial·I. */
  initial: z.number().default(0),
  /**
   * ℓ_q: the term is −½(x/ℓ_q)ᵀP(x/ℓ_q), the same functions with P's coefficients (and its
   * parameter Jacobian columns) divided by ℓ_q². A reparametrisation for the minimal-norm step:
   * on a target spread over |x| ~ 10–100 the columns −xᵢxⱼ/2 dwarf the MLP's and the step moves
   * P first (the quartic term's failure, docs/design.md); ℓ_q near the target's scale evens them.
   * `initial` keeps its meaning in x's units (the stored coefficients are initial·ℓ_q²). Default 1.
   */
  lengthScale: z.number().positive().default(1),
});

export const quarticSchema = z.strictObject({
  /** Every rᵢ of −¼ Σᵢ rᵢxᵢ⁴ starts at this value (learnable, one per diffused coordinate). */
  initial: z.number().default(0),
  /**
   * ℓ_r: the term is −¼ Σᵢ rᵢ(xᵢ/ℓ_r)⁴, the same functions with the coefficients (and their
   * parameter Jacobian columns −xᵢ⁴/(4ℓ_r⁴)) divided by ℓ_r⁴ — as the quadratic term's
   * `lengthScale`. At the points of a quartic target the columns −xᵢ⁴/4 reach ~10², dwarf the
   * MLP's, and the minimal-norm step moves r first; ℓ_r near the points' scale evens them.
   * For an OU run keep ℓ_r = 1: ρ_t's tails are Gaussian for t > 0, so r must leave at once, and
   * a larger ℓ_r keeps it (the many-well's double well with ℓ_r = 2 lost a tail point to a
   * runaway; docs/design.md). `initial` keeps its meaning in x's units (stored as initial·ℓ_r⁴).
   * Default 1.
   */
  lengthScale: z.number().positive().default(1),
});

export const hierarchicalSchema = z.strictObject({
  /**
   * The starting q of −½ Σᵢ qᵢxᵢ² / (e^{wᵀx+c} + e^k): one value for every qᵢ, or d values
   * (default 0: the term starts off). With q = 0 the columns of w, c and k vanish, so a fit cannot
   * move them until q has grown; a start at the structure the user knows (Neal's funnel:
   * q = (0, 1, …, 1), w = e₀) avoids that.
   */
  initial: z.union([z.number(), z.array(z.number()).readonly()]).default(0),
  /** The starting w (d values); default 0, a variance that does not yet depend on x. */
  initialWeights: z.array(z.number()).readonly().optional(),
  /** The starting c (default 0). */
  initialLogScale: z.number().default(0),
  /** The starting floor e^k of the variance, a positive number (default 1, k = 0). */
  initialFloor: z.number().positive().default(1),
});

export const gaussianEnvelopeSchema = z.strictObject({
  /** ℓ in the factor exp(−|x|²/(2ℓ²)) that multiplies the MLP part (not the quadratic term). */
  width: z.number().positive(),
});

export const initializationSchema = z.strictObject({
  /** Weight variance: lecun 1/fanIn, xavier 2/(fanIn+fanOut), he 2/fanIn; normal draws. */
  weights: z.enum(weightInitializations).default("lecun"),
  /** Standard deviation of the first hidden layer's biases. */
  firstBiasStd: z.number().nonnegative().default(1),
  /** Standard deviation of the other hidden layers' biases. */
  hiddenBiasStd: z.number().nonnegative().default(0.1),
  /** The output weights are N(0, outputScale²/width): a small initial u keeps the fit gentle. */
  outputScale: z.number().nonnegative().default(0.1),
});

export const mlpOptionsSchema = z.strictObject({
  /** d: the diffused variables x (differentiated by ∇ₓ and Δₓ). */
  inputDim: z.number().int().positive(),
  /** c: conditioning variables y, appended after x in each point and never differentiated. */
  conditionDim: z.number().int().nonnegative().default(0),
  hiddenWidths: z.array(z.number().int().positive()).min(1).readonly().default([32, 32]),
  activation: z.enum(activationNames).default("tanh"),
  /** Adds a skip connection h ← h + σ(Wh + b) to every hidden-to-hidden layer of equal width. */
  residual: z.boolean().default(false),
  /** The inputs are divided by this length before the first layer (the recipe uses 2). */
  inputLengthScale: z.number().positive().default(1),
  /**
   * An elementwise warp of the scaled x-inputs s = x/ℓ before the first layer: "asinh" feeds
   * asinh(s), linear for |s| ≪ 1 and logarithmic beyond, so one network resolves features at
   * scales from ℓ·10⁻² to ℓ·10² (a funnel's neck and mouth) without its tanh units saturating in
   * the far range. The conditioning inputs are not warped. Not with `fourierFeatures`.
   */
  inputWarp: z.enum(["asinh"]).optional(),
  fourierFeatures: fourierFeaturesSchema.optional(),
  /**
   * Log-radius inputs ψ_G = ½ log(1 + |x_G|²/ℓ²) for groups of coordinates, beside x: for a
   * log-density that depends on a group through its radius over many scales — a hierarchical
   * model's exchangeable coordinates given their scale (Neal's funnel: G = {1, …, d−1}), a
   * symmetry the OU evolution keeps — which a tanh MLP of x alone builds only from many units.
   * Exact gradient and Laplacian. Not with `fourierFeatures`.
   */
  radialFeatures: radialFeaturesSchema.optional(),
  quadratic: quadraticSchema.optional(),
  /**
   * A learnable per-coordinate quartic term −¼ Σᵢ rᵢxᵢ⁴ (d parameters): a tanh MLP plus a
   * quadratic cannot grow like a log-density with quartic tails (many-well's −aᵢ⁴, banana's
   * −b²x₁⁴/2) without huge weights, as for the quadratic term and −|x|²/2 (STABILITY.md §3).
   */
  quartic: quarticSchema.optional(),
  /**
   * A learnable hierarchical term −½ Σᵢ qᵢxᵢ² / (e^{wᵀx+c} + e^k) (2d + 2 parameters q, w, c, k):
   * a Gaussian in some coordinates whose variance e^{wᵀx+c} + e^k is set by the others, as in a
   * hierarchical model's scale parameter (Neal's funnel: xᵢ | x₀ ~ N(0, e^{x₀}), so w = e₀). A
   * tanh MLP plus one quadratic cannot hold such a log-density where the variance changes by
   * orders of magnitude over the mass (docs/design.md). The floor e^k keeps the variance positive
   * and follows the OU kernel's 1 − e^{−2t} during an evolution.
   */
  hierarchical: hierarchicalSchema.optional(),
  gaussianEnvelope: gaussianEnvelopeSchema.optional(),
  initialization: initializationSchema.prefault({}),
});

export type MlpOptions = z.output<typeof mlpOptionsSchema>;
export type MlpOptionsInput = z.input<typeof mlpOptionsSchema>;
