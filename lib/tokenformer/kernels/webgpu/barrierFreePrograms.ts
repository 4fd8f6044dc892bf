// WGSL programs without workgroup memory or barriers: a register-tiled matmul, row reductions and a row softmax.
// SwiftShader (the software WebGPU adapter) runs a workgroup barrier as a switch between its invocations' stacks, so
// tfjs's shared-memory tiles and tree reductions cost it 5-20x more than plain loops over global memory.
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/** Invocations per workgroup for every program here (flat: tfjs hands `main` the global invocation index). */
export const WORKGROUP = 64;
/** Rows and columns of C each matmul invocation computes (its accumulators live in registers). */
export const TILE = 4;

abstract class FlatProgram implements WebGPUProgram {
  abstract variableNames: string[];
  abstract shaderKey: string;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  abstract uniforms: string;

  constructor(outputShape: number[], invocations: number) {
    this.outputShape = outputShape;
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.max(1, Math.ceil(invocations / WORKGROUP)), 1, 1];
  }

  abstract getUserCode(): string;
}

export interface MatMulShape {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** Whether a (or b) holds one matrix shared by every batch entry. */
  aShared: boolean;
  bShared: boolean;
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * C[b] = op(A[b]) · op(B[b]), [batch, m, n]. Each invocation owns a TILE×TILE block of C and walks k with TILE + TILE
 * loads per TILE² multiply-adds; neighbouring invocations take neighbouring column blocks, so B's rows are read in
 * order. Edge blocks clamp their reads into range and skip the writes past the edge.
 */
export class LabMatMulProgram extends FlatProgram {
  variableNames = ['A', 'B'];
  shaderKey: string;
  uniforms = 'M : i32, N : i32, K : i32, tilesN : i32, tiles : i32, batch : i32, aStride : i32, bStride : i32,';
  /** Set for vec4 bindings (one 16-byte load per 4 values): [4, 4] when the layout allows it, else unset. */
  variableComponents?: number[];
  private readonly transposeA: boolean;
  private readonly transposeB: boolean;

  /** `flat`: the output is [m, n] (rank-2 operands), else [batch, m, n]. */
  constructor(s: MatMulShape, flat = false) {
    const tiles = Math.ceil(s.m / TILE) * Math.ceil(s.n / TILE);
    super(flat ? [s.m, s.n] : [s.batch, s.m, s.n], tiles * s.batch);
    this.transposeA = s.transposeA;
    this.transposeB = s.transposeB;
    const vec4 = vec4Layout(s);
    if (vec4) this.variableComponents = [4, 4];
    this.shaderKey = `labMatMul_${s.transposeA ? 'T' : 'N'}${s.transposeB ? 'T' : 'N'}${vec4 ? '_vec4' : ''}`;
  }

  /** The program-defined uniforms, in `uniforms` order. */
  static uniformsFor(s: MatMulShape): { type: 'int32'; data: number[] }[] {
    const tilesN = Math.ceil(s.n / TILE);
    const tiles = Math.ceil(s.m / TILE) * tilesN;
    const values = [s.m, s.n, s.k, tilesN, tiles, s.batch, s.aShared ? 0 : s.m * s.k, s.bShared ? 0 : s.k * s.n];
    return values.map((v) => ({ type: 'int32', data: [v] }));
  }

  getUserCode(): string {
    const idx = [...Array(TILE).keys()];
    const loop = this.variableComponents ? this.vec4Loop() : this.scalarLoop();
    return `
      fn main(index : i32) {
        if (index >= uniforms.tiles * uniforms.batch) { return; }
        let bi = index / uniforms.tiles;
        let t = index - bi * uniforms.tiles;
        let r0 = (t / uniforms.tilesN) * ${TILE};
        let c0 = (t - (t / uniforms.tilesN) * uniforms.tilesN) * ${TILE};
        let aBase = bi * uniforms.aStride;
        let bBase = bi * uniforms.bStride;
        ${idx.map((i) => `let ra${i} = min(r0 + ${i}, uniforms.M - 1);`).join('\n        ')}
        ${idx.map((j) => `let cb${j} = min(c0 + ${j}, uniforms.N - 1);`).join('\n        ')}
        ${idx.map((i) => `var acc${i} = vec4<f32>(0.0);`).join('\n        ')}
        ${loop}
        let outBase = bi * uniforms.M * uniforms.N;
        ${idx
          .map(
            (i) => `if (r0 + ${i} < uniforms.M) {
          let o = outBase + (r0 + ${i}) * uniforms.N;
          ${idx.map((j) => `if (c0 + ${j} < uniforms.N) { result[o + c0 + ${j}] = acc${i}[${j}]; }`).join('\n          ')}
        }`,
          )
          .join('\n        ')}
      }
    `;
  }

