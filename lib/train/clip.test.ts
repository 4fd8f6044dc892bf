// Global-norm clipping.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, test } from 'vitest';
import { useBackend } from '../testing/backend';
import { clipByGlobalNorm } from './clip';

beforeAll(async () => {
  await useBackend('cpu');
});

test('scales all gradients by maxNorm/‖g‖ only when the norm exceeds maxNorm', () => {
  const grads = () => new Map<string, tf.Tensor>([['a', tf.tensor1d([3, 0])], ['b', tf.tensor2d([[0, 4]])]]);
  const { grads: clipped, norm } = clipByGlobalNorm(grads(), 1);
  expect(norm.dataSync()[0]).toBeCloseTo(5, 6);
  expect(Array.from(clipped.get('a')!.dataSync())).toEqual([expect.closeTo(0.6, 5), 0]);
  expect(Array.from(clipped.get('b')!.dataSync())).toEqual([0, expect.closeTo(0.8, 5)]);
  const loose = clipByGlobalNorm(grads(), 10);
  expect(Array.from(loose.grads.get('a')!.dataSync())).toEqual([3, 0]);
});
