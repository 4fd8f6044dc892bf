// Each WGSL kernel on webgpu (Dawn + SwiftShader in Node) against the JS kernels' math (float64 accumulation) and the
// composed stock ops, on row lengths that stress the workgroup reductions (1, 20, 48, 256, 512, 1000+, non-multiples
// of 64 and 256), plus non-finite inputs for the cross-entropy and the AdamW `ok` path.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { HAS_NODE_WEBGPU, takeGpuErrors, useWebGPU } from '../../../testing/webgpu';
import { adamwCoefficients, adamwUpdate, ADAMW_UPDATE } from '../../../train/adamwKernel';
import { NORM_ACTIVATIONS } from '../../config';
import { normBackward as normBackwardOp, normForward as normForwardOp } from '../../ops/pattentionNorm';
import { causalSoftmax, CAUSAL_SOFTMAX, softmaxGrad, SOFTMAX_GRAD } from '../causalSoftmaxKernels';
import { GATHER_ROWS, gatherRows, SCATTER_ADD_ROWS, scatterAddRows, SOFTMAX_XENT, SOFTMAX_XENT_GRAD, softmaxXent, softmaxXentGrad } from '../embeddingKernels';
import { runKernel, setCustomKernelsEnabled } from '../jsKernel';
import { geluBackward, geluForward, normBackward, normForward } from '../normMath';
import { GELU, GELU_GRAD, PATTENTION_NORM, PATTENTION_NORM_GRAD } from '../pattentionNormKernels';
import { LAYER_NORM, LAYER_NORM_GRAD } from '../layerNormKernels';
import { layerNorm, layerNormAffine } from '../../ops/layerNorm';
import { setRowMode } from './program';

/** Deterministic values in [-amp, amp). */
function rand(n: number, seed: number, amp = 3): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * amp;
  });
}

