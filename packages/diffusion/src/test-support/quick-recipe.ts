/**
 * The small, quick sampler recipe of the 2-d Gaussian tests: an [8] MLP whose quadratic term
 * carries a Gaussian target alone, the dense step, N = 150 (+150 fit points), 30 LM iterations.
 */
export const quickGaussianRecipe = {
  network: "mlp",
  networkOptions: { inputDim: 2, hiddenWidths: [8], inputLengthScale: 2, quadratic: { form: "symmetric", learnable: true, initial: 0 } },
  sketch: "dense",
  sketchOptions: { regularisation: { kind: "relative-trace", epsilon: 1e-8 } },
  numPoints: 150,
  numExtraFitPoints: 150,
  fitIterations: 30,
} as const;
