// WGSL LayerNorm over the last axis for webgpu, forward (y and rstd) and backward, in the row layouts of program.ts:
// one program replaces tf.moments' two mean reductions and five elementwise ops (forward) or two means and four
// elementwise ops (backward). The variance is Σ(x − mean)² after the mean, as tf.moments does: no cancellation.
import * as tf from '@tensorflow/tfjs-core';
import { LAYER_NORM, LAYER_NORM_GRAD } from '../layerNormKernels';
import { checkDtypes, rowLayout, rowsAndCols, runProgram, sumLoop, webgpu, type RowLayout } from './program';

type Info = tf.TensorInfo;

const UNIFORMS = 'rows : i32, n : i32, eps : f32,';

/** The row's mean and rstd, then y for the row (`out` 'y') or its rstd alone ('rstd'). */
const forwardBody = (L: RowLayout, out: 'y' | 'rstd') => `${L.reduce}
  fn sq(v : f32) -> f32 { return v * v; }
  fn main(index : i32) {
    ${L.head}
    let o = row * uniforms.n;
    ${sumLoop(L, 'sx', 'f32', 'x[o + j]')}
    let mean = rowSum(sx) / f32(uniforms.n);
    ${sumLoop(L, 'sd', 'f32', 'sq(x[o + j] - mean)')}
    let rstd = inverseSqrt(rowSum(sd) / f32(uniforms.n) + uniforms.eps);
    ${
      out === 'y'
        ? `for (var j = tid; valid && j < uniforms.n; j += ${L.step}) { result[o + j] = (x[o + j] - mean) * rstd; }`
        : 'if (valid && tid == 0) { result[row] = rstd; }'
    }
  }`;

const backwardBody = (L: RowLayout) => `${L.reduce}
  fn main(index : i32) {
    ${L.head}
    let o = row * uniforms.n;
    ${sumLoop(L, 'acc', 'vec2<f32>', 'dy[o + j] * vec2<f32>(1.0, y[o + j])')}
    let means = rowSum2(acc) / f32(uniforms.n);
    let r = rstd[min(row, uniforms.rows - 1)];
    for (var j = tid; valid && j < uniforms.n; j += ${L.step}) { result[o + j] = r * (dy[o + j] - means.x - y[o + j] * means.y); }
  }`;

tf.registerKernel({
  kernelName: LAYER_NORM,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: Info };
    checkDtypes(LAYER_NORM, { x });
    const eps = attrs?.eps as number;
    if (!(eps > 0) || !Number.isFinite(eps)) throw new Error(`${LAYER_NORM}: eps ${String(eps)} is not a positive number`);
    const [rows, n] = rowsAndCols(x.shape);
    const be = webgpu(backend);
    const L = rowLayout(be, n);
    const uniforms = [{ type: 'int32' as const, data: [rows] }, { type: 'int32' as const, data: [n] }, { type: 'float32' as const, data: [eps] }];
    const spec = { inputs: ['x'], workgroups: L.workgroups(rows), workgroupSize: L.workgroupSize, uniforms: UNIFORMS };
    // Two programs (one output each): y, then rstd [.., 1] for the backward pass.
    const y = runProgram(be, { ...spec, key: `tfLayerNormY_${L.mode}`, outputShape: x.shape, body: forwardBody(L, 'y') }, [x], uniforms);
    const rstd = runProgram(be, { ...spec, key: `tfLayerNormRstd_${L.mode}`, outputShape: [...x.shape.slice(0, -1), 1], body: forwardBody(L, 'rstd') }, [x], uniforms);
    return [y, rstd];
  },
});

tf.registerKernel({
  kernelName: LAYER_NORM_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { dy, y, rstd } = inputs as { dy: Info; y: Info; rstd: Info };
    checkDtypes(LAYER_NORM_GRAD, { dy, y, rstd });
    const [rows, n] = rowsAndCols(y.shape);
    if (!tf.util.arraysEqual(dy.shape, y.shape) || tf.util.sizeFromShape(rstd.shape) !== rows) {
      throw new Error(`${LAYER_NORM_GRAD}: expects dy and y of one shape and one rstd per row, got [${dy.shape}], [${y.shape}], [${rstd.shape}]`);
    }
    const L = rowLayout(webgpu(backend), n);
    return runProgram(
      webgpu(backend),
      { key: `tfLayerNormGrad_${L.mode}`, inputs: ['dy', 'y', 'rstd'], outputShape: y.shape, workgroups: L.workgroups(rows), workgroupSize: L.workgroupSize, uniforms: 'rows : i32, n : i32,', body: backwardBody(L) },
      [dy, y, rstd],
      [{ type: 'int32', data: [rows] }, { type: 'int32', data: [n] }],
    );
  },
});
