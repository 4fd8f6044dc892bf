// Global-norm gradient clipping, on the device (no readback).
import * as tf from '@tensorflow/tfjs-core';

/**
 * Σ of same-shaped tensors as a balanced tree of two-input adds. Not `tf.addN`: tfjs-backend-webgpu 4.x compiles
 * AddN as one shader with a storage buffer per input, and the device it creates keeps WebGPU's default
 * `maxStorageBuffersPerShaderStage` (8, output included). With more inputs the pipeline is invalid, the whole
 * submitted command buffer (a batch of up to 15 kernels) is dropped without an exception, and every tensor it
 * should have written reads back stale pooled memory: NaN losses on webgpu. (tfjs splits Concat for this
 * limit, but not AddN.)
 */
export function sumTensors(xs: readonly tf.Tensor[]): tf.Tensor {
  if (xs.length === 0) throw new Error('sumTensors: no tensors');
  return tf.tidy(() => {
    let level: tf.Tensor[] = [...xs];
    if (level.length === 1) return tf.clone(level[0]);
    while (level.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(tf.add(level[i], level[i + 1]));
      if (level.length % 2 === 1) next.push(level[level.length - 1]);
      level = next;
    }
    return level[0];
  });
}

/** ‖g‖ over all gradients together, as a scalar tensor. */
export function globalNorm(grads: Iterable<tf.Tensor>): tf.Scalar {
  return tf.tidy(() => tf.sqrt(sumTensors([...grads].map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
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
