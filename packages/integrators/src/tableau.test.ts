/**
 * Algebraic checks of every tableau: the row-sum condition, the order conditions up to
 * min(order, 5) for the propagated weights, error weights that sum to zero, and continuous
 * extensions that start at y₀ and end at y₁.
 */
import { describe, expect, it } from "vitest";
import type { RungeKuttaMethod } from "./methods/method.js";
import { denseDerivativeCount, endDerivativeIndex } from "./methods/method.js";
import { eulerMethod, heunMethod, midpointMethod, rk4Method } from "./methods/fixed.js";
import { bosh3Method } from "./methods/bosh3.js";
import { dopri5Method } from "./methods/dopri5.js";
import { tsit5Method } from "./methods/tsit5.js";
import { dop853Method } from "./methods/dop853.js";

const methods: RungeKuttaMethod[] = [eulerMethod, heunMethod, midpointMethod, rk4Method, bosh3Method, dopri5Method, tsit5Method, dop853Method];
const named = methods.map((m) => [m.name, m] as const);

const at = (v: readonly number[], i: number): number => v[i] ?? 0;

/** Σᵢ bᵢ Φᵢ for the order conditions of the trees up to order 5 (Butcher's list). */
function conditions(m: RungeKuttaMethod): { order: number; value: number; expected: number }[] {
  const s = m.stages;
  const A = (i: number, j: number) => at(m.a[i] ?? [], j);
  const c = (i: number) => at(m.c, i);
  const b = (i: number) => at(m.b, i);
  const sum = (f: (i: number) => number) => {
    let total = 0;
    for (let i = 0; i < s; i++) total += f(i);
    return total;
  };
  const Ac = (i: number, p = 1) => sum((j) => A(i, j) * c(j) ** p);
  const AAc = (i: number) => sum((j) => A(i, j) * Ac(j));
  return [
    { order: 1, value: sum(b), expected: 1 },
    { order: 2, value: sum((i) => b(i) * c(i)), expected: 1 / 2 },
    { order: 3, value: sum((i) => b(i) * c(i) ** 2), expected: 1 / 3 },
    { order: 3, value: sum((i) => b(i) * Ac(i)), expected: 1 / 6 },
    { order: 4, value: sum((i) => b(i) * c(i) ** 3), expected: 1 / 4 },
    { order: 4, value: sum((i) => b(i) * c(i) * Ac(i)), expected: 1 / 8 },
    { order: 4, value: sum((i) => b(i) * Ac(i, 2)), expected: 1 / 12 },
    { order: 4, value: sum((i) => b(i) * AAc(i)), expected: 1 / 24 },
    { order: 5, value: sum((i) => b(i) * c(i) ** 4), expected: 1 / 5 },
    { order: 5, value: sum((i) => b(i) * c(i) ** 2 * Ac(i)), expected: 1 / 10 },
    { order: 5, value: sum((i) => b(i) * Ac(i) ** 2), expected: 1 / 20 },
    { order: 5, value: sum((i) => b(i) * c(i) * Ac(i, 2)), expected: 1 / 15 },
    { order: 5, value: sum((i) => b(i) * c(i) * AAc(i)), expected: 1 / 30 },
    { order: 5, value: sum((i) => b(i) * Ac(i, 3)), expected: 1 / 20 },
    { order: 5, value: sum((i) => b(i) * sum((j) => A(i, j) * c(j) * Ac(j))), expected: 1 / 40 },
    { order: 5, value: sum((i) => b(i) * sum((j) => A(i, j) * Ac(j, 2))), expected: 1 / 60 },
    { order: 5, value: sum((i) => b(i) * sum((j) => A(i, j) * AAc(j))), expected: 1 / 120 },
  ];
}

describe.each(named)("%s tableau", (_name, m) => {
  it("has consistent shapes and cᵢ = Σⱼ aᵢⱼ (also for the extra dense stages)", () => {
    expect(m.c).toHaveLength(m.stages);
    expect(m.a).toHaveLength(m.stages);
    expect(m.b).toHaveLength(m.stages);
    m.a.forEach((row, i) => {
      expect(row.length).toBe(i);
      expect(Math.abs(row.reduce((p, v) => p + v, 0) - (m.c[i] as number))).toBeLessThan(1e-14);
    });
    if (m.dense.kind === "continuous") {
      for (const stage of m.dense.extraStages) expect(Math.abs(stage.a.reduce((p, v) => p + v, 0) - stage.c)).toBeLessThan(1e-14);
    }
    if (m.fsal) expect(m.a[m.stages - 1]).toEqual(m.b.slice(0, m.stages - 1));
  });

  it("satisfies the order conditions up to min(order, 5)", () => {
    for (const { order, value, expected } of conditions(m)) {
      if (order <= Math.min(m.order, 5)) expect(Math.abs(value - expected)).toBeLessThan(1e-14);
    }
    // …and fails the first one beyond its order (the order is not understated).
    if (m.order < 5) {
      const beyond = conditions(m).filter((k) => k.order === m.order + 1);
      expect(beyond.some(({ value, expected }) => Math.abs(value - expected) > 1e-6)).toBe(true);
    }
  });

  it("has error weights that sum to zero (both solutions are consistent)", () => {
    const e = m.error;
    if (e === undefined) return;
    const weights = e.kind === "embedded" ? [e.weights] : [e.e5, e.e3];
    for (const w of weights) expect(Math.abs(w.reduce((p, v) => p + v, 0))).toBeLessThan(1e-14);
  });

  it("has a continuous extension that starts at y₀ and ends at y₁", () => {
    if (m.dense.kind !== "continuous") return;
    const count = denseDerivativeCount(m);
    const w = new Float64Array(count);
    m.dense.weights(0, w);
    for (const v of w) expect(Math.abs(v)).toBeLessThan(1e-15);
    m.dense.weights(1, w);
    for (let i = 0; i < count; i++) expect(Math.abs((w[i] as number) - (i < m.stages ? (m.b[i] as number) : 0))).toBeLessThan(1e-13);
    expect(endDerivativeIndex(m)).toBe(m.fsal ? m.stages - 1 : m.stages);
  });
});
