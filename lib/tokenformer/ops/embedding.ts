// Token embedding lookup and the tied output head with cross-entropy, both with hand-written gradients.
import * as tf from '@tensorflow/tfjs-core';
import { GATHER_ROWS, SCATTER_ADD_ROWS, SOFTMAX_XENT, SOFTMAX_XENT_GRAD } from '../kernels/embeddingKernels';
import { hasKernel, runKernel } from '../kernels/jsKernel';
import { customOp } from './customOp';
import { mm, mmNT, mmTN } from './matmul';

/** E [V, d], ids int32 [N] -> [N, d]. The gradient scatters rows back through a one-hot product (portable to every backend). */
export function embed(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const vocab = table.shape[0];
  const fused = hasKernel(GATHER_ROWS) && hasKernel(SCATTER_ADD_ROWS);
  return customOp<tf.Tensor2D>([table], ([e], save) => {
    // The ids are saved too: the caller may free them (e.g. at the end of a tidy) before the backward pass runs.
    save([ids]);
    return {
      value: fused ? runKernel<tf.Tensor2D>(GATHER_ROWS, { table: e, ids }, { count: ids.shape[0] }) : (tf.gather(e, ids) as tf.Tensor2D), // [N, d]
      gradFunc: (dy, [sid]) =>
        fused
          ? runKernel<tf.Tensor2D>(SCATTER_ADD_ROWS, { dy, ids: sid }, { rows: vocab }) // [V, d]
          : mmTN(tf.cast(tf.oneHot(sid as tf.Tensor1D, vocab), 'float32') as tf.Tensor2D, dy), // [V, d]
    };
  });
}

/** Tied output head: h [N, d] · Eᵀ -> logits [N, V]. */
export function tiedLogits(h: tf.Tensor2D, table: tf.Tensor2D): tf.Tensor2D {
  return mmNT(h, table);
}

/**
 * Mean cross-entropy of the tied head's logits against `targets` (int32 [N]; rows with target −1 are left out),
 * divided by `count`, the number of counted rows. Logits never leave the op, so the backward pass reuses the
 * softmax it saved instead of a chain of registered gradients.
 */
export function tiedCrossEntropy(h: tf.Tensor2D, table: tf.Tensor2D, targets: tf.Tensor1D, count: number): tf.Scalar {
  const vocab = table.shape[0];
  if (hasKernel(SOFTMAX_XENT) && hasKernel(SOFTMAX_XENT_GRAD)) return tiedCrossEntropyFused(h, table, targets, count);
  return customOp<tf.Scalar>([h, table], ([hi, e], save) => {
    const logits = mmNT(hi as tf.Tensor2D, e as tf.Tensor2D); // [N, V]
    const logp = tf.logSoftmax(logits); // [N, V]
    const onehot = tf.cast(tf.oneHot(targets, vocab), 'float32'); // [N, V], zero rows for target −1
    save([hi, e, tf.exp(logp), onehot]);
    return {
      value: tf.div(tf.neg(tf.sum(tf.mul(onehot, logp))), count) as tf.Scalar,
      gradFunc: (dy, saved) => {
        const [sh, se, p, oh] = saved as tf.Tensor2D[];
        const counted = tf.sum(oh, -1, true); // [N, 1]: 1 for counted rows
        const g = tf.mul(tf.sub(tf.mul(p, counted), oh), tf.div(dy, count)) as tf.Tensor2D; // [N, V]
        return [mm(g, se), mmTN(g, sh)]; // [N, d], [V, d]
      },
    };
  });
}

/** The same loss with the softmax, the picked log-probabilities and the logit gradient each one JS pass. */
function tiedCrossEntropyFused(h: tf.Tensor2D, table: tf.Tensor2D, targets: tf.Tensor1D, count: number): tf.Scalar {
  return customOp<tf.Scalar>([h, table], ([hi, e], save) => {
    const logits = mmNT(hi as tf.Tensor2D, e as tf.Tensor2D); // [N, V]
    const [p, nll] = runKernel<tf.Tensor[]>(SOFTMAX_XENT, { logits, targets }); // [N, V], [N]
    save([hi, e, p, targets]); // targets too: the caller may free them before the backward pass
    return {
      value: tf.div(tf.sum(nll), count) as tf.Scalar,
      gradFunc: (dy, saved) => {
        const [sh, se, sp, st] = saved as tf.Tensor2D[];
        const g = runKernel<tf.Tensor2D>(SOFTMAX_XENT_GRAD, { p: sp, targets: st, scale: tf.div(dy, count) }); // [N, V]
        return [mm(g, se), mmTN(g, sh)]; // [N, d], [V, d]
      },
    };
  });
}
