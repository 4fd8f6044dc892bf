// The YAML front matter of a notebook file: parse with positions, validate with zod (unknown keys kept), stringify.
import YAML from 'yaml';
import { z } from 'zod';
import { NotebookFormatError } from './errors';
import type { FrontMatter } from './types';

/** Known keys are checked; any other key passes through untouched so files written by newer versions survive a round trip. */
export const FrontMatterSchema = z.looseObject({
  title: z
    .string({ error: 'title must be a string' })
    .refine((t) => t.trim().length > 0, 'title must not be empty'),
  description: z.string({ error: 'description must be a string' }).optional(),
  tags: z.array(z.string(), { error: 'tags must be a list of strings' }).optional(),
  defaults: z.record(z.string(), z.unknown(), { error: 'defaults must be a mapping' }).optional(),
});

/**
 * Parses the YAML between the `---` lines. `firstLine` is the file line the YAML starts on, so errors point into the
 * file, not into the YAML fragment. Returns the YAML's own object (zod's output would reorder keys and break round trips).
 */
export function parseFrontMatter(yaml: string, firstLine: number): FrontMatter {
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(yaml, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = at(e.pos[0]);
    throw new NotebookFormatError(`malformed front matter: ${e.message.split('\n')[0]}`, firstLine + pos.line - 1, pos.col);
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) throw new NotebookFormatError('front matter is empty: a title is required', firstLine - 1);
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new NotebookFormatError('front matter must be a mapping of keys to values', firstLine);
  }
  const result = FrontMatterSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue.path[0] ?? '');
    const missing = !(key in (data as Record<string, unknown>));
    // Point at the offending key when it is there; at the opening `---` when it is missing.
    let line = firstLine - 1;
    let column: number | undefined;
    if (!missing && YAML.isMap(doc.contents)) {
      const pair = doc.contents.items.find((p) => YAML.isScalar(p.key) && String(p.key.value) === key);
      const range = pair && YAML.isScalar(pair.key) ? pair.key.range : undefined;
      if (range) {
        const pos = at(range[0]);
        line = firstLine + pos.line - 1;
        column = pos.col;
      }
    }
    const where = issue.path.length ? ` \`${issue.path.join('.')}\`` : '';
    const message = missing && key === 'title' ? 'front matter has no title (title is required)' : `front matter${where}: ${issue.message}`;
    throw new NotebookFormatError(message, line, column);
  }
  return data as FrontMatter;
}

/** YAML text for the front matter, ending with a newline. Comments in hand-written YAML are not kept. */
export function stringifyFrontMatter(fm: FrontMatter): string {
  // lineWidth 0: never fold long descriptions over several lines; the file should diff line by line.
  return YAML.stringify(fm, { lineWidth: 0 });
}
