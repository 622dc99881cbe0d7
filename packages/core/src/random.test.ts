import { describe, expect, it } from "vitest";
import { ErrorCode, RandomStream, isMinevoError } from "./index.js";

describe("RandomStream", () => {
  it("is reproducible from its seed", () => {
    const a = RandomStream.fromSeed(7).normals(100);
    const b = RandomStream.fromSeed(7).normals(100);
    const c = RandomStream.fromSeed(8).normals(100);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("restores exactly from a serialised state, mid-stream and mid-pair", () => {
    const stream = RandomStream.fromSeed("run-1");
    stream.normals(11); // odd count: a spare normal is pending
    const saved = JSON.parse(JSON.stringify(stream.getState())) as ReturnType<RandomStream["getState"]>;
    const expected = [stream.normal(), stream.uniform(), stream.integer(10), stream.normal(), stream.normal()];
    const restored = RandomStream.fromState(saved);
    expect([restored.normal(), restored.uniform(), restored.integer(10), restored.normal(), restored.normal()]).toEqual(expected);
  });

  it("derives independent streams that do not depend on draws from the parent", () => {
    const a = RandomStream.fromSeed(3);
    const b = RandomStream.fromSeed(3);
    b.normals(1000);
    expect(a.derive("sketch").normals(5)).toEqual(b.derive("sketch").normals(5));
    expect(a.derive("sketch").normals(5)).not.toEqual(a.derive("points").normals(5));
  });

  it("draws standard normals and uniforms with the right moments", () => {
    const n = 200_000;
    const stream = RandomStream.fromSeed(11);
    const z = stream.normals(n);
    let mean = 0;
    let m2 = 0;
    let m4 = 0;
    for (const v of z) mean += v / n;
    for (const v of z) {
      m2 += (v - mean) ** 2 / n;
      m4 += (v - mean) ** 4 / n;
    }
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(m2 - 1)).toBeLessThan(0.02);
    expect(Math.abs(m4 - 3)).toBeLessThan(0.1);
    const u = stream.fillUniform(new Float64Array(n), -1, 3);
    expect(u.reduce((m, v) => Math.min(m, v), Infinity)).toBeGreaterThanOrEqual(-1);
    expect(u.reduce((m, v) => Math.max(m, v), -Infinity)).toBeLessThan(3);
    expect(u.reduce((s, v) => s + v, 0) / n).toBeCloseTo(1, 1);
  });

  it("permutes every index exactly once", () => {
    const p = RandomStream.fromSeed(5).permutation(1000);
    expect([...p].sort((x, y) => x - y)).toEqual([...Array(1000).keys()]);
  });

  it("rejects bad seeds and states with clear errors", () => {
    expect(() => RandomStream.fromSeed(1.5)).toThrow(/seed 1.5 must be a safe integer/);
    let error: unknown;
    try {
      RandomStream.fromState({ algorithm: "xoroshiro128plus", key: "k", generator: [1, 2], spareNormal: null });
    } catch (e) {
      error = e;
    }
    expect(isMinevoError(error, ErrorCode.InvalidState)).toBe(true);
    expect(() => RandomStream.fromSeed(1).integer(0)).toThrow(/positive safe integer/);
  });
});
