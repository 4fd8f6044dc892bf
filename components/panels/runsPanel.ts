// Runs panel for cells: every recorded training run overlaid on one loss chart, a table of what differs, JSON/CSV export.
import type { EngineApi } from '@/lib/engine/api';
import type { RunRecord } from '@/lib/engine/types';
import { h, resolveDocument, type DocumentOption, type VizElement } from '@/components/viz/dom';
import { lossChart, type LossXAxis } from '@/components/viz/lossChart';
import { runToCsv, runToJson, runsTable, stableStringify } from '@/components/viz/runs';
import { formatCount } from '@/lib/format/numbers';
import {
  button, downloadText, emitInput, errorBox, field, onInvalidation, ownInputOnly, poll, selectEl, showError, visible,
  type Downloader, type PanelElement,
} from './panelKit';

export interface RunsPanelOptions extends DocumentOption {
  /** The chart's x axis: steps, tokens seen, or training FLOPs (default 'step'). */
  x?: LossXAxis;
  logY?: boolean;
  /** Re-read the runs every this many ms while the panel is on screen (default 0: on demand). */
  every?: number;
  width?: number;
  height?: number;
  /** Saves an export (default: a browser download through a Blob); tests and hosts can take the text instead. */
  download?: Downloader;
  invalidation?: PromiseLike<unknown>;
}

/** What the panel holds; an `input` event fires when the runs, the axis or the shown runs change. */
export interface RunsPanelValue {
  runs: RunRecord[];
  x: LossXAxis;
  /** Ids of runs left off the chart. */
  hidden: string[];
  /** Config keys whose values differ between the runs (the table's columns). */
  keys: string[];
}

export interface RunsPanelElement extends PanelElement<RunsPanelValue> {
  refresh(): Promise<RunRecord[]>;
  /** The run (by id or index) as JSON or CSV text, also handed to the downloader. */
  exportRun(run: string | number, format: 'json' | 'csv'): string;
}

const AXES: readonly (readonly [LossXAxis, string])[] = [['step', 'steps'], ['tokens', 'tokens seen'], ['flops', 'training FLOPs']];

/** A file name from a run name: `micro tokenformer #2` -> `micro-tokenformer-2`. */
export function fileStem(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
}

function cellText(v: unknown): string {
  if (v === undefined) return '–';
  if (typeof v === 'number') return Number.isFinite(v) ? String(+v.toPrecision(4)) : String(v);
  return typeof v === 'string' ? v : stableStringify(v);
}

/** Changes whenever a run is added or records more metrics or growth, so polling redraws only then. */
const signature = (runs: RunRecord[]) => runs.map((r) => `${r.id}:${r.metrics.length}:${r.growth.length}`).join('|');

