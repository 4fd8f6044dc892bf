// @vitest-environment jsdom
// Runs every bundled notebook (notebooks/*.md) top to bottom in quick mode, as the app would with ?quick=1, against
// an in-process engine on wasm with the app's own builtins; then starts every training widget left idle.
//
// Authoring knobs (environment variables): NOTEBOOK=grow runs only files whose name contains "grow";
// NOTEBOOK_DUMP=1 prints every cell's value (the first NOTEBOOK_DUMP_CHARS characters); NOTEBOOK_FULL=1 runs
// without quick mode (minutes, not seconds; raise NOTEBOOK_TIMEOUT_MS to match).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Engine } from '@/lib/engine/engine';
import { createLab } from '@/lib/engine/lab';
import { memoryCheckpointStore } from '@/lib/io/checkpointStore';
import { makeBuiltins } from '@/components/notebook/builtins';
import type { TrainerElement } from '@/components/panels/trainer';
import { NotebookRuntime, parseNotebook, type CellRuntimeState } from '@/lib/notebook';
import { mirrorRuns } from '../store/runStore';

const DIR = path.join(process.cwd(), 'notebooks');
const only = process.env.NOTEBOOK;
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.md') && (!only || f.includes(only)))
  .sort();
const QUICK = !process.env.NOTEBOOK_FULL;
const TIMEOUT_MS = Number(process.env.NOTEBOOK_TIMEOUT_MS ?? 45_000);
/** The notebook counts as finished once nothing has changed for this long. */
const SETTLE_MS = 400;
const TERMINAL = new Set(['done', 'error', 'stopped']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every DOM node a cell shows (its display() outputs and its value), for finding the widgets in them. */
function shownNodes(state: CellRuntimeState | undefined): Element[] {
  const all = [...(state?.outputs ?? []), state?.value];
  return all.filter((v): v is Element => v instanceof Element);
}

function describeValue(v: unknown): string {
  if (v instanceof Node) return `<${v.nodeName.toLowerCase()}>`;
  const text = JSON.stringify(v, (_k, x) => (x instanceof Node ? `<${x.nodeName.toLowerCase()}>` : ArrayBuffer.isView(x) ? `[${(x as unknown as ArrayLike<number>).length} values]` : x));
  return (text ?? String(v)).slice(0, Number(process.env.NOTEBOOK_DUMP_CHARS ?? 1500));
}

async function runNotebook(file: string) {
  tf.env().set('PROD', true);
  const engine = new Engine();
  const info = await engine.init({ backend: 'wasm' });
  const conn = { api: engine, info, runs: await mirrorRuns(engine), terminate: () => {}, onCrash: () => {} };
  const notebook = parseNotebook(readFileSync(path.join(DIR, file), 'utf8'));
  const builtins = makeBuiltins({ engine: Promise.resolve(conn), quick: QUICK, defaults: notebook.frontMatter.defaults, createLab: (c, quick) => createLab(c, { quick, store: memoryCheckpointStore() }) });
  const code = notebook.cells.filter((c) => c.kind === 'code');
  const states = new Map<string, CellRuntimeState>();
  let lastChange = Date.now();
  const rt = new NotebookRuntime({
    builtins,
    // The engine runs in-process here, so a cell's `await lab...` resolves without the event loop turning (in the app
    // it is a worker message): the loop guard would read that as a held thread. It gets minutes, not the app's 5 s.
    loopLimitMs: 300_000,
    onCellState: (id, s) => {
      states.set(id, s);
      lastChange = Date.now();
    },
  });
  const settle = async (deadline: number) => {
    while (Date.now() < deadline) {
      await sleep(50);
      const allTerminal = code.every((c) => TERMINAL.has(states.get(c.id)?.status ?? ''));
      if (allTerminal && Date.now() - lastChange >= SETTLE_MS && (await engine.state()) === 'idle') return true;
    }
    return false;
  };
  const t0 = Date.now();
  try {
    rt.setCells(notebook.cells);
    rt.runAll();
    const settled = await settle(t0 + TIMEOUT_MS);

    // Training widgets waiting for their Start button: press each, as a reader would, one at a time. Starting one can
    // rerun other cells (a widget may be a view), which can replace widgets: look again after each run.
    const findWidgets = () => {
      const found: { cell: string; el: TrainerElement }[] = [];
      for (const c of code) {
        for (const n of shownNodes(states.get(c.id))) {
          for (const el of [n, ...n.querySelectorAll('[data-testid="trainer"]')]) if (el.getAttribute('data-testid') === 'trainer') found.push({ cell: c.id, el: el as TrainerElement });
        }
      }
      return found;
    };
    const pressed = new Set<TrainerElement>();
    for (let next = findWidgets().find((w) => w.el.value.state === 'idle'); next && pressed.size < 8; next = findWidgets().find((w) => w.el.value.state === 'idle' && !pressed.has(w.el))) {
      pressed.add(next.el);
      await next.el.start();
      await settle(Date.now() + TIMEOUT_MS / 2);
    }
    const trained = findWidgets().map(({ cell, el }) => {
      const last = el.value.last;
      return { cell, state: el.value.state, steps: last?.step ?? 0, loss: last?.loss ?? NaN, chart: !!el.querySelector('[data-testid="train-chart"] svg') };
    });

    if (process.env.NOTEBOOK_DUMP) for (const c of code) console.log(`--- ${c.id}: ${c.source.split('\n')[0].slice(0, 70)}\n${describeValue(states.get(c.id)?.value)}`);
    const failures = code
      .map((c) => ({ cell: c.id, source: c.source.split('\n')[0].slice(0, 70), status: states.get(c.id)?.status ?? 'never ran', error: states.get(c.id)?.error?.message }))
      .filter((r) => r.status !== 'done');
    return { settled, failures, trained, ms: Date.now() - t0, cells: code.length };
  } finally {
    rt.dispose();
    await engine.dispose();
  }
}

describe('bundled notebooks run in quick mode', () => {
  it('finds the bundled notebooks', () => {
    if (!only) expect(FILES).toEqual(expect.arrayContaining(['welcome.md', 'workshop.md']));
    expect(FILES.length).toBeGreaterThan(0);
  });

  it.each(FILES)(
    '%s',
    async (file) => {
      const r = await runNotebook(file);
      console.log(`${file}: ${r.cells} code cells in ${r.ms} ms${r.trained.length ? `; widgets ${JSON.stringify(r.trained)}` : ''}`);
      expect(r.failures).toEqual([]);
      expect(r.settled).toBe(true);
      for (const w of r.trained) {
        expect(w.state, `trainer in ${w.cell}`).toBe('done');
        expect(Number.isFinite(w.loss), `trainer loss in ${w.cell}`).toBe(true);
        expect(w.chart, `trainer chart in ${w.cell}`).toBe(true);
      }
      // The e2e test relies on the welcome notebook's widget training 20 quick steps with a chart.
      if (file === 'welcome.md' && QUICK) expect(r.trained.map((w) => w.steps)).toEqual([20]);
    },
    TIMEOUT_MS * 2,
  );
});
