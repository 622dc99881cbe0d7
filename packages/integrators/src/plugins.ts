/**
 * The registry plugins: one per method, with typed options validated by zod. Adaptive methods
 * take tolerances and a controller; fixed-step methods take `dt` or `steps`.
 *
 * ```ts
 * const integrator = registries.integrator.create("dopri5", { rtol: 1e-8, atol: 1e-10, controller: { kind: "pi" } });
 * const result = await integrator.solve({ rhs, t0: 0, t1: 1, y0 });
 * ```
 */
import { z } from "zod";
import { defineIntegrator } from "@minevo/core";
import { adaptiveController, constantStep } from "./controller.js";
import { createIntegrator } from "./integrator.js";
import type { RungeKuttaMethod } from "./methods/method.js";
import { eulerMethod, heunMethod, midpointMethod, rk4Method } from "./methods/fixed.js";
import { bosh3Method } from "./methods/bosh3.js";
import { dopri5Method } from "./methods/dopri5.js";
import { tsit5Method } from "./methods/tsit5.js";
import { dop853Method } from "./methods/dop853.js";

const toleranceValue = z.number().nonnegative();
const toleranceLeaf = z.union([toleranceValue, z.array(toleranceValue)]);
/** A number, one number per state component, or (structured states) a record per key. */
const tolerance = z.union([toleranceLeaf, z.record(z.string(), toleranceLeaf)]);

const controller = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("i") }),
  z.strictObject({ kind: z.literal("pi"), beta1: z.number().optional(), beta2: z.number().optional() }),
  z.strictObject({ kind: z.literal("pid"), beta1: z.number(), beta2: z.number(), beta3: z.number() }),
]);

function adaptiveOptions(defaultRule: "i" | "pi") {
  return z.strictObject({
    rtol: tolerance.default(1e-6),
    atol: tolerance.default(1e-6),
    /** I, PI or PID rule with explicit exponents (units of 1/k, k = error order + 1). */
    controller: controller.default({ kind: defaultRule }),
    safety: z.number().positive().max(1).default(0.9),
    minFactor: z.number().positive().lt(1).default(0.2),
    maxFactor: z.number().gt(1).default(10),
    dtmin: z.number().nonnegative().default(0),
    dtmax: z.number().positive().optional(),
    dt0: z.number().positive().optional(),
    maxSteps: z.number().int().positive().default(100_000),
    maxRejections: z.number().int().positive().default(50),
  });
}

type AdaptiveOptions = z.output<ReturnType<typeof adaptiveOptions>>;

const fixedOptions = z
  .strictObject({
    dt: z.number().positive().optional(),
    steps: z.number().int().positive().optional(),
  })
  .refine((o) => (o.dt === undefined) !== (o.steps === undefined), { message: "give exactly one of dt or steps, e.g. { steps: 100 }" });

function createAdaptive(method: RungeKuttaMethod, o: AdaptiveOptions) {
  const c = o.controller;
  return createIntegrator({
    method,
    controller: adaptiveController({
      rtol: o.rtol,
      atol: o.atol,
      rule: c.kind,
      beta1: c.kind === "i" ? undefined : c.beta1,
      beta2: c.kind === "i" ? undefined : c.beta2,
      beta3: c.kind === "pid" ? c.beta3 : undefined,
      safety: o.safety,
      minFactor: o.minFactor,
      maxFactor: o.maxFactor,
      dtmin: o.dtmin,
      dtmax: o.dtmax,
      dt0: o.dt0,
      maxRejections: o.maxRejections,
    }),
    maxSteps: o.maxSteps,
  });
}

function createFixed(method: RungeKuttaMethod, o: z.output<typeof fixedOptions>) {
  return createIntegrator({ method, controller: constantStep(o), maxSteps: Number.MAX_SAFE_INTEGER });
}

export const euler = defineIntegrator({
  name: "euler",
  description: "Forward Euler, order 1, fixed step; cubic Hermite dense output.",
  options: fixedOptions,
  create: (o) => createFixed(eulerMethod, o),
});

export const heun = defineIntegrator({
  name: "heun",
  description: "Heun's method (explicit trapezoid), order 2, fixed step; cubic Hermite dense output.",
  options: fixedOptions,
  create: (o) => createFixed(heunMethod, o),
});

export const midpoint = defineIntegrator({
  name: "midpoint",
  description: "Explicit midpoint method, order 2, fixed step; cubic Hermite dense output.",
  options: fixedOptions,
  create: (o) => createFixed(midpointMethod, o),
});

export const rk4 = defineIntegrator({
  name: "rk4",
  description: "Classical Runge–Kutta, order 4, fixed step; cubic Hermite dense output.",
  options: fixedOptions,
  create: (o) => createFixed(rk4Method, o),
});

export const bosh3 = defineIntegrator({
  name: "bosh3",
  description: "Bogacki–Shampine 3(2), adaptive, FSAL; cubic Hermite dense output.",
  options: adaptiveOptions("pi"),
  create: (o) => createAdaptive(bosh3Method, o),
});

export const dopri5 = defineIntegrator({
  name: "dopri5",
  description: "Dormand–Prince 5(4) as in Hairer's DOPRI5, adaptive, FSAL; 4th-order dense output.",
  options: adaptiveOptions("pi"),
  create: (o) => createAdaptive(dopri5Method, o),
});

export const tsit5 = defineIntegrator({
  name: "tsit5",
  description: "Tsitouras 5(4), adaptive, FSAL; its own 4th-order interpolant.",
  options: adaptiveOptions("pi"),
  create: (o) => createAdaptive(tsit5Method, o),
});

export const dop853 = defineIntegrator({
  name: "dop853",
  description: "Dormand–Prince 8(5,3) as in Hairer's DOP853, adaptive; 7th-order dense output (3 extra stages).",
  options: adaptiveOptions("pi"),
  create: (o) => createAdaptive(dop853Method, o),
});

export const integratorPlugins = [euler, heun, midpoint, rk4, bosh3, dopri5, tsit5, dop853] as const;

declare module "@minevo/core" {
  interface IntegratorMap {
    euler: typeof euler;
    heun: typeof heun;
    midpoint: typeof midpoint;
    rk4: typeof rk4;
    bosh3: typeof bosh3;
    dopri5: typeof dopri5;
    tsit5: typeof tsit5;
    dop853: typeof dop853;
  }
}
