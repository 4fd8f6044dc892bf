import { describe, expect, it } from 'vitest';
import { bucketColumns, downsampleMinMax } from './downsample';

describe('downsampleMinMax', () => {
  const series = Array.from({ length: 1000 }, (_, i) => ({ i, y: Math.sin(i / 30) + (i === 517 ? 5 : 0) }));

  it('returns short series unchanged (as a copy)', () => {
    const short = series.slice(0, 10);
    const out = downsampleMinMax(short, 100, (p) => p.y);
    expect(out).toEqual(short);
    expect(out).not.toBe(short);
  });

  it('keeps at most maxPoints, the ends, the order, and the spike', () => {
    const out = downsampleMinMax(series, 100, (p) => p.y);
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out.length).toBeGreaterThan(50);
    expect(out[0].i).toBe(0);
    expect(out[out.length - 1].i).toBe(999);
    for (let k = 1; k < out.length; k++) expect(out[k].i).toBeGreaterThan(out[k - 1].i);
    expect(out.some((p) => p.i === 517)).toBe(true);
  });

  it('ignores non-finite values inside buckets', () => {
    const pts = Array.from({ length: 50 }, (_, i) => ({ i, y: i % 2 ? NaN : i }));
    const out = downsampleMinMax(pts, 10, (p) => p.y);
    expect(out.slice(1, -1).every((p) => Number.isFinite(p.y))).toBe(true);
  });

  it('degrades to the endpoints for tiny budgets', () => {
    expect(downsampleMinMax(series, 2, (p) => p.y).map((p) => p.i)).toEqual([0, 999]);
  });
});

describe('bucketColumns', () => {
  // 2 rows x 6 columns
  const v = Float32Array.from([
    0, 1, 2, 3, 4, 5,
    5, 4, 3, 2, 1, 0,
  ]);
  const natural = [0, 1, 2, 3, 4, 5];

  it('keeps every column when they fit', () => {
    const b = bucketColumns(v, 2, 6, natural, 100);
    expect(b.width).toBe(6);
    expect(Array.from(b.values)).toEqual(Array.from(v));
    expect(Array.from(b.source)).toEqual([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
  });

  it('applies the order before drawing', () => {
    const b = bucketColumns(v, 2, 6, [5, 4, 3, 2, 1, 0], 100);
    expect(Array.from(b.values.subarray(0, 6))).toEqual([5, 4, 3, 2, 1, 0]);
    expect(Array.from(b.source.subarray(0, 6))).toEqual([5, 4, 3, 2, 1, 0]);
  });

  it('merges by max and remembers the argmax column per row', () => {
    const b = bucketColumns(v, 2, 6, natural, 3, 'max');
    expect(b.width).toBe(3);
    expect(Array.from(b.starts)).toEqual([0, 2, 4, 6]);
    expect(Array.from(b.values)).toEqual([1, 3, 5, 5, 3, 1]);
    expect(Array.from(b.source)).toEqual([1, 3, 5, 0, 2, 4]);
  });

  it('merges by mean', () => {
    const b = bucketColumns(v, 2, 6, natural, 2, 'mean');
    expect(Array.from(b.values)).toEqual([1, 4, 4, 1]);
  });

  it('handles uneven buckets and rejects a wrong-sized order', () => {
    const b = bucketColumns(v, 2, 6, natural, 4);
    expect(Array.from(b.starts)).toEqual([0, 1, 3, 4, 6]);
    expect(() => bucketColumns(v, 2, 6, [0, 1], 4)).toThrow(/order/);
  });
});
