// Row gather / scatter-add and softmax cross-entropy as JS kernels on cpu and wasm (the embedding and the head).
import { registerJsKernel } from './jsKernel';
import { exp } from './normMath';

export const GATHER_ROWS = 'TokenformerGatherRows';
export const SCATTER_ADD_ROWS = 'TokenformerScatterAddRows';
export const SOFTMAX_XENT = 'TokenformerSoftmaxXent';
export const SOFTMAX_XENT_GRAD = 'TokenformerSoftmaxXentGrad';

/** out[i] = table[ids[i]] for rows of width d. */
export function gatherRows(table: Float32Array, ids: Int32Array, out: Float32Array, d: number): void {
  for (let i = 0; i < ids.length; i++) out.set(table.subarray(ids[i] * d, ids[i] * d + d), i * d);
}

/** out[ids[i]] += dy[i] for rows of width d (out starts at zero). */
export function scatterAddRows(dy: Float32Array, ids: Int32Array, out: Float32Array, d: number): void {
  out.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const o = ids[i] * d;
    for (let j = 0; j < d; j++) out[o + j] += dy[i * d + j];
  }
}

/**
 * Row-wise softmax p of logits [N, V] and nll[i] = −log p[i, target[i]] (0 where the target is −1, a position
 * with nothing to predict).
 */
export function softmaxXent(logits: Float32Array, targets: Int32Array, p: Float32Array, nll: Float32Array, v: number): void {
  for (let i = 0, o = 0; i < targets.length; i++, o += v) {
    let mx = -Infinity;
    for (let j = 0; j < v; j++) if (logits[o + j] > mx) mx = logits[o + j];
    let z = 0;
    for (let j = 0; j < v; j++) {
      const e = exp(logits[o + j] - mx);
      p[o + j] = e;
      z += e;
    }
    const inv = 1 / z;
    for (let j = 0; j < v; j++) p[o + j] *= inv;
    const t = targets[i];
    nll[i] = t >= 0 ? Math.log(z) + mx - logits[o + t] : 0;
  }
}

/** g = (p − onehot(target))·scale on counted rows, 0 on rows with target −1. */
export function softmaxXentGrad(p: Float32Array, targets: Int32Array, scale: number, g: Float32Array, v: number): void {
  for (let i = 0, o = 0; i < targets.length; i++, o += v) {
    const t = targets[i];
    if (t < 0) {
      g.fill(0, o, o + v);
      continue;
    }
    for (let j = 0; j < v; j++) g[o + j] = p[o + j] * scale;
    g[o + t] -= scale;
  }
}

/** Out-of-range ids would read or write outside the tensor: refuse them (−1 only where it means "no target"). */
const checkIds = (ids: Int32Array, rows: number, what: string, allowIgnore = false) => {
  const lo = allowIgnore ? -1 : 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] >= rows || ids[i] < lo) throw new Error(`${what}: id ${ids[i]} outside ${lo}..${rows - 1}`);
};

registerJsKernel({
  name: GATHER_ROWS,
  inputNames: ['table'],
  int32Inputs: ['ids'],
  outputShapes: ([table], attrs) => [[attrs.count as number, table.shape[1]]],
  run: ([table], [out], [shape], _attrs, [ids]) => {
    checkIds(ids, shape[0], GATHER_ROWS);
    gatherRows(table, ids, out, shape[1]);
  },
});

registerJsKernel({
  name: SCATTER_ADD_ROWS,
  inputNames: ['dy'],
  int32Inputs: ['ids'],
  outputShapes: ([dy], attrs) => [[attrs.rows as number, dy.shape[1]]],
  run: ([dy], [out], [shape], attrs, [ids]) => {
    checkIds(ids, attrs.rows as number, SCATTER_ADD_ROWS);
    scatterAddRows(dy, ids, out, shape[1]);
  },
});

registerJsKernel({
  name: SOFTMAX_XENT,
  inputNames: ['logits'],
  int32Inputs: ['targets'],
  outputShapes: ([logits]) => [logits.shape, [logits.shape[0]]],
  run: ([logits], [p, nll], [shape], _attrs, [targets]) => {
    checkIds(targets, shape[1], SOFTMAX_XENT, true);
    softmaxXent(logits, targets, p, nll, shape[1]);
  },
});

registerJsKernel({
  name: SOFTMAX_XENT_GRAD,
  inputNames: ['p', 'scale'],
  int32Inputs: ['targets'],
  outputShapes: ([p]) => [p.shape],
  run: ([p, scale], [g], [shape], _attrs, [targets]) => softmaxXentGrad(p, targets, scale[0], g, shape[1]),
});
