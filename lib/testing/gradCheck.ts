// Gradient checks for hand-written ops: compares them with tfjs autodiff of the same math in standard ops.
//
// tfjs-core's registered gradients are ESM that Node cannot load directly (extensionless imports); vitest inlines
// them, so only tests may import this file. The library itself needs no registered gradients.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { expect } from 'vitest';

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

/** Largest |a − b| over all elements, relative to max(1, max |b|). */
export function relDiff(a: tf.Tensor, b: tf.Tensor): number {
  const d = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  const s = Math.max(1, tf.max(tf.abs(b)).dataSync()[0]);
  return d / s;
}

/** Same value and same vector-Jacobian product (for a random cotangent) as the reference, within `tol`. */
export function expectMatchesAutodiff(op: Fn, reference: Fn, inputs: tf.Tensor[], tol = 1e-5, seed = 7): void {
  tf.tidy(() => {
    const got = op(...inputs);
    const want = reference(...inputs);
    expect(got.shape).toEqual(want.shape);
    expect(relDiff(got, want), 'value').toBeLessThan(tol);
    const dy = tf.randomNormal(want.shape, 0, 1, 'float32', seed);
    const g1 = tf.grads(op)(inputs, dy);
    const g2 = tf.grads(reference)(inputs, dy);
    g1.forEach((g, i) => {
      expect(g.shape, `grad ${i} shape`).toEqual(g2[i].shape);
      expect(relDiff(g, g2[i]), `grad ${i}`).toBeLessThan(tol);
    });
  });
}