/** max |a − b| / max(1, max |b|), NaN-aware: NaN only matches NaN, ±Inf only itself. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let scale = 1;
  for (let i = 0; i < b.length; i++) if (Number.isFinite(b[i])) scale = Math.max(scale, Math.abs(b[i]));
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(b[i]) || !Number.isFinite(a[i])) {
      if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return Infinity;
      continue;
    }
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m / scale;
}

const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;

const ROWS = [1, 3, 7];
const LENGTHS = [1, 20, 48, 63, 65, 256, 512, 1000, 2047, 2048, 4099];

// Both row layouts on every kernel: 'workgroup' (shared-memory sums, for GPUs) and 'thread' (a row per invocation,
// what 'auto' picks on SwiftShader).
describe.runIf(HAS_NODE_WEBGPU).each(['workgroup', 'thread'] as const)('WGSL kernels on webgpu, %s rows', (mode) => {
  beforeAll(async () => {
    await useWebGPU();
    setCustomKernelsEnabled(true);
    const prev = setRowMode(mode);
    return () => setRowMode(prev);
  });
  afterEach(() => {
    expect(takeGpuErrors()).toEqual([]);
  });

  test.each(NORM_ACTIVATIONS)('%s forward, factor and backward match the JS kernel on rows of every length', async (norm) => {
    for (const n of LENGTHS) {
      for (const rows of ROWS) {
        const size = rows * n;
        const s = rand(size, n * 31 + rows);
        const df = rand(size, n * 7 + rows, 1);
        const m = Math.max(1, n - 3); // scaleTokens below the row length, as after growth
        const f = new Float32Array(size);
        const grad = new Float32Array(size);
        normForward(s, f, rows, n, norm, m, grad);
        const ds = new Float32Array(size);
        normBackward(s, f, norm === 'softmax' ? null : grad, df, ds, rows, n, norm, m);

        const st = tf.tensor2d(s, [rows, n]);
        const dft = tf.tensor2d(df, [rows, n]);
        const outs = runKernel<tf.Tensor[] | tf.Tensor>(PATTENTION_NORM, { s: st }, { norm, scaleTokens: m, withGrad: true });
        const [ft, gt] = Array.isArray(outs) ? outs : [outs];
        const dst = runKernel<tf.Tensor>(PATTENTION_NORM_GRAD, gt ? { s: st, f: ft, df: dft, g: gt } : { s: st, f: ft, df: dft }, { norm, scaleTokens: m });
        const at = `${norm} rows ${rows} × n ${n}`;
        expect(relErr(await read(ft), f), `f ${at}`).toBeLessThan(2e-6);
        // The factor divides by ‖gelu(s)‖. For a row of one very negative s that is tiny, and both kernels get it
        // from 1 + erf ≈ 0 (erf within 3e-7 absolute, summed in float32 here, float64 there), so only rows of one
        // element get a looser bound; longer rows stay within 2e-6.
        if (norm !== 'softmax') expect(relErr(await read(gt!), grad), `factor ${at}`).toBeLessThan(n === 1 ? 1e-4 : 2e-6);
        else expect(gt, at).toBeUndefined();
        expect(relErr(await read(dst), ds), `ds ${at}`).toBeLessThan(1e-5);
        tf.dispose([st, dft, ft, dst, ...(gt ? [gt] : [])]);
      }
    }
  });

  test.each(NORM_ACTIVATIONS)('%s: the fused op equals the composed stock ops on webgpu', async (norm) => {
    const s = tf.tensor2d(rand(6 * 300, 5), [6, 300]);
    const df = tf.tensor2d(rand(6 * 300, 6, 1), [6, 300]);
    const fused = normForwardOp(s, norm, 290, true);
    const dsFused = normBackwardOp(s, fused, df, norm, 290);
    setCustomKernelsEnabled(false);
    try {
      const composed = normForwardOp(s, norm, 290, true);
      expect(composed.grad).toBeUndefined();
      const dsComposed = normBackwardOp(s, composed, df, norm, 290);
      expect(relErr(await read(fused.f), await read(composed.f))).toBeLessThan(1e-5);
      expect(relErr(await read(dsFused), await read(dsComposed))).toBeLessThan(1e-4);
      tf.dispose([composed.f, dsComposed]);
    } finally {
      setCustomKernelsEnabled(true);
    }
    tf.dispose([s, df, fused.f, dsFused, ...(fused.grad ? [fused.grad] : [])]);
  });

  test('LayerNorm forward and backward against float64, on rows far from zero mean', async () => {
    for (const n of LENGTHS.filter((x) => x > 1)) {
      const rows = 3;
      const x = rand(rows * n, n, 2).map((v, i) => v + 100 * ((i % 3) - 1)); // offsets of ±100: the variance must not cancel
      const dy = rand(rows * n, n + 5, 1);
      const y = new Float64Array(rows * n);
      const rstd = new Float64Array(rows);
      const dx = new Float64Array(rows * n);
      for (let r = 0; r < rows; r++) {
        const row = Array.from(x.subarray(r * n, (r + 1) * n));
        const mean = row.reduce((a, b) => a + b, 0) / n;
        rstd[r] = 1 / Math.sqrt(row.reduce((a, b) => a + (b - mean) ** 2, 0) / n + 1e-5);
        for (let j = 0; j < n; j++) y[r * n + j] = (row[j] - mean) * rstd[r];
        let mdy = 0;
        let mdyy = 0;
        for (let j = 0; j < n; j++) {
          mdy += dy[r * n + j] / n;
          mdyy += (dy[r * n + j] * y[r * n + j]) / n;
        }
        for (let j = 0; j < n; j++) dx[r * n + j] = rstd[r] * (dy[r * n + j] - mdy - y[r * n + j] * mdyy);
      }
      const xt = tf.tensor2d(x, [rows, n]);
      const [yt, rt] = runKernel<tf.Tensor[]>(LAYER_NORM, { x: xt }, { eps: 1e-5 });
      expect(rt.shape).toEqual([rows, 1]);
      const dyt = tf.tensor2d(dy, [rows, n]);
      const dxt = runKernel<tf.Tensor>(LAYER_NORM_GRAD, { dy: dyt, y: yt, rstd: rt });
      expect(relErr(await read(yt), y), `y n ${n}`).toBeLessThan(2e-6);
      expect(relErr(await read(rt), rstd), `rstd n ${n}`).toBeLessThan(2e-6);
      expect(relErr(await read(dxt), dx), `dx n ${n}`).toBeLessThan(2e-6);
      tf.dispose([xt, yt, rt, dyt, dxt]);
    }
  });

  test('LayerNorm: the fused op equals the composed stock ops on webgpu, affine form included', async () => {
    const x = tf.tensor2d(rand(5 * 130, 3), [5, 130]);
    const w = tf.tensor1d(rand(130, 4, 1));
    const b = tf.tensor1d(rand(130, 5, 1));
    const dy = tf.tensor2d(rand(5 * 130, 6, 1), [5, 130]);
    // The ops' own gradients only (the project registers no stock gradients): the vector-Jacobian product with dy.
    const f = (a: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => layerNormAffine(layerNorm(a as tf.Tensor2D, 1e-5), ww as tf.Tensor1D, bb as tf.Tensor1D, 1e-5);
    const fused = tf.grads(f)([x, w, b], dy);
    setCustomKernelsEnabled(false);
    try {
      const composed = tf.grads(f)([x, w, b], dy);
      for (let i = 0; i < 3; i++) expect(relErr(await read(fused[i]), await read(composed[i])), `gradient ${i}`).toBeLessThan(1e-5);
      tf.dispose(composed);
    } finally {
      setCustomKernelsEnabled(true);
    }
    tf.dispose([x, w, b, dy, ...fused]);
  });

  test('GELU and its gradient over sizes off the workgroup grid, tails included', async () => {
    for (const size of [1, 63, 64, 65, 1000, 4099]) {
      const x = rand(size, size, 9);
      const dy = rand(size, size + 1, 2);
      const y = new Float32Array(size);
      const dx = new Float32Array(size);
      geluForward(x, y);
      geluBackward(x, dy, dx);
      const xt = tf.tensor1d(x);
      const dyt = tf.tensor1d(dy);
      const yt = runKernel<tf.Tensor>(GELU, { x: xt });
      const dxt = runKernel<tf.Tensor>(GELU_GRAD, { x: xt, dy: dyt });
      expect(relErr(await read(yt), y), `gelu ${size}`).toBeLessThan(1e-6);
      expect(relErr(await read(dxt), dx), `gelu' ${size}`).toBeLessThan(1e-6);
      tf.dispose([xt, dyt, yt, dxt]);
    }
  });

  test('softmax cross-entropy and its gradient: long vocab rows, ignored targets, NaN and ±Inf logits', async () => {
    for (const v of [1, 20, 256, 1000, 4099, 50257]) {
      const rows = v > 5000 ? 3 : 6;
      const logits = rand(rows * v, v, 20);
      const targets = Int32Array.from({ length: rows }, (_, i) => (i === 1 ? -1 : (i * 7919) % v));
      if (v >= 20) {
        logits[2 * v + 3] = NaN; // row 2: NaN
        logits[3 * v + 5] = Infinity; // row 3: +Inf
        logits[4 * v + ((4 * 7919) % v)] = -Infinity; // row 4: the target's logit is −Inf
        logits[5 * v + 1] = -Infinity; // row 5: another logit is −Inf (its probability is 0)
      }
      const p = new Float32Array(rows * v);
      const nll = new Float32Array(rows);
      softmaxXent(logits, targets, p, nll, v);
      const g = new Float32Array(rows * v);
      softmaxXentGrad(p, targets, 0.125, g, v);

      const lt = tf.tensor2d(logits, [rows, v]);
      const tt = tf.tensor1d(targets, 'int32');
      const scale = tf.scalar(0.125);
      const [pt, nllt] = runKernel<tf.Tensor[]>(SOFTMAX_XENT, { logits: lt, targets: tt });
      const gt = runKernel<tf.Tensor>(SOFTMAX_XENT_GRAD, { p: pt, targets: tt, scale });
      expect(relErr(await read(pt), p), `p, V ${v}`).toBeLessThan(1e-6);
      expect(relErr(await read(nllt), nll), `nll, V ${v}`).toBeLessThan(2e-6);
      expect(relErr(await read(gt), g), `grad, V ${v}`).toBeLessThan(1e-6);
      tf.dispose([lt, tt, scale, pt, nllt, gt]);
    }
  });

  test('an out-of-range target or id gives NaN instead of reading outside the tensor', async () => {
    const lt = tf.tensor2d(rand(2 * 10, 1), [2, 10]);
    const tt = tf.tensor1d([3, 10], 'int32');
    const [pt, nllt] = runKernel<tf.Tensor[]>(SOFTMAX_XENT, { logits: lt, targets: tt });
    const nll = await read(nllt);
    expect(Number.isFinite(nll[0])).toBe(true);
    expect(nll[1]).toBeNaN();
    const table = tf.tensor2d(rand(4 * 3, 2), [4, 3]);
    const ids = tf.tensor1d([1, 4, -1], 'int32');
    const rows = await read(runKernel<tf.Tensor>(GATHER_ROWS, { table, ids }, { count: 3 }));
    expect(Array.from(rows.subarray(0, 3))).toEqual(Array.from((await read(table)).subarray(3, 6)));
    expect(Array.from(rows.subarray(3)).every(Number.isNaN)).toBe(true);
    const back = await read(runKernel<tf.Tensor>(SCATTER_ADD_ROWS, { dy: tf.ones([3, 3]), ids }, { rows: 4 }));
    expect(Array.from(back).every(Number.isNaN)).toBe(true);
    tf.dispose([lt, tt, pt, nllt, table, ids]);
  });

  test('gather and scatter-add rows: repeated ids, untouched rows, more ids than a workgroup', async () => {
    for (const [vocab, d, count] of [[5, 1, 3], [256, 48, 200], [97, 130, 1000]]) {
      const table = rand(vocab * d, vocab);
      const dy = rand(count * d, count);
      const ids = Int32Array.from({ length: count }, (_, i) => (i * i * 31 + 7) % vocab);
      const out = new Float32Array(count * d);
      gatherRows(table, ids, out, d);
      const back = new Float32Array(vocab * d);
      scatterAddRows(dy, ids, back, d);
      const idt = tf.tensor1d(ids, 'int32');
      const tt = tf.tensor2d(table, [vocab, d]);
      const dyt = tf.tensor2d(dy, [count, d]);
      const got = runKernel<tf.Tensor>(GATHER_ROWS, { table: tt, ids: idt }, { count });
      const gotBack = runKernel<tf.Tensor>(SCATTER_ADD_ROWS, { dy: dyt, ids: idt }, { rows: vocab });
      expect(got.shape).toEqual([count, d]);
      expect(Array.from(await read(got))).toEqual(Array.from(out));
      // Summed in id order like the JS kernel: the same float32 roundings.
      expect(relErr(await read(gotBack), back), `scatter V ${vocab} d ${d} N ${count}`).toBeLessThan(1e-6);
      tf.dispose([idt, tt, dyt, got, gotBack]);
    }
  });

  test('causal softmax and the softmax gradient over [M, T, T]', async () => {
    for (const t of [1, 5, 64, 130, 300]) {
      const mRows = 3;
      const size = mRows * t * t;
      const s = rand(size, t, 8);
      const dp = rand(size, t + 1, 1);
      const p = new Float32Array(size);
      causalSoftmax(s, p, mRows * t, t);
      const ds = new Float32Array(size);
      softmaxGrad(p, dp, ds, mRows * t, t);
      const st = tf.tensor3d(s, [mRows, t, t]);
      const dpt = tf.tensor3d(dp, [mRows, t, t]);
      const pt = runKernel<tf.Tensor>(CAUSAL_SOFTMAX, { scores: st });
      const dst = runKernel<tf.Tensor>(SOFTMAX_GRAD, { p: pt, dp: dpt });
      const pGot = await read(pt);
      expect(relErr(pGot, p), `p T ${t}`).toBeLessThan(1e-6);
      for (let r = 0; r < mRows * t; r++) for (let j = (r % t) + 1; j < t; j++) expect(pGot[r * t + j]).toBe(0);
      expect(relErr(await read(dst), ds), `ds T ${t}`).toBeLessThan(1e-6);
      tf.dispose([st, dpt, pt, dst]);
    }
  });

  test('AdamW: p, m, v like the JS kernel at early and late steps; ok = 0 passes everything through bit for bit', async () => {
    const attrs = { beta1: 0.9, beta2: 0.999, lr: 3e-3, eps: 1e-8, decay: 1 - 3e-3 * 0.1 };
    for (const [size, step] of [[1, 1], [65, 2], [1000, 10], [4099, 1000], [300, 100_000]]) {
      const p = rand(size, size);
      const g = rand(size, size + 1, 0.1);
      const m = rand(size, size + 2, 0.01);
      const v = Float32Array.from(rand(size, size + 3, 1e-4), Math.abs);
      const [pw, mw, vw] = [p.slice(), m.slice(), v.slice()];
      adamwUpdate(pw, g, mw, vw, 0.5, adamwCoefficients(attrs, step));
      const ins = { p: tf.tensor1d(p), g: tf.tensor1d(g), m: tf.tensor1d(m), v: tf.tensor1d(v), scale: tf.scalar(0.5) };
      const run = (ok: number, gIn: tf.Tensor = ins.g) => runKernel<tf.Tensor[]>(ADAMW_UPDATE, { ...ins, g: gIn, t: tf.scalar(step, 'int32'), ok: tf.scalar(ok, 'int32') }, attrs);
      const [np, nm, nv] = run(1);
      // Relative to the size of the terms summed (β1·m and (1−β1)·g can cancel): a few float32 roundings.
      const terms = {
        p: (i: number) => Math.abs(p[i] * attrs.decay) + Math.abs(pw[i] - p[i]),
        m: (i: number) => attrs.beta1 * Math.abs(m[i]) + (1 - attrs.beta1) * Math.abs(g[i] * 0.5),
        v: (i: number) => vw[i],
      };
      for (const [got, want, name] of [[np, pw, 'p'], [nm, mw, 'm'], [nv, vw, 'v']] as const) {
        const a = await read(got);
        let worst = 0;
        for (let i = 0; i < size; i++) worst = Math.max(worst, Math.abs(a[i] - want[i]) / Math.max(terms[name](i), 1e-30));
        expect(worst, `${name} size ${size} step ${step}`).toBeLessThan(1e-6);
      }
      // The step itself (p' − p, ~lr) within 1e-3 of its size: one float32 ulp of p is ~4e-5 of it.
      const diff = tf.sub(np, ins.p);
      const update = await read(diff);
      const wantUpdate = pw.map((x, i) => x - p[i]);
      const big = Math.max(...Array.from(wantUpdate, Math.abs));
      expect(Math.max(...Array.from(update, (u, i) => Math.abs(u - wantUpdate[i]))) / big, `update size ${size} step ${step}`).toBeLessThan(1e-3);
      const bad = tf.fill([size], NaN);
      const kept = run(0, bad);
      for (const [got, was] of [[kept[0], p], [kept[1], m], [kept[2], v]] as const) {
        expect(new Uint32Array((await read(got)).buffer)).toEqual(new Uint32Array(was.buffer));
      }
      tf.dispose([np, nm, nv, diff, bad, ...kept, ...Object.values(ins)]);
    }
  });
});
