// Growth panel for cells: pick Pattentions, an amount and a mode, grow (between two steps if training), see params/FLOPs and a log.
import type { EngineApi } from '@/lib/engine/api';
import type { ModelInfo } from '@/lib/engine/types';
import type { GrowMode, GrowOptions, GrowTarget, GrowthEvent, PattentionKind } from '@/lib/tokenformer/types';
import { h, resolveDocument, type DocumentOption } from '@/components/viz/dom';
import { formatCount } from '@/lib/format/numbers';
import {
  KINDS, button, configuredTokens, emitInput, errorBox, field, onInvalidation, ownInputOnly, pattentionPrefix, poll, selectEl, showError,
  statRow, visible, type PanelElement,
} from './panelKit';

export interface GrowthPanelOptions extends DocumentOption {
  target?: GrowTarget;
  /** Layers to grow (default: all). */
  layers?: number[];
  /** `'+16'` (append 16 tokens to each chosen Pattention), `'×2'` / `'x1.5'` (multiply), or a number of tokens. */
  amount?: string | number;
  mode?: GrowMode;
  seed?: number;
  /** Reads parameter count, FLOPs and step from the engine every this many ms while visible (default 1000; 0: never). */
  every?: number;
  /** Called with each growth this panel made, once it has happened. */
  onGrow?: (e: GrowthEvent) => void;
  invalidation?: PromiseLike<unknown>;
}

/** What the panel holds; an `input` event fires when the model info or the log changes. */
export interface GrowthPanelValue {
  info: ModelInfo | null;
  /** Growth events of the current model, oldest first (this panel's, `growAt`'s and `lab.grow`'s). */
  events: GrowthEvent[];
  /** Growths asked for that wait for the next step boundary. */
  pending: number;
}

export interface GrowthPanelElement extends PanelElement<GrowthPanelValue> {
  /** Grows with the panel's settings (overridden by `opts`); resolves once it happened, null on an error. */
  grow(opts?: GrowOptions): Promise<GrowthEvent | null>;
  /** Reads model info (and the growth log when the model changed) from the engine. */
  refresh(): Promise<ModelInfo | null>;
}

const TARGETS: readonly (readonly [GrowTarget, string])[] = [
  ['all', 'all Pattentions'], ['qkv', 'query, key, value'], ['q', 'query'], ['k', 'key'], ['v', 'value'], ['proj', 'proj'], ['ffn', 'ffn'],
];
const MODES: readonly (readonly [GrowMode, string])[] = [
  ['preserve', 'preserve (same function)'], ['zero', 'zero (renormalise)'], ['official', 'official (random init)'],
];

/** `+16` / `16` -> add 16; `×2`, `x2`, `*2`, `2x` -> factor 2. */
export function parseAmount(amount: string | number): Pick<GrowOptions, 'add' | 'factor'> {
  if (typeof amount === 'number') return { add: amount };
  const s = amount.trim();
  const add = /^\+?\s*(\d+)$/.exec(s);
  if (add) return { add: Number(add[1]) };
  const factor = /^(?:[x×*]\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*[x×])$/i.exec(s);
  if (factor) return { factor: Number(factor[1] ?? factor[2]) };
  throw new Error(`growth amount "${amount}" is neither +N (tokens to add) nor ×k (a factor)`);
}

/** `sequential.2.attention.query` -> { layer: 0, kind: 'query' }; `sequential.3.mlp` -> { layer: 1, kind: 'ffn' }. */
export function parsePrefix(prefix: string): { layer: number; kind: PattentionKind } | null {
  const m = /^sequential\.(\d+)\.(?:attention\.(query|key|value|proj)|(mlp))$/.exec(prefix);
  return m ? { layer: Number(m[1]) - 2, kind: (m[2] ?? 'ffn') as PattentionKind } : null;
}

/** One line per kind: `ffn 48→56 (layers 0, 1)`. */
export function describeChanges(changes: GrowthEvent['changes']): string {
  const byKind = new Map<string, number[]>();
  for (const [prefix, [from, to]] of Object.entries(changes)) {
    const p = parsePrefix(prefix);
    const key = `${p?.kind ?? prefix} ${from}→${to}`;
    byKind.set(key, [...(byKind.get(key) ?? []), p?.layer ?? -1]);
  }
  return [...byKind].map(([k, layers]) => `${k} (layer${layers.length > 1 ? 's' : ''} ${layers.join(', ')})`).join('; ');
}

const eventKey = (e: GrowthEvent) => `${e.step}:${e.mode}:${e.paramsBefore}:${e.paramsAfter}`;

function mergeEvents(...lists: GrowthEvent[][]): GrowthEvent[] {
  const seen = new Map<string, GrowthEvent>();
  for (const list of lists) for (const e of list) if (!seen.has(eventKey(e))) seen.set(eventKey(e), e);
  return [...seen.values()].sort((a, b) => a.step - b.step || a.paramsBefore - b.paramsBefore);
}