  // Offsets are computed once before each loop and advanced by additions inside it: SwiftShader's JIT (Subzero)
  // hoists nothing, so an index expression with uniforms in the loop costs loads and multiplies on every k.

  /** One k at a time, scalar loads: any shape. */
  private scalarLoop(): string {
    const idx = [...Array(TILE).keys()];
    const aSetup = this.transposeA ? 'var aK = aBase;' : idx.map((i) => `let aRow${i} = aBase + ra${i} * uniforms.K;`).join(' ');
    const bSetup = this.transposeB ? idx.map((j) => `let bCol${j} = bBase + cb${j} * uniforms.K;`).join(' ') : 'var bK = bBase;';
    const a = (i: number) => (this.transposeA ? `A[aK + ra${i}]` : `A[aRow${i} + k]`);
    const b = (j: number) => (this.transposeB ? `B[bCol${j} + k]` : `B[bK + cb${j}]`);
    const advance = [this.transposeA ? 'aK = aK + m;' : '', this.transposeB ? '' : 'bK = bK + n;'].join(' ');
    return `
        let kEnd = uniforms.K; let m = uniforms.M; let n = uniforms.N;
        ${aSetup}
        ${bSetup}
        for (var k = 0; k < kEnd; k = k + 1) {
          let bv = vec4<f32>(${idx.map((j) => `f32(${b(j)})`).join(', ')});
          ${idx.map((i) => `acc${i} = fma(vec4<f32>(f32(${a(i)})), bv, acc${i});`).join('\n          ')}
          ${advance}
        }`;
  }

  /**
   * vec4 loads along whichever axis each operand holds contiguously (vec4Layout says when the sizes allow it):
   * NN and NT step k by 4 (A's rows are contiguous in k), TN steps k by 1 with A and B rows read 4 wide.
   * Offsets here count vec4s.
   */
  private vec4Loop(): string {
    const idx = [...Array(TILE).keys()];
    if (this.transposeA) {
      // Four k per pass (then the rest one by one): with 2 loads per 16 multiply-adds, the loop's own count and
      // checks would otherwise cost as much as its work.
      const body = (aAt: string, bAt: string) => `{
            let av = vec4<f32>(A[${aAt}]);
            let bv = vec4<f32>(B[${bAt}]);
            ${idx.map((i) => `acc${i} = fma(vec4<f32>(av[${i}]), bv, acc${i});`).join(' ')}
          }`;
      return `
        let kEnd = uniforms.K; let aStep = uniforms.M / 4; let bStep = uniforms.N / 4;
        let a2 = aStep + aStep; let a3 = a2 + aStep; let a4 = a2 + a2;
        let b2 = bStep + bStep; let b3 = b2 + bStep; let b4 = b2 + b2;
        var aK = (aBase + r0) / 4;
        var bK = (bBase + c0) / 4;
        var k = 0;
        for (; k + 3 < kEnd; k = k + 4) {
          ${body('aK', 'bK')}
          ${body('aK + aStep', 'bK + bStep')}
          ${body('aK + a2', 'bK + b2')}
          ${body('aK + a3', 'bK + b3')}
          aK = aK + a4;
          bK = bK + b4;
        }
        for (; k < kEnd; k = k + 1) {
          ${body('aK', 'bK')}
          aK = aK + aStep;
          bK = bK + bStep;
        }`;
    }
    const aRows = idx.map((i) => `let aRow${i} = (aBase + ra${i} * uniforms.K) / 4;`).join(' ');
    const aLoads = idx.map((i) => `let a${i} = vec4<f32>(A[aRow${i} + k]);`).join('\n          ');
    if (this.transposeB) {
      return `
        let kEnd = uniforms.K / 4;
        ${aRows}
        ${idx.map((j) => `let bCol${j} = (bBase + cb${j} * uniforms.K) / 4;`).join(' ')}
        for (var k = 0; k < kEnd; k = k + 1) {
          ${idx.map((j) => `let b${j} = vec4<f32>(B[bCol${j} + k]);`).join('\n          ')}
          ${aLoads}
          ${idx.map((i) => `acc${i} = acc${i} + vec4<f32>(${idx.map((j) => `dot(a${i}, b${j})`).join(', ')});`).join('\n          ')}
        }`;
    }
    return `
        let kEnd = uniforms.K / 4; let n1 = uniforms.N / 4; let n2 = n1 + n1; let n3 = n2 + n1; let n4 = n2 + n2;
        ${aRows}
        var bK = (bBase + c0) / 4;
        for (var k = 0; k < kEnd; k = k + 1) {
          let b0 = vec4<f32>(B[bK]);
          let b1 = vec4<f32>(B[bK + n1]);
          let b2 = vec4<f32>(B[bK + n2]);
          let b3 = vec4<f32>(B[bK + n3]);
          ${aLoads}
          ${idx.map((i) => `acc${i} = fma(vec4<f32>(a${i}.x), b0, fma(vec4<f32>(a${i}.y), b1, fma(vec4<f32>(a${i}.z), b2, fma(vec4<f32>(a${i}.w), b3, acc${i}))));`).join('\n          ')}
          bK = bK + n4;
        }`;
  }
}

/**
 * Whether both operands can be read as vec4: the contiguous axis each is read along, and every row start, must be
 * a multiple of 4 (NN: k and n; NT: k; TN: m and n). TT, rare here, always takes scalar loads.
 */
export function vec4Layout(s: Pick<MatMulShape, 'm' | 'n' | 'k' | 'transposeA' | 'transposeB'>): boolean {
  if (s.transposeA && s.transposeB) return false;
  if (s.transposeA) return s.m % 4 === 0 && s.n % 4 === 0;
  if (s.transposeB) return s.k % 4 === 0;
  return s.k % 4 === 0 && s.n % 4 === 0;
}

export type ReduceOp = 'sum' | 'mean' | 'max' | 'min';

/**
 * One reduction per invocation. x is viewed as [outer, inner]: `rows` mode reduces each of the `outer` rows over its
 * contiguous `inner` values; `columns` mode reduces each of the `inner` columns over the `outer` rows (a bias
 * gradient's sum over positions), with neighbouring invocations reading neighbouring values.
 */
export class LabReduceProgram extends FlatProgram {
  variableNames = ['x'];
  shaderKey: string;
  uniforms = 'outer : i32, inner : i32,';
  private readonly op: ReduceOp;
  private readonly columns: boolean;

