// Runs panel for cells: every recorded training run overlaid on one run chart, a table of what differs, JSON/CSV
// export. It reads the page's mirror of the engine's runs and follows it as it changes.
import type { RunRecord } from '@/lib/engine/types';
import type { RunStore } from '@/lib/store/runStore';
import { h, resolveDocument, type DocumentOption } from '@/components/viz/dom';
import type { ChartXAxis } from '@/components/viz/runChart';
import { runToCsv, runToJson, runsTable, stableStringify } from '@/components/viz/runs';
import { formatCount } from '@/lib/format/numbers';
import { liveChart } from './liveChart';
import {
  button, downloadText, emitInput, errorBox, field, onInvalidation, ownInputOnly, selectEl, showError,
  type Downloader, type PanelElement,
} from './panelKit';

export interface RunsPanelOptions extends DocumentOption {
  /** The chart's x axis: steps, tokens seen, or training FLOPs (default 'step'). */
  x?: ChartXAxis;
  logY?: boolean;
  width?: number;
  height?: number;
  /** Saves an export (default: a browser download through a Blob); tests and hosts can take the text instead. */
  download?: Downloader;
  invalidation?: PromiseLike<unknown>;
}

/** What the panel holds; an `input` event fires when the runs, the axis or the shown runs change. */
export interface RunsPanelValue {
  runs: RunRecord[];
  x: ChartXAxis;
  /** Ids of runs left off the chart. */
  hidden: string[];
  /** Config keys whose values differ between the runs (the table's columns). */
  keys: string[];
}

export interface RunsPanelElement extends PanelElement<RunsPanelValue> {
  /** Redraws from the mirror now (it also follows every change by itself). */
  refresh(): Promise<RunRecord[]>;
  /** The run (by id or index) as JSON or CSV text, also handed to the downloader. */
  exportRun(run: string | number, format: 'json' | 'csv'): string;
}

const AXES: readonly (readonly [ChartXAxis, string])[] = [['step', 'steps'], ['tokens', 'tokens seen'], ['flops', 'training FLOPs']];

/** A file name from a run name: `micro tokenformer #2` -> `micro-tokenformer-2`. */
export function fileStem(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
}

function cellText(v: unknown): string {
  if (v === undefined) return '–';
  if (typeof v === 'number') return Number.isFinite(v) ? String(+v.toPrecision(4)) : String(v);
  return typeof v === 'string' ? v : stableStringify(v);
}

/** Changes whenever a run is added or its table row would change, so the table is rebuilt only then. */
const signature = (runs: RunRecord[]) => runs.map((r) => `${r.id}:${r.points.at(-1)?.step ?? 0}:${r.evals.length}:${r.growth.length}`).join('|');

export function runsPanel(store: RunStore, options: RunsPanelOptions = {}): RunsPanelElement {
  const doc = resolveDocument(options);
  const root = h(doc, 'div', { class: 'panel runs-panel', 'data-testid': 'runs-panel', 'data-state': 'idle' }) as RunsPanelElement;
  const value: RunsPanelValue = { runs: [], x: options.x ?? 'step', hidden: [], keys: [] };
  root.value = value;
  ownInputOnly(root);
  const download: Downloader = options.download ?? ((name, text, mime) => downloadText(doc, name, text, mime));

  const xSel = selectEl(doc, 'runs-x', 'x axis', AXES, value.x);
  const refreshBtn = button(doc, 'Refresh', 'runs-refresh', 'redraw from the runs as they are now');
  const bar = h(doc, 'div', { class: 'trainer-controls' });
  bar.append(refreshBtn, field(doc, 'x axis', xSel));
  const errorEl = errorBox(doc, 'runs-error');
  const chartHost = h(doc, 'div', { class: 'runs-chart', 'data-testid': 'runs-chart' }, { 'margin-top': '8px' });
  const tableHost = h(doc, 'div', { class: 'runs-table-host' }, { 'margin-top': '8px', overflow: 'auto' });
  root.append(bar, errorEl, chartHost, tableHost);

  let lastSig = '';
  let disposed = false;
  const chart = liveChart(store, { document: doc, runs: (r) => !value.hidden.includes(r.id), x: value.x, logY: options.logY, width: options.width, height: options.height ?? 260 });
  chartHost.append(chart);

  const renderChart = () => {
    chart.update({ x: value.x });
    chartHost.dataset.x = value.x;
    chartHost.dataset.runs = chart.dataset.runs;
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

  const sync = (force: boolean) => {
    const runs = store.getState().runs;
    if (disposed) return runs;
    showError(errorEl, null);
    root.dataset.state = 'ready';
    const sig = signature(runs);
    value.runs = runs;
    if (sig === lastSig && !force) return runs;
    lastSig = sig;
    value.hidden = value.hidden.filter((id) => runs.some((r) => r.id === id));
    renderChart();
    renderTable();
    emitInput(root);
    return runs;
  };
  root.refresh = async () => sync(true);

  root.exportRun = (which, format) => {
    const run = typeof which === 'number' ? value.runs[which] : value.runs.find((r) => r.id === which);
    if (!run) throw new Error(`no run ${which} (the panel has ${value.runs.length})`);
    const text = format === 'json' ? runToJson(run) : runToCsv(run);
    download(`${fileStem(run.name)}.${format}`, text, format === 'json' ? 'application/json' : 'text/csv');
    return text;
  };

  xSel.addEventListener('change', () => {
    value.x = xSel.value as ChartXAxis;
    renderChart();
    emitInput(root);
  });
  refreshBtn.addEventListener('click', () => void root.refresh());
  // The table follows the mirror at most twice a second; the chart follows it by itself.
  let timer: ReturnType<typeof setTimeout> | null = null;
  const unsubscribe = store.subscribe(() => {
    timer ??= setTimeout(() => {
      timer = null;
      sync(false);
    }, 500);
  });
  root.dispose = () => {
    disposed = true;
    unsubscribe();
    if (timer) clearTimeout(timer);
    chart.dispose();
  };
  onInvalidation(options.invalidation, root.dispose);
  sync(true);
  return root;
}
