// Export for the reference trainer: config keys and types as the official code declares them, the identity
// round trip through the checkpoint folder (and its zip), and what growth does there, measured.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { strToU8, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { useBackend } from '../testing/backend';
import { loadReferenceSmall, maxAbsDiff } from '../testing/fixtures';
import { referenceLogits } from '../testing/referenceForward';
import { preset, type ModelConfig, type NormActivation } from '../tokenformer/config';
import { growModel } from '../tokenformer/growth';
import { createModel, modelFromTensors } from '../tokenformer/model';
import type { GrowthState } from '../tokenformer/types';
import { bytesSource } from './byteSource';
import { FormatError } from './errors';
import { exportNeox, type NeoxExportInput } from './neoxExport';
import { maxLogitChange } from './neoxGrowth';
import { importNeox, zipFileSet, type NeoxFileSet } from './neoxImport';
import type { NamedTensor } from './safetensors';

const FIELDS: Record<string, string> = JSON.parse(readFileSync(new URL('./testdata/neox-fields.json', import.meta.url), 'utf8')).fields;
const TRAINING = { steps: 200, lr: 6e-4, minLr: 6e-5, warmupSteps: 20, batchSize: 8, seqLen: 64, weightDecay: 0.1, gradClip: 1, beta1: 0.9, beta2: 0.95, eps: 1e-8, precision: 'fp16', checkpointEvery: 100 } as const;
const IDS = [Array.from({ length: 24 }, (_, i) => (i * 37 + 11) % 256), Array.from({ length: 24 }, (_, i) => (i * 101 + 3) % 256)];

beforeAll(async () => {
  await useBackend('cpu');
});

async function snapshot(config: ModelConfig, seed = 1, grow?: (m: ReturnType<typeof createModel>) => void) {
  const model = createModel(config, { seed });
  grow?.(model);
  const out = { config, tensors: await model.toTensors(), growth: structuredClone(model.growth) as GrowthState };
  model.dispose();
  return out;
}

async function logitsOf(config: ModelConfig, tensors: Map<string, NamedTensor>, growth?: GrowthState): Promise<Float32Array> {
  const m = modelFromTensors(config, tensors, growth);
  const x = tf.tensor2d(IDS.flat(), [IDS.length, IDS[0].length], 'int32');
  const l = m.logits(x);
  const data = (await l.data()) as Float32Array;
  tf.dispose([x, l]);
  m.dispose();
  return data;
}

const memorySet = (files: Map<string, Uint8Array | string>, under = ''): NeoxFileSet => ({
  paths: [...files.keys()].map((p) => under + p),
  read: async (p) => {
    const v = files.get(p.slice(under.length));
    return typeof v === 'string' ? strToU8(v) : v!;
  },
});

function exportInput(s: Awaited<ReturnType<typeof snapshot>>, extra: Partial<NeoxExportInput> = {}): NeoxExportInput {
  return { ...s, step: 12, training: { ...TRAINING }, root: 'runs/lab', ...extra };
}

describe('the independent reference forward (test helper)', () => {
  it('reproduces the shared fixture logits for every norm', () => {
    const ref = loadReferenceSmall();
    for (const norm of ['l2_norm_gelu', 'gelu_l2_norm', 'softmax'] as NormActivation[]) {
      const c = ref.config;
      const got = ref.ids.map((row) => referenceLogits({ ...c, norm, tensors: ref.model }, row));
      expect(maxAbsDiff(got.flat(2).flatMap((r) => [...(r as unknown as Float64Array)]), ref.byNorm[norm].logits.flat(2))).toBeLessThan(1e-4);
    }
  });
});

