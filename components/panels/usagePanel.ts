// Parameter-token usage panel for cells: mean weight, histogram, dead tokens, and the contexts that weight a token most.
import type { EngineApi, TokenContext, UsageStats } from '@/lib/engine/api';
import type { PattentionKind } from '@/lib/tokenformer/types';
import { h, resolveDocument, type DocumentOption, type VizElement } from '@/components/viz/dom';
import { usageChart, usageFromStats, type UsagePoint } from '@/components/viz/usageChart';
import { formatValue } from '@/lib/format/numbers';
import {
  KINDS, button, configuredTokens, emitInput, errorBox, field, growthTracker, intFrom, numberEl, onInvalidation, ownInputOnly,
  pattentionPrefix, selectEl, setOptions, showError, type PanelElement,
} from './panelKit';

export interface UsagePanelOptions extends DocumentOption {
  layer?: number;
  kind?: PattentionKind;
  /** Held-out windows to average over (default 4). */
  windows?: number;
  /** A token is "used" by a position when it is in that position's top-k (default 4). */
  k?: number;
  /** Contexts kept per token (default 5). */
  contexts?: number;
  seqLen?: number;
  /** Compute at once (default true); false waits for the Compute button or `refresh()`. */
  autoLoad?: boolean;
  /** Tokens listed as "most used" (default 12). */
  top?: number;
  width?: number;
  invalidation?: PromiseLike<unknown>;
}

/** What the panel shows; an `input` event fires when it changes. */
export interface UsagePanelValue {
  stats: UsageStats | null;
  layer: number;
  kind: PattentionKind;
  /** The selected parameter token, whose contexts are listed. */
  token: number | null;
  /** Indices of the dead tokens of the shown Pattention (in no position's top-k). */
  dead: number[];
  newFrom?: number;
}

export interface UsagePanelElement extends PanelElement<UsagePanelValue> {
  /** Recomputes the usage over the validation windows (after training or growth). */
  refresh(): Promise<UsageStats | null>;
  /** Lists the contexts that weight parameter token `c` most. */
  selectToken(c: number | null): void;
}

/** Token indices sorted by mean weight, heaviest first. */
export function mostUsed(mean: Float32Array, count: number): number[] {
  return Array.from(mean.keys()).sort((a, b) => mean[b] - mean[a] || a - b).slice(0, count);
}

function contextItem(doc: Document, ctx: TokenContext): HTMLLIElement {
  // Code points, as viz's formatContext, so a multi-byte character at the focus is not split.
  const chars = Array.from(ctx.text);
  // A BPE token's label spans several characters (`␣the`).
  const end = ctx.focus + (ctx.focusLength ?? 1);
  const clean = (t: string) => t.replace(/\n/g, '⏎').replace(/\t/g, '⇥');
  const li = h(doc, 'li', { 'data-weight': ctx.weight }, { 'font-family': 'ui-monospace, monospace', 'white-space': 'pre' });
  li.append(
    doc.createTextNode(clean(chars.slice(0, ctx.focus).join(''))),
    h(doc, 'mark', {}, {}, clean(chars.slice(ctx.focus, end).join(''))),
    doc.createTextNode(clean(chars.slice(end).join(''))),
    h(doc, 'span', {}, { color: '#888', 'margin-left': '8px' }, formatValue(ctx.weight)),
  );
  return li;
}

