import { describe, expect, it } from "vitest";
import { conventionProblems, extractBlocks, isRelativeFileLink, markdownLinks, pageModule, runnableBlocks } from "./extract.js";

const page = [
  "# Title", //                    1
  "", //                           2
  "```ts run", //                  3
  "const a = 1;", //               4
  "```", //                        5
  "Some prose.", //                6
  "~~~bash", //                    7
  "echo hi", //                    8
  "~~~", //                        9
  "- a list item", //              10
  "  ```ts run", //                11
  "  const b = a + 1;", //         12
  "    const c = b;", //           13
  "  ```", //                      14
  "````ts fragment", //            15
  "```", //                        16
  "half = of(a);", //              17
  "````", //                       18
].join("\n");

describe("extractBlocks", () => {
  it("finds fences of both kinds, with language, flags and first line", () => {
    const blocks = extractBlocks(page);
    expect(blocks.map((b) => [b.language, b.flags.join(" "), b.firstLine])).toEqual([
      ["ts", "run", 4],
      ["bash", "", 8],
      ["ts", "run", 12],
      ["ts", "fragment", 16],
    ]);
  });

  it("removes the opening fence's indentation only, and keeps a shorter fence inside a longer one as code", () => {
    const blocks = extractBlocks(page);
    expect(blocks[2]?.lines).toEqual(["const b = a + 1;", "  const c = b;"]);
    expect(blocks[3]?.lines).toEqual(["```", "half = of(a);"]);
  });

  it("refuses an unclosed block, naming its line", () => {
    expect(() => extractBlocks("# T\n\n```ts run\nconst a = 1;\n")).toThrow(/line 3 is never closed/);
  });
});

describe("conventionProblems", () => {
  it("accepts run and fragment, and blocks in other languages", () => {
    expect(conventionProblems(extractBlocks(page))).toEqual([]);
  });

  it("rejects an unmarked, doubly marked or misspelt TypeScript block", () => {
    const problems = conventionProblems(extractBlocks("# T\n```ts\nx\n```\n```typescript run fragment\ny\n```\n```ts runn\nz\n```\n"));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/line 2 must be marked exactly one of "ts run".*it has none/);
    expect(problems[1]).toMatch(/line 5 .*it has run and fragment/);
    expect(problems[2]).toMatch(/line 8 has unknown flag\(s\) "runn"/);
  });
});

describe("pageModule", () => {
  it("puts each run block on the page's own lines and leaves fragments out", () => {
    const module = pageModule(page, "docs/x.md").split("\n");
    expect(module[0]).toMatch(/^\/\/ Generated from docs\/x\.md/);
    expect(module[3]).toBe("const a = 1;");
    expect(module[11]).toBe("const b = a + 1;");
    expect(module[12]).toBe("  const c = b;");
    expect(module.filter((line) => line.length > 0)).toHaveLength(4);
    expect(runnableBlocks(extractBlocks(page))).toHaveLength(2);
  });
});

describe("markdownLinks", () => {
  it("finds inline links outside code, with their lines", () => {
    const markdown = "# T\nSee [a](a.md) and [b](../b.md#part \"title\").\n`[not](code.md)`\n```ts run\nconst s = \"[x](y.md)\";\n```\n[c](https://example.org) [d](#anchor)\n";
    const links = markdownLinks(markdown);
    expect(links).toEqual([
      { target: "a.md", line: 2 },
      { target: "../b.md#part", line: 2 },
      { target: "https://example.org", line: 7 },
      { target: "#anchor", line: 7 },
    ]);
    expect(links.filter((link) => isRelativeFileLink(link.target)).map((link) => link.target)).toEqual(["a.md", "../b.md#part"]);
  });
});
