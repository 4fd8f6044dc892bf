// Pattention parity with the reference fixture (out, dx, dk, dv for all three norms), fused kernels vs composed ops.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NODE_BACKENDS, useBackend } from '../../testing/backend';
import { loadReferenceSmall, maxAbsDiff } from '../../testing/fixtures';
import { expectMatchesAutodiff } from '../../testing/gradCheck';
import { NORM_ACTIVATIONS, type NormActivation } from '../config';
import { setCustomKernelsEnabled } from '../kernels/jsKernel';
import { pattention, pattentionWeights } from './pattention';

const fx = loadReferenceSmall().pattention;
const get = (name: string) => {
  const t = fx.get(name);
  if (!t) throw new Error(`fixture lacks ${name}`);
  return tf.tensor2d(t.data, t.shape as [number, number]);
};

/** The README's statement of f(X Kᵀ) V in plain tfjs ops, for autodiff. */
function reference(x: tf.Tensor, k: tf.Tensor, v: tf.Tensor, norm: NormActivation, m: number): tf.Tensor {
  const s = tf.matMul(x, k, false, true);
  const gelu = (u: tf.Tensor) => tf.mul(tf.mul(0.5, u), tf.add(1, tf.erf(tf.div(u, Math.SQRT2))));
  const l2 = (u: tf.Tensor) => tf.sqrt(tf.sum(tf.square(u), -1, true));
  const f =
    norm === 'l2_norm_gelu'
      ? gelu(tf.mul(tf.div(s, l2(s)), Math.sqrt(m)))
      : norm === 'gelu_l2_norm'
        ? tf.mul(tf.div(gelu(s), l2(gelu(s))), Math.sqrt(m))
        : tf.mul(tf.div(tf.exp(s), tf.sum(tf.exp(s), -1, true)), m);
  return tf.matMul(f, v);
}

describe.each(NODE_BACKENDS.flatMap((backend) => [true, false].map((fused) => ({ backend, fused }))))('pattention on $backend (fused kernels: $fused)', ({ backend, fused }) => {
  beforeAll(async () => {
    await useBackend(backend);
    setCustomKernelsEnabled(fused);
  });
  afterAll(() => setCustomKernelsEnabled(true));

  test.each(NORM_ACTIVATIONS)('%s matches out, dx, dk, dv', (norm) => {
    const [x, k, v, r] = ['x', 'k', 'v', 'r'].map(get);
    const opts = { norm, scaleTokens: k.shape[0] };
    const out = pattention(x, k, v, opts);
    // The gradient of sum(out ⊙ r) is the vector-Jacobian product with dy = r.
    const [dx, dk, dv] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => pattention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, opts))([x, k, v], r);
    expect(maxAbsDiff(out.dataSync(), fx.get(`${norm}.out`)!.data)).toBeLessThan(1e-4);
    for (const [name, g] of [['dx', dx], ['dk', dk], ['dv', dv]] as const) {
      const want = fx.get(`${norm}.${name}`)!;
      expect(g.shape).toEqual(want.shape);
      // Relative to the gradient's scale: the reference is float64, these are float32.
      const scale = Math.max(1, ...Array.from(want.data, Math.abs));
      expect(maxAbsDiff(g.dataSync(), want.data) / scale, `${norm} ${name}`).toBeLessThan(1e-4);
    }
    tf.dispose([x, k, v, r, out, dx, dk, dv]);
  });

  test.each(NORM_ACTIVATIONS)('%s: gradients equal autodiff of the README math when scaleTokens < n', (norm) => {
    const [x, k, v] = [[9, 16], [40, 16], [40, 12]].map((s, i) => tf.randomNormal(s, 0, 1, 'float32', 10 + i));
    expectMatchesAutodiff((a, b, c) => pattention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, { norm, scaleTokens: 29 }), (a, b, c) => reference(a, b, c, norm, 29), [x, k, v], 2e-5);
    tf.dispose([x, k, v]);
  });

  test('scaleTokens, not the key count, sets the normalisation', () => {
    const [x, k] = ['x', 'k'].map(get);
    for (const norm of NORM_ACTIVATIONS) {
      const w24 = pattentionWeights(x, k, { norm, scaleTokens: 24 });
      const w6 = pattentionWeights(x, k, { norm, scaleTokens: 6 });
      // softmax scales by n, the l2 norms by √n: for l2_norm_gelu the √n sits inside GELU, so compare sums there.
      if (norm === 'softmax') expect(maxAbsDiff(tf.mul(w6, 4).dataSync(), w24.dataSync())).toBeLessThan(1e-5);
      else if (norm === 'gelu_l2_norm') expect(maxAbsDiff(tf.mul(w6, 2).dataSync(), w24.dataSync())).toBeLessThan(1e-5);
      else expect(maxAbsDiff(w6.dataSync(), w24.dataSync())).toBeGreaterThan(1e-2);
    }
    tf.dispose([x, k]);
  });
});
