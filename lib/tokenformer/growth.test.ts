// Growth: exact function preservation, the reference's zero-growth logit change, gradients of new tokens, invariants.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../testing/backend';
import { loadReferenceSmall, maxAbsDiff } from '../testing/fixtures';
import { AdamW } from '../train/adamw';
import { trainStep } from '../train/trainStep';
import { MAX_PATTENTION_TOKENS, NORM_ACTIVATIONS, preset, type NormActivation } from './config';
import { growModel, planGrowth } from './growth';
import { initialGrowth } from './params';
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
      stageParam: (name, oldVar, newVar, added) => void replaced.push([name, oldVar.shape[0], newVar.shape[0], added]),
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

describe('growth is one transaction', () => {
  async function snapshot(model: LanguageModel, opt: AdamW) {
    const state = await opt.state();
    return {
      weights: await model.toTensors(),
      variables: new Map(model.params),
      growth: structuredClone(model.growth),
      moments: state.moments,
      step: state.step,
      tensors: tf.memory().numTensors,
    };
  }

  test('a failure midway leaves the weights, the growth state and the optimizer moments untouched', async () => {
    const model = createModel(preset('micro'), { seed: 9 });
    const opt = new AdamW(model.params);
    const x = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8]], undefined, 'int32');
    trainStep(model, opt, x, 1e-2).dispose(); // moments exist, so growth must extend them too
    const before = await snapshot(model, opt);
    let staged = 0;
    const failing = (name: string, _old: tf.Variable, next: tf.Variable) => {
      const change = opt.stageExtend(name, next); // built, then the 7th replacement fails
      if (++staged === 7) {
        change.abort();
        throw new Error('injected failure');
      }
      return change;
    };
    expect(() => growModel(model, { add: 16, mode: 'official', seed: 1 }, { stageParam: failing })).toThrow('injected failure');
    expect(staged).toBe(7);
    const after = await snapshot(model, opt);
    expect(after.growth).toEqual(before.growth);
    expect([...after.variables.entries()]).toEqual([...before.variables.entries()]); // the very same variables
    for (const [name, t] of before.weights) {
      expect(after.weights.get(name)!.shape, name).toEqual(t.shape);
      expect(after.weights.get(name)!.data, name).toEqual(t.data);
    }
    expect([...after.moments.keys()]).toEqual([...before.moments.keys()]);
    for (const [name, m] of before.moments) {
      expect(after.moments.get(name)!.shape, name).toEqual(m.shape);
      expect(after.moments.get(name)!.m, name).toEqual(m.m);
      expect(after.moments.get(name)!.v, name).toEqual(m.v);
    }
    expect(after.step).toBe(before.step);
    expect(after.tensors).toBe(before.tensors); // everything built for the failed growth was freed
    // The model and optimizer still train and grow normally afterwards.
    growModel(model, { add: 16 }, { stageParam: (name, _old, next) => opt.stageExtend(name, next) });
    trainStep(model, opt, x, 1e-2).dispose();
    expect((await opt.state()).moments.get('sequential.2.mlp.key_param_tokens')!.shape).toEqual([64, 32]);
    tf.dispose(x);
    opt.dispose();
    model.dispose();
  });

  test('a request that cannot be met is refused before anything is built', () => {
    const model = createModel(preset('micro'));
    const tensors = tf.memory().numTensors;
    const growth = structuredClone(model.growth);
    let staged = 0;
    const hooks = { stageParam: () => void staged++ };
    expect(() => growModel(model, { add: MAX_PATTENTION_TOKENS }, hooks)).toThrow(/passes the limit of 1,048,576 per Pattention/);
    expect(() => growModel(model, { add: 1, layers: [0, 1, 2] }, hooks)).toThrow(/growth layer 2 is outside 0\.\.1/);
    expect(staged).toBe(0);
    expect(model.growth).toEqual(growth);
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });
});

describe('planGrowth', () => {
  const c = preset('micro');
  const g = initialGrowth(c);
  const plan = (o: GrowOptions) => () => planGrowth(c, g, o);

  test('plans the grown state without touching tensors', () => {
    const p = planGrowth(c, g, { add: 8, target: 'ffn', layers: [1] });
    expect(p.changes).toEqual({ 'sequential.3.mlp': [48, 56] });
    expect(p.growth['sequential.3.mlp']).toEqual({ tokens: 56, scaleTokens: 48 });
    expect(p.growth['sequential.2.mlp']).toEqual(g['sequential.2.mlp']);
    expect(g['sequential.3.mlp'].tokens).toBe(48); // the input state is not modified
    expect(planGrowth(c, g, { factor: 2, mode: 'zero' }).growth['sequential.2.mlp']).toEqual({ tokens: 96, scaleTokens: 96 });
  });

  test.each<[GrowOptions, RegExp]>([
    [{ add: Infinity }, /at least one token per Pattention, got Infinity/],
    [{ add: NaN }, /got NaN/],
    [{ add: -3 }, /got -3/],
    [{ add: 1.5 }, /got 1\.5/],
    [{ add: '8' as unknown as number }, /got "8"/],
    [{ factor: Infinity }, /growth factor must be a finite number, got Infinity/],
    [{ factor: 1 }, /at least one token/],
    [{ add: 1, factor: 2 }, /not both/],
    [{ add: 1, mode: 'wild' as never }, /unknown growth mode "wild"/],
    [{ add: 1, target: '__proto__' as never }, /unknown growth target "__proto__"/],
    [{ add: 1, seed: NaN }, /growth seed must be an integer, got NaN/],
    [{ add: 1, layers: 3 as never }, /list of layer indices, got 3/],
    [{ add: 1, layers: [0.5] }, /growth layer 0\.5 is outside/],
    [{ add: 1, layers: [] }, /selects no Pattention/],
    [{ add: MAX_PATTENTION_TOKENS - 47 }, /to 1048577 tokens passes the limit/],
  ])('refuses %o', (o, message) => {
    expect(plan(o)).toThrow(message);
  });
});