export function growthPanel(api: EngineApi, options: GrowthPanelOptions = {}): GrowthPanelElement {
  const doc = resolveDocument(options);
  const root = h(doc, 'div', { class: 'panel growth-panel', 'data-testid': 'growth-panel', 'data-state': 'idle' }) as GrowthPanelElement;
  const value: GrowthPanelValue = { info: null, events: [], pending: 0 };
  root.value = value;
  ownInputOnly(root);

  const targetSel = selectEl(doc, 'grow-target', 'grow which Pattentions', TARGETS, options.target ?? 'all');
  const amountIn = h(doc, 'input', { type: 'text', value: String(options.amount ?? '+16'), 'data-testid': 'grow-amount', 'aria-label': 'amount: +N tokens or ×k', title: '+N appends N tokens to each chosen Pattention; ×k multiplies its count' }, { width: '5em', font: 'inherit' });
  const modeSel = selectEl(doc, 'grow-mode', 'growth mode', MODES, options.mode ?? 'preserve');
  const layersEl = h(doc, 'span', { class: 'grow-layers', 'data-testid': 'grow-layers' }, { display: 'inline-flex', gap: '6px' });
  const growBtn = button(doc, 'Grow', 'grow-button', 'append parameter tokens (between two steps while training)');
  const bar = h(doc, 'div', { class: 'trainer-controls' });
  bar.append(field(doc, 'target', targetSel), field(doc, 'layers', layersEl), field(doc, 'amount', amountIn), field(doc, 'mode', modeSel), growBtn);

  const stats = h(doc, 'div', { class: 'trainer-stats' }, { 'margin-top': '8px' });
  const stat = statRow(doc, stats);
  const paramsEl = stat('params', 'param-count-live');
  const flopsEl = stat('FLOPs/token', 'flops-per-token');
  const stepEl = stat('step', 'grow-step');
  const statusEl = h(doc, 'div', { 'data-testid': 'grow-status' }, { color: '#666', margin: '4px 0' });
  const errorEl = errorBox(doc, 'grow-error');
  const tokensHost = h(doc, 'div', { 'data-testid': 'grow-tokens' }, { 'margin-top': '6px' });
  const logHost = h(doc, 'div', { 'data-testid': 'grow-log-host' }, { 'margin-top': '6px' });
  root.append(bar, stats, statusEl, errorEl, tokensHost, logHost);

  let disposed = false;
  let runId: string | null = null;
  let own: GrowthEvent[] = [];
  let lastParams: number | null = null;
  let layerBoxes: HTMLInputElement[] = [];

  const buildLayers = (numLayers: number) => {
    if (layerBoxes.length === numLayers) return;
    const wanted = options.layers;
    layerBoxes = Array.from({ length: numLayers }, (_, i) => h(doc, 'input', { type: 'checkbox', 'data-layer': i, 'aria-label': `layer ${i}` }));
    layerBoxes.forEach((b, i) => (b.checked = !wanted || wanted.includes(i)));
    layersEl.replaceChildren(...layerBoxes.map((b, i) => {
      const l = h(doc, 'label', {}, { display: 'inline-flex', gap: '2px' });
      l.append(b, doc.createTextNode(String(i)));
      return l;
    }));
  };

  const renderInfo = () => {
    const info = value.info;
    if (!info) {
      paramsEl.textContent = flopsEl.textContent = stepEl.textContent = '–';
      tokensHost.replaceChildren();
      return;
    }
    paramsEl.textContent = formatCount(info.params);
    paramsEl.dataset.params = String(info.params);
    paramsEl.title = info.params.toLocaleString('en-US');
    flopsEl.textContent = formatCount(info.flopsPerToken);
    flopsEl.dataset.flops = String(info.flopsPerToken);
    stepEl.textContent = String(info.step);
    buildLayers(info.config.numLayers);
    if (info.config.arch !== 'tokenformer') {
      tokensHost.replaceChildren(h(doc, 'div', {}, { color: '#888' }, 'This model is a plain Transformer: it has no parameter tokens to grow.'));
      return;
    }
    // Token count of every Pattention, grown ones in bold with their original count.
    const table = h(doc, 'table', { class: 'grow-tokens' }, { 'border-collapse': 'collapse', 'font-variant-numeric': 'tabular-nums' });
    const head = h(doc, 'tr');
    head.append(h(doc, 'th', {}, { 'text-align': 'left', 'padding-right': '10px' }, 'tokens'), ...KINDS.map((k) => h(doc, 'th', {}, { 'padding-right': '10px' }, k)));
    table.append(head);
    for (let l = 0; l < info.config.numLayers; l++) {
      const tr = h(doc, 'tr', { 'data-layer': l });
      tr.append(h(doc, 'td', {}, { color: '#888' }, `layer ${l}`));
      for (const kind of KINDS) {
        const n = info.growth[pattentionPrefix(l, kind)]?.tokens ?? 0;
        const base = configuredTokens(info.config, kind) ?? n;
        tr.append(h(doc, 'td', { 'data-kind': kind, 'data-tokens': n }, { 'padding-right': '10px', 'text-align': 'right', 'font-weight': n > base ? '700' : '400' }, n > base ? `${n} (${base})` : String(n)));
      }
      table.append(tr);
    }
    tokensHost.replaceChildren(table);
  };

  const renderLog = () => {
    if (value.events.length === 0) {
      logHost.replaceChildren(h(doc, 'div', { 'data-testid': 'grow-log' }, { color: '#888' }, 'No growth yet.'));
      return;
    }
    const table = h(doc, 'table', { class: 'grow-log', 'data-testid': 'grow-log' }, { 'border-collapse': 'collapse', 'font-variant-numeric': 'tabular-nums' });
    const head = h(doc, 'tr');
    head.append(...['step', 'mode', 'params', 'Pattentions touched'].map((t) => h(doc, 'th', {}, { 'text-align': 'left', 'padding-right': '12px' }, t)));
    table.append(head);
    for (const e of value.events) {
      const touched = Object.keys(e.changes).length;
      const tr = h(doc, 'tr', { 'data-step': e.step, 'data-params-after': e.paramsAfter });
      tr.append(
        h(doc, 'td', {}, { 'padding-right': '12px' }, String(e.step)),
        h(doc, 'td', {}, { 'padding-right': '12px' }, e.mode),
        h(doc, 'td', {}, { 'padding-right': '12px' }, `${formatCount(e.paramsBefore)} → ${formatCount(e.paramsAfter)} (+${formatCount(e.paramsAfter - e.paramsBefore)})`),
        h(doc, 'td', { title: Object.keys(e.changes).join('\n') }, {}, `${touched}: ${describeChanges(e.changes)}`),
      );
      table.append(tr);
    }
    logHost.replaceChildren(table);
  };

  /** The log follows the engine's run record, so growths from `growAt` or `lab.grow` show too. */
  const syncLog = async () => {
    const runs = await api.runs();
    const run = runs[runs.length - 1];
    if (!run) return;
    if (run.id !== runId) {
      runId = run.id;
      own = own.filter((e) => run.growth.some((g) => eventKey(g) === eventKey(e)));
    }
    value.events = mergeEvents(run.growth, own);
  };

  root.refresh = async () => {
    try {
      const info = await api.modelInfo();
      if (disposed) return info;
      const changed = info?.params !== lastParams || info?.step !== value.info?.step;
      // runs() copies every metric: only ask when the parameter count moved (a growth or another model).
      if (info && info.params !== lastParams) await syncLog();
      lastParams = info?.params ?? null;
      value.info = info;
      root.dataset.state = info ? 'ready' : 'no-model';
      if (!info) statusEl.textContent = 'No model yet: create one (lab.model) first.';
      renderInfo();
      renderLog();
      if (changed) emitInput(root);
      return info;
    } catch (e) {
      showError(errorEl, e);
      return null;
    }
  };

  const settings = (opts: GrowOptions = {}): GrowOptions => {
    const checked = layerBoxes.flatMap((b, i) => (b.checked ? [i] : []));
    // An amount given in code wins over the text box, even when the box holds something unparsable.
    const amount = opts.add !== undefined || opts.factor !== undefined ? {} : parseAmount(amountIn.value);
    return {
      ...amount,
      target: targetSel.value as GrowTarget,
      mode: modeSel.value as GrowMode,
      // All layers checked means "all", which also covers layers a later model might have.
      layers: layerBoxes.length === 0 || checked.length === layerBoxes.length ? undefined : checked,
      seed: options.seed,
    };
  };

  root.grow = async (opts?: GrowOptions) => {
    let request: GrowOptions;
    try {
      request = { ...settings(opts), ...opts };
      if (request.layers && request.layers.length === 0) throw new Error('choose at least one layer to grow');
    } catch (e) {
      showError(errorEl, e);
      return null;
    }
    showError(errorEl, null);
    value.pending++;
    const training = (await api.state().catch(() => 'idle')) === 'training';
    statusEl.textContent = training ? `growth queued: it happens between the next two steps (${value.pending} waiting)` : 'growing…';
    root.dataset.state = 'growing';
    emitInput(root);
    try {
      const event = await api.grow(request);
      own.push(event);
      value.events = mergeEvents(value.events, [event]);
      statusEl.textContent = `grew at step ${event.step}: ${formatCount(event.paramsBefore)} → ${formatCount(event.paramsAfter)} params`;
      options.onGrow?.(event);
      return event;
    } catch (e) {
      showError(errorEl, e);
      statusEl.textContent = '';
      return null;
    } finally {
      value.pending--;
      if (!disposed) await root.refresh();
      emitInput(root);
    }
  };

  growBtn.addEventListener('click', () => void root.grow());
  const stopPoll = poll(options.every ?? 1000, () => root.refresh(), () => visible(root) && !disposed);
  root.dispose = () => {
    disposed = true;
    stopPoll();
  };
  onInvalidation(options.invalidation, root.dispose);
  renderLog();
  void root.refresh();
  return root;
}
