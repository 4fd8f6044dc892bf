// CommonMark fenced-code-block rules the notebook format needs: recognising openers and closers, and picking safe fences.

export interface FenceOpen {
  /** Leading spaces (0-3); only unindented ```js fences become code cells. */
  indent: number;
  char: '`' | '~';
  /** Number of fence characters; a closer needs at least as many. */
  length: number;
  /** The info string, trimmed (e.g. "js", "python"). */
  info: string;
}

const OPEN = /^( {0,3})(`{3,}|~{3,})(.*)$/;
const CLOSE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;

/** The fence a line opens, or null. A backtick fence's info string may not contain a backtick (that is inline code). */
export function fenceOpen(line: string): FenceOpen | null {
  const m = OPEN.exec(line);
  if (!m) return null;
  const char = m[2][0] as '`' | '~';
  if (char === '`' && m[3].includes('`')) return null;
  return { indent: m[1].length, char, length: m[2].length, info: m[3].trim() };
}

/** Whether `line` closes the fence `open`: same character, at least as long, nothing after it but blanks. */
export function closesFence(line: string, open: FenceOpen): boolean {
  const m = CLOSE.exec(line);
  return !!m && m[1][0] === open.char && m[1].length >= open.length;
}

/** Whether a fence opened at `lines[from]` is closed later; returns the closer's index or -1. */
export function findClose(lines: readonly string[], from: number, open: FenceOpen): number {
  for (let j = from + 1; j < lines.length; j++) if (closesFence(lines[j], open)) return j;
  return -1;
}

/**
 * The shortest backtick fence that no line of `source` can close: code that holds a line of ``` (say, inside a
 * template string) is written with ```` so the file still parses back to the same cell.
 */
export function fenceFor(source: string): string {
  let longest = 0;
  for (const line of source.split('\n')) {
    const m = CLOSE.exec(line);
    if (m && m[1][0] === '`') longest = Math.max(longest, m[1].length);
  }
  return '`'.repeat(Math.max(3, longest + 1));
}

/**
 * Closes any fence a markdown cell leaves open. Without this, a cell being typed ("```" and nothing yet) would be saved
 * as a file that swallows every later cell, and that no longer parses.
 */
export function closeOpenFences(markdown: string): string {
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = fenceOpen(lines[i]);
    if (!open) continue;
    const j = findClose(lines, i, open);
    if (j < 0) return `${markdown}\n${open.char.repeat(open.length)}`;
    i = j;
  }
  return markdown;
}
