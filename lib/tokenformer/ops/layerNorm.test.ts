// LayerNorm (plain and affine): values and hand-written gradients against autodiff.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, test } from 'vitest';
import { NODE_BACKENDS, useBackend } from '../../testing/backend';
import { expectMatchesAutodiff } from '../../testing/gradCheck';
import { layerNorm, layerNormAffine } from './layerNorm';

const ref = (x: tf.Tensor, eps: number) => {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps)));
};

describe.each(NODE_BACKENDS)('layer norm on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  test('non-parametric', () => {
    const x = tf.randomNormal([6, 16], 0.5, 2, 'float32', 1);
    expectMatchesAutodiff((a) => layerNorm(a as tf.Tensor2D, 1e-5), (a) => ref(a, 1e-5), [x]);
  });
  test('affine', () => {
    const x = tf.randomNormal([6, 16], 0, 1, 'float32', 2);
    const w = tf.randomNormal([16], 1, 0.3, 'float32', 3);
    const b = tf.randomNormal([16], 0, 0.3, 'float32', 4);
    expectMatchesAutodiff(
      (a, ww, bb) => layerNormAffine(a as tf.Tensor2D, ww as tf.Tensor1D, bb as tf.Tensor1D, 1e-5),
      (a, ww, bb) => tf.add(tf.mul(ref(a, 1e-5), ww), bb),
      [x, w, b],
    );
  });
});
