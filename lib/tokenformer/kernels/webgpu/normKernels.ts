// WGSL Pattention normalisations (forward with the backward factor, and backward) and GELU for the webgpu backend:
// one workgroup per row, the row's sums in shared memory, the same math as normMath.ts.
import * as tf from '@tensorflow/tfjs-core';
import type { NormActivation } from '../../config';
import { GELU, GELU_GRAD, normHasGradFactor, PATTENTION_NORM, PATTENTION_NORM_GRAD } from '../pattentionNormKernels';
import { checkDtypes, elementwiseWorkgroups, ELEMENTWISE_WG, F32_LOWEST, GELU_SNIPPET, rowLayout, rowsAndCols, runProgram, sumLoop, webgpu, type RowLayout } from './program';

type Info = tf.TensorInfo;

const NORMS: readonly NormActivation[] = ['l2_norm_gelu', 'gelu_l2_norm', 'softmax'];

function checkNorm(kernel: string, norm: unknown, scaleTokens: unknown): NormActivation {
  if (!NORMS.includes(norm as NormActivation)) throw new Error(`${kernel}: unknown norm "${String(norm)}"`);
  if (typeof scaleTokens !== 'number' || !(scaleTokens > 0)) throw new Error(`${kernel}: scaleTokens ${String(scaleTokens)} is not a positive number`);
  return norm as NormActivation;
}

// The per-row uniforms every row kernel here declares: rows, the row length n and the normalisation's m.
const ROW_UNIFORMS = 'rows : i32, n : i32, m : f32,';

/** Row prologue: `row`, `tid`, `valid` (rows past the dispatch still reach the barriers, doing nothing), `o`. */
const rowHead = (L: RowLayout) => `
    ${L.head}
    let o = row * uniforms.n;`;

/** The forward WGSL of `norm`, writing f (`out` 'f') or the backward factor (`out` 'grad'). */
function forwardBody(norm: NormActivation, out: 'f' | 'grad', L: RowLayout): string {
  const loop = `for (var j = tid; valid && j < uniforms.n; j += ${L.step})`;
  if (norm === 'l2_norm_gelu') {
    // u = a·s with a = √m/‖s‖; f = gelu(u), factor gelu'(u).
    return `${L.reduce}${GELU_SNIPPET}
  fn main(index : i32) {${rowHead(L)}
    ${sumLoop(L, 'ss', 'f32', 's[o + j] * s[o + j]')}
    let a = sqrt(uniforms.m) / sqrt(rowSum(ss));
    ${loop} { result[o + j] = ${out === 'f' ? 'gelu' : 'geluGrad'}(a * s[o + j]); }
  }`;
  }
  if (norm === 'gelu_l2_norm') {
    // g = gelu(s); f = g·a with a = √m/‖g‖, factor gelu'(s)·a.
    return `${L.reduce}${GELU_SNIPPET}
  fn sq(x : f32) -> f32 { return x * x; }
  fn main(index : i32) {${rowHead(L)}
    ${sumLoop(L, 'gg', 'f32', 'sq(gelu(s[o + j]))')}
    let a = sqrt(uniforms.m) / sqrt(rowSum(gg));
    ${loop} { result[o + j] = ${out === 'f' ? 'gelu' : 'geluGrad'}(s[o + j]) * a; }
  }`;
  }
  // f = m·softmax(s), shifted by the row max.
  return `${L.reduce}
  fn main(index : i32) {${rowHead(L)}
    var mx = ${F32_LOWEST};
    ${loop} { mx = max(mx, s[o + j]); }
    let rowMx = rowMax(mx);
    ${sumLoop(L, 'z', 'f32', 'exp(s[o + j] - rowMx)')}
    let a = uniforms.m / rowSum(z);
    ${loop} { result[o + j] = exp(s[o + j] - rowMx) * a; }
  }`;
}

/** dS from dF (inputs s, f, df, and the forward's factor g for the GELU forms). */
function backwardBody(norm: NormActivation, L: RowLayout): string {
  const loop = `for (var j = tid; valid && j < uniforms.n; j += ${L.step})`;
  if (norm === 'l2_norm_gelu') {
    // du = dF·gelu'(u); ds = a·(du − s·(s·du)/‖s‖²), both sums in one reduction.
    return `${L.reduce}
  fn main(index : i32) {${rowHead(L)}
    ${sumLoop(L, 'acc', 'vec2<f32>', 's[o + j] * vec2<f32>(s[o + j], df[o + j] * g[o + j])')}
    let sums = rowSum2(acc);
    let a = sqrt(uniforms.m) / sqrt(sums.x);
    let c = sums.y / sums.x;
    ${loop} { result[o + j] = a * (df[o + j] * g[o + j] - s[o + j] * c); }
  }`;
  }
  // gelu_l2_norm: ds = g·(dF − f·(f·dF)/m) with g = gelu'(s)·√m/‖gelu(s)‖; softmax: ds = f·(dF − (f·dF)/m).
  const scale = norm === 'gelu_l2_norm' ? 'g[o + j]' : 'f[o + j]';
  return `${L.reduce}
  fn main(index : i32) {${rowHead(L)}
    ${sumLoop(L, 'fd', 'f32', 'f[o + j] * df[o + j]')}
    let c = rowSum(fd) / uniforms.m;
    ${loop} { result[o + j] = ${scale} * (df[o + j] - ${norm === 'gelu_l2_norm' ? 'f[o + j] * c' : 'c'}); }
  }`;
}

