// The shared top-k (sampling, usage, viz) and maxAbsDiff (parity, tests): orders, ties, NaN and shape handling.
import { describe, expect, it } from 'vitest';
import { maxAbsDiff, topK } from './numeric';

describe('topK', () => {
  it('returns each row’s k largest columns, largest first, ties to the lower index', () => {
    expect(Array.from(topK([1, 3, 3, 0, 5, 4, 4, 9], 2, 4, 2))).toEqual([1, 2, 3, 0]);
  });

  it('clamps k to the row, skips NaN and marks unfilled slots with -1', () => {
    expect(Array.from(topK([2, NaN, 1], 1, 3, 9))).toEqual([0, 2, -1]);
    expect(() => topK([1, 2, 3], 2, 2, 1)).toThrow(/\[2, 2\]/);
  });
});

describe('maxAbsDiff', () => {
  it('is the largest absolute difference, and Infinity for NaN or unequal lengths', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(maxAbsDiff([1, NaN], [1, 2])).toBe(Infinity);
    expect(maxAbsDiff([1], [1, 2])).toBe(Infinity);
  });
});
