// Multi-head causal self-attention (GPT-NeoX: partial rotary on q and k, softmax with 1/√head_dim), one customGrad.
import * as tf from '@tensorflow/tfjs-core';
import { CAUSAL_SOFTMAX, SOFTMAX_GRAD } from '../kernels/causalSoftmaxKernels';
import { hasKernel, runKernel } from '../kernels/jsKernel';
import { customOp } from './customOp';
import { mm, mmNT, mmTN } from './matmul';
import { applyRotary, applyRotaryTranspose, type RotaryTables } from './rotary';

export interface AttentionShape {
  batch: number;
  seqLen: number;
  numHeads: number;
}

const maskCache = new Map<number, Float32Array>();

/** [T, T] additive causal mask: 0 on and below the diagonal, −1e9 above (exp gives exactly 0 in float32). */
function causalMask(seqLen: number): tf.Tensor2D {
  let data = maskCache.get(seqLen);
  if (!data) {
    data = new Float32Array(seqLen * seqLen);
    for (let i = 0; i < seqLen; i++) for (let j = i + 1; j < seqLen; j++) data[i * seqLen + j] = -1e9;
    maskCache.set(seqLen, data);
  }
  return tf.tensor2d(data, [seqLen, seqLen]);
}

/** [B·T, H·hd] -> [B·H, T, hd] */
function toHeads(x: tf.Tensor, { batch, seqLen, numHeads }: AttentionShape): tf.Tensor3D {
  const hd = x.shape[x.rank - 1]! / numHeads;
  return tf.reshape(tf.transpose(tf.reshape(x, [batch, seqLen, numHeads, hd]), [0, 2, 1, 3]), [batch * numHeads, seqLen, hd]);
}

/** [B·H, T, hd] -> [B·T, H·hd] */
function fromHeads(x: tf.Tensor3D, { batch, seqLen, numHeads }: AttentionShape): tf.Tensor2D {
  const hd = x.shape[2];
  return tf.reshape(tf.transpose(tf.reshape(x, [batch, numHeads, seqLen, hd]), [0, 2, 1, 3]), [batch * seqLen, numHeads * hd]);
}

/** Rotated, pre-scaled queries and rotated keys, both [B·H, T, hd]. */
function rotatedQK(q: tf.Tensor, k: tf.Tensor, shape: AttentionShape, rotary: RotaryTables): [tf.Tensor3D, tf.Tensor3D] {
  const hd = q.shape[q.rank - 1]! / shape.numHeads;
  const qr = tf.mul(applyRotary(toHeads(q, shape), rotary), 1 / Math.sqrt(hd)) as tf.Tensor3D; // [B·H, T, hd]
  const kr = applyRotary(toHeads(k, shape), rotary); // [B·H, T, hd]
  return [qr, kr];
}

/** Causal attention probabilities from rotated q, k: [B·H, T, T]. */
function probs(qr: tf.Tensor3D, kr: tf.Tensor3D): tf.Tensor3D {
  const scores = mmNT(qr, kr); // [B·H, T, T]
  if (hasKernel(CAUSAL_SOFTMAX)) return runKernel<tf.Tensor3D>(CAUSAL_SOFTMAX, { scores }); // [B·H, T, T]
  return tf.softmax(tf.add(scores, causalMask(qr.shape[1]))) as tf.Tensor3D; // [B·H, T, T]
}

/** dS = P·(dP − Σ P·dP) over the last axis. */
function softmaxBackward(p: tf.Tensor3D, dp: tf.Tensor3D): tf.Tensor3D {
  if (hasKernel(SOFTMAX_GRAD)) return runKernel<tf.Tensor3D>(SOFTMAX_GRAD, { p, dp });
  return tf.mul(p, tf.sub(dp, tf.sum(tf.mul(p, dp), -1, true))) as tf.Tensor3D;
}

/** q, k, v [B·T, d] -> context [B·T, d], with a hand-written backward pass. */
export function causalSelfAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, shape: AttentionShape, rotary: RotaryTables): tf.Tensor2D {
  const hd = q.shape[1] / shape.numHeads;
  return customOp<tf.Tensor2D>([q, k, v], ([qi, ki, vi], save) => {
    const [qr, kr] = rotatedQK(qi, ki, shape, rotary);
    const vh = toHeads(vi, shape); // [B·H, T, hd]
    const p = probs(qr, kr); // [B·H, T, T]
    // The tables are the caller's tensors: saving them keeps them alive until the backward pass.
    save([qr, kr, vh, p, rotary.cos, rotary.sin, rotary.rotT]);
    return {
      value: fromHeads(mm(p, vh), shape), // [B·T, d]
      gradFunc: (dy, saved) => {
        const [sq, sk, sv, sp] = saved as tf.Tensor3D[];
        const [cos, sin, rotT] = saved.slice(4) as tf.Tensor2D[];
        const tables = { ...rotary, cos, sin, rotT };
        const dctx = toHeads(dy, shape); // [B·H, T, hd]
        const dp = mmNT(dctx, sv); // [B·H, T, T]
        const dv = mmTN(sp, dctx); // [B·H, T, hd]
        const ds = softmaxBackward(sp, dp); // [B·H, T, T]
        const dqr = mm(ds, sk); // [B·H, T, hd]
        const dkr = mmTN(ds, sq); // [B·H, T, hd]
        const dq = tf.mul(applyRotaryTranspose(dqr, tables), 1 / Math.sqrt(hd)) as tf.Tensor3D; // [B·H, T, hd]
        const dk = applyRotaryTranspose(dkr, tables); // [B·H, T, hd]
        return [fromHeads(dq, shape), fromHeads(dk, shape), fromHeads(dv, shape)];
      },
    };
  });
}

/** The per-head attention probabilities alone, [B, H, T, T] (for attention maps). */
export function causalAttentionProbs(q: tf.Tensor2D, k: tf.Tensor2D, shape: AttentionShape, rotary: RotaryTables): tf.Tensor4D {
  return tf.tidy(() => {
    const [qr, kr] = rotatedQK(q, k, shape, rotary);
    return tf.reshape(probs(qr, kr), [shape.batch, shape.numHeads, shape.seqLen, shape.seqLen]);
  });
}
