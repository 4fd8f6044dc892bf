// Embedding lookup and the tied cross-entropy head against autodiff of the plain ops.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { NODE_BACKENDS, useBackend } from '../../testing/backend';
import { setCustomKernelsEnabled } from '../kernels/jsKernel';
import { expectMatchesAutodiff } from '../../testing/gradCheck';
import { embed, tiedCrossEntropy } from './embedding';

describe.each(NODE_BACKENDS.flatMap((backend) => [true, false].map((fused) => ({ backend, fused }))))('embedding and tied cross-entropy on $backend (custom kernels: $fused)', ({ backend, fused }) => {
  beforeAll(async () => {
    await useBackend(backend);
    setCustomKernelsEnabled(fused);
    return () => setCustomKernelsEnabled(true);
  });

  test('embedding gathers rows and scatters gradients back (repeated ids add up)', () => {
    const table = tf.randomNormal([11, 6], 0, 1, 'float32', 1);
    const ids = tf.tensor1d([3, 0, 3, 10, 3], 'int32');
    // wasm lacks UnsortedSegmentSum (gather's registered gradient); there the reference is the one-hot product
    // (cast from int32: wasm's oneHot with dtype float32 returns zeros in tfjs 4.22).
    const reference = backend === 'cpu' ? (e: tf.Tensor) => tf.gather(e, ids) : (e: tf.Tensor) => tf.matMul(tf.cast(tf.oneHot(ids, 11), 'float32'), e);
    expectMatchesAutodiff((e) => embed(e as tf.Tensor2D, ids), reference, [table]);
  });

  test('cross-entropy skips rows with target −1', () => {
    const h = tf.randomNormal([5, 6], 0, 1, 'float32', 2);
    const table = tf.randomNormal([11, 6], 0, 1, 'float32', 3);
    const targets = tf.tensor1d([4, 9, -1, 0, 10], 'int32');
    const reference = (hh: tf.Tensor, e: tf.Tensor) => {
      const logp = tf.logSoftmax(tf.matMul(hh, e, false, true));
      return tf.div(tf.neg(tf.sum(tf.mul(tf.oneHot(tf.tensor1d([4, 9, 0, 0, 10], 'int32'), 11), tf.mul(logp, tf.tensor2d([1, 1, 0, 1, 1], [5, 1]))))), 4);
    };
    expectMatchesAutodiff((hh, e) => tiedCrossEntropy(hh as tf.Tensor2D, e as tf.Tensor2D, targets, 4), reference, [h, table]);
  });

});

test.each(NODE_BACKENDS)('the %s kernels refuse ids outside the table instead of reading past it', async (backend) => {
  await useBackend(backend);
  const table = tf.zeros([4, 2]) as tf.Tensor2D;
  expect(() => embed(table, tf.tensor1d([1, 4], 'int32'))).toThrow(/id 4 outside 0..3/);
  expect(() => embed(table, tf.tensor1d([-1], 'int32'))).toThrow(/outside/);
  expect(() => tiedCrossEntropy(tf.zeros([2, 2]) as tf.Tensor2D, table, tf.tensor1d([0, 7], 'int32'), 2)).toThrow(/id 7 outside -1..3/);
});
