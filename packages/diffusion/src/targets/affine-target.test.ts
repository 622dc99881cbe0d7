/**
 * A target in standardised coordinates: the density of Z = (X − m)/s with the Jacobian included,
 * so log Z, importance weights and (mapped back) every estimate are those of the original target.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { RandomStream, expectNoTensorLeak, registries, type SamplingTarget } from "@minevo/core";
import { tf } from "../test-support/tensorflow.js";
import "../index.js";
import { evaluateAtPoints } from "../mcmc/chains.js";
import { affineTarget, affineToX, affineToZ, standardizingMap } from "./affine-target.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("affineTarget", () => {
  it("is π̃(m + s⊙z)·Πs with score s⊙∇ log π̃, and maps log Z, moments and exact draws", async () => {
    const banana = registries.target.create("banana", {}) as SamplingTarget;
    const map = { shift: Float64Array.from([1, -3]), scale: Float64Array.from([10, 14]) };
    const standardised = affineTarget(banana, map);
    const z = Float64Array.from([0, 0, 0.3, -0.2, -1.5, 0.7, 2, 1]);
    const x = affineToX(map, z);
    [1, -3, 4, -5.8].forEach((v, k) => expect(x[k]).toBeCloseTo(v, 12));
    affineToZ(map, x).forEach((v, k) => expect(v).toBeCloseTo(z[k]!, 12));
    const inZ = await expectNoTensorLeak(tf, "affineTarget", () => evaluateAtPoints(standardised, tf, z, 4));
    const inX = evaluateAtPoints(banana, tf, x, 4);
    const logJacobian = Math.log(10) + Math.log(14);
    for (let j = 0; j < 4; j++) {
      expect(inZ.logDensity[j]).toBeCloseTo(inX.logDensity[j]! + logJacobian, 3);
      expect(inZ.score[2 * j]! / (10 * inX.score[2 * j]!)).toBeCloseTo(1, 5);
      expect(inZ.score[2 * j + 1]! / (14 * inX.score[2 * j + 1]!)).toBeCloseTo(1, 5);
    }
    // The normaliser is the original one (the Jacobian is part of π̃_z).
    expect(standardised.logZ).toBe(banana.logZ);
    expect(standardised.dim).toBe(2);
    const moments = standardised.moments!;
    expect(Array.from(moments.mean)).toEqual([(banana.moments!.mean[0]! - 1) / 10, (banana.moments!.mean[1]! + 3) / 14]);
    expect(moments.covariance[0]).toBeCloseTo(banana.moments!.covariance[0]! / 100, 12);
    expect(moments.covariance[3]).toBeCloseTo(banana.moments!.covariance[3]! / 196, 12);
    // Exact draws of Z are the exact draws of X, standardised.
    const drawsZ = standardised.sample!(RandomStream.fromSeed(3), 5);
    const drawsX = banana.sample!(RandomStream.fromSeed(3), 5);
    const back = affineToX(map, drawsZ);
    for (let k = 0; k < 10; k++) expect(back[k]).toBeCloseTo(drawsX[k]!, 10);
  });

  it("keeps importance weights: log Ẑ over draws of a Gaussian proposal in z equals log Z", () => {
    // π̃(x) = exp(−|x − μ|²/(2σ²)) with σ = (4, 0.5): log Z = log 2π + log 4 + log 0.5.
    const gaussian = registries.target.create("gaussian", { mean: [5, -1], covariance: [[16, 0], [0, 0.25]] }) as SamplingTarget;
    const standardised = affineTarget(gaussian, { shift: Float64Array.from([5, -1]), scale: Float64Array.from([4, 0.5]) });
    // In z the target is N(0, I) exactly, so weights against N(0, I) draws are all equal to Z.
    const z = RandomStream.fromSeed(4).fillNormal(new Float64Array(200), 0, 1);
    const { logDensity } = evaluateAtPoints(standardised, tf, z, 100);
    for (let j = 0; j < 100; j++) {
      const logQ = -0.5 * (z[2 * j]! ** 2 + z[2 * j + 1]! ** 2) - Math.log(2 * Math.PI);
      expect(logDensity[j]! - logQ).toBeCloseTo(gaussian.logZ!, 4);
    }
  });

  it("standardizingMap takes the points' mean and standard deviation; bad maps and joint targets are refused", () => {
    const points = Float64Array.from([0, 10, 2, 10, 4, 16]);
    const map = standardizingMap(points, 2);
    expect(Array.from(map.shift)).toEqual([2, 12]);
    expect(map.scale[0]).toBeCloseTo(2, 12);
    expect(map.scale[1]).toBeCloseTo(Math.sqrt(12), 12);
    expect(() => standardizingMap(Float64Array.from([1, 2, 1, 3]), 2)).toThrow(/coordinate 0 of the points does not vary/);
    expect(() => standardizingMap(Float64Array.from([1, 2]), 2)).toThrow(/at least 2 points/);
    const banana = registries.target.create("banana", {}) as SamplingTarget;
    expect(() => affineTarget(banana, { shift: Float64Array.from([0]), scale: Float64Array.from([1, 1]) })).toThrow(/shift and scale need d = 2 values each/);
    expect(() => affineTarget(banana, { shift: Float64Array.from([0, 0]), scale: Float64Array.from([1, 0]) })).toThrow(/scale\[1\] must be a positive finite number, got 0/);
    expect(() => affineTarget(banana, { shift: Float64Array.from([0, Number.NaN]), scale: Float64Array.from([1, 1]) })).toThrow(/shift\[1\] must be finite, got NaN/);
    const joint = registries.target.create("joint-gaussian", {}) as SamplingTarget;
    expect(() => affineTarget(joint, { shift: Float64Array.from([0, 0]), scale: Float64Array.from([1, 1]) })).toThrow(/joint in \(x, y\)/);
  });
});
