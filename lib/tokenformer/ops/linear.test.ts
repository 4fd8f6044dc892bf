// Dense layer (PyTorch [out, in] weights) and residual add against autodiff.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, test } from 'vitest';
import { NODE_BACKENDS, useBackend } from '../../testing/backend';
import { expectMatchesAutodiff } from '../../testing/gradCheck';
import { linear } from './linear';
import { residualAdd } from './residual';

describe.each(NODE_BACKENDS)('linear and residual on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  test('linear', () => {
    const [x, w, b] = [[7, 5], [3, 5], [3]].map((s, i) => tf.randomNormal(s, 0, 1, 'float32', i + 1));
    expectMatchesAutodiff((a, ww, bb) => linear(a as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D), (a, ww, bb) => tf.add(tf.matMul(a, ww, false, true), bb), [x, w, b]);
  });
  test('residual add', () => {
    const [a, b] = [1, 2].map((s) => tf.randomNormal([4, 3], 0, 1, 'float32', s));
    expectMatchesAutodiff((x, y) => residualAdd(x, y), (x, y) => tf.add(x, y), [a, b]);
  });
});
