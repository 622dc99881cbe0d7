import { describe, expect, it } from "vitest";
import { ErrorCode, isMinevoError } from "@minevo/core";
import { flattenParameters, layoutSize, parameterLayout, unflattenParameters } from "./layout.js";
import { erf } from "./erf.js";

describe("parameter layout", () => {
  const layout = parameterLayout([
    { name: "w", shape: [2, 3] },
    { name: "b", shape: [3] },
    { name: "s", shape: [] },
  ]);

  it("lays blocks out contiguously", () => {
    expect(layout.map((b) => [b.offset, b.size])).toEqual([
      [0, 6],
      [6, 3],
      [9, 1],
    ]);
    expect(layoutSize(layout)).toBe(10);
  });

  it("flatten inverts unflatten", () => {
    const theta = Float64Array.from({ length: 10 }, (_, i) => i * 1.5 - 2);
    const blocks = unflattenParameters(layout, theta);
    expect(Array.from(blocks.get("b")!)).toEqual([7, 8.5, 10]);
    expect(Array.from(flattenParameters(layout, blocks))).toEqual(Array.from(theta));
    expect(Array.from(flattenParameters(layout, { w: [1, 2, 3, 4, 5, 6], b: [7, 8, 9], s: [10] }))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("names the block that is missing or of the wrong size", () => {
    expect(() => flattenParameters(layout, { w: [1, 2, 3, 4, 5, 6], b: [7, 8] , s: [1] })).toThrow(/"b" needs 3 values/);
    let caught: unknown;
    try {
      unflattenParameters(layout, new Float64Array(9));
    } catch (error) {
      caught = error;
    }
    expect(isMinevoError(caught, ErrorCode.DimensionMismatch)).toBe(true);
  });
});

describe("erf (float64, for the GELU reference)", () => {
  it("matches high-precision values on both sides of the series/continued-fraction switch", () => {
    // Values from the closed-form tables (Abramowitz & Stegun 7.1, extended precision).
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.9, 0.9999589021219005],
      [3, 0.9999779095030014],
      [3.5, 0.9999992569016276],
      [5, 0.9999999999984626],
    ];
    // The Maclaurin series loses a few digits to cancellation just below 3; 1e-13 is far below
    // what the conformance suite's finite differences resolve.
    for (const [x, expected] of table) {
      expect(Math.abs(erf(x) - expected)).toBeLessThan(1e-13);
      expect(Math.abs(erf(-x) + expected)).toBeLessThan(1e-13);
    }
  });
});
