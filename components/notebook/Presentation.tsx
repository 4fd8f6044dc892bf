'use client';
// Presentation mode: the notebook as full-window slides (code hidden, outputs live), with keyboard and button navigation.
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { CellData, CellRuntimeState } from '@/lib/notebook/types';
import type { SlideAction } from './keymap';
import { SlideView } from './Slide';
import { clampSlide, slideCodeCells, splitSlides } from './slides';
import { usePresentationKeys } from './usePresentationKeys';

export interface PresentationProps {
  title: string;
  cells: CellData[];
  runtime: Record<string, CellRuntimeState>;
  trusted: boolean;
  /** Runs these code cells (with the cells they need), as the notebook's run button does. */
  onRunCells(ids: string[]): void;
  onExit(): void;
  /** False while something else (a dialog) has the keyboard. */
  keysEnabled: boolean;
  /** Shown above the slide, e.g. the engine-crashed banner, so a crash mid-talk is seen. */
  banner?: ReactNode;
}

export function Presentation({ title, cells, runtime, trusted, onRunCells, onExit, keysEnabled, banner }: PresentationProps) {
  const slides = useMemo(() => splitSlides(cells), [cells]);
  const [wanted, setWanted] = useState(0);
  const index = clampSlide(wanted, slides.length);
  const slide = slides[index];
  const root = useRef<HTMLDivElement>(null);
  const viewport = useRef<HTMLDivElement>(null);

  const go = useCallback((to: number) => setWanted(clampSlide(to, slides.length)), [slides.length]);

  const exit = useCallback(() => {
    if (typeof document !== 'undefined' && document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    onExit();
  }, [onExit]);

  const onAction = (action: SlideAction) => {
    if (action === 'next') go(index + 1);
    else if (action === 'prev') go(index - 1);
    else if (action === 'first') go(0);
    else if (action === 'last') go(slides.length - 1);
    else exit();
  };
  usePresentationKeys(keysEnabled, onAction);

  // The deck takes the focus, so keys no longer go to a cell or editor of the notebook behind it.
  useEffect(() => {
    root.current?.focus({ preventScroll: true });
  }, []);
  // Each slide starts at its top.
  useEffect(() => {
    viewport.current?.scrollTo?.({ top: 0 });
  }, [index]);

  const toggleFullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    else void root.current?.requestFullscreen?.().catch(() => undefined);
  };

  const code = slideCodeCells(slide);
  const count = slides.length;
  return (
    <div className="presentation" data-testid="presentation" ref={root} tabIndex={-1} role="region" aria-roledescription="slide deck" aria-label={`${title || 'Notebook'}, presentation`}>
      {banner}
      <div className="slide-viewport" ref={viewport}>
        {slide ? (
          <SlideView key={slide.index} slide={slide} count={count} runtime={runtime} trusted={trusted} />
        ) : (
          <article className="slide slide-empty" data-testid="slide" data-index={0}>
            This notebook has nothing to present yet.
          </article>
        )}
      </div>
      <div className="slide-progress" aria-hidden="true">
        <div style={{ width: count ? `${((index + 1) / count) * 100}%` : 0 }} />
      </div>
      <nav className="slide-controls" aria-label="slides">
        <button type="button" data-testid="slide-prev" onClick={() => go(index - 1)} disabled={index === 0} title="Previous slide (←, PageUp)" aria-label="previous slide">
          ←
        </button>
        <span className="slide-counter" data-testid="slide-counter" aria-live="polite">
          {count ? index + 1 : 0} / {count}
        </span>
        <button type="button" data-testid="slide-next" onClick={() => go(index + 1)} disabled={index >= count - 1} title="Next slide (→, PageDown, Space)" aria-label="next slide">
          →
        </button>
        <span className="slide-deck-title">{title}</span>
        {code.length ? (
          <button type="button" data-testid="slide-run" onClick={() => onRunCells(code)} title="Run this slide's code cells">
            ▶ Run slide
          </button>
        ) : null}
        <button type="button" onClick={toggleFullscreen} title="Full screen (the browser's Esc leaves it)">
          Full screen
        </button>
        <button type="button" data-testid="present-exit" onClick={exit} title="Leave presentation (Esc)">
          ✕ Exit
        </button>
      </nav>
    </div>
  );
}
