// Presentation mode's slides: a notebook cut at its `#` and `##` headings (pure, no DOM).
import type { CellData } from '@/lib/notebook/types';

/** Part of a slide: a piece of a Markdown cell, or a code cell (shown by its outputs only). */
export type SlideItem = { kind: 'markdown'; cellId: string; source: string } | { kind: 'code'; cellId: string };

export interface Slide {
  index: number;
  /** The heading that opens the slide (without the #s), or null for what comes before the first heading. */
  title: string | null;
  items: SlideItem[];
}

// ATX headings of level 1 or 2 (up to three spaces of indent, as CommonMark allows); `###` and deeper stay inside a slide.
const HEADING = /^ {0,3}(#{1,2})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** A Markdown source cut before each `#`/`##` heading; headings inside fenced code do not count. */
export function splitAtHeadings(source: string): { title: string | null; text: string }[] {
  const lines = source.split('\n');
  const parts: { title: string | null; lines: string[] }[] = [{ title: null, lines: [] }];
  let fence: string | null = null;
  for (const line of lines) {
    if (fence) {
      // A fence closes with the same character, at least as long, and nothing after it but spaces.
      const m = FENCE.exec(line);
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && line.slice(line.indexOf(m[1]) + m[1].length).trim() === '') fence = null;
    } else {
      const f = FENCE.exec(line);
      if (f) fence = f[1];
      else {
        const h = HEADING.exec(line);
        if (h) {
          parts.push({ title: (h[2] ?? '').trim(), lines: [line] });
          continue;
        }
      }
    }
    parts[parts.length - 1].lines.push(line);
  }
  return parts
    .map((p) => ({ title: p.title, text: p.lines.join('\n').trim() }))
    .filter((p, i) => i > 0 || p.text !== '');
}

/**
 * Cuts a notebook into slides. A slide starts at each Markdown heading of level 1 or 2 (`#`, `##`) and runs to the next
 * one; code cells belong to the slide they follow and show only their outputs. Whatever comes before the first heading
 * is a slide of its own; a notebook without headings is one slide. Empty Markdown is dropped.
 */
export function splitSlides(cells: readonly CellData[]): Slide[] {
  const slides: Slide[] = [];
  let current: Slide | null = null;
  const open = (title: string | null) => {
    current = { index: slides.length, title, items: [] };
    slides.push(current);
    return current;
  };
  for (const cell of cells) {
    if (cell.kind === 'code') {
      (current ?? open(null)).items.push({ kind: 'code', cellId: cell.id });
      continue;
    }
    for (const part of splitAtHeadings(cell.source)) {
      const slide: Slide = part.title !== null ? open(part.title) : (current ?? open(null));
      if (part.text) slide.items.push({ kind: 'markdown', cellId: cell.id, source: part.text });
    }
  }
  return slides;
}

/** The code cells on a slide, in order (what "run this slide" runs). */
export function slideCodeCells(slide: Slide | undefined): string[] {
  return slide ? slide.items.filter((i) => i.kind === 'code').map((i) => i.cellId) : [];
}

/** Keeps a slide index inside the deck (0 for an empty deck). */
export function clampSlide(index: number, count: number): number {
  return count === 0 ? 0 : Math.min(Math.max(0, index), count - 1);
}
