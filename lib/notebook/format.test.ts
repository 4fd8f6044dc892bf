// Round trips and errors of the notebook file format, hand-written and generated.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NotebookFormatError } from './errors';
import { closeOpenFences, fenceFor } from './fences';
import { nextCellId, parseNotebook, serializeNotebook } from './format';
import { stringifyFrontMatter } from './frontMatter';
import type { Notebook } from './types';

const CANONICAL = `---
title: Growing a TokenFormer
description: Train small, add parameter tokens, keep training.
tags:
  - growth
  - tutorial
defaults:
  preset: tiny
  steps: 200
owner: lab
---

# Growing a model

Start with a **tiny** model.

\`\`\`js
const model = await lab.createModel(defaults.preset)
\`\`\`

\`\`\`js
model.params

\`\`\`

Then train it:

- step one

  \`\`\`js
  notACell()
  \`\`\`

\`\`\`python
# reference code, shown, never run
print(1)
\`\`\`

\`\`\`\`js
const fence = \`
\`\`\`
\`
\`\`\`\`
`;

const roundTrip = (text: string) => parseNotebook(serializeNotebook(parseNotebook(text)));

describe('parseNotebook', () => {
  it('splits prose and js fences into cells with deterministic ids', () => {
    const nb = parseNotebook(CANONICAL);
    expect(nb.cells.map((c) => [c.id, c.kind])).toEqual([
      ['c1', 'markdown'],
      ['c2', 'code'],
      ['c3', 'code'],
      ['c4', 'markdown'],
      ['c5', 'code'],
    ]);
    expect(nb.cells[0].source).toBe('# Growing a model\n\nStart with a **tiny** model.');
    expect(nb.cells[1].source).toBe('const model = await lab.createModel(defaults.preset)');
    // A trailing blank line inside a fence is part of the code.
    expect(nb.cells[2].source).toBe('model.params\n');
    // Indented and non-js fences stay in the surrounding Markdown cell.
    expect(nb.cells[3].source).toContain('  notACell()');
    expect(nb.cells[3].source).toContain('print(1)');
    expect(nb.cells[4].source).toBe('const fence = `\n```\n`');
  });

  it('keeps known and unknown front-matter keys', () => {
    const { frontMatter } = parseNotebook(CANONICAL);
    expect(frontMatter).toEqual({
      title: 'Growing a TokenFormer',
      description: 'Train small, add parameter tokens, keep training.',
      tags: ['growth', 'tutorial'],
      defaults: { preset: 'tiny', steps: 200 },
      owner: 'lab',
    });
  });

  it('reads ~~~ fences and longer backtick fences as code cells', () => {
    const nb = parseNotebook('---\ntitle: t\n---\n~~~js\nconst s = `\n```\n`;\n~~~\n\n`````js\n````\n`````\n');
    expect(nb.cells).toEqual([
      { id: 'c1', kind: 'code', source: 'const s = `\n```\n`;' },
      { id: 'c2', kind: 'code', source: '````' },
    ]);
    // Written back with backtick fences long enough not to be closed by the code.
    expect(serializeNotebook(nb)).toBe('---\ntitle: t\n---\n\n````js\nconst s = `\n```\n`;\n````\n\n`````js\n````\n`````\n');
    expect(roundTrip(serializeNotebook(nb))).toEqual(nb);
  });

  it('normalises blank lines and CRLF without changing cells', () => {
    const messy = '---\r\ntitle: t\r\n---\r\n\r\n\r\nSome text\r\n\r\n\r\nmore\r\n\r\n```js\r\nx\r\n```\r\n```js\r\n```\r\n\r\n';
    const nb = parseNotebook(messy);
    expect(nb.cells).toEqual([
      { id: 'c1', kind: 'markdown', source: 'Some text\n\n\nmore' },
      { id: 'c2', kind: 'code', source: 'x' },
      { id: 'c3', kind: 'code', source: '' },
    ]);
    expect(serializeNotebook(nb)).toBe('---\ntitle: t\n---\n\nSome text\n\n\nmore\n\n```js\nx\n```\n\n```js\n```\n');
  });

  it('parses a notebook with no cells', () => {
    expect(parseNotebook('---\ntitle: Empty\n---\n')).toEqual({ frontMatter: { title: 'Empty' }, cells: [] });
    expect(serializeNotebook({ frontMatter: { title: 'Empty' }, cells: [] })).toBe('---\ntitle: Empty\n---\n');
  });

  const bad: [string, string, number, RegExp][] = [
    ['no front matter', '# Title\n', 1, /starts with front matter/],
    ['front matter never closed', '---\ntitle: x\n\n# hi\n', 1, /never closed/],
    ['empty front matter', '---\n---\n', 1, /title is required/],
    ['missing title', '---\ndescription: d\n---\n', 1, /no title/],
    ['blank title', '---\ntags: []\ntitle: "  "\n---\n', 3, /title must not be empty/],
    ['title not a string', '---\ndescription: d\ntitle: [1]\n---\n', 3, /title must be a string/],
    ['tags not strings', '---\ntitle: t\ntags:\n  - 3\n---\n', 3, /tags/],
    ['malformed yaml', '---\ntitle: t\ntags: [a\nfoo: 1\n---\n', 4, /malformed front matter/],
    ['duplicate key', '---\ntitle: t\ntitle: u\n---\n', 3, /malformed front matter/],
    ['front matter not a mapping', '---\n- a\n---\n', 2, /mapping/],
    ['js fence never closed', '---\ntitle: t\n---\n\ntext\n\n```js\nconst x = 1\n', 7, /never closed/],
    ['other fence never closed', '---\ntitle: t\n---\n\n~~~~python\n~~~\n```js\nx\n```\n', 5, /never closed/],
  ];
  it.each(bad)('rejects %s with a line number', (_name, text, line, message) => {
    let error: unknown;
    try {
      parseNotebook(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NotebookFormatError);
    expect((error as NotebookFormatError).line).toBe(line);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(`line ${line}`);
  });
});

describe('serializeNotebook', () => {
  it('writes a canonical file back byte for byte', () => {
    expect(serializeNotebook(parseNotebook(CANONICAL))).toBe(CANONICAL);
  });

  it('round-trips hand-written files', () => {
    for (const text of [CANONICAL, '---\ntitle: x\ntags: [a, b]\n---\ntext right after\n```js\n1\n```\ntail']) {
      expect(roundTrip(text)).toEqual(parseNotebook(text));
    }
  });

  it('closes a fence a Markdown cell leaves open, so later cells survive', () => {
    const nb: Notebook = {
      frontMatter: { title: 't' },
      cells: [
        { id: 'a', kind: 'markdown', source: 'typing\n```py' },
        { id: 'b', kind: 'code', source: 'x' },
      ],
    };
    const back = parseNotebook(serializeNotebook(nb));
    expect(back.cells.map((c) => [c.kind, c.source])).toEqual([
      ['markdown', 'typing\n```py\n```'],
      ['code', 'x'],
    ]);
  });

  it('drops undefined front-matter keys and blank Markdown cells', () => {
    const text = serializeNotebook({
      frontMatter: { title: 't', description: undefined },
      cells: [{ id: 'a', kind: 'markdown', source: '  \n' }],
    });
    expect(text).toBe('---\ntitle: t\n---\n');
  });
});

describe('fences', () => {
  it('picks a fence longer than any closer inside the code', () => {
    expect(fenceFor('a')).toBe('```');
    expect(fenceFor('```js\n```\nb')).toBe('````');
    expect(fenceFor('  `````  ')).toBe('``````');
    // Only a line that could close a fence matters: ```js or text after backticks cannot.
    expect(fenceFor('```js\nx = "```"')).toBe('```');
  });
  it('closes only open fences', () => {
    expect(closeOpenFences('a\n```\nb\n```')).toBe('a\n```\nb\n```');
    expect(closeOpenFences('a\n~~~~\nb')).toBe('a\n~~~~\nb\n~~~~');
  });
  it('numbers new cells after the parsed ones', () => {
    expect(nextCellId([{ id: 'c2', kind: 'code', source: '' }, { id: 'x', kind: 'code', source: '' }])).toBe('c3');
    expect(nextCellId([])).toBe('c1');
  });
});

// Generated notebooks: random prose (blank lines included), code with fence-like lines, other-language fences.
const word = fc.stringMatching(/^[a-z#*_>\-`~ ]{0,12}$/);
// Prose lines never open a fence by accident (that is covered by the fence generators).
const proseLine = word.map((w) => (/^ {0,3}(```|~~~)/.test(w) ? `x${w}` : w));
const codeLine = fc.oneof(word, fc.constant('```'), fc.constant('~~~'), fc.constant('const s = `'), fc.constant(''));
const segment = fc.oneof(
  fc.array(proseLine, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('\n')),
  fc.constant(''),
  fc.record({ tilde: fc.boolean(), extra: fc.nat(2), code: fc.array(codeLine, { maxLength: 4 }) }).map(({ tilde, extra, code }) => {
    // A backtick fence must outgrow any ``` line inside it; a ~~~ fence must outgrow ~~~ lines.
    const fence = tilde ? '~'.repeat(4 + extra) : '`'.repeat(4 + extra);
    return `${fence}js\n${code.join('\n')}${code.length ? '\n' : ''}${fence}`;
  }),
  fc.array(codeLine, { maxLength: 3 }).map((code) => `~~~~python\n${code.join('\n')}${code.length ? '\n' : ''}~~~~`),
);
const key = fc.stringMatching(/^[a-z]{1,8}$/).filter((k) => !['title', 'description', 'tags', 'defaults'].includes(k));
const frontMatter = fc.record(
  {
    title: fc.string({ minLength: 1 }).filter((t) => t.trim().length > 0),
    description: fc.string(),
    tags: fc.array(fc.string()),
    defaults: fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    extra: fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  },
  { requiredKeys: ['title'] },
);
const notebookText = fc
  .tuple(frontMatter, fc.array(segment, { maxLength: 8 }), fc.constantFrom('\n', '\n\n', '\n\n\n'))
  .map(([{ extra, ...fm }, segs, sep]) => `---\n${stringifyFrontMatter({ ...extra, ...fm })}---\n${segs.join(sep)}`);

describe('generated notebooks', () => {
  it('parse(serialize(parse(x))) equals parse(x), and the serialization is canonical', () => {
    fc.assert(
      fc.property(notebookText, (text) => {
        const nb = parseNotebook(text);
        const written = serializeNotebook(nb);
        expect(parseNotebook(written)).toEqual(nb);
        expect(serializeNotebook(parseNotebook(written))).toBe(written);
      }),
      { numRuns: 120 },
    );
  });
});

// Notebooks as the UI holds them: code of any lines (``` included), prose runs that do not touch each other.
const markdownSource = fc
  .array(proseLine, { minLength: 1, maxLength: 4 })
  .map((ls) => ls.join('\n').replace(/^(\s*\n)+|(\n\s*)+$/g, ''))
  .filter((t) => t.trim() !== '');
const cellModel = fc.oneof(
  markdownSource.map((source) => ({ kind: 'markdown' as const, source })),
  fc.array(codeLine, { maxLength: 5 }).map((ls) => ({ kind: 'code' as const, source: ls.join('\n') })),
);
const notebookModel = fc
  .tuple(frontMatter, fc.array(cellModel, { maxLength: 8 }))
  .map(([{ extra, ...fm }, cells]): Notebook => ({
    frontMatter: { ...extra, ...fm },
    // Adjacent Markdown cells merge in a file, so a model never has them.
    cells: cells.filter((c, i) => !(c.kind === 'markdown' && cells[i - 1]?.kind === 'markdown')).map((c, i) => ({ ...c, id: `c${i + 1}` })),
  }));

describe('generated models', () => {
  it('parse(serialize(nb)) gives back the same cells and front matter', () => {
    fc.assert(
      fc.property(notebookModel, (nb) => {
        expect(parseNotebook(serializeNotebook(nb))).toEqual(nb);
      }),
      { numRuns: 120 },
    );
  });
});

describe('bundled notebooks', () => {
  const dir = join(__dirname, '..', '..', 'notebooks');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.md')) : [];
  // Checked here so a hand-edited notebook that no longer parses fails the unit tests, not the app.
  it('every notebooks/*.md parses and round-trips', () => {
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(roundTrip(text), file).toEqual(parseNotebook(text));
    }
  });
});