export function usagePanel(api: EngineApi, options: UsagePanelOptions = {}): UsagePanelElement {
  const doc = resolveDocument(options);
  const root = h(doc, 'div', { class: 'panel usage-panel', 'data-testid': 'usage-panel', 'data-state': 'idle' }) as UsagePanelElement;
  const value: UsagePanelValue = { stats: null, layer: options.layer ?? 0, kind: options.kind ?? 'ffn', token: null, dead: [] };
  root.value = value;
  ownInputOnly(root);

  const layerSel = selectEl(doc, 'usage-layer', 'layer', [[String(value.layer), `layer ${value.layer}`]], String(value.layer));
  const kindSel = selectEl(doc, 'usage-kind', 'Pattention', KINDS.map((k) => [k, k] as const), value.kind);
  const windowsIn = numberEl(doc, 'usage-windows', 'validation windows', options.windows ?? 4);
  const kIn = numberEl(doc, 'usage-k', 'top-k', options.k ?? 4);
  const tokenIn = numberEl(doc, 'usage-token', 'parameter token', 0, 0);
  const computeBtn = button(doc, 'Compute', 'usage-refresh', 'recompute usage over held-out windows');
  const bar = h(doc, 'div', { class: 'trainer-controls' });
  bar.append(computeBtn, field(doc, 'layer', layerSel), field(doc, 'Pattention', kindSel), field(doc, 'windows', windowsIn), field(doc, 'top-k', kIn), field(doc, 'token', tokenIn));
  const summary = h(doc, 'div', { class: 'usage-summary', 'data-testid': 'usage-summary' }, { margin: '6px 0', color: '#444' });
  const errorEl = errorBox(doc, 'usage-error');
  const chartHost = h(doc, 'div', { class: 'usage-chart', 'data-testid': 'usage-chart' }, { cursor: 'pointer' });
  const lists = h(doc, 'div', { class: 'usage-lists' }, { display: 'flex', 'flex-wrap': 'wrap', gap: '6px 24px', 'margin-top': '6px' });
  const topEl = h(doc, 'div', { 'data-testid': 'usage-top' });
  const deadEl = h(doc, 'div', { 'data-testid': 'usage-dead' });
  lists.append(topEl, deadEl);
  const ctxHost = h(doc, 'div', { class: 'usage-contexts-host', 'data-testid': 'usage-contexts' }, { 'margin-top': '8px' });
  root.append(bar, summary, errorEl, chartHost, lists, ctxHost);

  const growth = growthTracker();
  const newFromOf = new Map<string, number | undefined>();
  let chart: VizElement | null = null;
  let seq = 0;
  let disposed = false;

  const chip = (c: number, color: string) => {
    const b = h(doc, 'button', { type: 'button', class: 'usage-chip', 'data-token': c }, { font: 'inherit', 'margin-right': '4px', color, border: '1px solid #ddd', 'border-radius': '4px', background: c === value.token ? '#fff3c4' : '#fff' }, `#${c}`);
    b.addEventListener('click', () => root.selectToken(c));
    return b;
  };

  const renderContexts = () => {
    const u = value.stats?.layers[value.layer]?.[value.kind];
    if (!u || value.token === null || value.token >= u.mean.length) {
      ctxHost.replaceChildren(h(doc, 'div', {}, { color: '#888' }, 'Click a token (in the chart or a list) to see the contexts that weight it most.'));
      return;
    }
    const c = value.token;
    const head = h(doc, 'div', {}, { 'font-weight': '600' }, `token #${c}: mean weight ${formatValue(u.mean[c])}, in the top-${value.stats!.k} of ${u.topkHits[c]} positions${u.topkHits[c] === 0 ? ' (dead)' : ''}`);
    const ol = h(doc, 'ol', { 'data-token': c }, { margin: '4px 0', 'padding-left': '24px' });
    ol.append(...u.contexts[c].map((ctx) => contextItem(doc, ctx)));
    ctxHost.replaceChildren(head, ol);
  };

  /** Draws the shown Pattention from the stats in hand; no engine call. */
  const render = () => {
    chart?.dispose?.();
    chart = null;
    const stats = value.stats;
    if (!stats) return;
    value.layer = Math.min(value.layer, stats.layers.length - 1);
    layerSel.value = String(value.layer);
    const data = usageFromStats(stats, value.layer, value.kind);
    const n = data.mean.length;
    value.dead = Array.from(data.dead as Uint8Array).flatMap((d, i) => (d ? [i] : []));
    value.newFrom = newFromOf.get(pattentionPrefix(value.layer, value.kind));
    summary.dataset.tokens = String(n);
    summary.dataset.dead = String(value.dead.length);
    summary.textContent = n === 0
      ? 'This model has no Pattention (a plain Transformer).'
      : `${stats.positions} positions · top-${stats.k} · ${value.dead.length} of ${n} tokens dead${value.newFrom !== undefined ? ` · #${value.newFrom}–#${n - 1} grown` : ''}`;
    chart = usageChart(data, { document: doc, width: options.width ?? 640, height: 140, newFrom: value.newFrom, title: `layer ${value.layer} · ${value.kind}: mean weight per parameter token` });
    chartHost.replaceChildren(chart);
    tokenIn.max = String(Math.max(0, n - 1));
    renderLists();
  };

  /** The token lists and the selected token's contexts: a selection does not redraw the chart. */
  const renderLists = () => {
    const u = value.stats?.layers[value.layer]?.[value.kind];
    if (!u) return;
    const top = mostUsed(u.mean, options.top ?? 12);
    topEl.replaceChildren(h(doc, 'span', {}, { color: '#666', 'margin-right': '6px' }, 'most used:'), ...top.map((c) => chip(c, '#4269d0')));
    deadEl.replaceChildren(
      h(doc, 'span', {}, { color: '#666', 'margin-right': '6px' }, value.dead.length ? `dead (${value.dead.length}):` : 'no dead tokens'),
      ...value.dead.slice(0, 64).map((c) => chip(c, '#d62728')),
      ...(value.dead.length > 64 ? [doc.createTextNode(`… ${value.dead.length - 64} more`)] : []),
    );
    renderContexts();
    emitInput(root);
  };

  root.refresh = async () => {
    const mine = ++seq;
    root.dataset.state = 'loading';
    summary.textContent = 'computing usage over held-out windows…';
    try {
      const [stats, info] = await Promise.all([
        api.usage({ windows: intFrom(windowsIn, 4), k: intFrom(kIn, 4), contexts: options.contexts ?? 5, seqLen: options.seqLen }),
        api.modelInfo(),
      ]);
      if (mine !== seq || disposed) return stats;
      value.stats = stats;
      stats.layers.forEach((l, i) => {
        for (const kind of KINDS) {
          const prefix = pattentionPrefix(i, kind);
          if (l[kind].mean.length > 0) newFromOf.set(prefix, growth.newFrom(prefix, l[kind].mean.length, configuredTokens(info?.config, kind)));
        }
      });
      setOptions(layerSel, stats.layers.map((_, i) => [String(i), `layer ${i}`] as const), String(Math.min(value.layer, stats.layers.length - 1)));
      value.layer = Number(layerSel.value);
      showError(errorEl, null);
      root.dataset.state = 'ready';
      render();
      return stats;
    } catch (e) {
      if (mine === seq && !disposed) {
        showError(errorEl, e);
        summary.textContent = '';
        root.dataset.state = 'error';
      }
      return null;
    }
  };

  root.selectToken = (c: number | null) => {
    value.token = c === null || !Number.isFinite(c) ? null : Math.max(0, Math.floor(c));
    if (value.token !== null) tokenIn.value = String(value.token);
    if (value.stats) renderLists();
    else renderContexts();
  };

  layerSel.addEventListener('change', () => {
    value.layer = Number(layerSel.value);
    render();
  });
  kindSel.addEventListener('change', () => {
    value.kind = kindSel.value as PattentionKind;
    render();
  });
  tokenIn.addEventListener('change', () => root.selectToken(intFrom(tokenIn, 0, 0)));
  computeBtn.addEventListener('click', () => void root.refresh());
  // The chart's pointer tip tracks the token under the pointer as the Plot's value; a click selects it.
  chartHost.addEventListener('click', () => {
    for (const el of Array.from(chart?.children ?? [])) {
      const p = (el as unknown as { value?: UsagePoint | null }).value;
      if (p && typeof p.c === 'number') return root.selectToken(p.c);
    }
  });

  root.dispose = () => {
    disposed = true;
    chart?.dispose?.();
  };
  onInvalidation(options.invalidation, root.dispose);
  renderContexts();
  if (options.autoLoad !== false) void root.refresh();
  return root;
}
