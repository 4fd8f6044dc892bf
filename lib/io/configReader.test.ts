// Reference config files: fixture JSON, NeoX Python-dict YAML with comments/True/None/trailing commas, merging.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../tokenformer/config';
import { mergeReferenceConfigs, modelConfigFromReference, readModelConfig, readReferenceConfig } from './configReader';
import { FormatError } from './errors';

const FIXTURE = '/work/shared/fixtures/reference-small/config.json';

// Shaped like the reference repo's configs/tokenformer/*.yml (GPT-NeoX style).
const NEOX_MODEL = `# TokenFormer small
{
  "pipe-parallel-size": 1,
  "model_parallel_size": 1,

  "num_layers": 2,
  "hidden_size": 32,
  "num_attention_heads": 4,
  "qkv_slot_num": 24,
  "proj_slot_num": 20,
  "ffn_slot_num": 48,
  "seq_length": 64,
  "max_position_embeddings": 64,
  "rotary_pct": 0.25,
  "no_weight_tying": false,
  "attention_config": [[["tokenformer"], 2]],
  "norm_activation_type": "softmax", # "l2_norm_gelu", "gelu_l2_norm", "softmax"
  "bias_gelu_fusion": True,
  "checkpoint_validation_with_forward_pass": False,
  "weight_by_num_documents": None,
  "literal": "None",
  "optimizer": {
    "type": "Adam",
    "params": { "lr": 6e-4, "betas": [0.9, 0.95], "eps": 1.0e-8, },
  },
  'single_quoted': 'yes',
}
`;
const NEOX_TRAIN = `{
  # later files win
  "seq_length": 128,
  "train_iters": 1000,
}`;

function err(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('readReferenceConfig', () => {
  it('reads the fixture config.json into the reference model config', () => {
    const rec = readReferenceConfig(readFileSync(FIXTURE, 'utf8'), 'config.json');
    const c = modelConfigFromReference(rec);
    expect(c).toMatchObject({ numLayers: 2, hiddenSize: 32, numHeads: 4, qkvTokens: 24, projTokens: 20, ffnTokens: 48, vocabSize: 64, rotaryPct: 0.25, norm: 'l2_norm_gelu', maxSeqLen: 64 });
  });

  it('reads NeoX Python-dict YAML: comments, True/False/None, trailing commas, dashed keys', () => {
    const rec = readReferenceConfig(NEOX_MODEL, '150M.yml');
    expect(rec.pipe_parallel_size).toBe(1);
    expect(rec.bias_gelu_fusion).toBe(true);
    expect(rec.checkpoint_validation_with_forward_pass).toBe(false);
    expect(rec.weight_by_num_documents).toBeNull();
    expect(rec.literal).toBe('None');
    expect(rec.single_quoted).toBe('yes');
    expect(rec.optimizer).toEqual({ type: 'Adam', params: { lr: 6e-4, betas: [0.9, 0.95], eps: 1e-8 } });
    expect(rec.attention_config).toEqual([[['tokenformer'], 2]]);
  });

  it('merges files with later ones winning, and infers the vocabulary from the embedding', () => {
    const emb = { shape: [64, 32], data: new Float32Array(64 * 32) };
    const c = readModelConfig(
      [
        { text: NEOX_MODEL, filename: 'model.yml' },
        { text: NEOX_TRAIN, filename: 'train.yaml' },
      ],
      new Map([['sequential.0.word_embeddings.weight', emb]]),
    );
    expect(c.maxSeqLen).toBe(128);
    expect(c.vocabSize).toBe(64);
    expect(c.norm).toBe('softmax');
    expect(mergeReferenceConfigs([{ a: 1, b: 1 }, { b: 2 }])).toEqual({ a: 1, b: 2 });
  });

  it('prefers the embedding rows over a (padded-away) vocab_size', () => {
    const rec = { ...readReferenceConfig(readFileSync(FIXTURE, 'utf8'), 'config.json'), vocab_size: 50 };
    const c = modelConfigFromReference(rec, new Map([['sequential.0.word_embeddings.weight', { shape: [64, 32], data: new Float32Array(2048) }]]));
    expect(c.vocabSize).toBe(64);
  });

  it('fails with FormatError bad-config on bad syntax, duplicates, non-mappings and huge input', () => {
    for (const [text, name] of [
      ['{ "a": 1, ', 'x.yml'],
      ['{"a": 1, "a": 2}', 'x.yml'],
      ['[1, 2]', 'x.yml'],
      ['42', 'x.json'],
      ['{"a": 1,}', 'x.json'],
      ['['.repeat(50_000), 'deep.yml'],
      ['{ "a": !!python/object:os.system [ls] }', 'tag.yml'],
      ['{ "a": &x [1], "b": *x, "c": *y }', 'alias.yml'],
      [' '.repeat(5 * 1024 * 1024), 'big.yml'],
    ]) {
      const e = err(() => readReferenceConfig(text, name));
      expect(e, `${name}: ${text.slice(0, 20)}`).toBeInstanceOf(FormatError);
      expect((e as FormatError).code).toBe('bad-config');
      expect(e.message).toContain(name);
    }
  });

  it('fails with ConfigError when settings are missing or invalid', () => {
    expect(err(() => readModelConfig([{ text: '{ "num_layers": 2 }', filename: 'a.yml' }]))).toBeInstanceOf(ConfigError);
    expect(err(() => readModelConfig([{ text: NEOX_MODEL.replace('"num_attention_heads": 4', '"num_attention_heads": 5'), filename: 'a.yml' }], new Map([['sequential.0.word_embeddings.weight', { shape: [8, 32], data: new Float32Array(256) }]])))).toBeInstanceOf(ConfigError);
    expect(err(() => readModelConfig([]))).toBeInstanceOf(FormatError);
  });

  it('bounds every size and names non-finite values as they are', () => {
    const emb = new Map([['sequential.0.word_embeddings.weight', { shape: [8, 32], data: new Float32Array(256) }]]);
    const msg = (from: string, to: string, filename = 'a.yml') => err(() => readModelConfig([{ text: NEOX_MODEL.replace(from, to), filename }], emb)).message;
    expect(msg('"num_layers": 2', '"num_layers": .inf')).toBe('reference config "num_layers" must be a finite number, got Infinity');
    expect(msg('"num_layers": 2', '"num_layers": .nan')).toBe('reference config "num_layers" must be a finite number, got NaN');
    expect(msg('"num_layers": 2', '"num_layers": 1e400')).toBe('reference config "num_layers" must be a finite number, got Infinity');
    expect(msg('"qkv_slot_num": 24', '"qkv_slot_num": 100000000')).toBe('reference config "qkv_slot_num" = 100000000 is larger than this lab accepts (at most 1,048,576)');
    expect(msg('"seq_length": 64', '"seq_length": 10000000')).toBe('reference config "seq_length" = 10000000 is larger than this lab accepts (at most 131,072)');
    expect(msg('"rotary_pct": 0.25', '"rotary_pct": 0.25, "layernorm_epsilon": -1')).toBe('reference config "layernorm_epsilon" must be in [1e-30, 1], got -1');
  });
});
