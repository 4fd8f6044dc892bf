// WGSL causal softmax over attention scores [M, T, T] and the softmax Jacobian-vector product, one workgroup per row:
// each replaces a mask add plus tfjs's softmax (forward) or four elementwise ops and a sum (backward).
import * as tf from '@tensorflow/tfjs-core';
import { CAUSAL_SOFTMAX, SOFTMAX_GRAD } from '../causalSoftmaxKernels';
import { checkDtypes, F32_LOWEST, rowLayout, rowsAndCols, runProgram, sumLoop, webgpu, type RowLayout } from './program';

type Info = tf.TensorInfo;

/** p[m, i, j] = softmax over j ≤ i of scores[m, i, :], exactly 0 above the diagonal. */
const causalBody = (L: RowLayout) => `${L.reduce}
  fn main(index : i32) {
    ${L.head}
    let t = uniforms.n;
    let o = row * t;
    let last = row % t;
    var mx = ${F32_LOWEST};
    for (var j = tid; valid && j <= last; j += ${L.step}) { mx = max(mx, scores[o + j]); }
    let rowMx = rowMax(mx);
    ${sumLoop(L, 'z', 'f32', 'exp(scores[o + j] - rowMx)', 'last + 1')}
    let inv = 1.0 / rowSum(z);
    for (var j = tid; valid && j < t; j += ${L.step}) { result[o + j] = select(0.0, exp(scores[o + j] - rowMx) * inv, j <= last); }
  }`;

/** ds = p·(dp − Σ p·dp) over the last axis. */
const gradBody = (L: RowLayout) => `${L.reduce}
  fn main(index : i32) {
    ${L.head}
    let o = row * uniforms.n;
    ${sumLoop(L, 'c', 'f32', 'p[o + j] * dp[o + j]')}
    let rc = rowSum(c);
    for (var j = tid; valid && j < uniforms.n; j += ${L.step}) { result[o + j] = p[o + j] * (dp[o + j] - rc); }
  }`;

const rowUniforms = (rows: number, n: number) => [{ type: 'int32' as const, data: [rows] }, { type: 'int32' as const, data: [n] }];

tf.registerKernel({
  kernelName: CAUSAL_SOFTMAX,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { scores } = inputs as { scores: Info };
    checkDtypes(CAUSAL_SOFTMAX, { scores });
    const shape = scores.shape;
    const t = shape[shape.length - 1];
    if (shape.length < 2 || shape[shape.length - 2] !== t) throw new Error(`${CAUSAL_SOFTMAX}: scores [${shape}] are not square in the last two axes`);
    const [rows] = rowsAndCols(shape);
    const L = rowLayout(webgpu(backend), t);
    return runProgram(
      webgpu(backend),
      { key: `tfCausalSoftmax_${L.mode}`, inputs: ['scores'], outputShape: shape, workgroups: L.workgroups(rows), workgroupSize: L.workgroupSize, uniforms: 'rows : i32, n : i32,', body: causalBody(L) },
      [scores],
      rowUniforms(rows, t),
    );
  },
});

tf.registerKernel({
  kernelName: SOFTMAX_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { p, dp } = inputs as { p: Info; dp: Info };
    checkDtypes(SOFTMAX_GRAD, { p, dp });
    if (!tf.util.arraysEqual(p.shape, dp.shape)) throw new Error(`${SOFTMAX_GRAD}: p [${p.shape}] and dp [${dp.shape}] differ in shape`);
    const [rows, n] = rowsAndCols(p.shape);
    const L = rowLayout(webgpu(backend), n);
    return runProgram(
      webgpu(backend),
      { key: `tfSoftmaxGrad_${L.mode}`, inputs: ['p', 'dp'], outputShape: p.shape, workgroups: L.workgroups(rows), workgroupSize: L.workgroupSize, uniforms: 'rows : i32, n : i32,', body: gradBody(L) },
      [p, dp],
      rowUniforms(rows, n),
    );
  },
});
