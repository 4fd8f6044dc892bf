// Whole-model parity with the reference fixture: logits, loss and per-tensor gradient norms for all three norms.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { NODE_BACKENDS, useBackend } from '../testing/backend';
import { loadReferenceSmall, maxAbsDiff } from '../testing/fixtures';
import { NORM_ACTIVATIONS, preset } from './config';
import { setCustomKernelsEnabled } from './kernels/jsKernel';
import { createModel, modelFromTensors, type LanguageModel } from './model';
import { EMBEDDING } from './params';

const ref = loadReferenceSmall();

/** L2 norm of d loss / d param for every parameter, by reference name. */
function gradNorms(model: LanguageModel, ids: tf.Tensor2D): { loss: number; norms: Record<string, number> } {
  const names = [...model.params.keys()];
  const { value, grads } = tf.variableGrads(() => model.loss(ids), names.map((n) => model.params.get(n)!));
  const norms: Record<string, number> = {};
  for (const n of names) norms[n] = tf.norm(grads[model.params.get(n)!.name]).dataSync()[0];
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, norms };
}

// Without the custom kernels the ops compose stock tfjs kernels: the path webgpu and webgl take.
describe.each([...NODE_BACKENDS.map((b) => ({ backend: b, fused: true })), { backend: 'cpu' as const, fused: false }])('reference-small parity on $backend (custom kernels: $fused)', ({ backend, fused }) => {
  beforeAll(async () => {
    await useBackend(backend);
    setCustomKernelsEnabled(fused);
    return () => setCustomKernelsEnabled(true);
  });

  test.each(NORM_ACTIVATIONS)('%s: logits, loss and gradient norms', (norm) => {
    const want = ref.byNorm[norm];
    const model = modelFromTensors({ ...ref.config, norm }, ref.model);
    const ids = tf.tensor2d(ref.ids, undefined, 'int32');
    const logits = model.logits(ids);
    expect(logits.shape).toEqual([ref.ids.length, ref.ids[0].length, ref.config.vocabSize]);
    expect(maxAbsDiff(logits.dataSync(), want.logits.flat(2))).toBeLessThan(1e-4);
    const { loss, norms } = gradNorms(model, ids);
    expect(Math.abs(loss - want.loss) / want.loss).toBeLessThan(1e-5);
    expect(Object.keys(norms).sort()).toEqual(Object.keys(want.grad_norms).sort());
    for (const [name, g] of Object.entries(want.grad_norms)) {
      expect(Math.abs(norms[name] - g) / g, name).toBeLessThan(1e-3);
    }
    tf.dispose([ids, logits]);
    model.dispose();
  });
});

describe('modelFromTensors validation', () => {
  test('names the offending tensor', async () => {
    await useBackend('cpu');
    const missing = new Map(ref.model);
    missing.delete('sequential.3.mlp.value_param_tokens');
    expect(() => modelFromTensors(ref.config, missing)).toThrow(/missing tensor "sequential.3.mlp.value_param_tokens"/);
    const extra = new Map(ref.model).set('sequential.9.mlp.key_param_tokens', { shape: [1], data: new Float32Array(1) });
    expect(() => modelFromTensors(ref.config, extra)).toThrow(/unexpected tensor "sequential.9.mlp.key_param_tokens"/);
    const badShape = new Map(ref.model).set('sequential.2.attention.key.value_param_tokens', { shape: [24, 31], data: new Float32Array(24 * 31) });
    expect(() => modelFromTensors(ref.config, badShape)).toThrow(/"sequential.2.attention.key.value_param_tokens" has shape \[24,31\], expected \[24,32\]/);
    const growth = { ...modelFromTensors(ref.config, ref.model).growth, 'sequential.2.mlp': { tokens: 50, scaleTokens: 48 } };
    expect(() => modelFromTensors(ref.config, ref.model, growth)).toThrow(/"sequential.2.mlp.key_param_tokens" has shape \[48,32\], expected \[50,32\]/);
  });
});

