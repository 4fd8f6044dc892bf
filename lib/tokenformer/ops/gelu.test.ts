// Exact GELU: the fused kernel's erf approximation against the float64 definition, and gradients against autodiff.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { NODE_BACKENDS, useBackend } from '../../testing/backend';
import { expectMatchesAutodiff } from '../../testing/gradCheck';
import { erf, exp, gelu as geluScalar, geluGrad } from '../kernels/normMath';
import { gelu, geluComposed } from './gelu';

/** erf by its Maclaurin series (|x| ≤ 3) or continued fraction, in float64. */
function erfRef(x: number): number {
  const a = Math.abs(x);
  if (a > 3) {
    let f = 0;
    for (let k = 60; k >= 1; k--) f = k / 2 / (a + f);
    return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f));
  }
  let term = a, sum = a;
  for (let n = 1; n < 200; n++) {
    term *= (-a * a) / n;
    sum += term / (2 * n + 1);
  }
  return (Math.sign(x) * 2 * sum) / Math.sqrt(Math.PI);
}

test('erf approximation stays within 5e-7 of the float64 function', () => {
  let worst = 0;
  for (let x = -6; x <= 6; x += 0.001) worst = Math.max(worst, Math.abs(erf(x) - erfRef(x)));
  expect(worst).toBeLessThan(5e-7);
  let worstExp = 0;
  for (let x = -690; x <= 690; x += 0.37) worstExp = Math.max(worstExp, Math.abs(exp(x) / Math.exp(x) - 1));
  expect(worstExp).toBeLessThan(1e-8);
  expect(exp(-5000)).toBeLessThan(1e-300);
  // gelu' by central differences of gelu
  for (const u of [-3, -1, -0.2, 0, 0.4, 2.5]) expect(Math.abs(geluGrad(u) - (geluScalar(u + 1e-5) - geluScalar(u - 1e-5)) / 2e-5)).toBeLessThan(1e-5);
});

describe.each(NODE_BACKENDS)('gelu on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  test('fused kernel matches composed erf GELU, with gradients', () => {
    const x = tf.randomNormal([7, 33], 0, 2, 'float32', 5);
    expectMatchesAutodiff((a) => gelu(a), (a) => geluComposed(a), [x], 2e-6);
  });
});
