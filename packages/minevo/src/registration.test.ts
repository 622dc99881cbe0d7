import { describe, expect, it } from "vitest";
import { registries } from "./index.js";

describe("the umbrella package", () => {
  it("registers the standard set of plugins on import", () => {
    expect(registries.integrator.names()).toEqual(
      expect.arrayContaining(["euler", "heun", "midpoint", "rk4", "bosh3", "dopri5", "tsit5", "dop853"]),
    );
    expect(registries.network.names()).toContain("mlp");
    expect(registries.sketch.names()).toEqual(expect.arrayContaining(["dense", "gaussian", "srft", "dct", "nystrom", "column"]));
    expect(registries.target.names()).toEqual(
      expect.arrayContaining(["gaussian", "gmm", "gmm25", "gmm2-reference", "banana", "funnel", "many-well", "joint-gaussian"]),
    );
    expect(registries.equation.names()).toEqual(expect.arrayContaining(["heat", "advection", "ornstein-uhlenbeck", "fokker-planck"]));
    expect(registries.backend.names()).toEqual(expect.arrayContaining(["cpu", "wasm"]));
  });

  it("creates plugins by name with typed options", () => {
    const integrator = registries.integrator.create("dopri5", { rtol: 1e-6, atol: 1e-9 });
    const result = integrator.solveSync({ rhs: (_t, y) => Float64Array.from(y, (v) => -v), t0: 0, t1: 1, y0: Float64Array.of(1) });
    expect(result.status).toBe("success");
    expect(result.y[0]).toBeCloseTo(Math.exp(-1), 6);
  });
});
