// Causal attention with partial rotary against a direct statement of the GPT-NeoX math (slices and concat), by autodiff.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { NODE_BACKENDS, useBackend } from '../../testing/backend';
import { setCustomKernelsEnabled } from '../kernels/jsKernel';
import { expectMatchesAutodiff } from '../../testing/gradCheck';
import { causalAttentionProbs, causalSelfAttention } from './causalAttention';
import { rotaryAngles, rotaryTables } from './rotary';

const B = 2, T = 5, H = 2, HD = 8, R = 4;
const shape = { batch: B, seqLen: T, numHeads: H };

/** GPT-NeoX: rotary on x[..., :r] with rotate_half = cat(−x2, x1); the rest passes through. */
function neoxRotary(x: tf.Tensor4D): tf.Tensor4D {
  const ang = tf.tensor2d(Float32Array.from(rotaryAngles(T, R, 10000)), [T, R]);
  const rot = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, R]);
  const pass = tf.slice(x, [0, 0, 0, R], [-1, -1, -1, HD - R]);
  const x1 = tf.slice(rot, [0, 0, 0, 0], [-1, -1, -1, R / 2]);
  const x2 = tf.slice(rot, [0, 0, 0, R / 2], [-1, -1, -1, R / 2]);
  const half = tf.concat([tf.neg(x2), x1], 3);
  return tf.concat([tf.add(tf.mul(rot, tf.cos(ang)), tf.mul(half, tf.sin(ang))), pass], 3);
}

function reference(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const heads = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [B, T, H, HD]), [0, 2, 1, 3]) as tf.Tensor4D;
  const scores = tf.div(tf.matMul(neoxRotary(heads(q)), neoxRotary(heads(k)), false, true), Math.sqrt(HD)); // [B, H, T, T]
  const mask = tf.linalg.bandPart(tf.ones([T, T]), -1, 0);
  const p = tf.softmax(tf.add(scores, tf.mul(tf.sub(1, mask), -1e9)));
  return tf.reshape(tf.transpose(tf.matMul(p, heads(v)), [0, 2, 1, 3]), [B * T, H * HD]);
}

describe.each(NODE_BACKENDS.flatMap((backend) => [true, false].map((fused) => ({ backend, fused }))))('causal self-attention on $backend (custom kernels: $fused)', ({ backend, fused }) => {
  beforeAll(async () => {
    await useBackend(backend);
    setCustomKernelsEnabled(fused);
    return () => setCustomKernelsEnabled(true);
  });

  test('matches the reference statement, with gradients', () => {
    const [q, k, v] = [1, 2, 3].map((s) => tf.randomNormal([B * T, H * HD], 0, 1, 'float32', s));
    const rotary = rotaryTables(T, HD, R, 10000);
    expectMatchesAutodiff((a, b, c) => causalSelfAttention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, shape, rotary), reference, [q, k, v], 2e-5);
  });

  test('probabilities are causal and sum to one', () => {
    const [q, k] = [4, 5].map((s) => tf.randomNormal([B * T, H * HD], 0, 1, 'float32', s));
    const p = causalAttentionProbs(q as tf.Tensor2D, k as tf.Tensor2D, shape, rotaryTables(T, HD, R, 10000));
    expect(p.shape).toEqual([B, H, T, T]);
    const a = p.arraySync();
    for (const row of a.flat(2)) expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
    expect(a[1][1][2][3]).toBe(0);
    expect(a[0][0][0][0]).toBeCloseTo(1, 6);
  });
});
