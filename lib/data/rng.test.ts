// Determinism, ranges and rough uniformity of the seeded RNG.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createNormalRng, createRng, deriveParamSeed, deriveSeed, mixSeed, normalArray } from './rng';
import { DataError } from './errors';

describe('createRng', () => {
  it('is a pure function of the seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (seed) => {
        const a = createRng(seed);
        const b = createRng(seed);
        for (let i = 0; i < 20; i++) expect(a.uint32()).toBe(b.uint32());
      }),
      { numRuns: 50 },
    );
  });

  it('gives different streams for neighbouring seeds', () => {
    const first = new Set<number>();
    for (let seed = 0; seed < 1000; seed++) first.add(createRng(seed).uint32());
    expect(first.size).toBe(1000);
  });

  it('int(n) stays in [0, n) and range(lo, hi) in [lo, hi]', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 ** 32 }), fc.integer({ min: -50, max: 50 }), (seed, n, lo) => {
        const r = createRng(seed);
        for (let i = 0; i < 10; i++) {
          const x = r.int(n);
          expect(Number.isInteger(x) && x >= 0 && x < n).toBe(true);
          const y = r.range(lo, lo + 3);
          expect(y >= lo && y <= lo + 3).toBe(true);
          const f = r.float();
          expect(f >= 0 && f < 1).toBe(true);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('int(n) is roughly uniform', () => {
    const r = createRng(7);
    const counts = new Array(10).fill(0);
    const draws = 20000;
    for (let i = 0; i < draws; i++) counts[r.int(10)]++;
    // chi-square with 9 dof: 27.9 is the 0.999 quantile, so a correct generator fails 1 in 1000 seeds (fixed here).
    const e = draws / 10;
    const chi2 = counts.reduce((acc, c) => acc + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(27.9);
  });

  it('state can be saved and restored to resume the exact sequence', () => {
    const r = createRng(3);
    r.uint32();
    const saved = r.state;
    const next = [r.uint32(), r.uint32(), r.uint32()];
    r.state = saved;
    expect([r.uint32(), r.uint32(), r.uint32()]).toEqual(next);
  });

  it('shuffle is a permutation', () => {
    const r = createRng(1);
    const xs = Array.from({ length: 50 }, (_, i) => i);
    const ys = r.shuffle([...xs]);
    expect(ys).not.toEqual(xs);
    expect([...ys].sort((a, b) => a - b)).toEqual(xs);
  });

  it('rejects bad seeds and bad n with a typed error', () => {
    expect(() => createRng(0.5)).toThrow(DataError);
    expect(() => createRng(Number.NaN)).toThrow(DataError);
    expect(() => createRng(1).int(0)).toThrow(DataError);
    expect(() => createRng(1).pick([])).toThrow(DataError);
  });
});

describe('deriveSeed', () => {
  it('separates labels and seeds', () => {
    const labels = ['train', 'val', 'test', 0, 1, 2];
    const seeds = new Set(labels.map((l) => deriveSeed(5, l)));
    expect(seeds.size).toBe(labels.length);
    expect(deriveSeed(5, 'val')).toBe(deriveSeed(5, 'val'));
    expect(deriveSeed(5, 'val')).not.toBe(deriveSeed(6, 'val'));
    expect(mixSeed(-1)).not.toBe(mixSeed(2 ** 32 - 1));
  });
});

describe('createNormalRng (parameter init, sampling)', () => {
  it('keeps the exact sfc32 sequence and per-name seeds that checkpoints and fixtures were made with', () => {
    const seed = deriveParamSeed(42, 'sequential.0.word_embeddings.weight');
    expect(seed).toBe(1268212843);
    expect(Array.from(normalArray(createNormalRng(seed), 5, 1))).toEqual([
      -0.6569244861602783, -0.38047659397125244, -1.0080876350402832, 1.4019819498062134, -0.6809159517288208,
    ]);
    const r = createNormalRng(7);
    expect([r.next(), r.next(), r.next()]).toEqual([0.19514828245155513, 0.36103195301257074, 0.8405470312573016]);
  });
});
