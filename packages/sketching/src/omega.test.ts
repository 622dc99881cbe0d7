import { ErrorCode, RandomStream, isMinevoError, gramOfColumns } from "@minevo/core";
import { describe, expect, it } from "vitest";
import { dctOmega, gaussianOmega } from "./omega.js";

describe("fixed sketch Ω", () => {
  it("gaussian: entries N(0, 1/N), float32-representable, so ΩᵀΩ ≈ I", () => {
    const numPoints = 400;
    const omega = gaussianOmega(numPoints, 50, RandomStream.fromSeed(11));
    let sum = 0;
    let sumSquares = 0;
    for (const v of omega.values) {
      expect(Math.fround(v)).toBe(v);
      sum += v;
      sumSquares += v * v;
    }
    const count = omega.values.length;
    // Mean 0 and variance 1/N within a few standard errors (20 000 draws).
    expect(Math.abs(sum / count)).toBeLessThan((4 / Math.sqrt(numPoints)) / Math.sqrt(count));
    expect(Math.abs((sumSquares / count) * numPoints - 1)).toBeLessThan(4 * Math.sqrt(2 / count));
    const gram = gramOfColumns({ rows: numPoints, cols: 50, data: omega.values });
    for (let i = 0; i < 50; i++) expect(Math.abs((gram.data[i * 51] as number) - 1)).toBeLessThan(0.35);
  });

  it("dct: columns are orthonormal (ΩᵀΩ = I to float32 rounding) and are signed DCT-II basis vectors", () => {
    const numPoints = 64;
    const n = 16;
    const omega = dctOmega(numPoints, n, RandomStream.fromSeed(12));
    const gram = gramOfColumns({ rows: numPoints, cols: n, data: omega.values });
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(Math.abs((gram.data[i * n + j] as number) - (i === j ? 1 : 0))).toBeLessThan(1e-6);
    // Each column, with the signs removed (|entries|), is |cos(π(2i+1)k/2N)|·s_k for one k.
    for (let j = 0; j < n; j++) {
      const column = Array.from({ length: numPoints }, (_, i) => Math.abs(omega.values[i * n + j] as number));
      const matches = Array.from({ length: numPoints }, (_, k) => k).filter((k) => {
        const s = k === 0 ? Math.sqrt(1 / numPoints) : Math.sqrt(2 / numPoints);
        return column.every((v, i) => Math.abs(v - Math.abs(s * Math.cos((Math.PI * (2 * i + 1) * k) / (2 * numPoints)))) < 1e-6);
      });
      expect(matches.length).toBe(1);
    }
  });

  it("the same stream state draws the same Ω; another seed a different one", () => {
    for (const draw of [gaussianOmega, dctOmega]) {
      const a = draw(100, 10, RandomStream.fromSeed(1));
      const b = draw(100, 10, RandomStream.fromSeed(1));
      const c = draw(100, 10, RandomStream.fromSeed(2));
      expect(a.values).toEqual(b.values);
      expect(a.values).not.toEqual(c.values);
    }
  });

  it("refuses n > N", () => {
    for (const draw of [gaussianOmega, dctOmega]) {
      expect(() => draw(10, 11, RandomStream.fromSeed(1))).toThrowError(/exceeds the number of collocation points N = 10/);
      try {
        draw(10, 11, RandomStream.fromSeed(1));
      } catch (error) {
        expect(isMinevoError(error, ErrorCode.InvalidArgument)).toBe(true);
      }
    }
  });
});
