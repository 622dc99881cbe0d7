/**
 * Tsitouras 5(4) (Ch. Tsitouras, "Runge–Kutta pairs of order 5(4) satisfying only the first
 * column simplifying assumption", Comput. Math. Appl. 62 (2011) 770–775): FSAL, 7 stages, with
 * the paper's 4th-order interpolant. Coefficients to double precision; the sign of b̂₇ follows
 * the corrected form used by OrdinaryDiffEq and diffrax (e₇ = −1/66).
 */
import type { RungeKuttaMethod } from "./method.js";

const b = [
  0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081, 2.324710524099774, 0,
];
const bHat = [
  0.09468075576583945, 0.009183565540343254, 0.4877705284247616, 1.234297566930479, -2.7077123499835256, 1.866628418170587,
  1 / 66,
];

/** The interpolant's weights bᵢ(θ), factored as in the paper (bᵢ(1) = bᵢ). */
function tsit5Weights(t: number, out: Float64Array): void {
  const t2 = t * t;
  out[0] = -1.0530884977290216 * t * (t - 1.329989018975141) * (t2 - 1.4364028541716352 * t + 0.7139816917074209);
  out[1] = 0.1017 * t2 * (t2 - 2.1966568338249752 * t + 1.294985250737463);
  out[2] = 2.490627285651253 * t2 * (t2 - 2.3853564547206165 * t + 1.5780346820809248);
  out[3] = -16.548102889244902 * (t - 1.2171292729553325) * (t - 0.6162040603780009) * t2;
  out[4] = 47.37952196281928 * (t - 1.2030712083723627) * (t - 0.6580472926535473) * t2;
  out[5] = -34.87065786149661 * (t - 1.2) * (t - 2 / 3) * t2;
  out[6] = 2.5 * (t - 1) * (t - 0.6) * t2;
}

export const tsit5Method: RungeKuttaMethod = {
  name: "tsit5",
  order: 5,
  stages: 7,
  c: [0, 0.161, 0.327, 0.9, 0.9800255409045097, 1, 1],
  a: [
    [],
    [0.161],
    [-0.008480655492356989, 0.335480655492357],
    [2.8971530571054935, -6.359448489975075, 4.3622954328695815],
    [5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525],
    [5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383],
    b.slice(0, 6),
  ],
  b,
  fsal: true,
  error: { kind: "embedded", weights: b.map((bi, i) => bi - (bHat[i] as number)), order: 4 },
  dense: { kind: "continuous", order: 4, extraStages: [], weights: tsit5Weights },
};
