// Slide splitting: headings open slides, code cells follow, fenced code and deeper headings do not split.
import { describe, expect, it } from 'vitest';
import type { CellData } from '@/lib/notebook/types';
import { clampSlide, slideCodeCells, splitAtHeadings, splitSlides } from './slides';

const md = (id: string, source: string): CellData => ({ id, kind: 'markdown', source });
const js = (id: string, source = '1'): CellData => ({ id, kind: 'code', source });

describe('splitAtHeadings', () => {
  it('cuts before each # and ## heading, keeping the heading with its section', () => {
    expect(splitAtHeadings('intro\n\n# One\ntext\n## Two\n### still two\nmore')).toEqual([
      { title: null, text: 'intro' },
      { title: 'One', text: '# One\ntext' },
      { title: 'Two', text: '## Two\n### still two\nmore' },
    ]);
  });

  it('drops an empty lead and reads closing #s, indents and empty headings', () => {
    expect(splitAtHeadings('\n   ## Closed ##\nx\n#\ny')).toEqual([
      { title: 'Closed', text: '## Closed ##\nx' },
      { title: '', text: '#\ny' },
    ]);
  });

  it('ignores headings inside fenced code, #tags, and indented code', () => {
    const src = '# Real\n```python\n# a comment\n## another\n```\n#notaheading\n    # indented code\n~~~~\n# x\n~~~\nafter';
    expect(splitAtHeadings(src)).toEqual([{ title: 'Real', text: src }]);
  });

  it('a fence closes only with the same character and at least its length', () => {
    const parts = splitAtHeadings('````\n```\n# inside\n````\n# Out');
    expect(parts.map((p) => p.title)).toEqual([null, 'Out']);
  });
});

describe('splitSlides', () => {
  it('puts code cells on the slide of the heading before them', () => {
    const slides = splitSlides([md('m1', '# Title\nWelcome'), js('c1'), md('m2', 'More text'), js('c2'), md('m3', '## Next'), js('c3')]);
    expect(slides.map((s) => [s.index, s.title])).toEqual([
      [0, 'Title'],
      [1, 'Next'],
    ]);
    expect(slides[0].items).toEqual([
      { kind: 'markdown', cellId: 'm1', source: '# Title\nWelcome' },
      { kind: 'code', cellId: 'c1' },
      { kind: 'markdown', cellId: 'm2', source: 'More text' },
      { kind: 'code', cellId: 'c2' },
    ]);
    expect(slideCodeCells(slides[1])).toEqual(['c3']);
  });

  it('one Markdown cell with several headings makes several slides', () => {
    const slides = splitSlides([md('m', '# A\na\n## B\nb\n## C'), js('c')]);
    expect(slides.map((s) => s.title)).toEqual(['A', 'B', 'C']);
    expect(slides[1].items).toEqual([{ kind: 'markdown', cellId: 'm', source: '## B\nb' }]);
    expect(slides[2].items.map((i) => i.kind)).toEqual(['markdown', 'code']);
  });

  it('content before the first heading is a slide of its own; no headings is one slide', () => {
    expect(splitSlides([js('c0'), md('m', 'intro\n# H'), js('c1')]).map((s) => [s.title, s.items.length])).toEqual([
      [null, 2],
      ['H', 2],
    ]);
    expect(splitSlides([md('m', 'just text'), js('c')])).toHaveLength(1);
  });

  it('skips empty Markdown cells, and an empty notebook has no slides', () => {
    expect(splitSlides([md('e', '  \n'), md('m', '# A')])).toEqual([{ index: 0, title: 'A', items: [{ kind: 'markdown', cellId: 'm', source: '# A' }] }]);
    expect(splitSlides([])).toEqual([]);
    expect(slideCodeCells(undefined)).toEqual([]);
  });
});

describe('clampSlide', () => {
  it('keeps the index in the deck', () => {
    expect(clampSlide(-1, 3)).toBe(0);
    expect(clampSlide(5, 3)).toBe(2);
    expect(clampSlide(1, 3)).toBe(1);
    expect(clampSlide(4, 0)).toBe(0);
  });
});
