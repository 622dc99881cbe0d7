/**
 * Gradients for user targets. A user's log-density gets its score from `tf.valueAndGrad`, which
 * needs TensorFlow.js's gradient functions, registered by `@tensorflow/tfjs-core/dist/
 * register_all_gradients`. That file belongs to tfjs-core's ESM build, whose relative imports have
 * no file extensions ("./gradients/Abs_grad"): bundlers accept them, Node's ESM loader does not.
 * So the first time a user target is loaded, this installs a resolve hook that retries such
 * specifiers inside tfjs-core's dist/ folder as "x.js" or "x/index.js", then imports the file.
 * The gradient registry is process-global in TensorFlow.js, so the gradients serve the engine the
 * backends use. Built-in targets have closed-form scores and never pay for this (~2 s).
 */
import { register } from "node:module";

const hooks = `
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
const marker = "/@tensorflow/tfjs-core/dist/";
export async function resolve(specifier, context, nextResolve) {
  if (/\\.(m|c)?js$/.test(specifier)) return nextResolve(specifier, context);
  if (specifier.startsWith("@tensorflow/tfjs-core/dist/")) return nextResolve(specifier + ".js", context);
  const relative = specifier.startsWith("./") || specifier.startsWith("../");
  if (relative && typeof context.parentURL === "string" && context.parentURL.includes(marker)) {
    const base = new URL(specifier, context.parentURL).href;
    if (existsSync(fileURLToPath(base + ".js"))) return nextResolve(base + ".js", context);
    return nextResolve(base + "/index.js", context);
  }
  return nextResolve(specifier, context);
}
`;

let loading: Promise<void> | undefined;

/** Registers TensorFlow.js's gradient functions once per process. */
export function ensureGradients(): Promise<void> {
  loading ??= (async () => {
    register(`data:text/javascript,${encodeURIComponent(hooks)}`);
    const specifier: string = "@tensorflow/tfjs-core/dist/register_all_gradients";
    await import(specifier);
  })();
  return loading;
}
