// Training only the parameter tokens growth appended: frozen rows and tensors stay bit-identical, new rows learn.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, test } from 'vitest';
import { useBackend } from '../testing/backend';
import { preset } from '../tokenformer/config';
import { growModel } from '../tokenformer/growth';
import { createModel } from '../tokenformer/model';
import { AdamW } from './adamw';
import { trainStep } from './trainStep';

beforeAll(async () => {
  await useBackend('cpu');
});

test('freeze keeps the old rows (weight decay included) and the other tensors; the new rows move', async () => {
  const model = createModel(preset('micro', { maxSeqLen: 16 }), { seed: 3 });
  const base = new Map([...model.params].map(([n, p]) => [n, p.shape[0]]));
  growModel(model, { add: 4, target: 'all', mode: 'preserve', seed: 1 });
  const freeze = new Map([...model.params].map(([n, p]) => [n, /_param_tokens$/.test(n) ? base.get(n)! : p.shape[0]]));
  const before = new Map(await Promise.all([...model.params].map(async ([n, p]) => [n, (await p.data()) as Float32Array] as const)));
  const opt = new AdamW(model.params, { weightDecay: 0.5 });
  const ids = tf.tensor2d(Array.from({ length: 2 * 16 }, (_, i) => (i * 37) % 256), [2, 16], 'int32');
  for (let s = 0; s < 3; s++) trainStep(model, opt, ids, 1e-2, { freeze }).dispose();
  let moved = 0;
  for (const [n, p] of model.params) {
    const now = (await p.data()) as Float32Array;
    const old = before.get(n)!;
    const width = p.shape[1] ?? 1;
    const k = freeze.get(n)! * width;
    expect(Array.from(now.subarray(0, Math.min(k, now.length)))).toEqual(Array.from(old.subarray(0, Math.min(k, now.length))));
    if (now.length > k && now.subarray(k).some((v, i) => v !== old[k + i])) moved++;
  }
  // Every Pattention's new key and value rows learned something.
  expect(moved).toBe([...model.params.keys()].filter((n) => /_param_tokens$/.test(n)).length);
  ids.dispose();
});

test('the tensor count stays flat while frozen training runs', () => {
  const model = createModel(preset('micro', { maxSeqLen: 16 }), { seed: 4 });
  const base = new Map([...model.params].map(([n, p]) => [n, p.shape[0]]));
  growModel(model, { add: 2, target: 'ffn', mode: 'preserve', seed: 1 });
  const freeze = new Map([...model.params].map(([n, p]) => [n, /_param_tokens$/.test(n) ? base.get(n)! : p.shape[0]]));
  const opt = new AdamW(model.params);
  const ids = tf.tensor2d(Array.from({ length: 16 }, (_, i) => i), [1, 16], 'int32');
  trainStep(model, opt, ids, 1e-3, { freeze }).dispose();
  const n = tf.memory().numTensors;
  for (let s = 0; s < 3; s++) trainStep(model, opt, ids, 1e-3, { freeze }).dispose();
  expect(tf.memory().numTensors).toBe(n);
  ids.dispose();
});
