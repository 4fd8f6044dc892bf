// Global-norm clipping.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, test } from 'vitest';
import { useBackend } from '../testing/backend';
import { preset } from '../tokenformer/config';
import { setCustomKernelsEnabled } from '../tokenformer/kernels/jsKernel';
import { createModel } from '../tokenformer/model';
import { AdamW } from './adamw';
import { clipByGlobalNorm, globalNorm, sumTensors } from './clip';
import { trainStep } from './trainStep';

/**
 * WebGPU's default `maxStorageBuffersPerShaderStage` is 8, and tfjs-backend-webgpu 4.x creates its device without
 * raising it: a kernel it compiles with one storage buffer per input (AddN) fails validation above 7 inputs, and
 * the dropped command buffer leaves NaN/stale tensors behind instead of an error.
 */
const WEBGPU_MAX_KERNEL_INPUTS = 7;

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

test('sumTensors adds any count exactly like addN, without leaking', () => {
  for (const n of [1, 2, 3, 7, 8, 23, 64]) {
    const xs = Array.from({ length: n }, (_, i) => tf.tensor1d([i + 1, -2 * i]));
    const before = tf.memory().numTensors;
    const s = sumTensors(xs);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(Array.from(s.dataSync())).toEqual([(n * (n + 1)) / 2, -n * (n - 1)]);
    tf.dispose([s, ...xs]);
  }
  expect(() => sumTensors([])).toThrow(/no tensors/);
});

test('globalNorm over many gradients runs no kernel with more inputs than WebGPU allows', async () => {
  const grads = Array.from({ length: 30 }, (_, i) => tf.fill([3, 2], i % 2 ? 1 : -1));
  let norm: tf.Scalar | undefined;
  const prof = await tf.profile(() => {
    norm = globalNorm(grads);
    return norm;
  });
  expect(norm!.dataSync()[0]).toBeCloseTo(Math.sqrt(30 * 6), 4);
  const wide = prof.kernels.filter((k) => k.inputShapes.length > WEBGPU_MAX_KERNEL_INPUTS).map((k) => `${k.name}(${k.inputShapes.length})`);
  expect(wide).toEqual([]);
  tf.dispose([norm!, ...grads]);
});

// The composed-op path (custom kernels off) is what the webgpu and webgl backends run.
test('a whole training step on the composed path runs no kernel with more inputs than WebGPU allows', async () => {
  setCustomKernelsEnabled(false);
  try {
    const model = createModel(preset('micro', { maxSeqLen: 16 }), { seed: 1 });
    const opt = new AdamW(model.params);
    const ids = tf.tensor2d([Array.from({ length: 16 }, (_, i) => (i * 5) % 200)], undefined, 'int32');
    const prof = await tf.profile(() => trainStep(model, opt, ids, 1e-3));
    const wide = prof.kernels.filter((k) => k.inputShapes.length > WEBGPU_MAX_KERNEL_INPUTS).map((k) => `${k.name}(${k.inputShapes.length})`);
    expect(wide).toEqual([]);
    expect(prof.kernels.some((k) => k.name === 'Sqrt')).toBe(true); // the clip's norm ran inside the profile
    tf.dispose(ids);
    opt.dispose();
    model.dispose();
  } finally {
    setCustomKernelsEnabled(true);
  }
});
