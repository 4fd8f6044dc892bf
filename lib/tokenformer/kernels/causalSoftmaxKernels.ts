// Causal softmax over attention scores and its backward pass as single JS passes (rows of [M, T, T]).
import { exp } from './normMath';
import { registerJsKernel } from './jsKernel';

export const CAUSAL_SOFTMAX = 'TokenformerCausalSoftmax';
export const SOFTMAX_GRAD = 'TokenformerSoftmaxGrad';

/** p[m, i, j] = softmax over j ≤ i of scores[m, i, :], and 0 above the diagonal. */
export function causalSoftmax(scores: Float32Array, p: Float32Array, rows: number, t: number): void {
  for (let r = 0, o = 0; r < rows; r++, o += t) {
    const last = r % t; // query position: keys 0..last are visible
    let mx = -Infinity;
    for (let j = 0; j <= last; j++) if (scores[o + j] > mx) mx = scores[o + j];
    let z = 0;
    for (let j = 0; j <= last; j++) {
      const e = exp(scores[o + j] - mx);
      p[o + j] = e;
      z += e;
    }
    const inv = 1 / z;
    for (let j = 0; j <= last; j++) p[o + j] *= inv;
    for (let j = last + 1; j < t; j++) p[o + j] = 0;
  }
}

/** ds = p·(dp − Σ p·dp) row by row (the softmax Jacobian-vector product). */
export function softmaxGrad(p: Float32Array, dp: Float32Array, ds: Float32Array, rows: number, n: number): void {
  for (let r = 0, o = 0; r < rows; r++, o += n) {
    let c = 0;
    for (let j = 0; j < n; j++) c += p[o + j] * dp[o + j];
    for (let j = 0; j < n; j++) ds[o + j] = p[o + j] * (dp[o + j] - c);
  }
}

// The forward pass only on cpu: wasm's own Softmax kernel (with the mask added first) is faster than JS, while
// the cpu backend's broadcasting ops cost ~100x more per element than this loop.
registerJsKernel({
  name: CAUSAL_SOFTMAX,
  backends: ['cpu'],
  inputNames: ['scores'],
  outputShapes: ([s]) => [s.shape],
  run: ([s], [p], [shape]) => {
    const t = shape[shape.length - 1];
    if (shape[shape.length - 2] !== t) throw new Error(`${CAUSAL_SOFTMAX}: scores [${shape}] are not square in the last two axes`);
    causalSoftmax(s, p, s.length / t, t);
  },
});

registerJsKernel({
  name: SOFTMAX_GRAD,
  inputNames: ['p', 'dp'],
  outputShapes: ([p]) => [p.shape],
  run: ([p, dp], [ds], [shape]) => {
    const n = shape[shape.length - 1];
    softmaxGrad(p, dp, ds, p.length / n, n);
  },
});
