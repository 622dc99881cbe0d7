/**
 * Plugin options from the command line: `--sketch-option sketchSize=200` pairs, repeatable, with
 * dotted keys for nested fields (`regularisation.kind=relative-trace`) and values read as JSON
 * where they parse (`hiddenWidths=[64,64]`, `learnable=false`) and as strings otherwise.
 */
import { ErrorCode, MinevoError, quote } from "@minevo/core";

export type OptionTree = Record<string, unknown>;

/** Reads a value the way a user writes it on a command line: JSON if it parses, else the string. */
export function parseOptionValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Parses `key=value` pairs (dotted keys nest) into an options object. */
export function parseKeyValuePairs(pairs: readonly string[], flag: string): OptionTree {
  const out: OptionTree = {};
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    if (equals <= 0) {
      throw new MinevoError(ErrorCode.InvalidArgument, `${flag} takes key=value, got ${quote(pair)} (e.g. ${flag} sketchSize=200)`, { flag, value: pair });
    }
    const path = pair.slice(0, equals).split(".");
    if (path.some((key) => key === "")) {
      throw new MinevoError(ErrorCode.InvalidArgument, `${flag}: empty key in ${quote(pair)}`, { flag, value: pair });
    }
    let node = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as OptionTree;
    }
    node[path[path.length - 1] as string] = parseOptionValue(pair.slice(equals + 1));
  }
  return out;
}

function isPlainObject(value: unknown): value is OptionTree {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** `override` merged into `base`, objects recursively (arrays and scalars replace). */
export function mergeOptions(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: OptionTree = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = mergeOptions(base[key], value);
  return out;
}
