// Notebook files (notebooks/*.md): YAML front matter, then Markdown whose unindented ```js fences are code cells.
import { NotebookFormatError } from './errors';
import { closeOpenFences, fenceFor, fenceOpen, findClose } from './fences';
import { parseFrontMatter, stringifyFrontMatter } from './frontMatter';
import type { CellData, Notebook } from './types';

/** The info string that makes a fence a code cell. ```javascript, ```js echo, ```python... stay Markdown. */
export const CODE_LANG = 'js';

const isBlank = (line: string) => line.trim() === '';

/**
 * Reads a notebook file. Cell ids are deterministic, `c1`, `c2`, ... in file order (ids are not saved in the file).
 * Throws NotebookFormatError (with a 1-based line) for a missing or malformed front matter, a missing title, or a
 * fence that is never closed; nothing is returned for a bad file, so a caller's notebook is never half-replaced.
 *
 * Normalisation (what a round trip does not keep): CRLF becomes LF; blank lines around a Markdown cell are dropped
 * (the file puts exactly one blank line between cells); a code fence of ~~~ or more backticks is rewritten as the
 * shortest safe backtick fence; YAML comments and layout are rewritten by the YAML writer.
 */
export function parseNotebook(text: string): Notebook {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (lines[0]?.trimEnd() !== '---') {
    throw new NotebookFormatError('a notebook starts with front matter: a `---` line, YAML with a title, and `---`', 1);
  }
  let end = 1;
  while (end < lines.length && lines[end].trimEnd() !== '---') end++;
  if (end >= lines.length) throw new NotebookFormatError('front matter opened here is never closed with `---`', 1);
  const frontMatter = parseFrontMatter(lines.slice(1, end).join('\n'), 2);
  return { frontMatter, cells: parseBody(lines, end + 1) };
}

/** Splits the lines after the front matter into cells; `start` is the index of the first body line. */
function parseBody(lines: string[], start: number): CellData[] {
  const cells: CellData[] = [];
  let prose: string[] = [];
  const push = (kind: CellData['kind'], source: string) => cells.push({ id: `c${cells.length + 1}`, kind, source });
  const flushProse = () => {
    // One Markdown cell per run of prose; the blank lines that separate it from its neighbours belong to the layout.
    let a = 0;
    let b = prose.length;
    while (a < b && isBlank(prose[a])) a++;
    while (b > a && isBlank(prose[b - 1])) b--;
    if (b > a) push('markdown', prose.slice(a, b).join('\n'));
    prose = [];
  };
  for (let i = start; i < lines.length; i++) {
    const open = fenceOpen(lines[i]);
    if (!open) {
      prose.push(lines[i]);
      continue;
    }
    const close = findClose(lines, i, open);
    // CommonMark would let an unclosed fence run to the end of the file; here that almost always hides later cells by
    // mistake, so it is an error instead.
    if (close < 0) throw new NotebookFormatError(`code fence ${open.char.repeat(open.length)}${open.info} is never closed`, i + 1);
    if (open.indent === 0 && open.info === CODE_LANG) {
      flushProse();
      push('code', lines.slice(i + 1, close).join('\n'));
    } else {
      // Other languages (and indented fences, e.g. inside a list) are Markdown; their contents are never cells.
      prose.push(...lines.slice(i, close + 1));
    }
    i = close;
  }
  flushProse();
  return cells;
}

/**
 * Writes a notebook file: front matter, a blank line, then the cells separated by one blank line, ending in a newline.
 * Two adjacent Markdown cells come back as one cell (the file has no marker between prose runs); a Markdown cell that
 * leaves a fence open gets a closing fence so the file stays readable.
 */
export function serializeNotebook(nb: Notebook): string {
  const parts: string[] = [];
  for (const cell of nb.cells) {
    if (cell.kind === 'code') {
      const fence = fenceFor(cell.source);
      parts.push(`${fence}${CODE_LANG}\n${cell.source === '' ? '' : `${cell.source}\n`}${fence}`);
    } else if (!isBlank(cell.source)) {
      parts.push(closeOpenFences(cell.source));
    }
  }
  const head = `---\n${stringifyFrontMatter(nb.frontMatter)}---\n`;
  return parts.length ? `${head}\n${parts.join('\n\n')}\n` : head;
}

/** An id not used by `cells`, in the same `cN` scheme the parser uses. */
export function nextCellId(cells: readonly CellData[]): string {
  let max = 0;
  for (const c of cells) {
    const m = /^c(\d+)$/.exec(c.id);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return `c${max + 1}`;
}
