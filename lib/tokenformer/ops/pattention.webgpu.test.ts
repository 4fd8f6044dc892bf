// Pattention against the reference fixture's float64 out, dx, dk, dv on webgpu (Node, Dawn + SwiftShader), with the
// fused WGSL norm kernels in both row layouts and with the composed stock ops.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadReferenceSmall, maxAbsDiff } from '../../testing/fixtures';
import { countKernels, HAS_NODE_WEBGPU, takeGpuErrors, useWebGPU } from '../../testing/webgpu';
import { NORM_ACTIVATIONS } from '../config';
import { setCustomKernelsEnabled } from '../kernels/jsKernel';
import { PATTENTION_NORM, PATTENTION_NORM_GRAD } from '../kernels/pattentionNormKernels';
import { setRowMode, type RowMode } from '../kernels/webgpu/program';
import { pattention } from './pattention';

const fx = loadReferenceSmall().pattention;
const get = (name: string) => {
  const t = fx.get(name);
  if (!t) throw new Error(`fixture lacks ${name}`);
  return tf.tensor2d(t.data, t.shape as [number, number]);
};

const CASES: { fused: boolean; mode: RowMode }[] = [
  { fused: true, mode: 'workgroup' },
  { fused: true, mode: 'thread' },
  { fused: false, mode: 'auto' },
];

describe.runIf(HAS_NODE_WEBGPU).each(CASES)('pattention on webgpu (fused: $fused, rows: $mode)', ({ fused, mode }) => {
  beforeAll(async () => {
    await useWebGPU();
    setCustomKernelsEnabled(fused);
    setRowMode(mode);
  });
  afterAll(() => {
    setCustomKernelsEnabled(true);
    setRowMode('auto');
  });

  test.each(NORM_ACTIVATIONS)('%s matches out, dx, dk, dv', async (norm) => {
    const [x, k, v, r] = ['x', 'k', 'v', 'r'].map(get);
    const opts = { norm, scaleTokens: k.shape[0] };
    const { result, counts } = await countKernels(async () => {
      const out = pattention(x, k, v, opts);
      // The gradient of sum(out ⊙ r) is the vector-Jacobian product with dy = r.
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => pattention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, opts))([x, k, v], r);
      return { out, grads, data: await Promise.all([out, ...grads].map((t) => t.data())) };
    });
    expect(counts.get(PATTENTION_NORM) ?? 0).toBe(fused ? 2 : 0);
    expect(counts.get(PATTENTION_NORM_GRAD) ?? 0).toBe(fused ? 1 : 0);
    const [out, dx, dk, dv] = result.data;
    expect(maxAbsDiff(out, fx.get(`${norm}.out`)!.data)).toBeLessThan(1e-4);
    for (const [name, g] of [['dx', dx], ['dk', dk], ['dv', dv]] as const) {
      const want = fx.get(`${norm}.${name}`)!;
      // Relative to the gradient's scale: the reference is float64, these are float32.
      const scale = Math.max(1, ...Array.from(want.data, Math.abs));
      expect(maxAbsDiff(g, want.data) / scale, `${norm} ${name}`).toBeLessThan(1e-4);
    }
    expect(takeGpuErrors()).toEqual([]);
    tf.dispose([x, k, v, r, result.out, ...result.grads]);
  });
});
