// The frame every fused WGSL kernel here shares: a tfjs-backend-webgpu program (its header declares the bindings,
// the shapes and our uniforms), run through the backend's own runWebGPUProgram, plus the WGSL helpers they reuse.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { ERF_P, ERF_Q } from '../normMath';

type Info = tf.TensorInfo;

/** A program-defined uniform, in the order of the program's `uniforms` declaration. */
export interface Uniform {
  type: 'int32' | 'float32';
  data: number[];
}

export interface ProgramSpec {
  /** Identifies the WGSL source (tfjs adds the ranks, dtypes and workgroup size to make the pipeline key). */
  key: string;
  /** Input binding names, in the order of the `inputs` given to `runProgram`. */
  inputs: string[];
  outputShape: number[];
  /** Workgroups to dispatch along x (tfjs folds counts past the device limit into y and z). */
  workgroups: number;
  workgroupSize: number;
  /** WGSL struct fields appended to tfjs's Uniforms, e.g. `n : i32, scale : f32,`. */
  uniforms?: string;
  /** The WGSL body: helpers and `fn main(index : i32)`, where index is the flat invocation index. */
  body: string;
}

/**
 * One WGSL kernel as a tfjs WebGPUProgram. The layout is flat: tfjs calls `main` with the global invocation index,
 * which for row kernels is row·workgroupSize + local index (rows past the dispatch are guarded in the body).
 */
class FusedProgram implements WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  private readonly body: string;

  constructor(spec: ProgramSpec) {
    this.variableNames = spec.inputs;
    this.outputShape = spec.outputShape;
    this.shaderKey = spec.key;
    this.dispatchLayout = { x: spec.outputShape.map((_, i) => i) };
    this.dispatch = [spec.workgroups, 1, 1];
    this.workgroupSize = [spec.workgroupSize, 1, 1];
    this.uniforms = spec.uniforms;
    this.body = spec.body;
  }

  getUserCode(): string {
    return this.body;
  }
}

const runs = new Map<string, number>();

/**
 * How many times each fused program has run in this thread, by key (e.g. `tfAdamW_p`): evidence, in a worker that
 * tests cannot instrument, that the ops took the fused path rather than the composed fallback.
 */
export function fusedProgramRuns(): Record<string, number> {
  return Object.fromEntries(runs);
}

/** Runs `spec` on `inputs` (in spec.inputs order) and returns the new output; the backend owns the buffers. */
export function runProgram(backend: WebGPUBackend, spec: ProgramSpec, inputs: Info[], uniforms: Uniform[] = [], dtype: tf.DataType = 'float32'): Info {
  runs.set(spec.key, (runs.get(spec.key) ?? 0) + 1);
  return backend.runWebGPUProgram(new FusedProgram(spec), inputs, dtype, uniforms);
}

/** Workgroup size for a row kernel: 64 threads for short rows, 256 for rows long enough to keep them busy. */
export const rowWorkgroupSize = (n: number) => (n >= 2048 ? 256 : 64);

/**
 * How a row kernel maps rows to invocations. 'workgroup': one workgroup per row, strided over its columns, sums in
 * shared memory (the GPU layout: coalesced reads, many invocations per row). 'thread': one invocation per row, a
 * serial loop with no barriers: on a software adapter (SwiftShader runs invocations as CPU SIMD lanes and each
 * workgroup barrier as a fiber switch) it is several times faster. 'auto' picks 'thread' on software adapters.
 */
export type RowMode = 'auto' | 'workgroup' | 'thread';
let rowMode: RowMode = 'auto';

/** Sets the row layout (for tests and benchmarks); returns the previous one. */
export function setRowMode(mode: RowMode): RowMode {
  const prev = rowMode;
  rowMode = mode;
  return prev;
}

