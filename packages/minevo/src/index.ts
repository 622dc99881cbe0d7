/**
 * minevo: the umbrella package. Importing it registers the standard set of plugins (every
 * built-in integrator, network, sketch, equation, target and the CPU backends) and re-exports the
 * packages' public names.
 */
export * from "@minevo/core";
export * from "@minevo/integrators";
export * from "@minevo/networks";
export * from "@minevo/sketching";
export * from "@minevo/evolution";
export * from "@minevo/diffusion";
export * from "@minevo/backend-cpu";