function runForward(be: unknown, s: Info, norm: NormActivation, m: number, out: 'f' | 'grad'): Info {
  const [rows, n] = rowsAndCols(s.shape);
  const L = rowLayout(webgpu(be), n);
  return runProgram(
    webgpu(be),
    { key: `tfPattentionNorm_${norm}_${out}_${L.mode}`, inputs: ['s'], outputShape: s.shape, workgroups: L.workgroups(rows), workgroupSize: L.workgroupSize, uniforms: ROW_UNIFORMS, body: forwardBody(norm, out, L) },
    [s],
    [{ type: 'int32', data: [rows] }, { type: 'int32', data: [n] }, { type: 'float32', data: [m] }],
  );
}

tf.registerKernel({
  kernelName: PATTENTION_NORM,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { s } = inputs as { s: Info };
    checkDtypes(PATTENTION_NORM, { s });
    const norm = checkNorm(PATTENTION_NORM, attrs?.norm, attrs?.scaleTokens);
    const m = attrs!.scaleTokens as number;
    const f = runForward(backend, s, norm, m, 'f');
    if (!(attrs?.withGrad && normHasGradFactor(norm))) return f;
    // A program has one output: the factor is a second pass over the row (its sum again, then gelu').
    return [f, runForward(backend, s, norm, m, 'grad')];
  },
});

tf.registerKernel({
  kernelName: PATTENTION_NORM_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { s, f, df, g } = inputs as { s: Info; f: Info; df: Info; g?: Info };
    if (!s || !f || !df) throw new Error(`${PATTENTION_NORM_GRAD}: needs inputs s, f and df`);
    checkDtypes(PATTENTION_NORM_GRAD, { s, f, df, g });
    const norm = checkNorm(PATTENTION_NORM_GRAD, attrs?.norm, attrs?.scaleTokens);
    if (normHasGradFactor(norm) && !g) throw new Error(`${norm} backward needs the gradient factor from a training forward pass`);
    for (const t of [f, df, g]) if (t && !tf.util.arraysEqual(t.shape, s.shape)) throw new Error(`${PATTENTION_NORM_GRAD}: input shapes [${t.shape}] and [${s.shape}] differ`);
    const [rows, n] = rowsAndCols(s.shape);
    const L = rowLayout(webgpu(backend), n);
    // Only the inputs the WGSL reads: the pipeline's layout ('auto') drops unused bindings.
    const used: Record<NormActivation, Record<string, Info>> = { l2_norm_gelu: { s, df, g: g! }, gelu_l2_norm: { f, df, g: g! }, softmax: { f, df } };
    return runProgram(
      webgpu(backend),
      { key: `tfPattentionNormGrad_${norm}_${L.mode}`, inputs: Object.keys(used[norm]), outputShape: s.shape, workgroups: L.workgroups(rows), workgroupSize: L.workgroupSize, uniforms: ROW_UNIFORMS, body: backwardBody(norm, L) },
      Object.values(used[norm]),
      [{ type: 'int32', data: [rows] }, { type: 'int32', data: [n] }, { type: 'float32', data: [attrs!.scaleTokens as number] }],
    );
  },
});

const elementwise = (key: string, inputs: string[], expr: string) => ({
  key,
  inputs,
  body: `${GELU_SNIPPET}
  fn main(index : i32) {
    if (index < uniforms.size) { result[index] = ${expr}; }
  }`,
});

function runElementwise(backend: unknown, p: ReturnType<typeof elementwise>, inputs: Info[]): Info {
  const size = tf.util.sizeFromShape(inputs[0].shape);
  return runProgram(
    webgpu(backend),
    { ...p, outputShape: inputs[0].shape, workgroups: elementwiseWorkgroups(size), workgroupSize: ELEMENTWISE_WG, uniforms: 'size : i32,' },
    inputs,
    [{ type: 'int32', data: [size] }],
  );
}

const GELU_PROGRAM = elementwise('tfGelu', ['x'], 'gelu(x[index])');
const GELU_GRAD_PROGRAM = elementwise('tfGeluGrad', ['x', 'dy'], 'dy[index] * geluGrad(x[index])');

tf.registerKernel({
  kernelName: GELU,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { x } = inputs as { x: Info };
    checkDtypes(GELU, { x });
    return runElementwise(backend, GELU_PROGRAM, [x]);
  },
});

tf.registerKernel({
  kernelName: GELU_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { x, dy } = inputs as { x: Info; dy: Info };
    checkDtypes(GELU_GRAD, { x, dy });
    if (!tf.util.arraysEqual(x.shape, dy.shape)) throw new Error(`${GELU_GRAD}: x [${x.shape}] and dy [${dy.shape}] differ in shape`);
    return runElementwise(backend, GELU_GRAD_PROGRAM, [x, dy]);
  },
});
