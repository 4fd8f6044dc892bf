// Key normalisation, pipeline layer files, and validation of names/shapes (growth-aware) and NaN/Inf.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromReferenceConfig } from '../tokenformer/config';
import { FormatError } from './errors';
import { mergePipelineLayers, normaliseKeys, pipelineLayerIndex, toPipelineLayers } from './keys';
import { readSafetensors, type NamedTensor } from './safetensors';
import { pattentionPrefix } from '../tokenformer/params';
import { checkFinite, expectedShapes, inferGrowth, validateTensors } from './validate';

const REF = '/work/shared/fixtures/reference-small';
const config = fromReferenceConfig(JSON.parse(readFileSync(`${REF}/config.json`, 'utf8')));
const fixture = () => readSafetensors(new Uint8Array(readFileSync(`${REF}/model.safetensors`))).tensors;

function fails(f: () => unknown): FormatError {
  try {
    f();
  } catch (e) {
    if (e instanceof FormatError) return e;
    throw e;
  }
  throw new Error('expected a FormatError');
}

/** Appends `add` rows to both token matrices of one Pattention. */
function grow(tensors: Map<string, NamedTensor>, prefix: string, add: number) {
  for (const kind of ['key', 'value']) {
    const t = tensors.get(`${prefix}.${kind}_param_tokens`)!;
    const [n, h] = t.shape;
    const data = new Float32Array((n + add) * h);
    data.set(t.data);
    tensors.set(`${prefix}.${kind}_param_tokens`, { shape: [n + add, h], data });
  }
}

describe('key mapping', () => {
  it('strips module./model./_orig_mod. wrappers', () => {
    const t = { shape: [1], data: new Float32Array(1) };
    const r = normaliseKeys(new Map([['module.sequential.5.norm.weight', t], ['_orig_mod.model.sequential.5.norm.bias', t]]));
    expect([...r.tensors.keys()]).toEqual(['sequential.5.norm.weight', 'sequential.5.norm.bias']);
    expect(fails(() => normaliseKeys(new Map([['module.a', t], ['a', t]]))).code).toBe('duplicate-tensor');
  });

  it('round-trips DeepSpeed pipeline layer files and drops a tied embedding copy', () => {
    const tensors = fixture();
    const files = toPipelineLayers(tensors);
    expect([...files.keys()].sort()).toEqual(['layer_00-model_00-model_states.pt', 'layer_02-model_00-model_states.pt', 'layer_03-model_00-model_states.pt', 'layer_05-model_00-model_states.pt']);
    expect([...files.get('layer_05-model_00-model_states.pt')!.keys()].sort()).toEqual(['norm.bias', 'norm.weight']);
    const tied = new Map([['word_embeddings.weight', tensors.get('sequential.0.word_embeddings.weight')!]]);
    const list = [...files].map(([filename, t]) => ({ filename: `ckpt/global_step10/${filename}`, tensors: t }));
    const merged = mergePipelineLayers([...list, { filename: 'layer_06-model_00-model_states.pt', tensors: tied }]);
    expect([...merged.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    expect(merged.warnings[0]).toContain('tied');
    expect(pipelineLayerIndex('a/layer_12-model_00-model_states.pt')).toBe(12);
    expect(pipelineLayerIndex('mp_rank_00_model_states.pt')).toBeUndefined();
    expect(fails(() => mergePipelineLayers([{ filename: 'layer_02-model_01-model_states.pt', tensors: tied }])).code).toBe('unsupported');
    expect(fails(() => mergePipelineLayers([{ filename: 'x.pt', tensors: tied }])).code).toBe('unknown-format');
  });
});

describe('validateTensors', () => {
  it('accepts the fixture for its config, listing the 33 expected tensors', () => {
    expect(expectedShapes(config).size).toBe(1 + 2 * 5 * 2 + 2);
    expect(validateTensors(fixture(), config)).toEqual([]);
  });

  it('names a missing tensor and a wrong shape', () => {
    const t = fixture();
    t.delete('sequential.3.mlp.value_param_tokens');
    const e = fails(() => validateTensors(t, config));
    expect(e.code).toBe('missing-tensor');
    expect(e.message).toContain('sequential.3.mlp.value_param_tokens');
    const u = fixture();
    u.set('sequential.5.norm.bias', { shape: [31], data: new Float32Array(31) });
    expect(fails(() => validateTensors(u, config)).message).toContain('"sequential.5.norm.bias" has shape [31], expected [32]');
  });

  it('takes grown token counts from the growth state (and infers it from shapes)', () => {
    const t = fixture();
    const q = pattentionPrefix(0, 'query');
    const ffn = pattentionPrefix(1, 'ffn');
    grow(t, q, 8);
    grow(t, ffn, 16);
    expect(fails(() => validateTensors(t, config)).code).toBe('shape-mismatch');
    const growth = { [q]: { tokens: 32, scaleTokens: 24 }, [ffn]: { tokens: 64, scaleTokens: 48 } };
    expect(validateTensors(t, config, growth)).toEqual([]);
    const inferred = inferGrowth(t, config);
    expect(inferred[q]).toEqual({ tokens: 32, scaleTokens: 32 });
    expect(inferred[ffn].tokens).toBe(64);
    expect(inferred['sequential.2.attention.proj'].tokens).toBe(20);
    expect(validateTensors(t, config, inferred)).toEqual([]);
  });

  it('refuses tensors the model does not have, but ignores rotary buffers', () => {
    const t = fixture();
    t.set('sequential.2.attention.rotary_emb.inv_freq', { shape: [1], data: new Float32Array(1) });
    expect(validateTensors(t, config)).toEqual([]);
    t.set('extra.thing', { shape: [1], data: new Float32Array(1) });
    expect(() => validateTensors(t, config)).toThrow(expect.objectContaining({ code: 'unexpected-tensor', message: expect.stringMatching(/"extra.thing"/) }));
    // Shapes are enough: this is how loaders check a header before reading tensors.
    const shapes = new Map([...t].map(([n, x]) => [n, { shape: x.shape }]));
    expect(() => validateTensors(shapes, config)).toThrow(/unexpected tensor "extra.thing"/);
  });

  it('checks the transformer baseline only against a layout the model code supplies', () => {
    const base = { ...config, arch: 'transformer' as const };
    const t = new Map([['a.weight', { shape: [2, 2], data: new Float32Array(4) }]]);
    expect(validateTensors(t, base)[0]).toContain('not checked');
    const layout = () => new Map([['a.weight', [2, 2]], ['b', [3]]]);
    expect(fails(() => validateTensors(t, base, {}, layout)).message).toBe('missing tensor "b" (expected shape [3])');
  });

  it('reports NaN and Inf per tensor', () => {
    const t = new Map([
      ['a', { shape: [4], data: new Float32Array([1, NaN, Infinity, -Infinity]) }],
      ['b', { shape: [1], data: new Float32Array([3]) }],
    ]);
    expect(checkFinite(t)).toEqual(['tensor "a" has 1 NaN and 2 infinite values out of 4']);
  });
});
