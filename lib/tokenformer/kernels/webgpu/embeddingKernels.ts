// WGSL row gather / scatter-add (the embedding) and softmax cross-entropy with its gradient (the head) for webgpu.
// Ids cannot be checked on the host without a read-back: an id out of range yields NaN rows instead of the JS
// kernels' error, so the loss turns non-finite and the divergence guard stops the step.
import * as tf from '@tensorflow/tfjs-core';
import { GATHER_ROWS, SCATTER_ADD_ROWS, SOFTMAX_XENT, SOFTMAX_XENT_GRAD } from '../embeddingKernels';
import { checkDtypes, elementwiseWorkgroups, ELEMENTWISE_WG, F32_LOWEST, rowLayout, runProgram, sumLoop, webgpu, type RowLayout } from './program';

type Info = tf.TensorInfo;

const int = (x: number) => ({ type: 'int32' as const, data: [x] });

const gatherBody = `
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    let i = index / uniforms.d;
    let id = ids[i];
    if (id < 0 || id >= uniforms.vocab) { result[index] = uniforms.NAN; return; }
    result[index] = table[id * uniforms.d + index - i * uniforms.d];
  }`;

tf.registerKernel({
  kernelName: GATHER_ROWS,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { table, ids } = inputs as { table: Info; ids: Info };
    checkDtypes(GATHER_ROWS, { table, ids }, ['ids']);
    const count = attrs?.count as number;
    if (table.shape.length !== 2 || ids.shape.length !== 1 || count !== ids.shape[0]) throw new Error(`${GATHER_ROWS}: expects table [V, d], ids [count], got [${table.shape}], [${ids.shape}], count ${count}`);
    const d = table.shape[1];
    const size = count * d;
    return runProgram(
      webgpu(backend),
      { key: 'tfGatherRows', inputs: ['table', 'ids'], outputShape: [count, d], workgroups: elementwiseWorkgroups(size), workgroupSize: ELEMENTWISE_WG, uniforms: 'size : i32, d : i32, vocab : i32,', body: gatherBody },
      [table, ids],
      [int(size), int(d), int(table.shape[0])],
    );
  },
});

/**
 * One workgroup per output row r: the ids are scanned a chunk at a time, the positions that hit r compacted in
 * order (a prefix sum in shared memory), then each invocation adds those rows of dy to its columns. The sum runs
 * in id order, like the JS kernel, so the results match it bit for bit; the work is V·N comparisons plus N·d adds,
 * not the V·N·d of a one-hot product. Ids outside 0..V−1 hit no row; their count marks every row NaN.
 */
const scatterBody = (wg: number) => `
  var<workgroup> hits : array<u32, ${wg}>;
  var<workgroup> list : array<i32, ${wg}>;
  var<workgroup> bad : u32; // zero-initialised; any invocation that reads a bad id sets it
  fn main(index : i32) {
    let r = index / ${wg};
    let tid = i32(localIndex);
    let valid = r < uniforms.rows;
    let d = uniforms.d;
    let o = r * d;
    for (var j = tid; valid && j < d; j += ${wg}) { result[o + j] = 0.0; }
    for (var base = 0; base < uniforms.count; base += ${wg}) {
      let i = base + tid;
      var hit = 0u;
      if (i < uniforms.count) {
        let id = ids[i];
        if (id == r) { hit = 1u; }
        if (id < 0 || id >= uniforms.rows) { bad = 1u; }
      }
      hits[tid] = hit;
      workgroupBarrier();
      for (var off = 1; off < ${wg}; off = off << 1u) {
        var add = 0u;
        if (tid >= off) { add = hits[tid - off]; }
        workgroupBarrier();
        hits[tid] += add;
        workgroupBarrier();
      }
      if (hit == 1u) { list[hits[tid] - 1u] = i; }
      let total = i32(hits[${wg - 1}]);
      workgroupBarrier();
      for (var k = 0; valid && k < total; k++) {
        let src = list[k] * d;
        for (var j = tid; j < d; j += ${wg}) { result[o + j] += dy[src + j]; }
      }
      workgroupBarrier();
    }
    if (bad != 0u) {
      for (var j = tid; valid && j < d; j += ${wg}) { result[o + j] = uniforms.NAN; }
    }
  }`;

/** The same sum with one invocation per output row and no barriers (the software-adapter layout). */
const scatterThreadBody = `
  fn main(index : i32) {
    let r = index;
    if (r >= uniforms.rows) { return; }
    let d = uniforms.d;
    let o = r * d;
    for (var j = 0; j < d; j++) { result[o + j] = 0.0; }
    var bad = false;
    for (var i = 0; i < uniforms.count; i++) {
      let id = ids[i];
      if (id < 0 || id >= uniforms.rows) { bad = true; }
      if (id == r) {
        let src = i * d;
        for (var j = 0; j < d; j++) { result[o + j] += dy[src + j]; }
      }
    }
    if (bad) { for (var j = 0; j < d; j++) { result[o + j] = uniforms.NAN; } }
  }`;

