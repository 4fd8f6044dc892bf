// Tensor read-back that works on every backend, including WebGPU inside a Web Worker (where the engine runs).
import * as tf from '@tensorflow/tfjs-core';

/**
 * A float32 tensor's values, always asynchronously. Never `dataSync()` on a path the engine runs: tfjs-backend-webgpu
 * 4.x reads synchronously by drawing the buffer into OffscreenCanvas 'webgpu' contexts, and in a worker
 * (headless Chromium, SwiftShader adapter) that returns zeros and leaves the device unusable: the next
 * `mapAsync` fails with "A valid external Instance reference no longer exists". `data()` maps a staging buffer
 * instead and is also what tfjs recommends on GPU backends.
 */
export async function readBack(t: tf.Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

/** A scalar's value (see readBack). */
export async function readScalar(t: tf.Tensor): Promise<number> {
  return (await t.data())[0];
}
