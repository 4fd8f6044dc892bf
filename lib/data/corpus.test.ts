// Text corpora, the corpus summary, and loadCorpus dispatching each spec kind.
import { describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { corpusInfo, loadCorpus, textCorpus } from './corpus';
import { DataError } from './errors';
import { decode, encode } from './tokenizer';

const poem = 'Tyger Tyger, burning bright,\nIn the forests of the night;\n'.repeat(40); // 2,320 bytes

describe('textCorpus', () => {
  it('splits 90/5/5 by default and takes strings or bytes', () => {
    const fromString = textCorpus('poem.txt', poem);
    const fromBytes = textCorpus('poem.txt', encode(poem));
    expect([fromString.train.length, fromString.val.length, fromString.test.length]).toEqual([2088, 116, 116]);
    expect(decode(fromBytes.test)).toBe(decode(fromString.test));
  });

  it('takes other fractions', () => {
    const c = textCorpus('poem.txt', poem, { fractions: [0.8, 0.1, 0.1] });
    expect([c.train.length, c.val.length, c.test.length]).toEqual([1856, 232, 232]);
  });

  it('refuses small files with a clear message', () => {
    let e: unknown;
    try {
      textCorpus('note.txt', 'too short');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).code).toBe('too-small');
    expect((e as DataError).message).toMatch(/"note.txt" has 9 bytes; .*at least 1024/);
    expect(textCorpus('note.txt', 'x'.repeat(40), { minBytes: 20 }).test.length).toBe(2);
  });
});

describe('corpusInfo', () => {
  it('summarises sizes and drops a character cut by the sample length', () => {
    const c = textCorpus('é.txt', 'é'.repeat(1000));
    const info = corpusInfo(c, 7); // 3.5 characters
    expect(info).toEqual({ name: 'é.txt', trainBytes: 1800, valBytes: 100, testBytes: 100, sample: 'ééé' });
  });
});

describe('loadCorpus', () => {
  it('builds each kind of spec', async () => {
    const synth = await loadCorpus({ kind: 'synthetic', task: 'copy', seed: 1, examples: 50 });
    expect(synth.name).toBe('synthetic:copy');
    const text = await loadCorpus({ kind: 'text', name: 'poem', bytes: encode(poem) });
    expect(text.val.length).toBe(116);
    const data = encode(poem.repeat(10));
    const progress: number[] = [];
    const enwik8 = await loadCorpus(
      { kind: 'enwik8', name: 'small', bytes: zipSync({ enwik8: data }), partial: true },
      { onProgress: (p) => progress.push(p.done) },
    );
    expect(enwik8.train.length + enwik8.val.length + enwik8.test.length).toBe(data.length);
    expect(progress.length).toBeGreaterThan(0);
    await expect(loadCorpus({ kind: 'enwik8', bytes: data })).rejects.toThrow(/partial: true/);
  });
});
