// Contiguous splits: sizes add up, the parts are disjoint and in order, the result is deterministic.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { splitBytes, splitCorpus, splitPoints } from './split';
import { DataError } from './errors';
import type { SplitFractions } from './types';

const fractionsArb: fc.Arbitrary<SplitFractions> = fc
  .tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }))
  .map(([a, b, c]) => [a / (a + b + c), b / (a + b + c), c / (a + b + c)] as const);

describe('splitBytes', () => {
  it('gives the standard enwik8 sizes at 1e8 bytes', () => {
    expect(splitPoints(100_000_000)).toEqual([90_000_000, 95_000_000]);
  });

  it('partitions the bytes: sizes add up, parts are disjoint, in order and equal to the source', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fractionsArb, (bytes, f) => {
        const { train, val, test } = splitBytes(bytes, f);
        expect(train.length + val.length + test.length).toBe(bytes.length);
        // Views into the same buffer, back to back: disjoint by construction of their offsets.
        expect(train.byteOffset).toBe(bytes.byteOffset);
        expect(val.byteOffset).toBe(train.byteOffset + train.length);
        expect(test.byteOffset).toBe(val.byteOffset + val.length);
        expect(Array.from([...train, ...val, ...test])).toEqual(Array.from(bytes));
        // Each part is within one byte of its fraction.
        expect(Math.abs(train.length - f[0] * bytes.length)).toBeLessThanOrEqual(1);
        expect(Math.abs(test.length - f[2] * bytes.length)).toBeLessThanOrEqual(1.5);
        // Deterministic.
        const again = splitBytes(bytes, f);
        expect([again.train.length, again.val.length]).toEqual([train.length, val.length]);
      }),
    );
  });

  it('rejects fractions that are negative or do not sum to 1', () => {
    const bytes = new Uint8Array(10);
    expect(() => splitBytes(bytes, [0.9, 0.2, 0])).toThrow(/sum to 1/);
    expect(() => splitBytes(bytes, [1.1, -0.1, 0])).toThrow(DataError);
  });
});

describe('splitCorpus', () => {
  it('fails clearly when a split would be empty or the file is below the minimum', () => {
    expect(() => splitCorpus('tiny.txt', new Uint8Array(10))).toThrow(/leaves its test split empty; use at least 20 bytes/);
    expect(() => splitCorpus('tiny.txt', new Uint8Array(10), undefined, 100)).toThrow(/at least 100/);
    const c = splitCorpus('ok.txt', new Uint8Array(100));
    expect([c.name, c.train.length, c.val.length, c.test.length]).toEqual(['ok.txt', 90, 5, 5]);
    // A zero fraction may leave its split empty on purpose.
    expect(splitCorpus('x', new Uint8Array(10), [1, 0, 0]).train.length).toBe(10);
  });
});
