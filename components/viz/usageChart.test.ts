// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import type { PattentionUsage, UsageStats } from '../../lib/engine/api';
import { deadTokens, usageChart, usageFromStats, usagePoints, usageTip } from './usageChart';
import { columnMeans } from './ordering';

// 4 input bytes x 12 parameter tokens, deterministic: token c peaks on byte c % 4, tokens 9.. are flat.
const ROWS = 4;
const COLS = 12;
const W = Float32Array.from({ length: ROWS * COLS }, (_, i) => {
  const r = Math.floor(i / COLS);
  const c = i % COLS;
  if (c >= 9) return 0.01;
  return c % 4 === r ? 0.2 + c / 50 : 0.02 * ((r + c) % 3);
});

describe('usage helpers', () => {
  it('finds dead tokens from the top-k of every row', () => {
    // top-2 per row: r0 -> 8, 4; r1 -> 5, 1; r2 -> 6, 2; r3 -> 7, 3
    expect(Array.from(deadTokens(W, ROWS, COLS, 2))).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  });

  it('reads one Pattention out of engine usage stats, dead = zero top-k hits', () => {
    const u = (n: number): PattentionUsage => ({ mean: new Float32Array(n).fill(0.5), topkHits: Int32Array.from({ length: n }, (_, i) => i % 2), contexts: Array.from({ length: n }, () => []) });
    const stats: UsageStats = { positions: 10, k: 2, layers: [{ query: u(2), key: u(2), value: u(2), proj: u(2), ffn: u(4) }] };
    const d = usageFromStats(stats, 0, 'ffn');
    expect(d.mean).toBe(stats.layers[0].ffn.mean);
    expect(Array.from(d.dead!)).toEqual([1, 0, 1, 0]);
    expect(() => usageFromStats(stats, 2, 'ffn')).toThrow(/no ffn usage in layer 2/);
  });

  it('describes a token on hover with its top contexts, focus bracketed', () => {
    const p = { c: 7, v: 0.01234, dead: false, hits: 3, contexts: [{ text: 'the\nquick', focus: 5, weight: 0.9 }, { text: 'é!', focus: 0, weight: 0.5 }] };
    expect(usageTip(p)).toBe('parameter token #7\nmean weight 0.0123\nin the top-k of 3 positions\nthe⏎q[u]ick  0.900\n[é]!  0.500');
    expect(usageTip({ c: 1, v: 0, dead: true })).toBe('parameter token #1 (dead)\nmean weight 0.00');
  });

  it('pairs means with the dead mask and checks its length', () => {
    const mean = columnMeans(W, ROWS, COLS);
    const pts = usagePoints({ mean, dead: deadTokens(W, ROWS, COLS, 2) });
    expect(pts[0]).toMatchObject({ c: 0, dead: true });
    expect(pts[1]).toMatchObject({ c: 1, dead: false });
    expect(() => usagePoints({ mean, dead: [1, 0] })).toThrow(/dead mask has 2 entries for 12/);
    expect(() => usagePoints({ mean, hits: [1] })).toThrow(/hits has 1 entries/);
  });
});

describe('usageChart', () => {
  it('renders bars, dead markers and a histogram (snapshot)', () => {
    const mean = columnMeans(W, ROWS, COLS);
    const el = usageChart({ mean, dead: deadTokens(W, ROWS, COLS, 2) }, { document, width: 420, height: 140, bins: 8, newFrom: 9, title: 'layer 0 · ffn' });
    expect(el.getAttribute('data-tokens')).toBe('12');
    expect(el.getAttribute('data-dead')).toBe('4');
    expect(el.querySelectorAll('svg')).toHaveLength(2);
    expect(el.textContent).toContain('4 of 12 tokens');
    expect(el.textContent).toContain('#9–#11 added by growth');
    expect(el.outerHTML).toMatchSnapshot();
  });

  it('switches to a line past maxBars and omits the dead note without a mask', () => {
    const mean = Float32Array.from({ length: 40 }, (_, i) => (i % 7) / 7);
    const el = usageChart({ mean }, { document, maxBars: 16 });
    const first = el.querySelector('svg')!;
    expect(first.querySelector('[aria-label="line"]')).not.toBeNull();
    expect(first.querySelector('[aria-label="rect"]')).toBeNull();
    expect(el.hasAttribute('data-dead')).toBe(false);
    expect(el.textContent).not.toContain('dead');
  });

  it('has an empty state', () => {
    expect(usageChart({ mean: new Float32Array(0) }, { document }).textContent).toContain('no parameter tokens');
  });
});
