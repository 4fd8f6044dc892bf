// Shared pieces of the insight panels: form controls in the trainer's style, polling, downloads, growth tracking.
import { PATTENTION_KINDS, type PattentionKind } from '@/lib/tokenformer/types';
import { configTokens, pattentionPrefix } from '@/lib/tokenformer/params';
import { h } from '@/components/viz/dom';

export const KINDS = PATTENTION_KINDS;

/** Every panel is an element with a `value` that fires `input` when it changes, and a `dispose()`. */
export interface PanelElement<V> extends HTMLDivElement {
  value: V;
  dispose(): void;
}

export function emitInput(el: HTMLElement): void {
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

/**
 * Lets only the panel's own `input` events reach listeners on it. Its selects and Plot charts fire bubbling
 * `input` events too, and Observable's `view()` listens on the panel itself, so without this every hover over a
 * chart would rerun the cells that read the panel's value. Must be the first listener added to `root`.
 */
export function ownInputOnly(root: HTMLElement): void {
  root.addEventListener('input', (e) => {
    if (e.target !== root) e.stopImmediatePropagation();
  });
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function button(doc: Document, text: string, testid: string, title?: string): HTMLButtonElement {
  return h(doc, 'button', { type: 'button', 'data-testid': testid, title }, {}, text);
}

/** A labelled control, styled like the trainer's fields. */
export function field<T extends HTMLElement>(doc: Document, label: string, control: T): HTMLLabelElement {
  const wrap = h(doc, 'label', { class: 'trainer-field' });
  wrap.append(h(doc, 'span', {}, {}, label), control);
  return wrap;
}

export function selectEl(doc: Document, testid: string, label: string, options: readonly (readonly [string, string])[], value: string): HTMLSelectElement {
  const sel = h(doc, 'select', { 'data-testid': testid, 'aria-label': label });
  setOptions(sel, options, value);
  return sel;
}

/** Replaces a select's options, keeping `value` when it is still offered (else the first option). */
export function setOptions(sel: HTMLSelectElement, options: readonly (readonly [string, string])[], value: string): void {
  const doc = sel.ownerDocument;
  sel.replaceChildren(...options.map(([v, text]) => h(doc, 'option', { value: v }, {}, text)));
  sel.value = options.some(([v]) => v === value) ? value : options[0]?.[0] ?? '';
}

export function numberEl(doc: Document, testid: string, label: string, value: number, min = 1): HTMLInputElement {
  return h(doc, 'input', { type: 'number', value, min, step: 1, 'data-testid': testid, 'aria-label': label }, { width: '64px' });
}

/** A positive integer from a number input, or the fallback when it is empty or nonsense. */
export function intFrom(input: HTMLInputElement, fallback: number, min = 1): number {
  const v = Math.round(Number(input.value));
  return Number.isFinite(v) && v >= min ? v : fallback;
}

export function errorBox(doc: Document, testid: string): HTMLDivElement {
  const el = h(doc, 'div', { class: 'trainer-error', role: 'alert', 'data-testid': testid });
  el.hidden = true;
  return el;
}

export function showError(el: HTMLElement, e: unknown | null): void {
  el.textContent = e === null ? '' : messageOf(e);
  el.hidden = e === null;
}

/**
 * Runs `fn` every `ms` while `when()` holds, never two at once: an engine call slower than the interval
 * (a big usage pass on a slow backend) must not pile up behind itself.
 */
export function poll(ms: number, fn: () => Promise<unknown>, when: () => boolean = () => true): () => void {
  if (!(ms > 0)) return () => undefined;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || !when()) return;
    busy = true;
    fn()
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, ms);
  return () => clearInterval(timer);
}

/** On screen: attached to a document that is not a hidden tab. */
export function visible(el: HTMLElement): boolean {
  return el.isConnected && el.ownerDocument.visibilityState !== 'hidden';
}

/** Saves text as a file through a Blob and a temporary `<a download>`. */
export function downloadText(doc: Document, filename: string, text: string, mime: string): void {
  const view = doc.defaultView;
  const url = view?.URL ?? URL;
  const href = url.createObjectURL(new Blob([text], { type: mime }));
  const a = h(doc, 'a', { href, download: filename }, { display: 'none' });
  doc.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked on the next tick: some browsers start the download only after click() returns.
  setTimeout(() => url.revokeObjectURL(href), 0);
}

export type Downloader = (filename: string, text: string, mime: string) => void;

/**
 * Remembers each Pattention's token count between renders, so a panel can mark the columns the latest
 * growth added. The first time a Pattention is seen, tokens beyond the configured count (a model grown
 * before the panel existed, or a grown checkpoint) count as new.
 */
export function growthTracker() {
  const seen = new Map<string, { n: number; newFrom?: number }>();
  return {
    /** `newFrom` for heatmap/usageChart, or undefined when nothing was added. */
    newFrom(prefix: string, n: number, configured?: number): number | undefined {
      const prev = seen.get(prefix);
      let newFrom = prev?.newFrom;
      if (!prev) newFrom = configured !== undefined && n > configured ? configured : undefined;
      else if (n > prev.n) newFrom = prev.n;
      else if (n < prev.n) newFrom = undefined; // a different (smaller) model: start over
      seen.set(prefix, { n, newFrom });
      return newFrom !== undefined && newFrom < n ? newFrom : undefined;
    },
    reset: () => seen.clear(),
  };
}

export { pattentionPrefix };

/** The configured token count of a kind, from the model config (before any growth). */
export function configuredTokens(config: { qkvTokens: number; projTokens: number; ffnTokens: number } | undefined, kind: PattentionKind): number | undefined {
  if (!config) return undefined;
  return configTokens(config, kind);
}

/** Stops a panel when the cell reruns (Observable's invalidation promise) or its owner says so. */
export function onInvalidation(invalidation: PromiseLike<unknown> | undefined, dispose: () => void): void {
  invalidation?.then(dispose, dispose);
}

/** A click/keyboard/drag-and-drop file zone over a hidden file input; `onFile` gets the first file chosen. */
export function wireFileDrop(zone: HTMLElement, input: HTMLInputElement, onFile: (f: File) => void): void {
  zone.addEventListener('click', () => input.click());
  zone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });
  input.addEventListener('change', () => {
    const f = input.files?.[0];
    if (f) onFile(f);
    input.value = '';
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('drag');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('drag'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('drag');
    const f = e.dataTransfer?.files?.[0];
    if (f) onFile(f);
  });
}

/** A row of "label value" readouts (the trainer's style); returns a function that adds one and gives its value span. */
export function statRow(doc: Document, stats: HTMLElement): (label: string, testid: string) => HTMLSpanElement {
  return (label, testid) => {
    const v = h(doc, 'span', { class: 'trainer-stat-value', 'data-testid': testid }, {}, '–');
    const el = h(doc, 'span', { class: 'trainer-stat' });
    el.append(h(doc, 'span', { class: 'trainer-stat-label' }, {}, label + ' '), v);
    stats.append(el);
    return v;
  };
}
