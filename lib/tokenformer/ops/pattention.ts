// Pattention(X; K, V) = f(X Kᵀ) V: token-to-parameter attention, the layer that replaces every linear projection.
import * as tf from '@tensorflow/tfjs-core';
import type { NormActivation } from '../config';
import { customOp, isRecordingGradients } from './customOp';
import { mm, mmNT, mmTN } from './matmul';
import { normBackward, normForward } from './pattentionNorm';

export interface PattentionOptions {
  norm: NormActivation;
  /** The n in √n (or n for softmax); growth can keep it below the number of key rows. */
  scaleTokens: number;
}

/**
 * x [N, dIn], keys [n, dIn], values [n, dOut] -> [N, dOut]. The gradient is hand-written (one fused norm kernel
 * instead of a chain of small ops), so it needs no registered tfjs gradients.
 */
export function pattention(x: tf.Tensor2D, keys: tf.Tensor2D, values: tf.Tensor2D, opts: PattentionOptions): tf.Tensor2D {
  const { norm, scaleTokens } = opts;
  return customOp<tf.Tensor2D>([x, keys, values], (inputs, save) => {
    const [xi, k, v] = inputs as tf.Tensor2D[];
    const s = mmNT(xi, k); // [N, n]
    const { f, grad } = normForward(s, norm, scaleTokens, isRecordingGradients()); // [N, n]
    save(grad ? [xi, k, v, s, f, grad] : [xi, k, v, s, f]);
    return {
      value: mm(f, v), // [N, dOut]
      gradFunc: (dy, saved) => {
        const [sx, sk, sv, ss, sf, sg] = saved as tf.Tensor2D[];
        const dw = mmNT(dy, sv); // [N, n]
        const dv = mmTN(sf, dy); // [n, dOut]
        const ds = normBackward(ss, { f: sf, grad: sg }, dw, norm, scaleTokens); // [N, n]
        const dx = mm(ds, sk); // [N, dIn]
        const dk = mmTN(ds, sx); // [n, dIn]
        return [dx, dk, dv];
      },
    };
  });
}

/** The normalised weights f(X Kᵀ) alone, [N, n] (for attention maps). */
export function pattentionWeights(x: tf.Tensor2D, keys: tf.Tensor2D, opts: PattentionOptions): tf.Tensor2D {
  return tf.tidy(() => normForward(mmNT(x, keys), opts.norm, opts.scaleTokens).f); // [N, n]
}
