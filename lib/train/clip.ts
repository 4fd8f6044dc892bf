// Global-norm gradient clipping, on the device (no readback).
import * as tf from '@tensorflow/tfjs-core';

/** ‖g‖ over all gradients together, as a scalar tensor. */
export function globalNorm(grads: Iterable<tf.Tensor>): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN([...grads].map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/** min(1, maxNorm / ‖g‖) as a scalar tensor: the factor clipping applies. */
export function clipScale(norm: tf.Scalar, maxNorm: number): tf.Scalar {
  return tf.tidy(() => tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6))) as tf.Scalar);
}

/**
 * Scales every gradient by min(1, maxNorm / ‖g‖) where ‖g‖ is the norm over all of them. Returns new gradients
 * (the inputs are disposed) and the pre-clip norm as a scalar tensor owned by the caller.
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: tf.Scalar } {
  const norm = globalNorm(grads.values());
  const clipped = new Map<string, tf.Tensor>();
  tf.tidy(() => {
    const scale = clipScale(norm, maxNorm);
    for (const [name, g] of grads) clipped.set(name, tf.keep(tf.mul(g, scale)));
  });
  tf.dispose([...grads.values()]);
  return { grads: clipped, norm };
}
