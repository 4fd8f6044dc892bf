// The three Pattention normalisations f(S) over the last axis and their backward pass (README "reference math").
import * as tf from '@tensorflow/tfjs-core';
import type { NormActivation } from '../config';
import { normHasGradFactor, PATTENTION_NORM, PATTENTION_NORM_GRAD } from '../kernels/pattentionNormKernels';
import { hasKernel, runKernel } from '../kernels/jsKernel';
import { geluComposed, geluGradComposed } from './gelu';

export interface NormOutput {
  f: tf.Tensor2D;
  /** Per-element factor for the backward pass, from the fused kernel when training (GELU forms only). */
  grad?: tf.Tensor2D;
}

/**
 * f(S) with n = `scaleTokens` in √n (or n): l2_norm_gelu GELU(s/‖s‖·√n), gelu_l2_norm GELU(s)/‖GELU(s)‖·√n,
 * softmax exp(s)/Σexp(s)·n. `withGrad` asks the fused kernel for its backward factor as well.
 */
export function normForward(s: tf.Tensor2D, norm: NormActivation, scaleTokens: number, withGrad = false): NormOutput {
  if (hasKernel(PATTENTION_NORM)) {
    if (withGrad && normHasGradFactor(norm)) {
      const [f, grad] = runKernel<tf.Tensor2D[]>(PATTENTION_NORM, { s }, { norm, scaleTokens, withGrad });
      return { f, grad };
    }
    return { f: runKernel<tf.Tensor2D>(PATTENTION_NORM, { s }, { norm, scaleTokens, withGrad: false }) };
  }
  return { f: normComposed(s, norm, scaleTokens) };
}

function normComposed(s: tf.Tensor2D, norm: NormActivation, scaleTokens: number): tf.Tensor2D {
  return tf.tidy(() => {
    const sqrtM = Math.sqrt(scaleTokens);
    switch (norm) {
      case 'l2_norm_gelu': {
        const a = tf.mul(sqrtM, tf.rsqrt(tf.sum(tf.square(s), -1, true))); // [N, 1]
        return geluComposed(tf.mul(s, a)); // [N, n]
      }
      case 'gelu_l2_norm': {
        const g = geluComposed(s); // [N, n]
        return tf.mul(g, tf.mul(sqrtM, tf.rsqrt(tf.sum(tf.square(g), -1, true)))); // [N, n]
      }
      case 'softmax':
        return tf.mul(tf.softmax(s), scaleTokens); // [N, n]
    }
  }) as tf.Tensor2D;
}

/** dS given S, the forward output and dF. */
export function normBackward(s: tf.Tensor2D, out: NormOutput, df: tf.Tensor2D, norm: NormActivation, scaleTokens: number): tf.Tensor2D {
  const { f, grad } = out;
  if (hasKernel(PATTENTION_NORM_GRAD) && (grad || !normHasGradFactor(norm))) {
    return runKernel<tf.Tensor2D>(PATTENTION_NORM_GRAD, grad ? { s, f, df, g: grad } : { s, f, df }, { norm, scaleTokens });
  }
  return tf.tidy(() => {
    const sqrtM = Math.sqrt(scaleTokens);
    switch (norm) {
      case 'l2_norm_gelu': {
        const ss = tf.sum(tf.square(s), -1, true); // [N, 1]
        const a = tf.mul(sqrtM, tf.rsqrt(ss)); // [N, 1]
        const du = tf.mul(df, geluGradComposed(tf.mul(s, a))); // [N, n]
        const c = tf.div(tf.sum(tf.mul(s, du), -1, true), ss); // [N, 1]
        return tf.mul(a, tf.sub(du, tf.mul(s, c))); // [N, n]
      }
      case 'gelu_l2_norm': {
        const g = geluComposed(s); // [N, n]
        const gg = tf.sum(tf.square(g), -1, true); // [N, 1]
        const a = tf.mul(sqrtM, tf.rsqrt(gg)); // [N, 1]
        const c = tf.div(tf.sum(tf.mul(g, df), -1, true), gg); // [N, 1]
        return tf.mul(tf.mul(a, tf.sub(df, tf.mul(g, c))), geluGradComposed(s)); // [N, n]
      }
      case 'softmax': {
        const c = tf.div(tf.sum(tf.mul(f, df), -1, true), scaleTokens); // [N, 1]
        return tf.mul(f, tf.sub(df, c)); // [N, n]
      }
    }
  }) as tf.Tensor2D;
}
