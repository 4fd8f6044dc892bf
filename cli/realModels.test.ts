// A published TokenFormer's three files, in miniature (official-layout pytorch_model.bin, an eval YAML in the official
// style, a GPT-NeoX-style BPE tokenizer.json), through the CLI as a user runs it: logits equal the float64 reference.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maxAbsLogits as maxAbs, runCli as cli } from './testCli';

const dir = mkdtempSync(join(tmpdir(), 'tokenformer-real-'));
const BIN = 'lib/io/testdata/neox-bpe/pytorch_model.bin';
const YML = 'lib/io/testdata/neox-bpe/tiny_eval.yml';
const TOK = 'lib/data/testdata/tiny-neox-tokenizer.json';
const expected = JSON.parse(readFileSync('lib/io/testdata/neox-bpe/expected.json', 'utf8')) as { text: string; ids: number[][]; logits: number[][][]; loss: number; padded_vocab: number };

describe('published-layout TokenFormer with a BPE tokenizer', () => {
  it('logits --text: ids from the tokenizer, logits [1][T][padded vocab] equal to the reference', async () => {
    const out = join(dir, 'text.json');
    const r = await cli('logits', '--checkpoint', BIN, '--config', YML, '--tokenizer', TOK, '--text', expected.text, '--out', out, '--backend', 'cpu');
    expect(r.stderr).not.toMatch(/error|note:/i);
    expect(r.code).toBe(0);
    const o = JSON.parse(readFileSync(out, 'utf8')) as { ids: number[][]; logits: number[][][]; loss: number };
    expect(o.ids).toEqual(expected.ids);
    expect(o.logits[0][0].length).toBe(expected.padded_vocab);
    expect(maxAbs(o.logits, expected.logits)).toBeLessThan(1e-4);
    expect(Math.abs(o.loss - expected.loss) / expected.loss).toBeLessThan(1e-5);
  }, 60_000);

  it('logits --ids still works and gives the same numbers', async () => {
    const ids = join(dir, 'ids.json');
    writeFileSync(ids, JSON.stringify(expected.ids));
    const out = join(dir, 'ids-out.json');
    const r = await cli('logits', '--checkpoint', BIN, '--config', YML, '--ids', ids, '--out', out, '--backend', 'cpu');
    expect(r.code).toBe(0);
    const o = JSON.parse(readFileSync(out, 'utf8')) as { ids: number[][]; logits: number[][][] };
    expect(o.ids).toEqual(expected.ids);
    expect(maxAbs(o.logits, expected.logits)).toBeLessThan(1e-4);
  }, 60_000);

  it('eval --tokenizer scores a text file: loss, perplexity and bits per byte consistent with the reference loss', async () => {
    const data = join(dir, 'text.txt');
    writeFileSync(data, expected.text);
    const r = await cli('eval', '--checkpoint', BIN, '--config', YML, '--tokenizer', TOK, '--data', data, '--backend', 'cpu');
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout) as { loss: number; perplexity: number; bpb: number; tokens: number; bytes: number };
    // The same positions as the logits loss: every token after the first, in one window.
    expect(Math.abs(o.loss - expected.loss) / expected.loss).toBeLessThan(1e-5);
    expect(Math.abs(o.perplexity / Math.exp(expected.loss) - 1)).toBeLessThan(1e-5);
    expect(o.tokens).toBe(expected.ids[0].length - 1);
    const firstBytes = new TextEncoder().encode('The').length;
    expect(o.bytes).toBe(new TextEncoder().encode(expected.text).length - firstBytes);
    expect(o.bpb).toBeCloseTo((o.loss * o.tokens) / Math.LN2 / o.bytes, 6);
  }, 60_000);

  it('generate --tokenizer --max-new writes decoded BPE text after the prompt', async () => {
    const r = await cli('generate', '--checkpoint', BIN, '--config', YML, '--tokenizer', TOK, '--prompt', 'The model', '--max-new', '5', '--temperature', '0', '--backend', 'cpu');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('The model')).toBe(true);
    expect(r.stdout.length).toBeGreaterThan('The model\n'.length);
  }, 60_000);

  it('refuses a tokenizer the model has too few rows for, naming both sizes', async () => {
    const r = await cli('logits', '--checkpoint', `${'lib/io/testdata/neox/'}model.safetensors`, '--config', 'lib/io/testdata/neox/config.yml', '--tokenizer', TOK, '--text', 'hi', '--out', join(dir, 'x.json'), '--backend', 'cpu');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/581 ids but the model only 256 embedding rows/);
  }, 60_000);
});
