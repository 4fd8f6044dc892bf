import { describe, expect, it } from 'vitest';
import { columnMeans, columnOrder, columnSums, deadTokens, isPermutation, orderByCluster, orderByWeight, topK } from './ordering';

// 3 rows x 5 columns; column sums: c0=0.3, c1=1.2, c2=0.6, c3=1.2, c4=0
const W = Float32Array.from([
  0.1, 0.9, 0.0, 0.2, 0.0,
  0.1, 0.2, 0.1, 0.9, 0.0,
  0.1, 0.1, 0.5, 0.1, 0.0,
]);

describe('column orderings', () => {
  it('sums and means columns', () => {
    expect(Array.from(columnSums(W, 3, 5), (v) => +v.toFixed(4))).toEqual([0.3, 1.2, 0.6, 1.2, 0]);
    expect(Array.from(columnMeans(W, 3, 5), (v) => +v.toFixed(4))).toEqual([0.1, 0.4, 0.2, 0.4, 0]);
  });

  it('orders by total weight, heaviest first, ties by original index', () => {
    expect(Array.from(orderByWeight(W, 3, 5))).toEqual([1, 3, 2, 0, 4]);
  });

  it('clusters by peak row, heaviest peak first within a row', () => {
    // peaks: c0 row0 (0.1, first max), c1 row0 0.9, c2 row2 0.5, c3 row1 0.9, c4 row0 (0)
    expect(Array.from(orderByCluster(W, 3, 5))).toEqual([1, 0, 4, 3, 2]);
  });

  it('is deterministic and a permutation on random data', () => {
    let s = 7;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const big = Float32Array.from({ length: 16 * 300 }, rnd);
    for (const kind of ['natural', 'weight', 'cluster'] as const) {
      const a = columnOrder(kind, big, 16, 300);
      expect(isPermutation(a)).toBe(true);
      expect(Array.from(columnOrder(kind, big, 16, 300))).toEqual(Array.from(a));
    }
  });

  it('accepts an explicit permutation and rejects anything else', () => {
    expect(Array.from(columnOrder([4, 3, 2, 1, 0], W, 3, 5))).toEqual([4, 3, 2, 1, 0]);
    expect(() => columnOrder([0, 0, 1, 2, 3], W, 3, 5)).toThrow(/permutation/);
    expect(() => columnOrder([0, 1], W, 3, 5)).toThrow(/permutation/);
  });

  it('rejects a weights array of the wrong size', () => {
    expect(() => orderByWeight(W, 3, 4)).toThrow(/15 weights/);
  });
});

describe('topK and dead tokens', () => {
  it('returns each row\'s k largest columns, largest first', () => {
    expect(Array.from(topK(W, 3, 5, 2))).toEqual([1, 3, 3, 1, 2, 0]);
  });

  it('breaks ties by the lower column index and clamps k to cols', () => {
    const t = topK(Float32Array.from([1, 1, 1]), 1, 3, 5);
    expect(Array.from(t)).toEqual([0, 1, 2]);
  });

  it('matches a full sort on random data', () => {
    let s = 3;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const rows = 7;
    const cols = 50;
    const w = Float32Array.from({ length: rows * cols }, rnd);
    const t = topK(w, rows, cols, 4);
    for (let r = 0; r < rows; r++) {
      const want = Array.from({ length: cols }, (_, c) => c).sort((a, b) => w[r * cols + b] - w[r * cols + a] || a - b).slice(0, 4);
      expect(Array.from(t.subarray(r * 4, r * 4 + 4))).toEqual(want);
    }
  });

  it('skips NaN and marks unfilled slots with -1', () => {
    expect(Array.from(topK(Float32Array.from([NaN, 0.5, NaN]), 1, 3, 2))).toEqual([1, -1]);
  });

  it('marks tokens in no row\'s top-k as dead', () => {
    expect(Array.from(deadTokens(W, 3, 5, 1))).toEqual([1, 0, 0, 0, 1]);
    expect(Array.from(deadTokens(W, 3, 5, 2))).toEqual([0, 0, 0, 0, 1]);
    expect(Array.from(deadTokens(W, 3, 5, 0))).toEqual([1, 1, 1, 1, 1]);
  });
});