/** Whether tfjs's WebGPU adapter is a software one (SwiftShader, llvmpipe/lavapipe). */
export function isSoftwareAdapter(backend: WebGPUBackend): boolean {
  const info = (backend as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
  return /swiftshader|llvmpipe|lavapipe|software/i.test(`${info?.vendor ?? ''} ${info?.architecture ?? ''}`);
}

/** The WGSL-facing description of a row layout: see RowMode. */
export interface RowLayout {
  mode: 'workgroup' | 'thread';
  workgroupSize: number;
  /** Distance between the columns one invocation visits. */
  step: number;
  /** Declares `row`, `tid` (first column of this invocation) and `valid` (row < uniforms.rows). */
  head: string;
  /** rowSum2, rowSum and rowMax: shared-memory trees, or the identity when a row is one invocation's. */
  reduce: string;
  workgroups(rows: number): number;
}

export function rowLayout(backend: WebGPUBackend, n: number): RowLayout {
  const mode = rowMode === 'auto' ? (isSoftwareAdapter(backend) ? 'thread' : 'workgroup') : rowMode;
  if (mode === 'thread') {
    return {
      mode,
      workgroupSize: ELEMENTWISE_WG,
      step: 1,
      head: 'let row = index; let tid = 0; let valid = row < uniforms.rows;',
      reduce: `
  fn rowSum2(x : vec2<f32>) -> vec2<f32> { return x; }
  fn rowSum(x : f32) -> f32 { return x; }
  fn rowMax(x : f32) -> f32 { return x; }`,
      workgroups: (rows) => Math.ceil(rows / ELEMENTWISE_WG),
    };
  }
  const wg = rowWorkgroupSize(n);
  return {
    mode,
    workgroupSize: wg,
    step: wg,
    head: `let row = index / ${wg}; let tid = i32(localIndex); let valid = row < uniforms.rows;`,
    reduce: reduceSnippet(wg),
    workgroups: (rows) => rows,
  };
}

/** Workgroup size and count for an elementwise kernel over `size` elements. */
export const ELEMENTWISE_WG = 64;
export const elementwiseWorkgroups = (size: number) => Math.ceil(size / ELEMENTWISE_WG);

/**
 * Whole-workgroup reductions over shared memory (a fixed tree, so results do not depend on timing): every
 * invocation gets the result. Call them only from uniform control flow (they hold barriers).
 */
export const reduceSnippet = (wg: number) => `
  var<workgroup> red : array<vec2<f32>, ${wg}>;
  fn rowSum2(x : vec2<f32>) -> vec2<f32> {
    let tid = localIndex;
    red[tid] = x;
    workgroupBarrier();
    for (var k = ${wg / 2}u; k > 0u; k = k >> 1u) {
      if (tid < k) { red[tid] = red[tid] + red[tid + k]; }
      workgroupBarrier();
    }
    let r = red[0];
    workgroupBarrier();
    return r;
  }
  fn rowSum(x : f32) -> f32 { return rowSum2(vec2<f32>(x, 0.0)).x; }
  fn rowMax(x : f32) -> f32 {
    let tid = localIndex;
    red[tid] = vec2<f32>(x, 0.0);
    workgroupBarrier();
    for (var k = ${wg / 2}u; k > 0u; k = k >> 1u) {
      if (tid < k) { red[tid].x = max(red[tid].x, red[tid + k].x); }
      workgroupBarrier();
    }
    let r = red[0].x;
    workgroupBarrier();
    return r;
  }
`;

/**
 * WGSL declaring `var name : type` = Σ of `expr` over this invocation's columns j < `n` of the row. In the thread
 * layout a whole row is summed serially, in blocks of 64, so the float32 error grows like 64 + n/64 rather than n
 * (the workgroup layout's strided partials and tree are already that short).
 */
export function sumLoop(L: RowLayout, name: string, type: 'f32' | 'vec2<f32>', expr: string, n = 'uniforms.n'): string {
  if (L.mode === 'workgroup') return `var ${name} = ${type}(0.0); for (var j = tid; valid && j < ${n}; j += ${L.step}) { ${name} += ${expr}; }`;
  return `var ${name} = ${type}(0.0);
    for (var j0 = 0; valid && j0 < ${n}; j0 += 64) {
      var part = ${type}(0.0);
      for (var j = j0; j < min(j0 + 64, ${n}); j++) { part += ${expr}; }
      ${name} += part;
    }`;
}

/** The most negative finite float32, the start of a running max. */
export const F32_LOWEST = '-3.4028234663852886e38';

/** `var <name>` evaluated by Horner's rule in x2 over `coefs` (highest power first), one WGSL line per step. */
function horner(name: string, coefs: readonly number[]): string {
  const lit = (c: number) => String(Math.abs(c));
  const first = `    var ${name} = ${coefs[0] < 0 ? '-' : ''}${lit(coefs[0])};`;
  return [first, ...coefs.slice(1).map((c) => `    ${name} = ${name} * x2 ${c < 0 ? '-' : '+'} ${lit(c)};`)].join('\n');
}

/**
 * erf, GELU and GELU' in WGSL, with the same float32 rational erf as normMath.ts (Eigen's, within 3e-7 of the
 * exact function), so cpu, wasm and WebGPU share one approximation.
 */
export const GELU_SNIPPET = `
  fn erf32(x : f32) -> f32 {
    let v = clamp(x, -4.0, 4.0);
    let x2 = v * v;
${horner('p', ERF_P)}
${horner('q', ERF_Q)}
    return (v * p) / q;
  }
  // Φ(u) = ½(1 + erf(u/√2))
  fn normCdf(u : f32) -> f32 { return 0.5 * (1.0 + erf32(u * 0.7071067811865476)); }
  fn gelu(u : f32) -> f32 { return u * normCdf(u); }
  // Φ(u) + u·φ(u); exp of a large negative argument underflows to 0, as it should.
  fn geluGrad(u : f32) -> f32 { return normCdf(u) + u * 0.3989422804014327 * exp(-0.5 * u * u); }
`;

/** The webgpu backend of a kernel call (typed: tfjs hands kernels the active backend as a KernelBackend). */
export const webgpu = (backend: unknown) => backend as WebGPUBackend;

/** Rows and columns of a tensor taken as [rows, last axis]. */
export function rowsAndCols(shape: number[]): [number, number] {
  const n = shape[shape.length - 1] ?? 1;
  return [n === 0 ? 0 : tf.util.sizeFromShape(shape) / n, n];
}

/** Refuses an input of the wrong dtype (the WGSL declares f32 or i32 arrays from it). */
export function checkDtypes(kernel: string, inputs: Record<string, Info | undefined>, ints: string[] = []): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (!t) continue;
    const want = ints.includes(name) ? 'int32' : 'float32';
    if (t.dtype !== want) throw new Error(`${kernel}: input "${name}" has dtype ${t.dtype}, expected ${want}`);
  }
}
