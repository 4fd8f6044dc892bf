// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import type { EvalPoint, TrainPoint } from '../../lib/engine/types';
import type { GrowthEvent } from '../../lib/tokenformer/types';
import { formatSI, runChart, runSeries, type ChartRun } from './runChart';

const bpbAt = (step: number, base: number) => base / (1 + step / 10) + 0.05 * Math.sin(step);

/** A run of `n` steps, each with its own loss, and an evaluation every `every` steps. */
function run(name: string, n: number, opts: { base?: number; every?: number } = {}): ChartRun & { points: TrainPoint[]; evals: EvalPoint[] } {
  const { base = 8, every = 10 } = opts;
  const points = Array.from({ length: n }, (_, i) => ({ step: i + 1, loss: bpbAt(i + 1, base) * Math.LN2, lr: 1e-3, tokensSeen: (i + 1) * 2048, flops: (i + 1) * 3.2e9 }));
  const evals = points.filter((p) => p.step % every === 0).map((p) => ({ step: p.step, loss: p.loss + 0.1 * Math.LN2, bpb: p.loss / Math.LN2 + 0.1, tokensSeen: p.tokensSeen, flops: p.flops }));
  return { name, points, evals };
}

const GROW: GrowthEvent = { step: 20, mode: 'preserve', changes: { 'sequential.2.mlp': [48, 96] }, paramsBefore: 100_000, paramsAfter: 112_288 };
const RUN_A: ChartRun = { ...run('tokenformer', 40), growth: [GROW] };
const RUN_B: ChartRun = run('transformer', 40, { base: 9 });

/** A run that diverged at step 23 and stopped at 25, rolled back to step 19; steps 23-25 were NaN. */
function diverged(): ChartRun {
  const r = run('tokenformer', 25);
  for (const p of r.points) if (p.step >= 23) p.loss = NaN;
  return { ...r, divergence: [{ step: 23, reason: 'loss is NaN', badSteps: 3, stoppedAt: 25, rolledBackTo: 19 }] };
}

describe('runSeries', () => {
  it('maps x to step, tokens or FLOPs, and places growth at the first metric at or after its step', () => {
    for (const [x, want] of [['step', 20], ['tokens', 20 * 2048], ['flops', 20 * 3.2e9]] as const) {
      const s = runSeries(RUN_A, { x });
      expect(s.train).toHaveLength(40);
      expect(s.val.map((p) => p.step)).toEqual([10, 20, 30, 40]);
      expect(s.growth).toEqual([{ run: 'tokenformer', step: 20, x: want, label: 'grow preserve +12.3k' }]);
    }
  });

  it('plots each point at its own step with its own loss, in bits per byte', () => {
    const r = run('r', 12);
    const s = runSeries(r);
    expect(s.train.map((p) => p.step)).toEqual(r.points.map((p) => p.step));
    s.train.forEach((p, i) => expect(p.y).toBeCloseTo(r.points[i].loss / Math.LN2, 12));
  });

  it('thins long series to the point budget, per run', () => {
    const s = runSeries([run('a', 5000), run('b', 5000)], { maxPoints: 200 });
    expect(s.train.filter((p) => p.run === 'a').length).toBeLessThanOrEqual(200);
    expect(s.train.filter((p) => p.run === 'b').length).toBeLessThanOrEqual(200);
    expect(s.train[0].step).toBe(1);
  });

  it('drops non-finite losses, and non-positive ones on a log axis', () => {
    const r = run('r', 5);
    r.points[1].loss = NaN;
    r.points[2].loss = 0;
    expect(runSeries(r).train.map((p) => p.step)).toEqual([1, 3, 4, 5]);
    expect(runSeries(r, { logY: true }).train.map((p) => p.step)).toEqual([1, 4, 5]);
  });

  it('marks a divergence at its first bad step, with a dot on the last finite loss before it', () => {
    const s = runSeries(diverged());
    expect(s.divergence).toEqual([{ run: 'tokenformer', step: 23, x: 23, y: s.train.find((p) => p.step === 22)!.y, label: 'diverged at 23: loss is NaN · back to step 19' }]);
    expect(runSeries(diverged(), { x: 'tokens' }).divergence[0].x).toBe(23 * 2048);
    expect(runSeries(RUN_A).divergence).toEqual([]);
  });

  it('formats large numbers compactly', () => {
    expect([formatSI(950), formatSI(12_288), formatSI(3.2e9), formatSI(0.125)]).toEqual(['950', '12.3k', '3.2G', '0.13']);
  });
});

describe('runChart', () => {
  it('renders one run over steps (snapshot)', () => {
    const el = runChart(RUN_A, { document, width: 480, height: 240 });
    expect(el.outerHTML).toMatchSnapshot();
  });

  it('renders two runs over tokens on a log axis (snapshot)', () => {
    const el = runChart([RUN_A, RUN_B], { document, x: 'tokens', logY: true, width: 480, height: 240 });
    expect(el.outerHTML).toMatchSnapshot();
    // Two runs get a color legend with both names; the growth event gets a rule and a label.
    expect(el.textContent).toContain('transformer');
    expect(el.textContent).toContain('grow preserve +12.3k');
    expect(el.textContent).toContain('tokens seen');
  });

  it('renders a divergence marker: a red rule, a dot and the reason (snapshot)', () => {
    const el = runChart(diverged(), { document, width: 480, height: 240 });
    expect(el.outerHTML).toMatchSnapshot();
    expect(el.textContent).toContain('diverged at 23: loss is NaN · back to step 19');
    expect(el.querySelectorAll('[stroke="#c62828"] line, line[stroke="#c62828"]').length).toBe(1);
    expect(el.querySelectorAll('[fill="#c62828"] circle, circle[fill="#c62828"]').length).toBe(1);
  });

  it('shows an empty state before the first step', () => {
    const el = runChart({ name: 'new', points: [] }, { document, width: 300, height: 150 });
    expect(el.textContent).toContain('no steps yet');
    expect(el.outerHTML).toMatchSnapshot();
  });

  it('keeps re-renders cheap: a few thousand points become a bounded path', () => {
    const runs = [run('a', 4000), run('b', 4000)];
    const el = runChart(runs, { document, width: 400 });
    const paths = Array.from(el.querySelectorAll('path'));
    const vertices = paths.map((p) => (p.getAttribute('d') ?? '').split(/[ML]/).length - 1);
    expect(Math.max(...vertices)).toBeLessThanOrEqual(400);
    expect(runSeries(runs, { width: 400 }).train.length).toBeLessThanOrEqual(800);
  });
});
