import { expect } from "vitest";
import type { OuSamplerCheckpoint } from "../sampler/checkpoint.js";
import { runOuSampler, type OuSamplerOptions } from "../sampler/ou-sampler.js";

/**
 * Runs the sampler until its first checkpoint (after the fit, before the forward run), aborts it
 * there and returns the checkpoint: the collocation points and settings a run starts from, without
 * paying for the evolution.
 */
export async function firstCheckpoint(options: Omit<OuSamplerOptions, "signal" | "checkpoint">): Promise<OuSamplerCheckpoint> {
  const controller = new AbortController();
  let saved: OuSamplerCheckpoint | undefined;
  await expect(
    runOuSampler({
      ...options,
      signal: controller.signal,
      checkpoint: {
        everySteps: 1000,
        save: (checkpoint) => {
          saved = checkpoint;
          controller.abort();
        },
      },
    } as OuSamplerOptions),
  ).rejects.toMatchObject({ code: "MINEVO_ABORTED" });
  expect(saved).toBeDefined();
  return saved!;
}

/** The mean over rows [from, to) of count×2 points of their coordinates' average (where a block of points sits). */
export function meanOfRows(points: Float64Array, from: number, to: number): number {
  let sum = 0;
  for (let j = from; j < to; j++) sum += (points[2 * j]! + points[2 * j + 1]!) / 2;
  return sum / (to - from);
}
