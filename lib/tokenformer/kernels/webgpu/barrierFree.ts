// tfjs-webgpu's BatchMatMul, Sum, Mean, Max, Min and Softmax, wrapped: on a software adapter (SwiftShader), the
// shapes a TokenFormer step makes run the barrier-free programs of barrierFreePrograms.ts; everything else, and every
// shape on a hardware GPU unless asked, goes to tfjs's own kernel. Registered under tfjs's names, so callers are as before.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { LabMatMulProgram, LabReduceProgram, LabSoftmaxProgram, type MatMulShape, type ReduceOp } from './barrierFreePrograms';

/**
 * 'auto': the barrier-free programs on a software adapter only (measured faster there; not yet measured on a GPU);
 * 'on': on every adapter (for GPU benchmarks); 'off': tfjs's kernels everywhere.
 */
export type BarrierFreeMode = 'auto' | 'on' | 'off';

let mode: BarrierFreeMode = 'auto';

export function setBarrierFreeKernels(m: BarrierFreeMode): void {
  mode = m;
}

export function barrierFreeMode(): BarrierFreeMode {
  return mode;
}

/**
 * Reductions and softmaxes over fewer rows than this stay with tfjs: one invocation per row would leave a GPU (and
 * SwiftShader's threads) idle, and a tree over one long row is what tfjs's kernel does well.
 */
export const MIN_ROWS = 32;

type Info = tf.TensorInfo;
type Backend = WebGPUBackend & { device: GPUDevice & { adapterInfo?: GPUAdapterInfo & { isFallbackAdapter?: boolean } } };

const software = new WeakMap<object, boolean>();

/** Whether the backend's device is a software adapter (SwiftShader, llvmpipe or a browser's fallback adapter). */
export function isSoftwareAdapter(backend: Backend): boolean {
  let s = software.get(backend);
  if (s === undefined) {
    const info = backend.device?.adapterInfo;
    const arch = (backend as unknown as { adapterInfo?: { architecture?: string } }).adapterInfo?.architecture ?? '';
    const text = [info?.vendor, info?.architecture, info?.device, info?.description, arch].filter(Boolean).join(' ');
    s = info?.isFallbackAdapter === true || /swiftshader|llvmpipe|software/i.test(text);
    software.set(backend, s);
  }
  return s;
}

function active(backend: Backend): boolean {
  return mode === 'on' || (mode === 'auto' && isSoftwareAdapter(backend));
}

/**
 * float32 by name; its buffer may still hold int32 or bool (tfjs keeps a cast one-hot in its source's buffer), which
 * the programs read through f32().
 */
const isFloat = (t: Info) => t.dtype === 'float32';

function matMulShape(a: Info, b: Info, transposeA: boolean, transposeB: boolean): MatMulShape | null {
  if (a.shape.length !== b.shape.length || a.shape.length < 2 || a.shape.length > 3) return null;
  const r = a.shape.length;
  const [ba, bb] = r === 3 ? [a.shape[0], b.shape[0]] : [1, 1];
  if (ba !== bb && ba !== 1 && bb !== 1) return null;
  const m = transposeA ? a.shape[r - 1] : a.shape[r - 2];
  const k = transposeA ? a.shape[r - 2] : a.shape[r - 1];
  const kb = transposeB ? b.shape[r - 1] : b.shape[r - 2];
  const n = transposeB ? b.shape[r - 2] : b.shape[r - 1];
  if (k !== kb || m * n * k === 0) return null;
  return { batch: Math.max(ba, bb), m, n, k, aShared: ba === 1, bShared: bb === 1, transposeA, transposeB };
}

function matMul(backend: Backend, a: Info, b: Info, transposeA: boolean, transposeB: boolean): Info | null {
  if (!isFloat(a) || !isFloat(b)) return null;
  const s = matMulShape(a, b, transposeA, transposeB);
  if (!s) return null;
  return backend.runWebGPUProgram(new LabMatMulProgram(s, a.shape.length === 2), [a, b], 'float32', LabMatMulProgram.uniformsFor(s));
}