tf.registerKernel({
  kernelName: SCATTER_ADD_ROWS,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, ids } = inputs as { dy: Info; ids: Info };
    checkDtypes(SCATTER_ADD_ROWS, { dy, ids }, ['ids']);
    const rows = attrs?.rows as number;
    if (dy.shape.length !== 2 || ids.shape.length !== 1 || ids.shape[0] !== dy.shape[0] || !Number.isInteger(rows) || rows < 0) {
      throw new Error(`${SCATTER_ADD_ROWS}: expects dy [N, d], ids [N] and rows ≥ 0, got [${dy.shape}], [${ids.shape}], rows ${rows}`);
    }
    const be = webgpu(backend);
    const L = rowLayout(be, dy.shape[1]);
    const wg = 64;
    const thread = L.mode === 'thread';
    return runProgram(
      be,
      {
        key: `tfScatterAddRows_${L.mode}`,
        inputs: ['dy', 'ids'],
        outputShape: [rows, dy.shape[1]],
        workgroups: thread ? Math.ceil(rows / wg) : rows,
        workgroupSize: wg,
        uniforms: 'rows : i32, d : i32, count : i32,',
        body: thread ? scatterThreadBody : scatterBody(wg),
      },
      [dy, ids],
      [int(rows), int(dy.shape[1]), int(ids.shape[0])],
    );
  },
});

/**
 * Softmax of a logits row, shared by the p and nll programs: the row max, then z = Σ exp(l − max). A NaN or +Inf
 * logit makes the row NaN (as in the JS kernel) explicitly, since WGSL leaves NaN and Inf arithmetic to the device.
 */
const xentHead = (L: RowLayout) => `${L.reduce}
  fn finiteOrNegInf(x : f32) -> bool { return !isnan(x) && x != uniforms.INFINITY; }
  fn ex(x : f32, mx : f32) -> f32 { return select(exp(x - mx), 0.0, x == -uniforms.INFINITY); }
  fn main(index : i32) {
    ${L.head}
    let v = uniforms.v;
    let o = row * v;
    var mx = ${F32_LOWEST};
    var badCount = 0.0;
    for (var j = tid; valid && j < v; j += ${L.step}) {
      let x = logits[o + j];
      if (finiteOrNegInf(x)) { mx = max(mx, x); } else { badCount += 1.0; }
    }
    let rowMx = rowMax(mx);
    ${sumLoop(L, 'z', 'f32', 'ex(logits[o + j], rowMx)', 'v')}
    let sums = rowSum2(vec2<f32>(z, badCount));
    let bad = sums.y > 0.0;`;

const xentProbBody = (L: RowLayout) => `${xentHead(L)}
    let inv = 1.0 / sums.x;
    for (var j = tid; valid && j < v; j += ${L.step}) {
      result[o + j] = select(ex(logits[o + j], rowMx) * inv, uniforms.NAN, bad);
    }
  }`;

const xentNllBody = (L: RowLayout) => `${xentHead(L)}
    if (valid && tid == 0) {
      let t = targets[row];
      if (t == -1) { result[row] = 0.0; }
      else if (bad || t < -1 || t >= v) { result[row] = uniforms.NAN; }
      else {
        let lt = logits[o + t];
        result[row] = select(log(sums.x) + rowMx - lt, uniforms.INFINITY, lt == -uniforms.INFINITY);
      }
    }
  }`;

tf.registerKernel({
  kernelName: SOFTMAX_XENT,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { logits, targets } = inputs as { logits: Info; targets: Info };
    checkDtypes(SOFTMAX_XENT, { logits, targets }, ['targets']);
    if (logits.shape.length !== 2 || targets.shape.length !== 1 || targets.shape[0] !== logits.shape[0]) throw new Error(`${SOFTMAX_XENT}: expects logits [N, V] and targets [N], got [${logits.shape}], [${targets.shape}]`);
    const [rows, v] = logits.shape;
    const be = webgpu(backend);
    const L = rowLayout(be, v);
    const uniforms = [int(rows), int(v)];
    const spec = { workgroups: L.workgroups(rows), workgroupSize: L.workgroupSize, uniforms: 'rows : i32, v : i32,' };
    // Two programs (one output each), both reducing the row: p [N, V], then nll [N].
    const p = runProgram(be, { ...spec, key: `tfSoftmaxXentP_${L.mode}`, inputs: ['logits'], outputShape: [rows, v], body: xentProbBody(L) }, [logits], uniforms);
    const nll = runProgram(be, { ...spec, key: `tfSoftmaxXentNll_${L.mode}`, inputs: ['logits', 'targets'], outputShape: [rows], body: xentNllBody(L) }, [logits, targets], uniforms);
    return [p, nll];
  },
});

const xentGradBody = `
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    let row = index / uniforms.v;
    let j = index - row * uniforms.v;
    let t = targets[row];
    let s = gradScale[0];
    result[index] = select(p[index] * s - select(0.0, s, j == t), 0.0, t < 0);
  }`;

tf.registerKernel({
  kernelName: SOFTMAX_XENT_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { p, scale, targets } = inputs as { p: Info; scale: Info; targets: Info };
    checkDtypes(SOFTMAX_XENT_GRAD, { p, scale, targets }, ['targets']);
    if (p.shape.length !== 2 || targets.shape.length !== 1 || targets.shape[0] !== p.shape[0] || tf.util.sizeFromShape(scale.shape) !== 1) {
      throw new Error(`${SOFTMAX_XENT_GRAD}: expects p [N, V], targets [N] and a scalar scale, got [${p.shape}], [${targets.shape}], [${scale.shape}]`);
    }
    const size = tf.util.sizeFromShape(p.shape);
    return runProgram(
      webgpu(backend),
      { key: 'tfSoftmaxXentGrad', inputs: ['p', 'targets', 'gradScale'], outputShape: p.shape, workgroups: elementwiseWorkgroups(size), workgroupSize: ELEMENTWISE_WG, uniforms: 'size : i32, v : i32,', body: xentGradBody },
      [p, targets, scale],
      [int(size), int(p.shape[1])],
    );
  },
});
