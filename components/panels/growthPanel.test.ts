// @vitest-environment jsdom
// The growth panel against a real in-process engine: growing idle and mid-run, live params/FLOPs, the log, amounts.
import { beforeEach, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '@/lib/engine/engine';
import type { EngineApi } from '@/lib/engine/api';
import type { Metrics } from '@/lib/engine/types';
import { describeChanges, growthPanel, parseAmount, parsePrefix } from './growthPanel';
import { MICRO, byTestId, change, microEngine, until } from './testEngine';

let engine: Engine;
let api: EngineApi;
let calls: Record<string, number>;

beforeAll(async () => {
  ({ engine, api, calls } = await microEngine());
});
beforeEach(async () => {
  await engine.createModel(MICRO);
});

async function panel(opts: Parameters<typeof growthPanel>[1] = {}) {
  const el = growthPanel(api, { every: 0, ...opts });
  await until(() => el.dataset.state === 'ready');
  return el;
}
const params = (el: HTMLElement) => Number(byTestId(el, 'param-count-live').dataset.params);

describe('growthPanel', () => {
  it('shows live params and FLOPs, and grows the chosen Pattentions when idle', async () => {
    const el = await panel();
    const info = (await api.modelInfo())!;
    expect(params(el)).toBe(info.params);
    expect(Number(byTestId(el, 'flops-per-token').dataset.flops)).toBe(info.flopsPerToken);
    expect(byTestId(el, 'grow-layers').querySelectorAll('input[type=checkbox]')).toHaveLength(2);
    expect(byTestId(el, 'grow-log').textContent).toContain('No growth');

    change(byTestId(el, 'grow-target'), 'ffn');
    change(byTestId(el, 'grow-amount'), '+8', 'input');
    change(byTestId(el, 'grow-mode'), 'zero');
    byTestId(el, 'grow-button').click();
    await until(() => el.value.events.length === 1 && el.value.pending === 0);
    // 8 tokens, each a key and a value of width 32, in the FFN of both layers.
    expect(params(el)).toBe(info.params + 8 * 64 * 2);
    expect(Number(byTestId(el, 'flops-per-token').dataset.flops)).toBeGreaterThan(info.flopsPerToken);
    expect(el.value.events[0]).toMatchObject({ mode: 'zero', paramsBefore: info.params, paramsAfter: info.params + 1024 });
    const row = byTestId(el, 'grow-log').querySelector('tr[data-step]')!;
    expect(row.textContent).toContain('ffn 48→56 (layers 0, 1)');
    expect(byTestId(el, 'grow-tokens').querySelector('tr[data-layer="1"] td[data-kind="ffn"]')?.getAttribute('data-tokens')).toBe('56');
    expect(byTestId(el, 'grow-tokens').querySelector('tr[data-layer="1"] td[data-kind="query"]')?.getAttribute('data-tokens')).toBe('24');
  });

  it('grows between two steps while training continues, and the metrics carry the event', async () => {
    const el = await panel({ target: 'q', amount: '×2', mode: 'preserve' });
    (byTestId(el, 'grow-layers').querySelector('input[data-layer="1"]') as HTMLInputElement).checked = false;
    const seen: Metrics[] = [];
    let grown: Promise<unknown> | null = null;
    const summary = await api.train({ steps: 24, batchSize: 4, seqLen: 32, logEvery: 1 }, (m) => {
      seen.push(m);
      if (m.step >= 4 && !grown) grown = el.grow();
    });
    const event = await grown;
    expect(summary.steps).toBe(24);
    expect(summary.stopped).toBe(false);
    expect(event).toMatchObject({ changes: { 'sequential.2.attention.query': [24, 48] } });
    const at = seen.find((m) => m.growth);
    expect(at?.growth?.paramsAfter).toBe(el.value.events[0].paramsAfter);
    expect(at!.step).toBeGreaterThan(4);
    expect(at!.step).toBeLessThan(24);
    // Steps kept coming after the growth, with the larger model.
    expect(seen[seen.length - 1].step).toBe(24);
    expect(seen[seen.length - 1].params).toBe(el.value.events[0].paramsAfter);
    await el.refresh();
    expect(params(el)).toBe(el.value.events[0].paramsAfter);
    expect(byTestId(el, 'grow-step').textContent).toBe('24');
    expect(el.value.events).toHaveLength(1);
  });

  it('logs growths it did not make (growAt, lab.grow) once the parameter count moves', async () => {
    const el = await panel();
    await api.train({ steps: 6, batchSize: 4, seqLen: 32, growAt: [{ step: 3, grow: { add: 4, target: 'proj' } }] }, () => undefined);
    await el.refresh();
    expect(el.value.events).toHaveLength(1);
    expect(byTestId(el, 'grow-log').textContent).toContain('proj 20→24');
    // A new model starts a new log.
    await engine.createModel(MICRO);
    await el.refresh();
    expect(el.value.events).toHaveLength(0);
  });

  it('rejects a bad amount without calling the engine, and shows engine errors', async () => {
    const el = await panel();
    const before = calls.grow ?? 0;
    change(byTestId(el, 'grow-amount'), 'lots', 'input');
    expect(await el.grow()).toBeNull();
    expect(byTestId(el, 'grow-error').textContent).toMatch(/neither \+N/);
    expect(calls.grow ?? 0).toBe(before);
    await engine.createModel({ ...MICRO, config: { arch: 'transformer' } });
    await el.refresh();
    expect(await el.grow({ add: 4 })).toBeNull();
    expect(byTestId(el, 'grow-error').textContent).toMatch(/only a tokenformer can grow/);
  });

  it('parses amounts and names', () => {
    expect(parseAmount('+16')).toEqual({ add: 16 });
    expect(parseAmount(' 8 ')).toEqual({ add: 8 });
    expect(parseAmount(12)).toEqual({ add: 12 });
    expect(parseAmount('×2')).toEqual({ factor: 2 });
    expect(parseAmount('x1.5')).toEqual({ factor: 1.5 });
    expect(parseAmount('2x')).toEqual({ factor: 2 });
    expect(() => parseAmount('-3')).toThrow(/neither/);
    expect(parsePrefix('sequential.3.mlp')).toEqual({ layer: 1, kind: 'ffn' });
    expect(parsePrefix('sequential.2.attention.value')).toEqual({ layer: 0, kind: 'value' });
    expect(describeChanges({ 'sequential.2.mlp': [8, 16], 'sequential.3.mlp': [8, 16], 'sequential.2.attention.key': [4, 6] })).toBe('ffn 8→16 (layers 0, 1); key 4→6 (layer 0)');
  });
});
