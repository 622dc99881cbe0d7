/**
 * Registers every built-in plugin the command offers — the backends (cpu, wasm, webgpu and the
 * optional Node GPU ones), integrators, networks, sketches, equations and targets — by importing
 * their packages for their side effects. Both the command (main.ts) and the library entry
 * (index.ts) import it, so a program using `runSample` finds the same names as `minevo sample`.
 */
import "@minevo/backend-cpu";
import "@minevo/backend-node-gpu";
import "@minevo/backend-webgpu";
import "@minevo/integrators";
import "@minevo/networks";
import "@minevo/sketching";
import "@minevo/evolution";
import "@minevo/diffusion";
