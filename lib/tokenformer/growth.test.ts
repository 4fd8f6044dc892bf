// Growth: exact function preservation, the reference's zero-growth logit change, gradients of new tokens, invariants.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../testing/backend';
import { loadReferenceSmall, maxAbsDiff } from '../testing/fixtures';
import { NORM_ACTIVATIONS, preset, type NormActivation } from './config';
import { growModel } from './growth';
import { createModel, modelFromTensors, type LanguageModel } from './model';
import type { GrowMode, GrowOptions } from './types';

const ref = loadReferenceSmall();
const ids = () => tf.tensor2d(ref.ids, undefined, 'int32');

function logitChange(norm: NormActivation, grow: GrowOptions): { change: number; model: LanguageModel } {
  const model = modelFromTensors({ ...ref.config, norm }, ref.model);
  const x = ids();
  const before = model.logits(x);
  growModel(model, grow);
  const after = model.logits(x);
  const change = maxAbsDiff(before.dataSync(), after.dataSync());
  tf.dispose([x, before, after]);
  return { change, model };
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('logit change per mode (8 tokens in every Pattention)', () => {
  const measured: Record<string, Record<GrowMode, number>> = {};
  test.each(NORM_ACTIVATIONS)('%s', (norm) => {
    const row = {} as Record<GrowMode, number>;
    for (const mode of ['preserve', 'zero', 'official'] as const) {
      const { change, model } = logitChange(norm, { add: 8, mode, seed: 1 });
      row[mode] = change;
      model.dispose();
    }
    measured[norm] = row;
    // zero mode is the reference's experiment: zero tokens, √n (or n) recomputed.
    expect(Math.abs(row.zero - ref.byNorm[norm].grown_zero_8_max_abs_logit_change)).toBeLessThan(1e-4);
    // Softmax cannot be preserved (exp(0) joins the denominator): preserve falls back to zero there.
    if (norm === 'softmax') expect(row.preserve).toBe(row.zero);
    else expect(row.preserve).toBeLessThan(1e-6);
    expect(row.official).toBeGreaterThan(1e-3);
    console.log(`grow +8 ${norm}: max |Δlogit| preserve ${row.preserve.toExponential(2)}, zero ${row.zero.toFixed(4)}, official ${row.official.toFixed(4)}`);
  });
});

describe('preserve mode', () => {
  test.each(['l2_norm_gelu', 'gelu_l2_norm'] as const)('%s: new keys get non-zero gradients', (norm) => {
    const { model } = logitChange(norm, { add: 4, target: 'all', mode: 'preserve', seed: 3 });
    const x = ids();
    const vars = [...model.params.values()];
    const { value, grads } = tf.variableGrads(() => model.loss(x), vars);
    for (const prefix of Object.keys(model.growth)) {
      const k = model.params.get(`${prefix}.key_param_tokens`)!;
      const g = grads[k.name];
      const newRows = tf.slice(g, [k.shape[0] - 4, 0], [4, -1]);
      expect(tf.norm(newRows).dataSync()[0], prefix).toBeGreaterThan(1e-8);
      newRows.dispose();
    }
    tf.dispose([x, value, ...Object.values(grads)]);
    model.dispose();
  });
});

describe('growth bookkeeping', () => {
  test('targets, layers, factor, hooks and invariants', async () => {
    const model = createModel(preset('micro'), { seed: 5 });
    const replaced: [string, number, number, number][] = [];
    const ev = growModel(model, { factor: 1.5, target: 'qkv', layers: [1], mode: 'official', seed: 2 }, {
      step: 40,
      onParamReplaced: (name, oldVar, newVar, added) => replaced.push([name, oldVar.shape[0], newVar.shape[0], added]),
    });
    expect(ev.step).toBe(40);
    expect(ev.changes).toEqual({
      'sequential.3.attention.query': [24, 36],
      'sequential.3.attention.key': [24, 36],
      'sequential.3.attention.value': [24, 36],
    });
    expect(replaced).toHaveLength(6);
    expect(replaced[0]).toEqual(['sequential.3.attention.query.key_param_tokens', 24, 36, 12]);
    expect(ev.paramsAfter - ev.paramsBefore).toBe(3 * 12 * 2 * 32);
    expect(model.paramCount()).toBe(ev.paramsAfter);
    expect(model.growth['sequential.3.attention.query']).toEqual({ tokens: 36, scaleTokens: 36 });
    expect(model.growth['sequential.2.attention.query']).toEqual({ tokens: 24, scaleTokens: 24 });
    const ev2 = growModel(model, { add: 2, target: 'ffn' });
    expect(ev2.mode).toBe('preserve');
    expect(model.growth['sequential.2.mlp']).toEqual({ tokens: 50, scaleTokens: 48 });
    expect(model.params.get('sequential.2.mlp.key_param_tokens')!.shape).toEqual([50, 32]);
    // A checkpoint round trip keeps the grown shapes when the growth state travels with it.
    const copy = modelFromTensors(model.config, await model.toTensors(), model.growth);
    expect(copy.paramCount()).toBe(model.paramCount());
    expect(() => growModel(model, { target: 'ffn' })).toThrow(/"add" or "factor"/);
    expect(() => growModel(model, { add: 1, layers: [7] })).toThrow(/layer 7/);
    const baseline = createModel(preset('micro', { arch: 'transformer' }));
    expect(() => growModel(baseline, { add: 1 })).toThrow(/only a tokenformer/);
    [model, copy, baseline].forEach((m) => m.dispose());
  });

  test('softmax preserve reports the zero mode it applies', () => {
    const model = createModel(preset('micro', { norm: 'softmax' }));
    expect(growModel(model, { add: 2, mode: 'preserve' }).mode).toBe('zero');
    expect(model.growth['sequential.2.mlp']).toEqual({ tokens: 50, scaleTokens: 50 });
    model.dispose();
  });

  test('growth keeps memory flat', () => {
    const model = createModel(preset('micro'));
    const before = tf.memory().numTensors;
    growModel(model, { add: 8 });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
