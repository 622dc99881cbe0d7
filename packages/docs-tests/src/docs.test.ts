/**
 * Every page of docs/ is a test: its TypeScript blocks follow the convention of extract.ts, and
 * its `ts run` blocks, as one module, typecheck and run without throwing. The examples assert
 * their own results, so a wrong number fails here as surely as a renamed function.
 *
 * Pages are isolated from each other: each is typechecked in a program of its own, and run with
 * a fresh module graph for the minevo packages (`vi.resetModules()`), so a page that forgets to
 * import or register a plugin fails even if an earlier page did it. Dependencies under
 * node_modules (TensorFlow.js and its backends) stay loaded once, as in any one program.
 */
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ModuleTypechecker, readPages, writeModules } from "./pages.js";

const pages = readPages();
let typechecker: ModuleTypechecker;

beforeAll(() => {
  typechecker = new ModuleTypechecker(writeModules(pages));
});

describe("docs", () => {
  it("has pages with examples", () => {
    expect(pages.filter((page) => page.runnableBlockCount > 0).length).toBeGreaterThan(0);
  });

  it.each(pages.map((page) => [page.page, page] as const))("%s", async (_name, page) => {
    expect(page.problems, `${page.page}: ${page.problems.join("; ")}`).toEqual([]);
    expect(page.brokenLinks, `${page.page} links to missing files: ${page.brokenLinks.join(", ")}`).toEqual([]);
    if (page.runnableBlockCount === 0) return;
    const errors = typechecker.check(page.modulePath);
    expect(errors, `type errors in ${page.page}:\n${errors.join("\n")}`).toEqual([]);
    vi.resetModules();
    await import(/* @vite-ignore */ pathToFileURL(page.modulePath).href);
  });
});
