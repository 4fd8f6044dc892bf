// @vitest-environment jsdom
// The usage panel against a real in-process engine: mean weight and dead tokens per Pattention, contexts, growth.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '@/lib/engine/engine';
import type { EngineApi } from '@/lib/engine/api';
import { mostUsed, usagePanel } from './usagePanel';
import { MICRO, byTestId, change, microEngine, until } from './testEngine';

let engine: Engine;
let api: EngineApi;
let calls: Record<string, number>;

beforeAll(async () => {
  ({ engine, api, calls } = await microEngine());
});

async function panel(opts: Parameters<typeof usagePanel>[1] = {}) {
  const el = usagePanel(api, { windows: 2, ...opts });
  if (opts.autoLoad !== false) await until(() => el.dataset.state === 'ready' || el.dataset.state === 'error', 10_000);
  return el;
}

describe('usagePanel', () => {
  it('shows mean weight and dead tokens of each Pattention from one usage pass', async () => {
    const before = calls.usage ?? 0;
    const el = await panel({ k: 1 });
    expect(el.dataset.state).toBe('ready');
    const summary = byTestId(el, 'usage-summary');
    expect(summary.dataset.tokens).toBe('48');
    expect(byTestId(el, 'usage-chart').querySelectorAll('svg').length).toBeGreaterThanOrEqual(2);
    const u = el.value.stats!.layers[0].ffn;
    const dead = Array.from(u.topkHits).flatMap((hits, i) => (hits === 0 ? [i] : []));
    // With top-1 over 2 windows most of 48 tokens are in nobody's top-k: a real dead list to check.
    expect(dead.length).toBeGreaterThan(0);
    expect(el.value.dead).toEqual(dead);
    expect(summary.dataset.dead).toBe(String(dead.length));
    expect(byTestId(el, 'usage-dead').querySelectorAll('[data-token]')).toHaveLength(Math.min(64, dead.length));
    expect(u.mean.length).toBe(48);

    change(byTestId(el, 'usage-kind'), 'query');
    change(byTestId(el, 'usage-layer'), '1');
    expect(summary.dataset.tokens).toBe('24');
    expect(el.value).toMatchObject({ layer: 1, kind: 'query' });
    expect(calls.usage).toBe(before + 1);
  });

  it('lists the contexts that weight a clicked token most', async () => {
    const el = await panel({ contexts: 3 });
    const first = byTestId(el, 'usage-top').querySelector('[data-token]') as HTMLButtonElement;
    const c = Number(first.dataset.token);
    expect(c).toBe(mostUsed(el.value.stats!.layers[0].ffn.mean, 1)[0]);
    first.click();
    expect(el.value.token).toBe(c);
    const items = byTestId(el, 'usage-contexts').querySelectorAll(`ol[data-token="${c}"] li`);
    expect(items).toHaveLength(3);
    const weights = Array.from(items, (li) => Number(li.getAttribute('data-weight')));
    expect(weights).toEqual([...weights].sort((a, b) => b - a));
    expect(items[0].querySelector('mark')?.textContent).toHaveLength(1);
    change(byTestId(el, 'usage-token'), '7');
    expect(byTestId(el, 'usage-contexts').querySelector('ol')?.getAttribute('data-token')).toBe('7');
    expect(mostUsed(new Float32Array([0.1, 0.4, 0.2]), 2)).toEqual([1, 2]);
  });

  it('waits for Compute when asked to, and shades grown tokens after a refresh', async () => {
    await engine.createModel(MICRO);
    const before = calls.usage ?? 0;
    const el = await panel({ autoLoad: false, kind: 'ffn' });
    expect(calls.usage ?? 0).toBe(before);
    byTestId(el, 'usage-refresh').click();
    await until(() => el.dataset.state === 'ready');
    expect(el.value.newFrom).toBeUndefined();
    await api.grow({ add: 16, target: 'ffn', mode: 'zero' });
    await el.refresh();
    expect(byTestId(el, 'usage-summary').dataset.tokens).toBe('64');
    expect(el.value.newFrom).toBe(48);
    expect(byTestId(el, 'usage-summary').textContent).toContain('#48–#63 grown');
  });
});
