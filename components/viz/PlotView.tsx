// Thin React host for the pure chart functions: mounts the element they return and swaps it when deps change.
'use client';

import { useEffect, useRef, type CSSProperties, type DependencyList } from 'react';
import type { VizElement } from './dom';

export interface PlotViewProps {
  /** Builds the chart; called after mount and again whenever `deps` change. */
  render: (doc: Document) => Element & { dispose?: () => void };
  deps: DependencyList;
  className?: string;
  style?: CSSProperties;
}

export function PlotView({ render, deps, className, style }: PlotViewProps) {
  const host = useRef<HTMLDivElement>(null);
  // The latest render function, so an inline arrow does not rebuild the chart on every parent update;
  // only `deps` decide that. Effects run in order, so this is current before the chart effect below reads it.
  const renderRef = useRef(render);
  useEffect(() => {
    renderRef.current = render;
  });

  useEffect(() => {
    const div = host.current;
    if (!div) return;
    let el: VizElement | Element;
    try {
      el = renderRef.current(div.ownerDocument);
    } catch (err) {
      // A chart that cannot draw its data says so in place instead of taking the whole page down.
      el = div.ownerDocument.createElement('div');
      el.className = 'viz-error';
      el.textContent = `chart error: ${err instanceof Error ? err.message : String(err)}`;
    }
    div.replaceChildren(el);
    return () => {
      (el as VizElement).dispose?.();
      el.remove();
    };
    // The deps are the caller's, by design: they name what the chart depends on.
  }, deps);

  return <div ref={host} className={className} style={style} data-viz-host="" />;
}