  constructor(op: ReduceOp, columns: boolean, outputs: number, outputShape: number[]) {
    super(outputShape, outputs);
    this.op = op;
    this.columns = columns;
    this.shaderKey = `labReduce_${op}_${columns ? 'columns' : 'rows'}`;
  }

  getUserCode(): string {
    const extreme = this.op === 'max' || this.op === 'min';
    // NaN stays once seen (WGSL's max/min may drop it), so a NaN loss still reads as NaN.
    const step = extreme ? `acc = select(${this.op}(acc, v), acc + v, isnan(v) || isnan(acc));` : 'acc = acc + v;';
    const [outputs, length, first, at] = this.columns
      ? ['uniforms.inner', 'uniforms.outer', 'index', 'index + i * uniforms.inner']
      : ['uniforms.outer', 'uniforms.inner', 'index * uniforms.inner', 'index * uniforms.inner + i'];
    return `
      fn main(index : i32) {
        if (index >= ${outputs}) { return; }
        var acc = ${extreme ? `f32(x[${first}])` : '0.0'};
        for (var i = ${extreme ? 1 : 0}; i < ${length}; i = i + 1) {
          let v = f32(x[${at}]);
          ${step}
        }
        result[index] = ${this.op === 'mean' ? `acc / f32(${length})` : 'acc'};
      }
    `;
  }
}

/** softmax over the contiguous last `cols` values, one row per invocation (max, then Σexp, then the quotients). */
export class LabSoftmaxProgram extends FlatProgram {
  variableNames = ['logits'];
  shaderKey = 'labRowSoftmax';
  uniforms = 'rows : i32, cols : i32,';

  constructor(rows: number, outputShape: number[]) {
    super(outputShape, rows);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index >= uniforms.rows) { return; }
        let base = index * uniforms.cols;
        var m = f32(logits[base]);
        for (var i = 1; i < uniforms.cols; i = i + 1) {
          let v = f32(logits[base + i]);
          m = select(max(m, v), m + v, isnan(v) || isnan(m));
        }
        var s = 0.0;
        for (var i = 0; i < uniforms.cols; i = i + 1) { s = s + exp(f32(logits[base + i]) - m); }
        for (var i = 0; i < uniforms.cols; i = i + 1) { result[base + i] = exp(f32(logits[base + i]) - m) / s; }
      }
    `;
  }
}
