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

  it('reports bits per byte of text in training and evaluation, not bits per token', async () => {
    const text = expected.text.repeat(60);
    await engine.loadData({ kind: 'text', name: 't.txt', bytes: new TextEncoder().encode(text) });
    const tok = loadBpeTokenizer(TOK);
    const bytesPerToken = new TextEncoder().encode(text).length / tok.encode(text).length;
    expect(bytesPerToken).toBeGreaterThan(2);
    // The windows are short slices of one repeated text, so their bytes per token are close to the whole's.
    const near = (bpb: number, loss: number) => {
      const ratio = bpb / (loss / Math.LN2 / bytesPerToken);
      expect(ratio).toBeGreaterThan(0.8);
      expect(ratio).toBeLessThan(1.25);
    };
    const ev = await engine.evaluate({ batches: 2, batchSize: 2, seqLen: 16 });
    near(ev.bpb, ev.loss);
    const seen: { loss: number; bpb: number; valBpb?: number }[] = [];
    await engine.train({ steps: 3, batchSize: 2, seqLen: 16, lr: 1e-4, logEvery: 1, evalEvery: 3, evalBatches: 2 }, (m) => seen.push(m));
    for (const m of seen) near(m.bpb, m.loss);
    const last = seen[seen.length - 1];
    const val = await engine.evaluate({ batches: 2, batchSize: 2, seqLen: 16 });
    expect(last.valBpb).toBeCloseTo(val.bpb, 5);
  });

  it('refuses a tokenizer the model lacks rows for, and drops one a new model cannot take', async () => {
    await engine.createModel({ preset: 'micro' });
    expect((await engine.modelInfo())!.tokenizer!.kind).toBe('byte');
    await expect(engine.setTokenizer({ json: TOK, name: 'tiny.json' })).rejects.toThrow(/581 ids but the model only 256 embedding rows/);
  });
});
