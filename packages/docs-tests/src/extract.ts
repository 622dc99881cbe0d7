/**
 * Pulls the TypeScript examples out of a Markdown page and turns them into one module.
 *
 * The convention every page in docs/ follows:
 * - ```` ```ts run ```` — an example that is part of the page's module: typechecked against the
 *   packages' sources and executed. A page's `run` blocks are concatenated in order, so a later
 *   block may use what an earlier one defined; examples check their own results (they throw,
 *   usually through `node:assert/strict`, when a number is off).
 * - ```` ```ts fragment ```` — an excerpt that cannot stand alone (a signature, half a file). It is
 *   shown, not checked. Use it sparingly: it is the one kind of example that can rot.
 * - any other TypeScript block (```` ```ts ```` with no flag) is an error, so that no example is
 *   left unchecked by accident.
 *
 * The module keeps the Markdown's line numbers: the code of each `run` block sits on the same
 * lines as in the page and every other line is blank, so a type error or a stack trace points
 * straight at the page's line.
 */

/** One fenced code block. */
export interface CodeBlock {
  /** The language word of the info string (`ts`, `bash`, …), lower case; "" when absent. */
  readonly language: string;
  /** The words after the language (`run`, `fragment`). */
  readonly flags: readonly string[];
  /** 1-based line of the block's first code line (the line after the opening fence). */
  readonly firstLine: number;
  /** The code lines, with the opening fence's indentation removed. */
  readonly lines: readonly string[];
}

const typeScriptLanguages = new Set(["ts", "typescript", "mts"]);

/** The flags a TypeScript block may carry, and what each means. */
export const blockFlags = {
  run: "typechecked and executed as part of the page's module",
  fragment: "shown only, not checked",
} as const;

/** Every fenced block of `markdown` (CommonMark fences: ``` or ~~~, three or more, indented ≤ 3 spaces). */
export function extractBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  let open: { fence: string; indent: number; language: string; flags: string[]; firstLine: number; lines: string[] } | null = null;
  lines.forEach((line, index) => {
    if (open === null) {
      const match = /^( {0,3})(`{3,}|~{3,})\s*([^`]*)$/.exec(line);
      if (match === null) return;
      const [language = "", ...flags] = (match[3] ?? "").trim().split(/\s+/).filter((word) => word.length > 0);
      open = { fence: match[2] ?? "", indent: (match[1] ?? "").length, language: language.toLowerCase(), flags, firstLine: index + 2, lines: [] };
      return;
    }
    const closing = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
    const fence: string = open.fence;
    if (closing !== null && closing[1]?.[0] === fence[0] && (closing[1]?.length ?? 0) >= fence.length) {
      blocks.push({ language: open.language, flags: open.flags, firstLine: open.firstLine, lines: open.lines });
      open = null;
      return;
    }
    // Content lines lose up to the opening fence's indentation (CommonMark).
    const strip = Math.min(open.indent, /^ */.exec(line)?.[0].length ?? 0);
    open.lines.push(line.slice(strip));
  });
  if (open !== null) {
    const unclosed: { firstLine: number } = open;
    throw new Error(`the code block opened on line ${unclosed.firstLine - 1} is never closed`);
  }
  return blocks;
}

export function isTypeScript(block: CodeBlock): boolean {
  return typeScriptLanguages.has(block.language);
}

/** Problems with the page's TypeScript blocks under the convention above ([] when it follows it). */
export function conventionProblems(blocks: readonly CodeBlock[]): string[] {
  const problems: string[] = [];
  for (const block of blocks.filter(isTypeScript)) {
    const where = `the ${block.language} block on line ${block.firstLine - 1}`;
    const known = block.flags.filter((flag): flag is keyof typeof blockFlags => flag in blockFlags);
    const unknown = block.flags.filter((flag) => !(flag in blockFlags));
    if (unknown.length > 0) problems.push(`${where} has unknown flag(s) ${unknown.map((f) => `"${f}"`).join(", ")}: use "run" or "fragment"`);
    else if (known.length !== 1) problems.push(`${where} must be marked exactly one of "ts run" (checked and executed) or "ts fragment" (shown only); it has ${known.length === 0 ? "none" : known.join(" and ")}`);
  }
  return problems;
}

/** The page's `run` blocks. */
export function runnableBlocks(blocks: readonly CodeBlock[]): CodeBlock[] {
  return blocks.filter((block) => isTypeScript(block) && block.flags.includes("run"));
}

/**
 * The page's module: every `run` block's code on its own lines of the page, blank lines
 * elsewhere, and a comment on line 1 (a page's first line is its title, never code).
 */
export function pageModule(markdown: string, page: string): string {
  const lineCount = markdown.split(/\r?\n/).length;
  const lines = new Array<string>(lineCount).fill("");
  lines[0] = `// Generated from ${page} by @minevo/docs-tests; line numbers are the page's. Do not edit.`;
  for (const block of runnableBlocks(extractBlocks(markdown))) {
    block.lines.forEach((code, offset) => {
      lines[block.firstLine - 1 + offset] = code;
    });
  }
  return `${lines.join("\n")}\n`;
}

/** A Markdown link `[text](target)` outside code. */
export interface MarkdownLink {
  readonly target: string;
  /** 1-based line. */
  readonly line: number;
}

/** The inline links of `markdown`, skipping fenced blocks and `code spans`. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const lines = markdown.split(/\r?\n/);
  const inBlock = new Set<number>();
  for (const block of extractBlocks(markdown)) {
    // The fences too: lines firstLine − 1 (opening) to firstLine + length (closing), 1-based.
    for (let line = block.firstLine - 1; line <= block.firstLine + block.lines.length; line++) inBlock.add(line);
  }
  const links: MarkdownLink[] = [];
  lines.forEach((text, index) => {
    if (inBlock.has(index + 1)) return;
    const prose = text.replace(/`[^`]*`/g, "");
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push({ target: match[1] ?? "", line: index + 1 });
  });
  return links;
}

/** True for a link to another file of the repository (not a URL, not an anchor on the same page). */
export function isRelativeFileLink(target: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith("#") && !target.startsWith("/");
}
