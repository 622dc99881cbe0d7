import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { ErrorCode, isMinevoError } from "@minevo/core";
import { beforeAll, describe, expect, it } from "vitest";
import { compileFormula, parseFormula } from "./formula.js";
import { createTarget } from "./targets.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const points = [
  [0, 0],
  [-2, 0.5],
  [1.5, -1],
  [3, 2],
  [-0.7, -2.2],
];

/** The compiled formula at `points`, float32 values read back. */
function evaluate(formula: string): number[] {
  const x = tf.tensor2d(points);
  const value = tf.tidy(() => compileFormula(formula)(x, tf));
  const out = Array.from(value.dataSync());
  tf.dispose([x, value]);
  return out;
}

function expectErrorCode(run: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(isMinevoError(caught), `expected a MinevoError, got ${String(caught)}`).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
  expect((caught as Error).message).toMatch(message);
}

describe("log-density formulas", () => {
  it("follow the usual precedence: unary minus below powers, powers right-associative", () => {
    const cases: [string, (x: number, y: number) => number][] = [
      ["-x^2", (x) => -(x ** 2)],
      ["2^3^2 + 0*x", () => 2 ** 9],
      ["-(x^2 + y^2)/2", (x, y) => -(x * x + y * y) / 2],
      ["x - y - 1", (x, y) => x - y - 1],
      ["x / 2 / 4", (x) => x / 8],
      ["-x**2 * 3", (x) => -(x ** 2) * 3],
      ["x1 * x2 + pi - e", (x, y) => x * y + Math.PI - Math.E],
      ["2e-1 * x + .5 * y", (x, y) => 0.2 * x + 0.5 * y],
    ];
    for (const [formula, exact] of cases) {
      const values = evaluate(formula);
      points.forEach(([x, y], k) => expect(values[k], `${formula} at (${x}, ${y})`).toBeCloseTo(exact(x as number, y as number), 4));
    }
  });

  it("computes every function in float32 to within its rounding, overflow-free where it matters", () => {
    const logaddexp = (a: number, b: number) => Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
    const cases: [string, (x: number, y: number) => number][] = [
      ["exp(-abs(x)) + log(1 + y^2) + sqrt(square(x) + 1)", (x, y) => Math.exp(-Math.abs(x)) + Math.log(1 + y * y) + Math.sqrt(x * x + 1)],
      ["sin(x) * cos(y) + tanh(x - y)", (x, y) => Math.sin(x) * Math.cos(y) + Math.tanh(x - y)],
      ["softplus(3 * x) - max(x, y) + min(x, y)", (x, y) => Math.max(3 * x, 0) + Math.log1p(Math.exp(-Math.abs(3 * x))) - Math.max(x, y) + Math.min(x, y)],
      ["logaddexp(-((x + 2)^2 + y^2), log(0.7) - ((x - 2)^2 + (y - 1)^2) / 1.2)", (x, y) => logaddexp(-((x + 2) ** 2 + y ** 2), Math.log(0.7) - ((x - 2) ** 2 + (y - 1) ** 2) / 1.2)],
      // exp(±400) overflows float32; the log-sum-exp form does not.
      ["logaddexp(400 * x, -400 * x)", (x) => 400 * Math.abs(x) + Math.log1p(Math.exp(-800 * Math.abs(x)))],
    ];
    for (const [formula, exact] of cases) {
      const values = evaluate(formula);
      points.forEach(([x, y], k) => {
        const want = exact(x as number, y as number);
        expect(Math.abs((values[k] as number) - want), `${formula} at (${x}, ${y})`).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(want)));
      });
    }
  });

  it("gives userTarget a score by autodiff that matches the exact gradient", () => {
    const formula = "logaddexp(log(0.3) - ((x + 2)^2 + y^2), log(0.7) - ((x - 2)^2 + (y - 1)^2) / 1.2) - 0.1 * x^4";
    const target = createTarget({ kind: "formula", formula, view: { xMin: -5, xMax: 5, yMin: -5, yMax: 5 } });
    const x = tf.tensor2d(points);
    const { logDensity, score } = target.scoreAndLogDensity(x, tf);
    const values = logDensity.dataSync();
    const gradients = score.dataSync();
    points.forEach(([px, py], k) => {
      const p = px as number;
      const q = py as number;
      const a = Math.log(0.3) - ((p + 2) ** 2 + q * q);
      const b = Math.log(0.7) - ((p - 2) ** 2 + (q - 1) ** 2) / 1.2;
      const peak = Math.max(a, b);
      const wa = Math.exp(a - peak) / (Math.exp(a - peak) + Math.exp(b - peak));
      const wb = 1 - wa;
      expect(values[k]).toBeCloseTo(peak + Math.log(Math.exp(a - peak) + Math.exp(b - peak)) - 0.1 * p ** 4, 4);
      const dx = wa * -2 * (p + 2) + wb * (-2 * (p - 2)) / 1.2 - 0.4 * p ** 3;
      const dy = wa * -2 * q + wb * (-2 * (q - 1)) / 1.2;
      expect(gradients[2 * k], `∂x at point ${k}`).toBeCloseTo(dx, 3);
      expect(gradients[2 * k + 1], `∂y at point ${k}`).toBeCloseTo(dy, 3);
    });
    tf.dispose([x, logDensity, score]);
  });

  it("keeps the shape [M] for a formula in one coordinate, and leaks no tensor over many calls", () => {
    expect(evaluate("-y^2/2")).toHaveLength(points.length);
    const target = createTarget({ kind: "formula", formula: "-x^2/2 - 2*y^2 + softplus(x)", view: { xMin: -3, xMax: 3, yMin: -3, yMax: 3 } });
    const x = tf.tensor2d(points);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      const { logDensity, score } = target.scoreAndLogDensity(x, tf);
      tf.dispose([logDensity, score]);
      target.logDensity(x, tf).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it("refuses bad formulas with the position and what to do", () => {
    expectErrorCode(() => parseFormula(""), ErrorCode.InvalidArgument, /empty/);
    expectErrorCode(() => parseFormula("x +"), ErrorCode.InvalidArgument, /character 4: expected a number, x, y/);
    expectErrorCode(() => parseFormula("(x + y"), ErrorCode.InvalidArgument, /"\)" to close the "\(" at character 1/);
    expectErrorCode(() => parseFormula("z^2"), ErrorCode.InvalidArgument, /unknown name "z"; the coordinates are x and y/);
    expectErrorCode(() => parseFormula("logaddexp(x)"), ErrorCode.InvalidArgument, /logaddexp takes 2 arguments, got 1/);
    expectErrorCode(() => parseFormula("x y"), ErrorCode.InvalidArgument, /unexpected "y" after a complete expression/);
    expectErrorCode(() => parseFormula("x # 2"), ErrorCode.InvalidArgument, /unexpected character "#"/);
    expectErrorCode(() => parseFormula("exp 2"), ErrorCode.InvalidArgument, /"\(" after the function exp/);
    expectErrorCode(() => compileFormula("log(2) - 1"), ErrorCode.InvalidArgument, /does not depend on x or y/);
  });

  it("reports a formula that is not finite at a point through userTarget, quoting the point", () => {
    const target = createTarget({ kind: "formula", formula: "log(x)", view: { xMin: -1, xMax: 1, yMin: -1, yMax: 1 } });
    const x = tf.tensor2d([[1, 0], [-1, 0]]);
    expectErrorCode(() => target.logDensity(x, tf), ErrorCode.NonFinite, /NaN at point 1 = \[-1,0\]/);
    x.dispose();
  });
});
