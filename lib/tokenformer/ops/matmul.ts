// Matrix products in the layout each backend runs fastest: wasm only reaches XNNPACK for untransposed,
// unbatched operands (transposed or batched products fall to a loop ~10x slower), so there we transpose first.
import * as tf from '@tensorflow/tfjs-core';
import { hasKernel, runKernel } from '../kernels/jsKernel';
import { TRANSPOSE_LAST2 } from '../kernels/transposeKernel';
import { BATCH_MATMUL_XNN } from '../kernels/wasmBatchMatmul';

const explicitTranspose = () => tf.getBackend() === 'wasm';

const swapLast = (rank: number) => [...Array(rank - 2).keys(), rank - 1, rank - 2];

/** Swaps the last two axes (the tiled JS kernel where registered). */
export function transposeLast2<T extends tf.Tensor>(x: T): T {
  return hasKernel(TRANSPOSE_LAST2) ? runKernel<T>(TRANSPOSE_LAST2, { x }) : (tf.transpose(x, swapLast(x.rank)) as T);
}
const t = transposeLast2;

/** a · b for rank-2 or batched rank-3 operands. */
export function mm<T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: T): T {
  if (a.rank === 3 && hasKernel(BATCH_MATMUL_XNN)) return runKernel<T>(BATCH_MATMUL_XNN, { a, b });
  return tf.matMul(a, b) as T;
}

/** a · bᵀ */
export function mmNT<T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: T): T {
  return explicitTranspose() ? tf.tidy(() => mm(a, t(b))) : (tf.matMul(a, b, false, true) as T);
}

/**
 * aᵀ · b for a [.., N, m], b [.., N, p]. With explicit transposes, moves whichever side costs fewer elements:
 * aᵀ (N·m), or bᵀ and the small product, as (bᵀ·a)ᵀ (N·p + p·m).
 */
export function mmTN<T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: T): T {
  if (!explicitTranspose()) return tf.matMul(a, b, true, false) as T;
  const r = a.rank;
  const [n, m, p] = [a.shape[r - 2]!, a.shape[r - 1]!, b.shape[r - 1]!];
  return tf.tidy(() => (n * p + p * m < n * m ? t(mm(t(b), a)) : mm(t(a), b)));
}
