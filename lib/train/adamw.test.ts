// AdamW against the PyTorch formula in float64, decay policy, and moment extension after growth.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, expect, test } from 'vitest';
import { useBackend } from '../testing/backend';
import { setCustomKernelsEnabled } from '../tokenformer/kernels/js_kernel';
import { AdamW } from './adamw';

beforeAll(async () => {
  await useBackend('cpu');
});
afterEach(() => setCustomKernelsEnabled(true));

/** torch.optim.AdamW, float64, for a list of gradient steps. */
function torchAdamW(p0: number[], grads: number[][], lr: number, wd: number, b1 = 0.9, b2 = 0.95, eps = 1e-8): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < p.length; i++) {
      p[i] *= 1 - lr * wd;
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] -= (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
    }
  });
  return p;
}

test.each([true, false])('matches torch AdamW; matrices decay, vectors do not (fused kernel: %s)', (fused) => {
  setCustomKernelsEnabled(fused);
  const w0 = [0.5, -1, 2, 0.25];
  const b0 = [0.1, -0.2];
  const params = new Map<string, tf.Variable>([
    ['w', tf.variable(tf.tensor2d(w0, [2, 2]))],
    ['b', tf.variable(tf.tensor1d(b0))],
  ]);
  const opt = new AdamW(params);
  const gw = [[0.3, -0.1, 0.05, 2], [-0.2, 0.4, 0.1, -1], [0.01, 0.02, -0.3, 0.5]];
  const gb = [[1, -1], [0.5, 0.2], [-0.1, 0.3]];
  for (let s = 0; s < 3; s++) {
    // The last step passes its gradients doubled with a clip factor of ½: the same update.
    const k = s === 2 ? 2 : 1;
    const scale = s === 2 ? tf.scalar(0.5) : undefined;
    opt.step(new Map<string, tf.Tensor>([['w', tf.mul(tf.tensor2d(gw[s], [2, 2]), k)], ['b', tf.mul(tf.tensor1d(gb[s]), k)]]), 0.01, scale);
  }
  expect(opt.stepCount).toBe(3);
  const w = params.get('w')!.dataSync();
  const b = params.get('b')!.dataSync();
  torchAdamW(w0, gw, 0.01, 0.1).forEach((x, i) => expect(w[i]).toBeCloseTo(x, 6));
  torchAdamW(b0, gb, 0.01, 0).forEach((x, i) => expect(b[i]).toBeCloseTo(x, 6));
  opt.dispose();
  params.forEach((p) => p.dispose());
});

test('extend keeps old rows exact and starts new rows from zero moments', async () => {
  const params = new Map<string, tf.Variable>([['k', tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]))]]);
  const opt = new AdamW(params, { weightDecay: 0 });
  opt.step(new Map([['k', tf.tensor2d([0.1, 0.2, 0.3, 0.4], [2, 2])]]), 0.1);
  const before = (await opt.state()).moments.get('k')!;
  const grown = tf.variable(tf.concat([params.get('k')!, tf.zeros([1, 2])], 0));
  opt.extend('k', grown);
  params.get('k')!.dispose();
  params.set('k', grown);
  const after = (await opt.state()).moments.get('k')!;
  expect(after.shape).toEqual([3, 2]);
  expect(Array.from(after.m.slice(0, 4))).toEqual(Array.from(before.m));
  expect(Array.from(after.m.slice(4))).toEqual([0, 0]);
  expect(Array.from(after.v.slice(4))).toEqual([0, 0]);
  expect(opt.stepCount).toBe(1);
  // The next step runs at the new shape; a step without extend would be refused.
  opt.step(new Map([['k', tf.ones([3, 2])]]), 0.1);
  expect(() => opt.step(new Map([['k', tf.ones([2, 2])]]), 0.1)).toThrow(/shape/);
  const other = new Map<string, tf.Variable>([['k', tf.variable(tf.ones([2, 2]))]]);
  const opt2 = new AdamW(other);
  opt2.step(new Map([['k', tf.ones([2, 2])]]), 0.1);
  other.set('k', tf.variable(tf.ones([3, 2])));
  expect(() => opt2.step(new Map([['k', tf.ones([3, 2])]]), 0.1)).toThrow(/call extend/);
  expect(() => opt2.extend('k', tf.variable(tf.ones([3, 3])))).toThrow(/cannot extend/);
});

test('state() then restore() resumes exactly', async () => {
  const make = () => new Map<string, tf.Variable>([['w', tf.variable(tf.tensor2d([0.5, -1, 2, 0.25], [2, 2]))]]);
  const grad = (s: number) => new Map<string, tf.Tensor>([['w', tf.tensor2d([0.1 * s, -0.2, 0.3, 0.05 * s], [2, 2])]]);
  const a = make();
  const optA = new AdamW(a);
  for (let s = 1; s <= 3; s++) optA.step(grad(s), 0.01);
  const saved = await optA.state();
  const b = new Map<string, tf.Variable>([['w', tf.variable(tf.clone(a.get('w')!))]]);
  const optB = new AdamW(b);
  optB.restore(saved.step, new Map([...saved.moments].map(([n, x]) => [n, x.m])), new Map([...saved.moments].map(([n, x]) => [n, x.v])));
  expect(optB.stepCount).toBe(3);
  optA.step(grad(4), 0.01);
  optB.step(grad(4), 0.01);
  expect(Array.from(b.get('w')!.dataSync())).toEqual(Array.from(a.get('w')!.dataSync()));
  expect(() => optB.restore(1, new Map([['w', new Float32Array(3)]]), new Map([['w', new Float32Array(3)]]))).toThrow(/3 values/);
});
