import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installNodeWebGPU, SWIFTSHADER_ICD } from '../../../../cli/nodeWebgpu';

// The barrier-free programs against the cpu backend, on WebGPU under Node (Dawn on SwiftShader), edge tiles included.
describe.runIf(existsSync(SWIFTSHADER_ICD))('barrier-free WebGPU kernels (SwiftShader)', () => {
  let kernels: typeof import('./barrierFree');
  let programsRun: string[] = [];

  beforeAll(async () => {
    expect(await installNodeWebGPU({ software: true })).toBeNull();
    await import('@tensorflow/tfjs-backend-webgpu');
    kernels = await import('./barrierFree');
    expect(await tf.setBackend('webgpu')).toBe(true);
    const be = tf.backend() as unknown as { runWebGPUProgram: (p: { shaderKey: string }, ...rest: unknown[]) => unknown };
    const run = be.runWebGPUProgram.bind(be);
    be.runWebGPUProgram = (p, ...rest) => {
      programsRun.push(p.shaderKey);
      return run(p, ...rest);
    };
  }, 60_000);
  afterAll(async () => {
    kernels?.setBarrierFreeKernels('auto');
    await tf.setBackend('cpu');
  });

  const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2);

  /** Runs `f` on cpu and on webgpu with the same data; returns the largest difference and the programs webgpu ran. */
  async function compare(shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Tensor) {
    const data = shapes.map((s, i) => values(tf.util.sizeFromShape(s), i));
    await tf.setBackend('cpu');
    const want = tf.tidy(() => f(...shapes.map((s, i) => tf.tensor(data[i], s)))).dataSync();
    await tf.setBackend('webgpu');
    programsRun = [];
    const out = tf.tidy(() => f(...shapes.map((s, i) => tf.tensor(data[i], s))));
    const got = await out.data();
    const shape = out.shape;
    out.dispose();
    let max = 0;
    for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i] - got[i]) / Math.max(1, Math.abs(want[i])));
    expect(got.length).toBe(want.length);
    return { max, programs: programsRun.join(' '), shape };
  }

  it('picks the barrier-free programs on SwiftShader by itself', () => {
    expect(kernels.isSoftwareAdapter(tf.backend() as never)).toBe(true);
  });

  // Pattention's products (x·Kᵀ, f·V, fᵀ·dy, ds·K) at odd sizes, so every edge tile is exercised; and batched ones.
  const products: [string, number[], number[], boolean, boolean][] = [
    ['NT', [37, 13], [29, 13], false, true],
    ['NN', [37, 29], [29, 13], false, false],
    ['TN', [37, 29], [37, 13], true, false],
    ['TT', [29, 37], [13, 29], true, true],
    ['batched NN', [3, 9, 6], [3, 6, 11], false, false],
    ['batched NT, shared b', [3, 9, 6], [1, 11, 6], false, true],
    ['1×1', [1, 1], [1, 1], false, false],
    // Sizes in fours take the vec4 loops.
    ['NT vec4', [36, 12], [22, 12], false, true],
    ['NN vec4', [38, 12], [12, 20], false, false],
    ['TN vec4', [12, 36], [12, 20], true, false],
    ['TN vec4, k not in fours', [13, 36], [13, 20], true, false],
    ['batched NN vec4, shared b', [3, 9, 12], [1, 12, 16], false, false],
  ];
  for (const [name, sa, sb, ta, tb] of products) {
    it(`matMul ${name} ${JSON.stringify(sa)}·${JSON.stringify(sb)} matches cpu`, async () => {
      kernels.setBarrierFreeKernels('on');
      const r = await compare([sa, sb], (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb));
      expect(r.programs).toContain(name.includes('vec4') ? 'labMatMul_' : 'labMatMul');
      expect(r.programs.includes('_vec4')).toBe(name.includes('vec4'));
      expect(r.max).toBeLessThan(1e-5);
    });
  }

  it('reductions and softmax over the last axes match cpu, NaN included', async () => {
    kernels.setBarrierFreeKernels('on');
    const checks: [string, (x: tf.Tensor) => tf.Tensor][] = [
      ['sum', (x) => tf.sum(x, -1)],
      ['sum keepDims over two axes', (x) => tf.sum(x, [1, 2], true)],
      ['mean', (x) => tf.mean(x, -1, true)],
      ['max', (x) => tf.max(x, -1)],
      ['min', (x) => tf.min(x, 2)],
      ['softmax', (x) => tf.softmax(x)],
      ['sum over the first axis (columns)', (x) => tf.sum(x, 0)],
      ['mean over the first two axes, keepDims', (x) => tf.mean(tf.reshape(x, [8, 5, 104]), [0, 1], true)],
      ['max over the first axis', (x) => tf.max(tf.reshape(x, [13, 320]), 0)],
    ];
    for (const [name, f] of checks) {
      const r = await compare([[40, 8, 13]], f);
      expect(r.programs, name).toMatch(/lab(Reduce|RowSoftmax)/);
      expect(r.max, name).toBeLessThan(1e-5);
    }
    await tf.setBackend('webgpu');
    const withNaN = tf.tensor2d([...Array(40 * 3)].map((_, i) => (i === 4 ? NaN : i)), [40, 3]);
    const [mx, sm] = await Promise.all([tf.max(withNaN, -1).data(), tf.sum(withNaN, -1).data()]);
    withNaN.dispose();
    expect([mx[1], sm[1], mx[2], sm[2]]).toEqual([NaN, NaN, 8, 21]);
    expect([mx[0], sm[0]]).toEqual([2, 3]);
  });

  it('leaves what it does not cover to tfjs, and everything when off', async () => {
    kernels.setBarrierFreeKernels('on');
    let r = await compare([[40, 8, 50]], (x) => tf.sum(x, 1)); // a middle axis
    expect(r.programs).not.toContain('labReduce');
    r = await compare([[4, 60]], (x) => tf.sum(x, -1)); // too few rows
    expect(r.programs).not.toContain('labReduce');
    r = await compare([[60, 4]], (x) => tf.sum(x, 0)); // too few columns
    expect(r.programs).not.toContain('labReduce');
    r = await compare([[60, 4]], (x) => tf.sum(x)); // everything, one output
    expect(r.programs).not.toContain('labReduce');
    kernels.setBarrierFreeKernels('off');
    r = await compare([[37, 13], [29, 13]], (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true));
    expect(r.programs).not.toContain('labMatMul');
    expect(r.max).toBeLessThan(1e-5);
  });

  it('reads one-hot rows cast to float32 (an int32 buffer underneath)', async () => {
    kernels.setBarrierFreeKernels('on');
    const r = await compare([[33, 7]], (w) => {
      const ids = tf.tensor1d([...Array(33)].map((_, i) => (i * 5) % 40), 'int32');
      return tf.matMul(tf.cast(tf.oneHot(ids, 40), 'float32') as tf.Tensor2D, w as tf.Tensor2D, true, false);
    });
    expect(r.programs).toContain('labMatMul');
    expect(r.max).toBeLessThan(1e-5);
  });

  it('keeps gradients through the wrapped matMul', async () => {
    kernels.setBarrierFreeKernels('on');
    const r = await compare([[7, 5], [6, 5]], (a, b) => {
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, false, true))));
      const [da, db] = g([a, b]);
      return tf.concat([tf.reshape(da, [-1]), tf.reshape(db, [-1])]);
    });
    expect(r.programs).toContain('labMatMul');
    expect(r.max).toBeLessThan(1e-4);
  });
});
