// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import type { Metrics } from '../../lib/engine/types';
import type { GrowthEvent } from '../../lib/tokenformer/types';
import { formatSI, lossChart, lossSeries, type LossRun } from './lossChart';

function metrics(n: number, opts: { base?: number; every?: number; paramsFrom?: number } = {}): Metrics[] {
  const { base = 8, every = 10 } = opts;
  return Array.from({ length: n }, (_, i) => {
    const step = i + 1;
    const bpb = base / (1 + step / 10) + 0.05 * Math.sin(step);
    return {
      step, totalSteps: n, loss: bpb * Math.LN2, bpb,
      valBpb: step % every === 0 ? bpb + 0.1 : undefined,
      lr: 1e-3, tokensPerSec: 5000, tokensSeen: step * 2048, flops: step * 3.2e9, params: 100_000,
      numTensors: 40, numBytes: 400_000, elapsedMs: step * 20,
    };
  });
}

const GROW: GrowthEvent = { step: 20, mode: 'preserve', changes: { 'sequential.2.mlp': [48, 96] }, paramsBefore: 100_000, paramsAfter: 112_288 };
const RUN_A: LossRun = { name: 'tokenformer', metrics: metrics(40), growth: [GROW] };
const RUN_B: LossRun = { name: 'transformer', metrics: metrics(40, { base: 9 }) };

/** A run that diverged at step 23 and stopped at 25, rolled back to step 19; the last metrics carry the event. */
function diverged(): LossRun {
  const m = metrics(25);
  m[24] = { ...m[24], divergence: { step: 23, reason: 'loss is NaN', badSteps: 3, stoppedAt: 25, rolledBackTo: 19 } };
  return { name: 'tokenformer', metrics: m };
}

describe('lossSeries', () => {
  it('maps x to step, tokens or FLOPs, and places growth at the first metric at or after its step', () => {
    for (const [x, want] of [['step', 20], ['tokens', 20 * 2048], ['flops', 20 * 3.2e9]] as const) {
      const s = lossSeries(RUN_A, { x });
      expect(s.train).toHaveLength(40);
      expect(s.val.map((p) => p.step)).toEqual([10, 20, 30, 40]);
      expect(s.growth).toEqual([{ run: 'tokenformer', step: 20, x: want, label: 'grow preserve +12.3k' }]);
    }
  });

  it('picks up growth carried on metrics, once', () => {
    const m = metrics(30);
    m[19] = { ...m[19], growth: GROW };
    const s = lossSeries({ name: 'r', metrics: m, growth: [GROW] });
    expect(s.growth).toHaveLength(1);
  });

  it('thins long series to the point budget, per run', () => {
    const s = lossSeries([{ name: 'a', metrics: metrics(5000) }, { name: 'b', metrics: metrics(5000) }], { maxPoints: 200 });
    expect(s.train.filter((p) => p.run === 'a').length).toBeLessThanOrEqual(200);
    expect(s.train.filter((p) => p.run === 'b').length).toBeLessThanOrEqual(200);
    expect(s.train[0].step).toBe(1);
  });

  it('drops non-finite losses, and non-positive ones on a log axis', () => {
    const m = metrics(5);
    m[1] = { ...m[1], bpb: NaN };
    m[2] = { ...m[2], bpb: 0 };
    expect(lossSeries({ name: 'r', metrics: m }).train.map((p) => p.step)).toEqual([1, 3, 4, 5]);
    expect(lossSeries({ name: 'r', metrics: m }, { logY: true }).train.map((p) => p.step)).toEqual([1, 4, 5]);
  });

  it('marks a divergence at its first bad step, with a dot on the last finite loss before it', () => {
    const s = lossSeries(diverged());
    expect(s.divergence).toEqual([{ run: 'tokenformer', step: 23, x: 23, y: s.train.find((p) => p.step === 22)!.y, label: 'diverged at 23: loss is NaN · back to step 19' }]);
    expect(lossSeries(diverged(), { x: 'tokens' }).divergence[0].x).toBe(23 * 2048);
    expect(lossSeries(RUN_A).divergence).toEqual([]);
  });

  it('formats large numbers compactly', () => {
    expect([formatSI(950), formatSI(12_288), formatSI(3.2e9), formatSI(0.125)]).toEqual(['950', '12.3k', '3.2G', '0.13']);
  });
});

describe('lossChart', () => {
  it('renders one run over steps (snapshot)', () => {
    const el = lossChart(RUN_A, { document, width: 480, height: 240 });
    expect(el.outerHTML).toMatchSnapshot();
  });

  it('renders two runs over tokens on a log axis (snapshot)', () => {
    const el = lossChart([RUN_A, RUN_B], { document, x: 'tokens', logY: true, width: 480, height: 240 });
    expect(el.outerHTML).toMatchSnapshot();
    // Two runs get a color legend with both names; the growth event gets a rule and a label.
    expect(el.textContent).toContain('transformer');
    expect(el.textContent).toContain('grow preserve +12.3k');
    expect(el.textContent).toContain('tokens seen');
  });

  it('renders a divergence marker: a red rule, a dot and the reason (snapshot)', () => {
    const el = lossChart(diverged(), { document, width: 480, height: 240 });
    expect(el.outerHTML).toMatchSnapshot();
    expect(el.textContent).toContain('diverged at 23: loss is NaN · back to step 19');
    expect(el.querySelectorAll('[stroke="#c62828"] line, line[stroke="#c62828"]').length).toBe(1);
    expect(el.querySelectorAll('[fill="#c62828"] circle, circle[fill="#c62828"]').length).toBe(1);
  });

  it('shows an empty state before the first step', () => {
    const el = lossChart({ name: 'new', metrics: [] }, { document, width: 300, height: 150 });
    expect(el.textContent).toContain('no steps yet');
    expect(el.outerHTML).toMatchSnapshot();
  });

  it('keeps re-renders cheap: a few thousand points become a bounded path', () => {
    const runs = [{ name: 'a', metrics: metrics(4000) }, { name: 'b', metrics: metrics(4000) }];
    const el = lossChart(runs, { document, width: 400 });
    const paths = Array.from(el.querySelectorAll('path'));
    const vertices = paths.map((p) => (p.getAttribute('d') ?? '').split(/[ML]/).length - 1);
    expect(Math.max(...vertices)).toBeLessThanOrEqual(400);
    expect(lossSeries(runs, { width: 400 }).train.length).toBeLessThanOrEqual(800);
  });
});