describe('creation, export and inspection', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  test('dispose frees every tensor the model made (its initial values included)', () => {
    const before = tf.memory();
    createModel(preset('micro'), { seed: 1 }).dispose();
    expect([tf.memory().numTensors, tf.memory().numBytes]).toEqual([before.numTensors, before.numBytes]);
  });

  test('seeded reference init: deterministic, with the reference spreads', async () => {
    const c = preset('micro');
    const a = createModel(c, { seed: 4 });
    const b = createModel(c, { seed: 4 });
    const d = createModel(c, { seed: 5 });
    const ta = await a.toTensors();
    expect(Array.from(ta.get(EMBEDDING)!.data)).toEqual(Array.from((await b.toTensors()).get(EMBEDDING)!.data));
    expect(maxAbsDiff(ta.get(EMBEDDING)!.data, (await d.toTensors()).get(EMBEDDING)!.data)).toBeGreaterThan(0.01);
    const std = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    expect(std(ta.get('sequential.2.mlp.key_param_tokens')!.data)).toBeCloseTo(c.initStd, 2);
    const wang = 2 / (c.numLayers * Math.sqrt(c.hiddenSize));
    expect(std(ta.get('sequential.3.attention.value.value_param_tokens')!.data) / wang).toBeCloseTo(1, 1);
    expect(Array.from(ta.get('sequential.5.norm.weight')!.data).every((v) => v === 1)).toBe(true);
    expect(Array.from(ta.get('sequential.5.norm.bias')!.data).every((v) => v === 0)).toBe(true);
    expect(a.paramCount()).toBe([...ta.values()].reduce((n, t) => n + t.data.length, 0));
    [a, b, d].forEach((m) => m.dispose());
  });

  test('toTensors / modelFromTensors round trip for both architectures', async () => {
    for (const arch of ['tokenformer', 'transformer'] as const) {
      const c = preset('micro', { arch });
      const m = createModel(c, { seed: 1 });
      const copy = modelFromTensors(c, await m.toTensors());
      const ids = tf.tensor2d([[1, 2, 3, 4, 5]], undefined, 'int32');
      expect(maxAbsDiff(m.logits(ids).dataSync(), copy.logits(ids).dataSync())).toBe(0);
      expect(copy.growth).toEqual(m.growth);
      [m, copy].forEach((x) => x.dispose());
    }
  });

  test('attention maps: every layer and Pattention from one pass, no tensors left behind', async () => {
    const m = modelFromTensors(ref.config, ref.model);
    const ids = ref.ids[0].slice(0, 7);
    const before = tf.memory().numTensors;
    await m.attentionMaps(ref.ids[1]);
    const maps = await m.attentionMaps(ids);
    expect(tf.memory().numTensors).toBe(before);
    expect(maps.ids).toEqual(ids);
    expect(maps.layers).toHaveLength(2);
    const l = maps.layers[1];
    expect(l.pattention.ffn.n).toBe(48);
    expect(l.pattention.proj.n).toBe(20);
    expect(l.pattention.query.weights).toHaveLength(7 * 24);
    // l2_norm_gelu rows: GELU of a vector with ‖·‖ = √n, so not all zero and not normalised to sum 1
    expect(l.pattention.key.weights.some((w) => w !== 0)).toBe(true);
    expect(l.heads).toHaveLength(4 * 7 * 7);
    for (let h = 0; h < 4; h++) {
      for (let i = 0; i < 7; i++) {
        const row = l.heads.subarray((h * 7 + i) * 7, (h * 7 + i + 1) * 7);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        for (let j = i + 1; j < 7; j++) expect(row[j]).toBe(0);
      }
    }
    const baseline = createModel(preset('micro', { arch: 'transformer' }));
    const tmaps = await baseline.attentionMaps([1, 2, 3]);
    expect(tmaps.layers[0].pattention.query).toEqual({ n: 0, weights: new Float32Array(0) });
    expect(tmaps.layers[0].heads).toHaveLength(4 * 3 * 3);
    [m, baseline].forEach((x) => x.dispose());
  });

  test('errors: too long, wrong dtype, disposed', () => {
    const m = createModel(preset('micro'));
    expect(() => m.loss(tf.zeros([1, 65], 'int32') as tf.Tensor2D)).toThrow(/exceeds maxSeqLen 64/);
    expect(() => m.logits(tf.zeros([1, 4]) as tf.Tensor2D)).toThrow(/int32/);
    expect(() => m.loss(tf.zeros([1, 1], 'int32') as tf.Tensor2D)).toThrow(/at least 2/);
    m.dispose();
    expect(() => m.logits(tf.zeros([1, 4], 'int32') as tf.Tensor2D)).toThrow(/disposed/);
  });
});
