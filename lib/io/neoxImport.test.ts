// Checkpoint folders as the official trainer writes them (made by PyTorch: testdata/make_neox_fixtures.py) import
// to the logits of the safetensors they came from, in both pipe_parallel_size layouts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../testing/backend';
import { maxAbsDiff } from '../testing/fixtures';
import { modelFromTensors } from '../tokenformer/model';
import { readModelConfig } from './configReader';
import { FormatError } from './errors';
import { importNeox, type NeoxFileSet } from './neoxImport';
import { readSafetensors } from './safetensors';

const DIR = fileURLToPath(new URL('./testdata/neox/', import.meta.url));
const IDS = [[104, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 33], [0, 255, 1, 254, 128, 64, 32, 16, 8, 4, 2, 1]];

function folder(root: string): NeoxFileSet {
  const paths: string[] = [];
  const walk = (d: string) => readdirSync(d).forEach((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : paths.push(relative(root, join(d, n)))));
  walk(root);
  return { paths, read: async (p) => new Uint8Array(readFileSync(join(root, p))) };
}

async function logits(config: Parameters<typeof modelFromTensors>[0], tensors: Parameters<typeof modelFromTensors>[1]) {
  const m = modelFromTensors(config, tensors);
  const x = tf.tensor2d(IDS.flat(), [2, IDS[0].length], 'int32');
  const l = m.logits(x);
  const out = (await l.data()) as Float32Array;
  tf.dispose([x, l]);
  m.dispose();
  return out;
}

let expected: Float32Array;
beforeAll(async () => {
  await useBackend('cpu');
  const tensors = readSafetensors(new Uint8Array(readFileSync(`${DIR}model.safetensors`))).tensors;
  const config = readModelConfig([{ text: readFileSync(`${DIR}config.yml`, 'utf8'), filename: 'config.yml' }], tensors);
  expected = await logits(config, tensors);
});

describe('import of checkpoints the official code wrote', () => {
  it('pipe_parallel_size <= 1: mp_rank_00 with DeepSpeed state, float16, vocabulary padded to 512', async () => {
    const ck = await importNeox(folder(`${DIR}seq`));
    expect(ck.layout).toBe('sequential');
    expect(ck.tag).toBe('global_step7');
    expect(ck.step).toBe(7);
    expect(ck.notes.join('\n')).toMatch(/first 256 of 512 embedding rows/);
    expect(ck.notes.join('\n')).toMatch(/configs\/model\.yml/);
    expect(ck.config).toMatchObject({ numLayers: 2, hiddenSize: 8, numHeads: 2, qkvTokens: 6, projTokens: 5, ffnTokens: 10, vocabSize: 256, rotaryPct: 0.5 });
    expect(maxAbsDiff(await logits(ck.config!, ck.tensors), expected)).toBeLessThan(1e-6);
  });

  it('pipe_parallel_size >= 2: one file per layer, the tag "latest" names (not the highest-looking other one)', async () => {
    const ck = await importNeox(folder(`${DIR}pipe`));
    expect(ck.layout).toBe('pipeline');
    expect(ck.tag).toBe('global_step7');
    expect(maxAbsDiff(await logits(ck.config!, ck.tensors), expected)).toBeLessThan(1e-6);
    const old = await importNeox(folder(`${DIR}pipe`), { tag: 'global_step3' });
    expect(old.tensors.get('sequential.2.mlp.key_param_tokens')!.data.every((v) => v === 0)).toBe(true);
  });

  it('one global_stepN folder on its own, with the config given', async () => {
    const set = folder(`${DIR}seq/global_step7`);
    const config = { ...(await import('yaml')).parse(readFileSync(`${DIR}config.yml`, 'utf8')), tokenizer_type: 'CharLevelTokenizer' };
    const ck = await importNeox({ paths: set.paths.filter((p) => !p.startsWith('configs')), read: set.read }, { referenceConfig: config, vocab: 'keep' });
    expect(ck.config!.vocabSize).toBe(512);
    expect(maxAbsDiff((await logits(ck.config!, ck.tensors)).filter((_, i) => i % 512 < 256), expected)).toBeLessThan(1e-6);
  });

  it('says what is missing', async () => {
    const none = await importNeox({ paths: ['notes.txt'], read: async () => new Uint8Array() }).catch((e) => e);
    expect(none).toBeInstanceOf(FormatError);
    expect(none.message).toMatch(/no DeepSpeed checkpoint/);
    const set = folder(`${DIR}seq`);
    const noConfig = await importNeox({ paths: set.paths.filter((p) => !p.includes('configs')), read: set.read }).catch((e) => e);
    expect(noConfig.message).toMatch(/no config found/);
  });
});
