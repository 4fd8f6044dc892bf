// AdamW against the PyTorch formula in float64, decay policy, and moment extension after growth.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, expect, test } from 'vitest';
import { useBackend } from '../testing/backend';
import { setCustomKernelsEnabled } from '../tokenformer/kernels/jsKernel';
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

test.each([true, false])('matches torch AdamW; matrices decay, vectors do not (fused kernel: %s)', async (fused) => {
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
  expect(await opt.steps()).toBe(3);
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
  expect(await opt.steps()).toBe(1);
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
  expect(await optB.steps()).toBe(3);
  optA.step(grad(4), 0.01);
  optB.step(grad(4), 0.01);
  expect(Array.from(b.get('w')!.dataSync())).toEqual(Array.from(a.get('w')!.dataSync()));
  expect(() => optB.restore(1, new Map([['w', new Float32Array(3)]]), new Map([['w', new Float32Array(3)]]))).toThrow(/3 values/);
});

test.each([true, false])('a step with ok=false changes no bit of weights, moments or step count (fused kernel: %s)', async (fused) => {
  setCustomKernelsEnabled(fused);
  const make = () => new Map<string, tf.Variable>([['w', tf.variable(tf.tensor2d([0.5, -1, 2, -0], [2, 2]))], ['b', tf.variable(tf.tensor1d([0.1, -0.2]))]]);
  const grad = (s: number, bad = NaN) =>
    new Map<string, tf.Tensor>([['w', tf.tensor2d([0.1 * s, bad, 0.3, -0.05], [2, 2])], ['b', tf.tensor1d([1, -s])]]);
  const bits = async (params: Map<string, tf.Variable>, opt: AdamW) => {
    const s = await opt.state();
    return {
      step: s.step,
      p: [...params].map(([n, p]) => [n, Array.from(new Uint32Array(p.dataSync().slice().buffer))]),
      m: [...s.moments].map(([n, x]) => [n, Array.from(new Uint32Array(x.m.slice().buffer)), Array.from(new Uint32Array(x.v.slice().buffer))]),
    };
  };
  const a = make();
  const b = make();
  const optA = new AdamW(a);
  const optB = new AdamW(b);
  for (let s = 1; s <= 2; s++) {
    optA.step(grad(s, 0.2), 0.01);
    optB.step(grad(s, 0.2), 0.01);
  }
  const before = await bits(a, optA);
  // NaN and Inf gradients, a NaN clip factor: with ok=false nothing moves, not even -0 to +0.
  for (const bad of [NaN, Infinity]) {
    const no = tf.scalar(false, 'bool');
    optA.step(grad(9, bad), 0.01, tf.scalar(NaN), no);
    no.dispose();
    expect(await bits(a, optA)).toEqual(before);
  }
  // Training continues as if the bad steps had never been there: step 3 is bias-corrected as step 3.
  const yes = tf.scalar(true, 'bool');
  optA.step(grad(3, 0.2), 0.01, undefined, yes);
  optB.step(grad(3, 0.2), 0.01);
  expect(await bits(a, optA)).toEqual(await bits(b, optB));
  expect(await optA.steps()).toBe(3);
  yes.dispose();
});

test('capture() and reset() return to a state exactly, dropping moments created since', async () => {
  const params = new Map<string, tf.Variable>([['w', tf.variable(tf.tensor1d([1, 2]))]]);
  const opt = new AdamW(params);
  const empty = opt.capture();
  opt.step(new Map([['w', tf.tensor1d([0.5, -0.5])]]), 0.1);
  const one = opt.capture();
  const at1 = await opt.state();
  opt.step(new Map([['w', tf.tensor1d([0.3, 0.1])]]), 0.1);
  opt.reset(one);
  expect(await opt.state()).toEqual(at1);
  opt.reset(empty);
  expect(await opt.state()).toEqual({ step: 0, moments: new Map() });
  params.set('w', tf.variable(tf.tensor1d([1, 2, 3])));
  expect(() => opt.reset(one)).toThrow(/grown since/);
});
