// @vitest-environment jsdom
// The runs panel against a real in-process engine's mirror: two runs that differ in one key, axis switch, exports,
// following the mirror (no polling of the engine).
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Engine } from '@/lib/engine/engine';
import type { EngineApi } from '@/lib/engine/api';
import { CSV_COLUMNS, runToCsv } from '@/components/viz/runs';
import { mirrorRuns, type RunStore } from '@/lib/store/runStore';
import { downloadText } from './panelKit';
import { fileStem, runsPanel } from './runsPanel';
import { MICRO, byTestId, change, microEngine, until } from './testEngine';

let engine: Engine;
let api: EngineApi;
let calls: Record<string, number>;
let store: RunStore;
const train = { steps: 4, batchSize: 4, seqLen: 32, logEvery: 1, evalEvery: 2, evalBatches: 1 };

beforeAll(async () => {
  ({ engine, api, calls } = await microEngine());
  store = await mirrorRuns(api);
  await api.train(train, () => undefined);
  await engine.createModel({ ...MICRO, name: 'softmax run', config: { norm: 'softmax' } });
  await api.grow({ add: 4, target: 'ffn' });
  await api.train(train, () => undefined);
});

afterEach(() => vi.restoreAllMocks());

describe('runsPanel', () => {
  it('overlays the runs and tabulates only what differs', async () => {
    const el = runsPanel(store, { width: 400 });
    await until(() => el.value.runs.length === 2);
    expect(el.value.keys).toEqual(['norm']);
    const table = byTestId(el, 'runs-table');
    expect(table.dataset.keys).toBe('norm');
    const rows = table.querySelectorAll('tr[data-run]');
    expect(rows).toHaveLength(2);
    expect(rows[0].querySelector('td[data-key="norm"]')?.textContent).toBe('l2_norm_gelu');
    expect(rows[1].querySelector('td[data-key="norm"]')?.textContent).toBe('softmax');
    expect(rows[1].textContent).toContain('softmax run');
    const chart = byTestId(el, 'runs-chart');
    expect(chart.dataset.runs).toBe('2');
    // The idle growth of the second run is drawn as a rule with its label.
    expect(chart.textContent).toMatch(/grow (preserve|zero)/);
    expect(chart.textContent).toContain('step');

    document.body.appendChild(el); // a checkbox fires change only when connected
    change(byTestId(el, 'runs-x'), 'flops');
    expect(chart.dataset.x).toBe('flops');
    expect(chart.textContent).toContain('training FLOPs');
    (byTestId(el, 'runs-show-0') as HTMLInputElement).click();
    expect(chart.dataset.runs).toBe('1');
    expect(el.value.hidden).toEqual([el.value.runs[0].id]);
    // Nothing was read from the engine: the panel reads the mirror.
    expect(calls.runs ?? 0).toBe(0);
    expect(calls.run ?? 0).toBe(0);
    el.remove();
  });

  it('exports a run as CSV and JSON through the downloader', async () => {
    const saved: { name: string; text: string; mime: string }[] = [];
    const el = runsPanel(store, { width: 400, download: (name, text, mime) => saved.push({ name, text, mime }) });
    await until(() => el.value.runs.length === 2);
    byTestId(el, 'runs-export-csv-1').click();
    const run = el.value.runs[1];
    expect(saved[0]).toMatchObject({ name: 'softmax-run.csv', mime: 'text/csv' });
    const lines = saved[0].text.trim().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    // One row per step, each with its own loss.
    expect(lines).toHaveLength(run.points.length + 1);
    expect(run.points.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect(lines[lines.length - 1].startsWith(`softmax run,4,${run.points[3].loss},`)).toBe(true);
    expect(saved[0].text).toBe(runToCsv(run));
    byTestId(el, 'runs-export-json-1').click();
    const json = JSON.parse(saved[1].text);
    expect(saved[1].name).toBe('softmax-run.json');
    expect(json).toMatchObject({ name: 'softmax run', config: { norm: 'softmax' } });
    expect(json.growth).toHaveLength(1);
    expect(json.points).toHaveLength(run.points.length);
    expect(json.evals.map((e: { step: number }) => e.step)).toEqual([2, 4]);
  });

  it('follows the mirror: a new run shows without a refresh, an unrelated update redraws nothing', async () => {
    const el = runsPanel(store, { width: 400 });
    document.body.appendChild(el);
    await until(() => el.value.runs.length === 2);
    const inputs: number[] = [];
    el.addEventListener('input', () => inputs.push(el.value.runs.length));
    store.getState().apply({ seq: store.getState().seq, status: { state: 'idle', numTensors: 1, numBytes: 1, params: 1 } });
    await new Promise((r) => setTimeout(r, 600));
    expect(inputs).toEqual([]);
    await engine.createModel({ ...MICRO, name: 'third' });
    await until(() => el.value.runs.length === 3);
    expect(inputs).toEqual([3]);
    el.dispose();
    el.remove();
  });

  it('downloads through a Blob and a temporary link', () => {
    const create = vi.fn(() => 'blob:run');
    const revoke = vi.fn();
    Object.assign(URL, { createObjectURL: create, revokeObjectURL: revoke });
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(`${this.download} ${this.getAttribute('href')}`);
    });
    downloadText(document, 'a.csv', 'x,y\n', 'text/csv');
    expect(clicked).toEqual(['a.csv blob:run']);
    expect((create.mock.calls[0] as unknown[])[0]).toBeInstanceOf(Blob);
    expect(document.querySelector('a[download]')).toBeNull();
    expect(fileStem('micro tokenformer #2')).toBe('micro-tokenformer-2');
  });
});
