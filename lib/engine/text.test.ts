// The engine with a BPE tokenizer on the official-layout micro model: token pieces for attention rows and usage
// contexts, per-token losses that agree with the float64 reference logits, and misfit tokenizers refused.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readReferenceConfig } from '../io/configReader';
import { Engine } from './engine';
import { tokenTexts } from './text';
import { loadBpeTokenizer } from '../data';

const DIR = 'lib/io/testdata/neox-bpe/';
const TOK = readFileSync('lib/data/testdata/tiny-neox-tokenizer.json', 'utf8');
const expected = JSON.parse(readFileSync(`${DIR}expected.json`, 'utf8')) as { text: string; ids: number[][]; logits: number[][][] };
let engine: Engine;

beforeAll(async () => {
  engine = new Engine();
  await engine.init({ backend: 'cpu' });
  const referenceConfig = readReferenceConfig(readFileSync(`${DIR}tiny_eval.yml`, 'utf8'), 'tiny_eval.yml');
  await engine.loadCheckpoint(new Uint8Array(readFileSync(`${DIR}pytorch_model.bin`)), 'pytorch_model.bin', { referenceConfig });
  await engine.setTokenizer({ json: TOK, name: 'tiny-neox-tokenizer.json' });
});

describe('engine with a BPE tokenizer', () => {
  it('scores each token as the reference logits do', async () => {
    const r = await engine.textLoss(expected.text);
    expect(r.ids).toEqual(expected.ids[0]);
    expect(r.texts.join('')).toBe(expected.text);
    const lse = (row: number[]) => Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
    for (let t = 1; t < r.ids.length; t++) {
      const row = expected.logits[0][t - 1];
      expect(r.losses[t]).toBeCloseTo(lse(row) - row[r.ids[t]], 4);
    }
    // Smaller windows give each token less context but still score every token once.
    expect((await engine.textLoss(expected.text, { window: 8 })).tokens).toBe(r.tokens);
  });

  it('labels attention rows and usage contexts with token pieces', async () => {
    const tok = loadBpeTokenizer(TOK);
    const maps = await engine.attention('The model reads text');
    expect(maps.labels).toEqual(tok.encode('The model reads text').map((id) => tok.piece(id)));
    await engine.loadData({ kind: 'text', name: 't.txt', bytes: new TextEncoder().encode(expected.text.repeat(60)) });
    const u = await engine.usage({ windows: 1, seqLen: 16, contexts: 2 });
    const ctx = u.layers[0].ffn.contexts.flat()[0];
    expect(ctx.focusLength).toBeGreaterThanOrEqual(1);
    expect(Array.from(ctx.text).slice(ctx.focus, ctx.focus + ctx.focusLength!).join('').length).toBeGreaterThan(0);
    expect(tokenTexts(tok, tok.encode('🙂a'))).toEqual(['', '', '', '🙂', 'a']);
  });

  it('refuses a tokenizer the model lacks rows for, and drops one a new model cannot take', async () => {
    await engine.createModel({ preset: 'micro' });
    expect((await engine.modelInfo())!.tokenizer!.kind).toBe('byte');
    await expect(engine.setTokenizer({ json: TOK, name: 'tiny.json' })).rejects.toThrow(/581 ids but the model only 256 embedding rows/);
  });
});
