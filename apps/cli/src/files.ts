/**
 * Output files written so that a reader never sees half a file: write a temporary file beside the
 * target, fsync it, rename it over the target (atomic on one file system), then fsync the folder
 * so the rename itself survives a crash. Failures name the path and say what to do.
 */
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ErrorCode, MinevoError, quote } from "@minevo/core";

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const text = error instanceof Error ? error.message : String(error);
  return typeof code === "string" ? `${code}: ${text}` : text;
}

/** Creates `dir` (and parents) and proves it is writable; throws one clear error otherwise. */
export async function prepareOutputDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const probe = join(dir, `.minevo-write-test-${process.pid}`);
    await (await open(probe, "w")).close();
    await rm(probe, { force: true });
  } catch (error) {
    throw new MinevoError(ErrorCode.InvalidArgument, `cannot write to the output directory ${quote(dir)} (${describe(error)}); choose another --out`, { dir });
  }
}

/** Writes `data` to `path` atomically and durably (temp file, fsync, rename, fsync the folder). */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    const handle = await open(temporary, "w");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    try {
      const folder = await open(dirname(path), "r");
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
    } catch {
      // Some file systems refuse to fsync a directory; the rename is still atomic there.
    }
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new MinevoError(ErrorCode.InvalidArgument, `cannot write ${quote(path)} (${describe(error)}); check the output directory's permissions and free space`, { path });
  }
}

/** JSON with a trailing newline; NaN or Infinity anywhere is an error, never written silently. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(
    value,
    (key, v: unknown) => {
      if (typeof v === "number" && !Number.isFinite(v)) {
        throw new MinevoError(ErrorCode.NonFinite, `refusing to write the non-finite value ${String(v)} of field ${quote(key)} to JSON`, { field: key });
      }
      return v;
    },
    2,
  )}\n`;
}

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new MinevoError(ErrorCode.InvalidArgument, `cannot read ${what} ${quote(path)} (${describe(error)})`, { path });
  }
}

/** Rows of `values` (row-major, `width` columns) as CSV under `header`, with an optional extra column. */
export function toCsv(header: readonly string[], values: Float64Array, width: number, extra?: Float64Array): string {
  const rows = values.length / width;
  const lines: string[] = [header.join(",")];
  for (let j = 0; j < rows; j++) {
    const cells: string[] = [];
    for (let k = 0; k < width; k++) cells.push(String(values[j * width + k]));
    if (extra !== undefined) cells.push(String(extra[j]));
    lines.push(cells.join(","));
  }
  return `${lines.join("\n")}\n`;
}
