// @vitest-environment jsdom
// Slides show Markdown through the same sanitiser as cells: the XSS corpus as a deck leaves no script in the DOM.
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { reactTestRoot } from '../testing/reactRoot';
import type { CellData } from '@/lib/notebook/types';
import { SlideView } from './Slide';
import { findUnsafe, XSS_VECTORS } from './sanitize.vectors';
import { splitSlides } from './slides';

const react = reactTestRoot();

/** Every slide of the deck mounted at once, as Presentation would show them one by one. */
function mountDeck(cells: CellData[], trusted: boolean): HTMLDivElement {
  const slides = splitSlides(cells);
  return react.mount(slides.map((slide) => createElement(SlideView, { key: slide.index, slide, count: slides.length, runtime: {}, trusted })));
}

// One slide per vector (a `##` heading each), plus a cell holding them all after one heading.
const deck: CellData[] = [
  ...XSS_VECTORS.map((v, i): CellData => ({ id: `m${i}`, kind: 'markdown', source: `## ${v.name}\n\n${v.source}` })),
  { id: 'all', kind: 'markdown', source: `## everything\n\n${XSS_VECTORS.map((v) => v.source).join('\n\n')}` },
  { id: 'ok', kind: 'markdown', source: '## fine\n\n[docs](https://example.com/) [up](#top) $x^2$' },
];

describe('SlideView against XSS', () => {
  for (const trusted of [false, true]) {
    it(`renders every vector without script (${trusted ? 'trusted' : 'untrusted'})`, () => {
      const dom = mountDeck(deck, trusted);
      expect(dom.querySelectorAll('[data-testid="slide"]')).toHaveLength(deck.length);
      expect(findUnsafe(dom)).toEqual([]);
      const fine = dom.querySelectorAll('[data-testid="slide"]')[deck.length - 1];
      expect(Array.from(fine.querySelectorAll('a')).map((a) => a.getAttribute('href'))).toEqual(['https://example.com/', '#top']);
      expect(fine.querySelector('.katex')).not.toBeNull();
    });
  }
});
