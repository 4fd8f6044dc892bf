// Small DOM helpers shared by the charts: document resolution, element creation, tooltips, disposal.

/**
 * What every chart returns. Charts that attach listeners expose `dispose()` so a host (PlotView, a notebook
 * cell) can detach them deterministically instead of waiting for the element to be garbage-collected.
 */
export type VizElement = (HTMLElement | SVGElement) & { dispose?: () => void };

export interface DocumentOption {
  /** The document to build elements in (jsdom in tests); defaults to the global one. */
  document?: Document;
}

export function resolveDocument(options: DocumentOption | undefined): Document {
  const doc = options?.document ?? (typeof document === 'undefined' ? undefined : document);
  if (!doc) throw new Error('viz: no document (pass options.document when rendering outside a browser)');
  return doc;
}

/** Creates an HTML element with attributes and inline styles. Attributes set to undefined are skipped. */
export function h<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  attrs: Record<string, string | number | undefined> = {},
  style: Partial<Record<string, string>> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const el = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  for (const [k, v] of Object.entries(style)) if (v !== undefined) el.style.setProperty(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** An absolutely positioned tooltip inside `host` (which must be position: relative). */
export interface Tooltip {
  el: HTMLDivElement;
  show(x: number, y: number, text: string): void;
  hide(): void;
}

export function createTooltip(doc: Document, host: HTMLElement): Tooltip {
  const el = h(doc, 'div', { class: 'viz-tooltip', role: 'tooltip' }, {
    position: 'absolute',
    'pointer-events': 'none',
    display: 'none',
    background: 'rgba(20,20,20,0.88)',
    color: '#fff',
    padding: '2px 6px',
    'border-radius': '3px',
    'white-space': 'pre',
    'font-size': '11px',
    'z-index': '1',
  });
  host.appendChild(el);
  return {
    el,
    show(x, y, text) {
      el.textContent = text;
      el.style.left = `${Math.round(x + 12)}px`;
      el.style.top = `${Math.round(y + 12)}px`;
      el.style.display = 'block';
    },
    hide() {
      el.style.display = 'none';
    },
  };
}

/** Pointer position relative to an element's top-left corner, in CSS pixels. */
export function localPoint(ev: MouseEvent, el: Element): { x: number; y: number } {
  const r = el.getBoundingClientRect();
  return { x: ev.clientX - r.left, y: ev.clientY - r.top };
}
