// @vitest-environment jsdom
// The attention explorer against a real in-process engine: shapes per Pattention, re-render without engine calls, growth.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '@/lib/engine/engine';
import type { EngineApi } from '@/lib/engine/api';
import { attentionExplorer, rowTopK, type AttentionExplorerElement } from './attentionExplorer';
import type { PixelImage, PixelSink } from '@/components/viz/canvas';
import { MICRO, byTestId, change, microEngine, until } from './testEngine';

let engine: Engine;
let api: EngineApi;
let calls: Record<string, number>;
const open: AttentionExplorerElement[] = [];

beforeAll(async () => {
  ({ engine, api, calls } = await microEngine());
});

afterEach(() => {
  open.splice(0).forEach((el) => {
    el.dispose();
    el.remove();
  });
});

// jsdom has no 2D context: capture what would be painted, by canvas class.
const painted = new Map<string, PixelImage>();
const paint: PixelSink = (canvas, image) => void painted.set(canvas.className, image);

async function explorer(opts: Parameters<typeof attentionExplorer>[1]) {
  const el = attentionExplorer(api, { paint, ...opts });
  open.push(el);
  await until(() => el.dataset.state === 'ready' || el.dataset.state === 'error');
  return el;
}

const heat = (el: HTMLElement) => byTestId(el, 'attention-heatmap');

describe('attentionExplorer', () => {
  it('shows bytes by parameter tokens, per layer and Pattention, from one engine call', async () => {
    const before = calls.attention ?? 0;
    const el = await explorer({ text: 'héllo', kind: 'query' });
    expect(el.dataset.state).toBe('ready');
    // 'é' is two UTF-8 bytes: rows are bytes, not characters.
    expect(heat(el).dataset.rows).toBe('6');
    expect(heat(el).dataset.cols).toBe('24');
    expect(calls.attention).toBe(before + 1);
    expect(byTestId(el, 'attention-heads').querySelectorAll('[data-head]').length).toBe(4);
    expect(Array.from(byTestId(el, 'attention-layer').querySelectorAll('option'), (o) => o.value)).toEqual(['0', '1']);

    const inputs: string[] = [];
    el.addEventListener('input', () => inputs.push(el.value.kind));
    change(byTestId(el, 'attention-kind'), 'ffn');
    expect(heat(el).dataset.cols).toBe('48');
    change(byTestId(el, 'attention-kind'), 'proj');
    change(byTestId(el, 'attention-layer'), '1');
    expect(heat(el).dataset.cols).toBe('20');
    expect(el.value).toMatchObject({ layer: 1, kind: 'proj' });
    change(byTestId(el, 'attention-order'), 'weight');
    expect(heat(el).dataset.order).toBe('weight');
    expect(inputs).toEqual(['ffn', 'proj', 'proj', 'proj']);
    // Controls re-render from the maps in hand.
    expect(calls.attention).toBe(before + 1);

    // Typing fires the text box's own bubbling input events; only the panel's value changes may reach view().
    change(byTestId(el, 'attention-text'), 'abc', 'input');
    expect(inputs).toHaveLength(4);
    byTestId(el, 'attention-run').click();
    await until(() => heat(el)?.dataset.rows === '3');
    expect(calls.attention).toBe(before + 2);
  });

  it('lists the heaviest parameter tokens of the selected byte', async () => {
    const el = await explorer({ text: 'copy me', kind: 'ffn', k: 3 });
    el.selectRow(2);
    const p = el.value.maps!.layers[0].pattention.ffn;
    const row = Array.from(p.weights.subarray(2 * p.n, 3 * p.n));
    const best = row.indexOf(Math.max(...row));
    expect(el.value.top).toHaveLength(3);
    expect(el.value.top[0]).toEqual({ token: best, weight: row[best] });
    expect(el.value.top[0].weight).toBeGreaterThanOrEqual(el.value.top[1].weight);
    const table = byTestId(el, 'attention-topk');
    expect(table.querySelectorAll('tr[data-row]')).toHaveLength(7);
    expect(table.querySelector('tr.selected')?.getAttribute('data-row')).toBe('2');
    expect(table.querySelector('tr[data-row="2"] td[data-tokens]')?.getAttribute('data-tokens')?.split(',').map(Number)).toEqual(el.value.top.map((t) => t.token));
    (table.querySelector('tr[data-row="5"]') as HTMLElement).click();
    expect(el.value.row).toBe(5);
    expect(rowTopK(new Float32Array([0.1, 0.5, 0.3]), 3, 0, 2)).toEqual([{ token: 1, weight: 0.5 }, { token: 2, weight: expect.closeTo(0.3, 6) }]);
  });

  it('marks the columns a growth added after a refresh', async () => {
    await engine.createModel(MICRO);
    const el = await explorer({ text: 'grow', kind: 'ffn' });
    expect(heat(el).dataset.newFrom).toBeUndefined();
    await api.grow({ add: 8, target: 'ffn', layers: [0], mode: 'preserve' });
    await el.refresh();
    expect(heat(el).dataset.cols).toBe('56');
    expect(heat(el).dataset.newFrom).toBe('48');
    expect(el.value.newFrom).toBe(48);
    // The orange strip above the grid covers exactly the 8 new columns (one pixel per column at this width).
    const strip = painted.get('viz-heatmap-new')!;
    const marked = Array.from({ length: strip.width }, (_, j) => strip.data[j * 4 + 3] > 0);
    expect(marked.indexOf(true)).toBe(48);
    expect(marked.filter(Boolean)).toHaveLength(8);
    // Layer 1 did not grow.
    change(byTestId(el, 'attention-layer'), '1');
    expect(heat(el).dataset.cols).toBe('48');
    expect(heat(el).dataset.newFrom).toBeUndefined();
    // A fresh explorer on the grown model still knows which tokens are grown (from the config's count).
    const other = await explorer({ text: 'grow', kind: 'ffn' });
    expect(heat(other).dataset.newFrom).toBe('48');
  });

  it('refreshes on its own while training, samples from data, and reports engine errors', async () => {
    await engine.createModel(MICRO);
    const el = await explorer({ text: 'ab', every: 15, sample: { sample: 'the sample text to draw from' }, sampleLength: 8 });
    document.body.appendChild(el);
    const before = calls.attention;
    await api.train({ steps: 12, batchSize: 4, seqLen: 32 }, () => undefined);
    await until(() => calls.attention > before + 1);
    expect(byTestId(el, 'attention-status').textContent).toMatch(/step \d+/);

    const text = await el.sample();
    expect(text).toHaveLength(8);
    expect('the sample text to draw from').toContain(text);
    expect(heat(el).dataset.rows).toBe('8');

    await el.setText('');
    expect(el.dataset.state).toBe('error');
    expect(byTestId(el, 'attention-error').textContent).toMatch(/non-empty/);

    el.dispose();
    const after = calls.attention;
    await api.train({ steps: 4, batchSize: 4, seqLen: 32 }, () => undefined);
    await new Promise((r) => setTimeout(r, 60));
    expect(calls.attention).toBe(after);
  });
});
