// Exact (erf) GELU and its derivative: a fused JS kernel on cpu/wasm, composed tfjs ops elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import { GELU, GELU_GRAD } from '../kernels/pattentionNormKernels';
import { hasKernel, runKernel } from '../kernels/jsKernel';
import { customOp } from './customOp';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Φ(u) = ½(1 + erf(u/√2)), composed. */
export function normalCdf<T extends tf.Tensor>(u: T): T {
  return tf.tidy(() => tf.mul(0.5, tf.add(1, tf.erf(tf.mul(u, Math.SQRT1_2))))) as T;
}

export function geluComposed<T extends tf.Tensor>(u: T): T {
  return tf.tidy(() => tf.mul(u, normalCdf(u))) as T;
}

/** Φ(u) + u·φ(u), composed. */
export function geluGradComposed<T extends tf.Tensor>(u: T): T {
  return tf.tidy(() => tf.add(normalCdf(u), tf.mul(u, tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(-0.5, tf.square(u))))))) as T;
}

export function geluForward<T extends tf.Tensor>(x: T): T {
  return hasKernel(GELU) ? runKernel<T>(GELU, { x }) : geluComposed(x);
}

/** dy · gelu'(x). */
export function geluBackward<T extends tf.Tensor>(x: T, dy: T): T {
  return hasKernel(GELU_GRAD) ? runKernel<T>(GELU_GRAD, { x, dy }) : tf.tidy(() => tf.mul(dy, geluGradComposed(x)) as T);
}

/** Differentiable exact GELU (hand-written gradient, so no registered gradients are needed). */
export function gelu<T extends tf.Tensor>(x: T): T {
  return customOp<T>([x], ([xi], save) => {
    save([xi]);
    return { value: geluForward(xi) as T, gradFunc: (dy, saved) => geluBackward(saved[0], dy) };
  });
}
