/**
 * The built-in equations on known inputs: heat f = κΔu, advection f = −c·∇u and its point
 * velocity, dimension checks, and the error for a derivative the caller did not pass.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, isMinevoError, registries, type EquationInput } from "@minevo/core";
import { advection, heat } from "../index.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function input(parts: Partial<EquationInput> & Pick<EquationInput, "points" | "value">): EquationInput {
  return { tf, t: 0, inputDim: parts.points.shape[1], conditionDim: 0, extra: {}, ...parts };
}

describe("heat", () => {
  it("gives f = κΔu and needs only the Laplacian", async () => {
    const equation = registries.equation.create("heat", { diffusivity: 0.25 });
    expect(equation.requirements).toEqual({ gradient: false, laplacian: true });
    expect(equation.pointVelocity).toBeUndefined();
    const f = equation.rhs(input({ points: tf.tensor2d([0, 1, 2], [3, 1]), value: tf.tensor1d([1, 1, 1]), laplacian: tf.tensor1d([4, -8, 0.5]) }));
    expect(Array.from(await f.data())).toEqual([1, -2, 0.125]);
    expect(heat.parseOptions({})).toEqual({ diffusivity: 1 });
  });

  it("says which derivative is missing instead of reading undefined", () => {
    const equation = heat.with({}).create();
    let caught: unknown;
    try {
      equation.rhs(input({ points: tf.tensor2d([0], [1, 1]), value: tf.tensor1d([1]) }));
    } catch (error) {
      caught = error;
    }
    expect(isMinevoError(caught, ErrorCode.InvalidArgument)).toBe(true);
    expect((caught as Error).message).toMatch(/"heat" needs the laplacian/);
  });
});

describe("advection", () => {
  it("gives f = −c·∇u, with points fixed or moving at c", async () => {
    const fixed = advection.with({ velocity: [2, -1] }).create();
    expect(fixed.requirements).toEqual({ gradient: true, laplacian: false });
    expect(fixed.pointVelocity).toBeUndefined();
    const points = tf.tensor2d([0, 0, 1, 1, 2, 3], [3, 2]);
    const gradient = tf.tensor2d([1, 0, 0, 1, 0.5, 2], [3, 2]);
    const f = fixed.rhs(input({ points, value: tf.tensor1d([0, 0, 0]), gradient }));
    expect(Array.from(await f.data())).toEqual([-2, 1, 1]);

    const moving = advection.with({ velocity: [2, -1], movePoints: true }).create();
    const velocity = moving.pointVelocity!(input({ points, value: tf.tensor1d([0, 0, 0]), gradient }));
    expect(velocity.shape).toEqual([3, 2]);
    expect(Array.from(await velocity.data())).toEqual([2, -1, 2, -1, 2, -1]);
  });

  it("checks the velocity's length against d", () => {
    const equation = advection.with({ velocity: [1, 2, 3] }).create();
    expect(() => equation.checkDimensions!({ inputDim: 3, conditionDim: 1 })).not.toThrow();
    expect(() => equation.checkDimensions!({ inputDim: 2, conditionDim: 0 })).toThrow(/\[1,2,3\] has 3 entries but the points have 2/);
    expect(() => advection.with({ velocity: [] })).toThrow(/velocity/);
  });
});
