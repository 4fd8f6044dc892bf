'use client';
// One slide: its Markdown rendered large, and its code cells as their outputs only (live: they follow the cells' state).
import { useMemo } from 'react';
import type { CellRuntimeState } from '@/lib/notebook/types';
import { CellOutputs } from './CellOutputs';
import { ErrorBoundary } from './ErrorBoundary';
import { renderMarkdownOrError } from './markdown';
import type { Slide } from './slides';

function SlideMarkdown({ source, trusted }: { source: string; trusted: boolean }) {
  const html = useMemo(() => renderMarkdownOrError(source, { trusted }), [source, trusted]);
  return <div className="markdown-body slide-markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}

function SlideOutput({ state }: { state: CellRuntimeState | undefined }) {
  const status = state?.status ?? 'idle';
  const empty = !state || (state.outputs.length === 0 && state.value === undefined && !state.error);
  // A cell that has not run shows nothing: the code is the presenter's business, the slide shows what it makes.
  if (empty && status !== 'running' && status !== 'queued') return null;
  return (
    <div className="slide-output" data-slide-cell data-status={status}>
      <ErrorBoundary resetKey={state} label="Cell output failed">
        <CellOutputs state={state} />
      </ErrorBoundary>
      {empty ? <span className="slide-running">running…</span> : null}
    </div>
  );
}

export interface SlideViewProps {
  slide: Slide;
  count: number;
  runtime: Record<string, CellRuntimeState>;
  trusted: boolean;
}

export function SlideView({ slide, count, runtime, trusted }: SlideViewProps) {
  return (
    <article className="slide" data-testid="slide" data-index={slide.index} aria-roledescription="slide" aria-label={`${slide.title || 'slide'} (${slide.index + 1} of ${count})`}>
      {slide.items.map((item, i) =>
        item.kind === 'markdown' ? (
          <SlideMarkdown key={`${item.cellId}:${i}`} source={item.source} trusted={trusted} />
        ) : (
          <SlideOutput key={item.cellId} state={runtime[item.cellId]} />
        ),
      )}
    </article>
  );
}
