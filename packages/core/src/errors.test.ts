import { describe, expect, it } from "vitest";
import { ErrorCode, MinevoError, assertFinite, isMinevoError } from "./index.js";

describe("MinevoError", () => {
  it("carries a stable code and details", () => {
    const error = new MinevoError(ErrorCode.NonFinite, "bad", { index: 3 });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("MinevoError");
    expect(error.code).toBe("MINEVO_NONFINITE");
    expect(isMinevoError(error, ErrorCode.NonFinite)).toBe(true);
    expect(isMinevoError(error, ErrorCode.InvalidOptions)).toBe(false);
    expect(isMinevoError(new Error("x"))).toBe(false);
  });

  it("keeps every code distinct and prefixed", () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^MINEVO_[A-Z_]+$/);
  });

  it("assertFinite names the first bad index and value", () => {
    expect(() => assertFinite([1, 2, Number.POSITIVE_INFINITY], "rhs", "check the target")).toThrow(
      "rhs has a non-finite value Infinity at index 2: check the target",
    );
    expect(() => assertFinite(new Float64Array([0, 1]), "rhs")).not.toThrow();
  });
});