describe('config.yml', () => {
  it('has only keys the official code declares, each of its declared type, with this model\'s values', async () => {
    const s = await snapshot(preset('micro'));
    const corpus = { name: 'notes.txt', train: new Uint8Array(9000).fill(97), val: new Uint8Array(500).fill(98), test: new Uint8Array(500).fill(99) };
    const { files } = await exportNeox(exportInput(s, { corpus }));
    const text = files.get('config.yml') as string;
    const cfg = parse(text) as Record<string, unknown>;
    for (const [k, v] of Object.entries(cfg)) {
      const type = FIELDS[k];
      expect(type, `unknown key ${k}`).toBeDefined();
      const lit = /^Literal\[(.*)\]$/.exec(type);
      if (lit) expect(lit[1].split(', ').map((x) => JSON.parse(x.replace(/'/g, '"')).toLowerCase())).toContain(String(v).toLowerCase());
      else if (type === 'int') expect(Number.isInteger(v), k).toBe(true);
      else if (type === 'float') expect(typeof v, k).toBe('number');
      else if (type === 'bool') expect(typeof v, k).toBe('boolean');
      else if (type === 'str') expect(typeof v, k).toBe('string');
      else if (type === 'list') expect(Array.isArray(v), k).toBe(true);
      else if (type === 'dict') expect(typeof v === 'object' && !Array.isArray(v), k).toBe(true);
    }
    // PyYAML (YAML 1.1) reads an exponent without a dot as a string: every float is written with one.
    for (const m of text.matchAll(/[\d.]+e[-+]?\d+/gi)) expect(m[0]).toMatch(/\.\d*e/i);
    const c = s.config;
    expect(cfg).toMatchObject({
      num_layers: c.numLayers, hidden_size: c.hiddenSize, num_attention_heads: c.numHeads,
      qkv_slot_num: c.qkvTokens, proj_slot_num: c.projTokens, ffn_slot_num: c.ffnTokens,
      norm_activation_type: 'l2_norm_gelu', pos_emb: 'rotary', rotary_pct: c.rotaryPct, rotary_emb_base: 10000,
      norm: 'layernorm_nonparam', final_norm: 'layernorm', no_weight_tying: false, layernorm_epsilon: 1e-5,
      attention_config: [[['tokenformer'], c.numLayers]], pipe_parallel_size: 1, model_parallel_size: 1,
      seq_length: 64, max_position_embeddings: c.maxSeqLen, train_iters: 200, lr_decay_iters: 200, min_lr: 6e-5,
      tokenizer_type: 'HFTokenizer', vocab_file: 'runs/lab/tokenizer.json', make_vocab_size_divisible_by: 128,
      data_path: 'runs/lab/data/notes_text_document', data_impl: 'mmap', split: '3,1,1',
      load: 'runs/lab/checkpoints', save: 'runs/lab/checkpoints', finetune: true, checkpoint_factor: 100, warmup: 0.1,
    });
    expect((cfg.optimizer as { params: { lr: number } }).params.lr).toBe(6e-4);
    // validate_values: heads divide hidden, seq fits the positions, min_lr <= lr, save has a checkpoint_factor.
    expect((cfg.hidden_size as number) % (cfg.num_attention_heads as number)).toBe(0);
    expect(cfg.max_position_embeddings as number).toBeGreaterThanOrEqual(cfg.seq_length as number);
    // The padded vocabulary (tokenizer 256, divisible by 128) is the checkpoint's embedding rows.
    const ck = await importNeox(memorySet(files), { vocab: 'keep' });
    expect(ck.tensors.get('sequential.0.word_embeddings.weight')!.shape[0]).toBe(Math.ceil(256 / 128) * 128);
    // The byte tokenizer maps each byte's ByteLevel character to that byte.
    const vocab = JSON.parse(files.get('tokenizer.json') as string).model.vocab as Record<string, number>;
    expect(Object.keys(vocab)).toHaveLength(256);
    expect(vocab.a).toBe(97);
    expect(vocab['Ġ']).toBe(32);
    expect(new Set(Object.values(vocab)).size).toBe(256);
  });

  it('partial-init points load/save at a fresh folder and pretrain_partial_init at the export', async () => {
    const { files } = await exportNeox(exportInput(await snapshot(preset('micro')), { start: 'partial-init', training: { ...TRAINING, precision: 'bf16' } }));
    const cfg = parse(files.get('config.yml') as string);
    expect(cfg).toMatchObject({ load: 'runs/lab/train/checkpoints', save: 'runs/lab/train/checkpoints', pretrain_partial_init: 'runs/lab/checkpoints', precision: 'bfloat16', bf16: { enabled: true } });
    expect(cfg.finetune).toBeUndefined();
    expect(cfg.fp16).toBeUndefined();
  });
});

describe('export then import', () => {
  it.each(['l2_norm_gelu', 'softmax'] as NormActivation[])('is the identity (%s): logits within 1e-6, through the folder and its zip', async (norm) => {
    const s = await snapshot(preset('micro', { norm }), 3);
    const { files } = await exportNeox(exportInput(s));
    expect([...files.keys()].sort()).toEqual(['README.md', 'checkpoints/global_step12/configs/config.yml', 'checkpoints/global_step12/mp_rank_00_model_states.pt', 'checkpoints/latest', 'config.yml', 'tokenizer.json']);
    expect(files.get('checkpoints/latest')).toBe('global_step12');
    const before = await logitsOf(s.config, s.tensors, s.growth);
    const back = await importNeox(memorySet(files));
    expect(back.step).toBe(12);
    expect(back.layout).toBe('sequential');
    expect(back.config).toMatchObject({ numLayers: s.config.numLayers, qkvTokens: s.config.qkvTokens, norm, vocabSize: 256 });
    expect(maxAbsDiff(await logitsOf(back.config!, back.tensors, back.growth), before)).toBeLessThan(1e-6);
    const zipped = zipSync(Object.fromEntries([...files].map(([p, v]) => [`lab/${p}`, typeof v === 'string' ? strToU8(v) : v])));
    const fromZip = await importNeox(await zipFileSet(bytesSource(zipped)));
    expect(maxAbsDiff(await logitsOf(fromZip.config!, fromZip.tensors, fromZip.growth), before)).toBeLessThan(1e-6);
  });

  it('with the CharLevelTokenizer pads the vocabulary to 512 and the import drops the padding again', async () => {
    const s = await snapshot(preset('micro'), 4);
    const { files, summary } = await exportNeox(exportInput(s, { tokenizer: 'char' }));
    expect(summary.join('\n')).toMatch(/padded with zero rows to 512/);
    const cfg = parse(files.get('config.yml') as string);
    expect(cfg).toMatchObject({ tokenizer_type: 'CharLevelTokenizer', make_vocab_size_divisible_by: 128 });
    expect(cfg.vocab_file).toBeUndefined();
    const kept = await importNeox(memorySet(files), { vocab: 'keep' });
    expect(kept.config!.vocabSize).toBe(512);
    const back = await importNeox(memorySet(files));
    expect(back.notes.join('\n')).toMatch(/first 256 of 512/);
    expect(maxAbsDiff(await logitsOf(back.config!, back.tensors, back.growth), await logitsOf(s.config, s.tensors, s.growth))).toBeLessThan(1e-6);
  });
});

describe('a grown run', () => {
  const grownBy = (mode: 'preserve' | 'official') => (m: ReturnType<typeof createModel>) => growModel(m, { add: 8, target: 'all', mode, seed: 5 });

  it('l2_norm_gelu + preserve: exports the grown counts and the measured logit change is the reference formula\'s', async () => {
    const s = await snapshot(preset('micro'), 6, grownBy('preserve'));
    const plan: { value?: number } = {};
    const out = await exportNeox(exportInput(s, { measure: async (p) => (plan.value = await maxLogitChange(s.config, s, p, IDS)) }));
    const cfg = parse(out.files.get('config.yml') as string);
    expect(cfg).toMatchObject({ qkv_slot_num: 32, proj_slot_num: 28, ffn_slot_num: 56 });
    const g = JSON.parse(out.files.get('growth.json') as string);
    expect(g.slots).toEqual({ qkv: { from: 24, to: 32 }, proj: { from: 20, to: 28 }, ffn: { from: 48, to: 56 } });
    expect(g.lab['sequential.2.mlp']).toEqual({ tokens: 56, scaleTokens: 48 });
    expect(out.growth!.changed).toHaveLength(10);
    expect(out.summary.join('\n')).toMatch(/max \|logit change\| lab -> reference on the probe: \d/);
    // The reference formula on its own: the lab's function keeps n = 24/20/48, the reference recomputes it.
    const base = { ...s.config, tensors: s.tensors };
    let expected = 0;
    for (const row of IDS) {
      const lab = referenceLogits({ ...base, scaleTokens: (p) => s.growth[p].scaleTokens }, row);
      const ref = referenceLogits(base, row);
      lab.forEach((r, t) => r.forEach((v, i) => (expected = Math.max(expected, Math.abs(v - ref[t][i])))));
    }
    expect(expected).toBeGreaterThan(1e-3);
    expect(Math.abs(out.growth!.maxLogitChange! - expected)).toBeLessThan(1e-4);
    expect(plan.value).toBe(out.growth!.maxLogitChange);
  });

  it('gelu_l2_norm + preserve: the kept scale is folded into the values, so the reference computes the lab function', async () => {
    const s = await snapshot(preset('micro', { norm: 'gelu_l2_norm' }), 7, grownBy('preserve'));
    const out = await exportNeox(exportInput(s, { measure: (p) => maxLogitChange(s.config, s, p, IDS) }));
    expect(out.growth!.folded).toHaveLength(10);
    expect(out.growth!.maxLogitChange!).toBeLessThan(1e-5);
    const back = await importNeox(memorySet(out.files));
    // Imported with n = token count everywhere, as trained there; the same logits as the lab's grown model.
    expect(Object.values(back.growth!).every((st) => st.scaleTokens === st.tokens)).toBe(true);
    const ref = IDS.map((row) => referenceLogits({ ...back.config!, tensors: back.tensors }, row));
    expect(maxAbsDiff(ref.flat().flatMap((r) => [...r]), await logitsOf(s.config, s.tensors, s.growth))).toBeLessThan(1e-4);
  });

  it('official growth (n already recomputed) changes nothing', async () => {
    const s = await snapshot(preset('micro'), 8, grownBy('official'));
    const out = await exportNeox(exportInput(s, { measure: () => Promise.reject(new Error('nothing to measure')) }));
    expect(out.growth!.maxLogitChange).toBe(0);
    expect(out.summary.join('\n')).toMatch(/nothing changes/);
  });

  it('uneven growth is refused with the reason', async () => {
    const s = await snapshot(preset('micro'), 9, (m) => growModel(m, { add: 4, target: 'q', mode: 'official' }));
    const err = await exportNeox(exportInput(s)).catch((e) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toMatch(/one qkv_slot_num for every layer and for query, key and value alike/);
  });
});
