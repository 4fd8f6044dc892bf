// The cpu/wasm kernels against stock tfjs ops: tiled transpose (ragged tiles), batched XNNPACK matmul, softmaxes.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { NODE_BACKENDS, useBackend } from '../../testing/backend';
import { causalSoftmax } from './causalSoftmaxKernels';
import { runKernel } from './jsKernel';
import { TRANSPOSE_LAST2 } from './transposeKernel';
import { BATCH_MATMUL_XNN } from './wasmBatchMatmul';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];

describe.each(NODE_BACKENDS)('kernels on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  test('transpose of the last two axes, shapes off the 8×8 tile grid', () => {
    for (const shape of [[13, 21], [3, 9, 17], [2, 2, 8, 5]]) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', shape.length);
      const perm = [...shape.keys()];
      [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
      const got = runKernel<tf.Tensor>(TRANSPOSE_LAST2, { x });
      expect(got.shape).toEqual(tf.transpose(x, perm).shape);
      expect(maxDiff(got, tf.transpose(x, perm))).toBe(0);
    }
  });
});

describe('wasm batched matmul', () => {
  test('equals tf.matMul, leaves no tensors, refuses mismatched shapes', async () => {
    await useBackend('wasm');
    const a = tf.randomNormal([6, 7, 5], 0, 1, 'float32', 1);
    const b = tf.randomNormal([6, 5, 9], 0, 1, 'float32', 2);
    const before = tf.memory().numTensors;
    const got = runKernel<tf.Tensor>(BATCH_MATMUL_XNN, { a, b });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(got.shape).toEqual([6, 7, 9]);
    expect(maxDiff(got, tf.matMul(a, b))).toBeLessThan(1e-5);
    // Repeated calls on fresh operands (XNNPACK caches packed weights per tensor id).
    for (let i = 0; i < 3; i++) {
      const b2 = tf.randomNormal([6, 5, 9], 0, 1, 'float32', 10 + i);
      expect(maxDiff(runKernel<tf.Tensor>(BATCH_MATMUL_XNN, { a, b: b2 }), tf.matMul(a, b2))).toBeLessThan(1e-5);
    }
    expect(() => runKernel(BATCH_MATMUL_XNN, { a, b: tf.zeros([6, 4, 9]) })).toThrow(/shapes/);
  });
});

test('causal softmax masks the future and normalises the past', () => {
  const t = 4;
  const s = Float32Array.from({ length: 2 * t * t }, (_, i) => Math.sin(i));
  const p = new Float32Array(s.length).fill(NaN);
  causalSoftmax(s, p, 2 * t, t);
  for (let r = 0; r < 2 * t; r++) {
    const i = r % t;
    const row = p.subarray(r * t, (r + 1) * t);
    for (let j = i + 1; j < t; j++) expect(row[j]).toBe(0);
    const z = Array.from(s.subarray(r * t, r * t + i + 1)).reduce((a, x) => a + Math.exp(x), 0);
    for (let j = 0; j <= i; j++) expect(row[j]).toBeCloseTo(Math.exp(s[r * t + j]) / z, 6);
  }
});
