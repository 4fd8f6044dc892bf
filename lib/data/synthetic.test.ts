// Synthetic corpora: deterministic per seed, lines valid, splits from independent seeds, `disjoint` honoured.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateSyntheticCorpus, syntheticExamples } from './synthetic';
import { scoreCompletion, SYNTHETIC_TASKS } from './tasks';
import { decode } from './tokenizer';
import { DataError } from './errors';

const lines = (b: Uint8Array): string[] => decode(b).split('\n').slice(0, -1);

describe('generateSyntheticCorpus', () => {
  it('is deterministic per seed, different across seeds, and every line scores correct', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SYNTHETIC_TASKS), fc.integer({ min: 0, max: 1e6 }), (task, seed) => {
        const a = generateSyntheticCorpus(task, { seed, examples: 60, heldOutExamples: 10 });
        const b = generateSyntheticCorpus(task, { seed, examples: 60, heldOutExamples: 10 });
        expect(a.name).toBe(`synthetic:${task}`);
        for (const k of ['train', 'val', 'test'] as const) expect(Array.from(a[k])).toEqual(Array.from(b[k]));
        expect(Array.from(generateSyntheticCorpus(task, { seed: seed + 1, examples: 60 }).train)).not.toEqual(Array.from(a.train));
        const counts = [lines(a.train).length, lines(a.val).length, lines(a.test).length];
        expect(counts).toEqual([60, 10, 10]);
        for (const split of [a.train, a.val, a.test]) {
          expect(split[split.length - 1]).toBe(10); // ends on a newline: no example is cut in two
          for (const line of lines(split)) {
            const cut = Math.max(line.indexOf('|'), line.indexOf('='));
            expect(scoreCompletion(line.slice(0, cut + 1), `${line.slice(cut + 1)}\n`).correct).toBe(true);
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('draws val and test from different seeds than train', () => {
    const c = generateSyntheticCorpus('sort', { seed: 3, examples: 200, heldOutExamples: 200 });
    expect(decode(c.val)).not.toBe(decode(c.test));
    expect(decode(c.train)).not.toBe(decode(c.val));
  });

  it('with disjoint, keeps every held-out line out of train', () => {
    const c = generateSyntheticCorpus('modadd', { seed: 4, examples: 2000, heldOutExamples: 300, disjoint: true, modulus: 97 });
    const train = new Set(lines(c.train));
    for (const l of [...lines(c.val), ...lines(c.test)]) expect(train.has(l)).toBe(false);
    // Without it, a small task space overlaps heavily.
    const overlapping = generateSyntheticCorpus('modadd', { seed: 4, examples: 2000, heldOutExamples: 300, modulus: 11 });
    const t2 = new Set(lines(overlapping.train));
    expect(lines(overlapping.val).filter((l) => t2.has(l)).length).toBeGreaterThan(250);
  });

  it('fails with too-small when disjoint cannot be met, and validates sizes', () => {
    const e = (() => {
      try {
        generateSyntheticCorpus('modadd', { examples: 2000, heldOutExamples: 100, modulus: 5, disjoint: true });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).code).toBe('too-small');
    expect(() => generateSyntheticCorpus('copy', { examples: 0 })).toThrow(DataError);
    expect(() => generateSyntheticCorpus('copy', { maxLen: 1 })).toThrow(/maxLen/);
  });

  it('has a sensible default size', () => {
    const c = generateSyntheticCorpus('mix');
    expect(lines(c.train).length).toBe(20_000);
    expect(lines(c.val).length).toBe(2000);
    expect(c.train.length).toBeGreaterThan(200_000);
  });
});

describe('syntheticExamples', () => {
  it('returns prompt/answer pairs for notebooks, deterministic per seed', () => {
    const a = syntheticExamples('reverse', 5, 9);
    expect(a).toEqual(syntheticExamples('reverse', 5, 9));
    for (const ex of a) expect(ex.answer).toBe([...ex.prompt.slice('reverse: '.length, -1)].reverse().join(''));
  });
});
