// Checkpoint metadata from strangers: a config or growth state that would size a huge model is refused as it is read.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../tokenformer/config';
import { initialGrowth } from '../tokenformer/params';
import { decodeMeta, encodeMeta } from './checkpointMetadata';
import { readModelConfig } from './configReader';
import { FormatError } from './errors';
import { loadAnyCheckpoint } from './loadAny';
import { readSafetensors, writeSafetensors } from './safetensors';

const REF = '/work/shared/fixtures/reference-small';
const model = { ...PRESETS.micro, vocabSize: 64 };
/** Our config JSON with one `"key":value` pair rewritten as text (so 1e400 reaches JSON.parse). */
const labConfig = (over: string) => JSON.stringify({ tokenformer_lab: { version: 1, model } }).replace(new RegExp(`"${over.split('"')[1]}":[^,}]+`), over);

function failure(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('accepted');
}

describe('config in __metadata__', () => {
  it.each([
    ['"numLayers":3e8', 'metadata config is invalid: config.tokenformer_lab.model.numLayers = 300000000 is larger than this lab accepts (at most 256)'],
    ['"numLayers":1e400', 'metadata config is invalid: config.tokenformer_lab.model.numLayers must be a positive integer, got Infinity'],
    ['"numLayers":"2"', 'metadata config is invalid: config.tokenformer_lab.model.numLayers must be a positive integer, got "2"'],
    ['"hiddenSize":1e9', 'metadata config is invalid: config.tokenformer_lab.model.hiddenSize = 1000000000 is larger than this lab accepts (at most 16,384)'],
  ])('%s', (over, message) => {
    const e = failure(() => decodeMeta({ config: labConfig(over) }, new Map()));
    expect(e.code).toBe('bad-metadata');
    expect(e.message).toBe(message);
  });

  it('refuses eps -1 and a reference config with absurd sizes', () => {
    const eps = JSON.stringify({ tokenformer_lab: { version: 1, model: { ...model, layerNormEps: -1 } } });
    expect(failure(() => decodeMeta({ config: eps }, new Map())).message).toBe('metadata config is invalid: config.tokenformer_lab.model.layerNormEps must be in [1e-30, 1], got -1');
    const ref = JSON.parse(readFileSync(`${REF}/config.json`, 'utf8'));
    expect(failure(() => decodeMeta({ config: JSON.stringify({ ...ref, ffn_slot_num: 1e12 }) }, new Map())).message).toMatch(/"ffn_slot_num" = 1000000000000 is larger/);
  });

  it('keeps fields it does not know (written by later versions)', () => {
    const m = decodeMeta({ config: JSON.stringify({ tokenformer_lab: { version: 2, model: { ...model, futureKnob: 3 } } }) }, new Map());
    expect((m.config as unknown as Record<string, unknown>).futureKnob).toBe(3);
  });
});

describe('growth in __metadata__', () => {
  const config = JSON.stringify({ tokenformer_lab: { version: 1, model } });
  const growth = initialGrowth(model);
  const decode = (g: unknown) => decodeMeta({ config, growth: JSON.stringify(g) }, new Map());

  it('accepts a real growth state', () => {
    expect(decode(growth).growth).toEqual(growth);
  });

  it.each<[string, unknown, RegExp]>([
    ['more entries than the model has Pattentions', Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`p${i}`, { tokens: 1, scaleTokens: 1 }])), /names 11 Pattentions; the model has at most 10$/],
    ['a million tokens too many', { ...growth, 'sequential.2.mlp': { tokens: 2 ** 21, scaleTokens: 1 } }, /"sequential\.2\.mlp": tokens must be an integer from 1 to 1,048,576, got 2097152$/],
    ['infinite tokens', { 'sequential.2.mlp': { tokens: 'Infinity', scaleTokens: 1 } }, /got "Infinity"$/],
    ['scale above the token count', { 'sequential.2.mlp': { tokens: 48, scaleTokens: 96 } }, /scaleTokens must be a number from 1 to its 48 tokens, got 96$/],
    ['scale zero', { 'sequential.2.mlp': { tokens: 48, scaleTokens: 0 } }, /got 0$/],
    ['not an object', [1, 2], /metadata "growth" is not a JSON object$/],
  ])('refuses %s', (_label, g, message) => {
    const e = failure(() => decode(g));
    expect(e.code).toBe('bad-metadata');
    expect(e.message).toMatch(message);
  });

  it('1e400 in the JSON is Infinity, and is named so', () => {
    const e = failure(() => decodeMeta({ config, growth: '{"sequential.2.mlp":{"tokens":1e400,"scaleTokens":1}}' }, new Map()));
    expect(e.message).toMatch(/got Infinity$/);
  });

  it('is checked on the way out too', () => {
    expect(() => encodeMeta({ config: model, growth: { x: { tokens: 0, scaleTokens: 1 } } })).toThrow(/growth state "x": tokens must be/);
  });
});

describe('the two hostile files of issue 7', () => {
  const st = new Uint8Array(readFileSync(`${REF}/model.safetensors`));
  const tensors = readSafetensors(st).tensors;

  it('an 83 KB safetensors whose metadata says numLayers 3e8 is refused at once', async () => {
    const file = writeSafetensors(tensors, { format: 'tokenformer-lab/1', config: labConfig('"numLayers":3e8') });
    expect(file.length).toBeLessThan(90_000);
    const t0 = performance.now();
    const e = await loadAnyCheckpoint(file, 'layers.safetensors').catch((err: unknown) => err);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toBe('layers.safetensors: metadata config is invalid: config.tokenformer_lab.model.numLayers = 300000000 is larger than this lab accepts (at most 256)');
  });

  it('a 400-byte config.json with num_layers 3e8 is refused at once', () => {
    const text = readFileSync(`${REF}/config.json`, 'utf8').replace('"num_layers": 2', '"num_layers": 300000000');
    expect(text.length).toBeLessThan(420);
    expect(() => readModelConfig([{ text, filename: 'config.json' }], tensors)).toThrow('reference config "num_layers" = 300000000 is larger than this lab accepts (at most 256)');
  });
});
