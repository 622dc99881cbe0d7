/**
 * TEST FIXTURE: the 2-D two-component Gaussian mixture of the STABILITY study (reference
 * mne.py): log π, its gradient and its Laplacian in float64.
 */
const weights = [0.3, 0.7];
const means = [
  [-2, 0],
  [2, 1],
];
const covariances = [
  [
    [0.5, 0],
    [0, 0.5],
  ],
  [
    [1, 0.3],
    [0.3, 0.6],
  ],
];

const components = covariances.map((s, k) => {
  const det = s[0]![0]! * s[1]![1]! - s[0]![1]! * s[1]![0]!;
  const precision = [
    [s[1]![1]! / det, -s[0]![1]! / det],
    [-s[1]![0]! / det, s[0]![0]! / det],
  ];
  return { weight: weights[k]!, mean: means[k]!, precision, logNormaliser: -0.5 * Math.log(4 * Math.PI * Math.PI * det) };
});

/** log π(x), ∇ log π(x) and Δ log π(x) = Σ r_k(−tr P_k + |s_k|²) − |∇ log π|². */
export function mixtureLogDensity(x: ArrayLike<number>): { value: number; gradient: [number, number]; laplacian: number } {
  const logs: number[] = [];
  const scores: Array<[number, number]> = [];
  for (const c of components) {
    const r0 = (x[0] as number) - c.mean[0]!;
    const r1 = (x[1] as number) - c.mean[1]!;
    const s0 = -(c.precision[0]![0]! * r0 + c.precision[0]![1]! * r1);
    const s1 = -(c.precision[1]![0]! * r0 + c.precision[1]![1]! * r1);
    logs.push(Math.log(c.weight) + c.logNormaliser + 0.5 * (r0 * s0 + r1 * s1));
    scores.push([s0, s1]);
  }
  const top = Math.max(...logs);
  const total = logs.reduce((s, l) => s + Math.exp(l - top), 0);
  const value = top + Math.log(total);
  const resp = logs.map((l) => Math.exp(l - value));
  const g0 = resp.reduce((s, r, k) => s + r * scores[k]![0], 0);
  const g1 = resp.reduce((s, r, k) => s + r * scores[k]![1], 0);
  let laplacian = -(g0 * g0 + g1 * g1);
  components.forEach((c, k) => {
    const [s0, s1] = scores[k]!;
    laplacian += resp[k]! * (-(c.precision[0]![0]! + c.precision[1]![1]!) + s0 * s0 + s1 * s1);
  });
  return { value, gradient: [g0, g1], laplacian };
}
