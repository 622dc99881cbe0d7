/**
 * Writes one benchmark's results into its own marked section of docs/benchmarks.md, leaving
 * the other sections as they are, with the command that produced it and the date.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const benchmarksFile = resolve(dirname(fileURLToPath(import.meta.url)), "../../../docs/benchmarks.md");

/**
 * `when` replaces "run <today>" in the section's first line: a report rebuilt from saved results
 * says so rather than dating results it did not produce.
 */
export function writeSection(id: string, command: string, body: string, when?: string): void {
  const start = `<!-- ${id}:start -->`;
  const end = `<!-- ${id}:end -->`;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}`;
  const block = `${start}\nCommand: \`${command}\` — ${when ?? `run ${new Date().toISOString().slice(0, 10)}`} on ${machine}.\n\n${body}\n${end}`;
  const current = existsSync(benchmarksFile) ? readFileSync(benchmarksFile, "utf8") : "# Benchmarks\n";
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next = from >= 0 && to > from ? current.slice(0, from) + block + current.slice(to + end.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(benchmarksFile, next);
  console.log(`wrote section "${id}" of ${benchmarksFile}`);
}