/**
 * The reduction of `x` over `axes` when they are its last axes (rows) or its first ones (columns) and leave at least
 * MIN_ROWS outputs; else null (tfjs decides, transposing first when the axes are neither).
 */
function reduce(backend: Backend, x: Info, axes: number | number[], keepDims: boolean, op: ReduceOp): Info | null {
  if (!isFloat(x) || x.shape.length === 0) return null;
  const rank = x.shape.length;
  const ax = tf.util.parseAxisParam(axes, x.shape).sort((p, q) => p - q);
  if (!ax.length || ax.length === rank) return null;
  const trailing = ax.every((v, i) => v === rank - ax.length + i);
  const leading = ax.every((v, i) => v === i);
  if (!trailing && !leading) return null;
  const split = trailing ? rank - ax.length : ax.length;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, split));
  const inner = tf.util.sizeFromShape(x.shape.slice(split));
  const outputs = trailing ? outer : inner;
  if (outputs < MIN_ROWS || outer * inner === 0) return null;
  const outShape = x.shape.map((d, i) => (ax.includes(i) ? 1 : d)).filter((_, i) => keepDims || !ax.includes(i));
  return backend.runWebGPUProgram(new LabReduceProgram(op, leading && !trailing, outputs, outShape), [x], 'float32', rowsCols(outer, inner));
}

const rowsCols = (rows: number, cols: number) => [
  { type: 'int32' as const, data: [rows] },
  { type: 'int32' as const, data: [cols] },
];

function softmax(backend: Backend, logits: Info, dim: number): Info | null {
  const rank = logits.shape.length;
  if (!isFloat(logits) || rank === 0 || (dim !== -1 && dim !== rank - 1)) return null;
  const cols = logits.shape[rank - 1];
  const rows = tf.util.sizeFromShape(logits.shape) / Math.max(cols, 1);
  if (rows < MIN_ROWS || cols === 0) return null;
  return backend.runWebGPUProgram(new LabSoftmaxProgram(rows, logits.shape), [logits], 'float32', rowsCols(rows, cols));
}

type Attrs = Record<string, unknown>;
type Inputs = Record<string, Info>;
type Try = (backend: Backend, inputs: Inputs, attrs: Attrs) => Info | null;

const REPLACEMENTS: Record<string, Try> = {
  BatchMatMul: (be, { a, b }, at) => matMul(be, a, b, !!at.transposeA, !!at.transposeB),
  Sum: (be, { x }, at) => reduce(be, x, at.axis as number[], !!at.keepDims, 'sum'),
  Mean: (be, { x }, at) => reduce(be, x, at.axis as number[], !!at.keepDims, 'mean'),
  Max: (be, { x }, at) => reduce(be, x, at.reductionIndices as number[], !!at.keepDims, 'max'),
  Min: (be, { x }, at) => reduce(be, x, at.axis as number[], !!at.keepDims, 'min'),
  Softmax: (be, { logits }, at) => softmax(be, logits, at.dim as number),
};

const WRAPPED = Symbol.for('tokenformer.barrierFree');

/**
 * Wraps tfjs-webgpu's kernels (once; a second call changes nothing). Each wrapper tries its program when the mode
 * allows and the shapes fit, and otherwise calls tfjs's kernel with the same arguments.
 */
export function registerBarrierFreeKernels(): void {
  for (const [name, replacement] of Object.entries(REPLACEMENTS)) {
    const original = tf.getKernel(name, 'webgpu');
    if (!original || (original.kernelFunc as { [WRAPPED]?: true })[WRAPPED]) continue;
    const kernelFunc = ((args: { inputs: Inputs; backend: Backend; attrs: Attrs }) => {
      if (active(args.backend)) {
        const out = replacement(args.backend, args.inputs, args.attrs);
        if (out) return out;
      }
      return original.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
    }) as tf.KernelFunc & { [WRAPPED]?: true };
    kernelFunc[WRAPPED] = true;
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel({ ...original, kernelFunc });
  }
}

registerBarrierFreeKernels();