export function runsPanel(api: EngineApi, options: RunsPanelOptions = {}): RunsPanelElement {
  const doc = resolveDocument(options);
  const root = h(doc, 'div', { class: 'panel runs-panel', 'data-testid': 'runs-panel', 'data-state': 'idle' }) as RunsPanelElement;
  const value: RunsPanelValue = { runs: [], x: options.x ?? 'step', hidden: [], keys: [] };
  root.value = value;
  ownInputOnly(root);
  const download: Downloader = options.download ?? ((name, text, mime) => downloadText(doc, name, text, mime));

  const xSel = selectEl(doc, 'runs-x', 'x axis', AXES, value.x);
  const refreshBtn = button(doc, 'Refresh', 'runs-refresh', 'read the runs from the engine again');
  const bar = h(doc, 'div', { class: 'trainer-controls' });
  bar.append(refreshBtn, field(doc, 'x axis', xSel));
  const errorEl = errorBox(doc, 'runs-error');
  const chartHost = h(doc, 'div', { class: 'runs-chart', 'data-testid': 'runs-chart' }, { 'margin-top': '8px' });
  const tableHost = h(doc, 'div', { class: 'runs-table-host' }, { 'margin-top': '8px', overflow: 'auto' });
  root.append(bar, errorEl, chartHost, tableHost);

  let chart: VizElement | null = null;
  let lastSig = '';
  let disposed = false;

  const renderChart = () => {
    chart?.dispose?.();
    const shown = value.runs.filter((r) => !value.hidden.includes(r.id));
    const width = options.width ?? Math.max(320, Math.min(760, root.clientWidth || 680));
    chart = lossChart(shown.map((r) => ({ name: r.name, metrics: r.metrics, growth: r.growth })), { document: doc, x: value.x, logY: options.logY, width, height: options.height ?? 260 });
    chartHost.dataset.x = value.x;
    chartHost.dataset.runs = String(shown.length);
    chartHost.replaceChildren(chart);
  };

  const renderTable = () => {
    const { keys, rows } = runsTable(value.runs);
    value.keys = keys;
    const table = h(doc, 'table', { class: 'runs-table', 'data-testid': 'runs-table', 'data-keys': keys.join(',') }, { 'border-collapse': 'collapse', 'font-variant-numeric': 'tabular-nums' });
    const th = (t: string, title?: string) => h(doc, 'th', { title }, { 'text-align': 'left', padding: '2px 10px 2px 0', 'border-bottom': '1px solid #ddd' }, t);
    const head = h(doc, 'tr');
    head.append(th('show'), th('run'), ...keys.map((k) => th(k, 'differs between runs')), th('steps'), th('params'), th('final bpb'), th('best val bpb'), th('growths'), th('export'));
    table.append(head);
    value.runs.forEach((run, i) => {
      const row = rows[i];
      const td = (t: string, attrs: Record<string, string> = {}) => h(doc, 'td', attrs, { padding: '2px 10px 2px 0' }, t);
      const tr = h(doc, 'tr', { 'data-run': run.id });
      const show = h(doc, 'input', { type: 'checkbox', 'aria-label': `show ${run.name}`, 'data-testid': `runs-show-${i}` });
      show.checked = !value.hidden.includes(run.id);
      show.addEventListener('change', () => {
        value.hidden = show.checked ? value.hidden.filter((id) => id !== run.id) : [...value.hidden, run.id];
        renderChart();
        emitInput(root);
      });
      const showCell = h(doc, 'td');
      showCell.append(show);
      const exportCell = h(doc, 'td', {}, { 'white-space': 'nowrap' });
      const json = button(doc, 'JSON', `runs-export-json-${i}`, 'config, growth events and every metric');
      const csv = button(doc, 'CSV', `runs-export-csv-${i}`, 'one row per metrics update');
      json.addEventListener('click', () => root.exportRun(run.id, 'json'));
      csv.addEventListener('click', () => root.exportRun(run.id, 'csv'));
      exportCell.append(json, csv);
      tr.append(
        showCell,
        td(run.name),
        ...keys.map((k) => td(cellText(row.config[k]), { 'data-key': k })),
        td(String(row.steps)),
        td(formatCount(row.params ?? run.params)),
        td(cellText(row.finalBpb)),
        td(cellText(row.bestValBpb)),
        td(String(row.growthEvents)),
        exportCell,
      );
      table.append(tr);
    });
    const note = keys.length === 0 && value.runs.length > 1 ? h(doc, 'div', {}, { color: '#888' }, 'All runs share one config.') : null;
    tableHost.replaceChildren(...(value.runs.length ? [table] : [h(doc, 'div', { 'data-testid': 'runs-table' }, { color: '#888' }, 'No runs yet: create a model and train it.')]), ...(note ? [note] : []));
  };

  root.refresh = async () => {
    try {
      const runs = await api.runs();
      if (disposed) return runs;
      showError(errorEl, null);
      root.dataset.state = 'ready';
      const sig = signature(runs);
      if (sig === lastSig) return runs;
      lastSig = sig;
      value.runs = runs;
      value.hidden = value.hidden.filter((id) => runs.some((r) => r.id === id));
      renderChart();
      renderTable();
      emitInput(root);
      return runs;
    } catch (e) {
      showError(errorEl, e);
      root.dataset.state = 'error';
      return value.runs;
    }
  };

  root.exportRun = (which, format) => {
    const run = typeof which === 'number' ? value.runs[which] : value.runs.find((r) => r.id === which);
    if (!run) throw new Error(`no run ${which} (the panel has ${value.runs.length})`);
    const text = format === 'json' ? runToJson(run) : runToCsv(run);
    download(`${fileStem(run.name)}.${format}`, text, format === 'json' ? 'application/json' : 'text/csv');
    return text;
  };

  xSel.addEventListener('change', () => {
    value.x = xSel.value as LossXAxis;
    renderChart();
    emitInput(root);
  });
  refreshBtn.addEventListener('click', () => void root.refresh());
  const stopPoll = poll(options.every ?? 0, () => root.refresh(), () => visible(root) && !disposed);
  root.dispose = () => {
    disposed = true;
    stopPoll();
    chart?.dispose?.();
  };
  onInvalidation(options.invalidation, root.dispose);
  renderChart();
  void root.refresh();
  return root;
}
