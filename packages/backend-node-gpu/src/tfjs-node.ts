/**
 * Loading TensorFlow's C library through @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node
 * (CPU). Both are optional peer dependencies, never installed with minevo: their install script
 * downloads libtensorflow (hundreds of MB, from Google's storage), which a user opts into.
 */

export type TfjsNodePackage = "@tensorflow/tfjs-node-gpu" | "@tensorflow/tfjs-node";

/** The version minevo is built against (its tfjs-core peer is ^4.22.0). */
export const tfjsNodeVersion = "4.22.0";

/** What to run to get `name`, in the words the error messages use. */
export function installAdvice(name: TfjsNodePackage): string {
  return name === "@tensorflow/tfjs-node-gpu"
    ? `npm install @tensorflow/tfjs-node-gpu@${tfjsNodeVersion} (Linux x64 with an NVIDIA GPU, CUDA 11.8 and cuDNN 8), or npm install @tensorflow/tfjs-node@${tfjsNodeVersion} for TensorFlow on the CPU`
    : `npm install @tensorflow/tfjs-node@${tfjsNodeVersion} (or @tensorflow/tfjs-node-gpu@${tfjsNodeVersion} for CUDA)`;
}

/** The message when `name` is not installed. */
export function missingPackageMessage(name: TfjsNodePackage): string {
  return `${name} is not installed (it is an optional peer dependency of @minevo/backend-node-gpu): ${installAdvice(name)}`;
}

export type LoadResult = { readonly loaded: true; readonly module: unknown } | { readonly loaded: false; readonly reason: string };

/** Imports a module by name; tests substitute their own. */
export type ModuleImporter = (name: string) => Promise<unknown>;

// A variable specifier, so that bundlers do not try to resolve a package that is not installed.
export const importModule: ModuleImporter = (name) => import(/* @vite-ignore */ name);

function isMissing(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && message.includes(`'${name}'`);
}

/** Loads `name`, telling "not installed" apart from "installed but broken". */
export async function loadTfjsNode(name: TfjsNodePackage, importer: ModuleImporter): Promise<LoadResult> {
  try {
    return { loaded: true, module: await importer(name) };
  } catch (error) {
    if (isMissing(error, name)) return { loaded: false, reason: missingPackageMessage(name) };
    const message = error instanceof Error ? error.message : String(error);
    return {
      loaded: false,
      reason:
        `${name} is installed but failed to load (${message}); its install script downloads libtensorflow, ` +
        `so reinstall it where that download can run: npm rebuild ${name}`,
    };
  }
}
