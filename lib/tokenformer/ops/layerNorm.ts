// LayerNorm over the last axis: the blocks' non-parametric form and the final norm's affine form.
import * as tf from '@tensorflow/tfjs-core';
import { hasKernel, runKernel } from '../kernels/jsKernel';
import { LAYER_NORM, LAYER_NORM_GRAD } from '../kernels/layerNormKernels';
import { customOp } from './customOp';

function normalize(x: tf.Tensor2D, eps: number): { y: tf.Tensor2D; rstd: tf.Tensor2D } {
  if (hasKernel(LAYER_NORM)) {
    const [y, rstd] = runKernel<tf.Tensor2D[]>(LAYER_NORM, { x }, { eps }); // [N, d], [N, 1]
    return { y, rstd };
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true); // [N, 1]
    const rstd = tf.rsqrt(tf.add(variance, eps)) as tf.Tensor2D; // [N, 1]
    return { y: tf.mul(tf.sub(x, mean), rstd) as tf.Tensor2D, rstd }; // [N, d]
  });
}

/** dx from dy for y = (x − μ)·rstd: rstd·(dy − mean(dy) − y·mean(dy·y)). */
function normalizeBackward(dy: tf.Tensor2D, y: tf.Tensor2D, rstd: tf.Tensor2D): tf.Tensor2D {
  if (hasKernel(LAYER_NORM_GRAD)) return runKernel<tf.Tensor2D>(LAYER_NORM_GRAD, { dy, y, rstd }); // [N, d]
  return tf.tidy(() => {
    const meanDy = tf.mean(dy, -1, true); // [N, 1]
    const meanDyY = tf.mean(tf.mul(dy, y), -1, true); // [N, 1]
    return tf.mul(rstd, tf.sub(tf.sub(dy, meanDy), tf.mul(y, meanDyY))) as tf.Tensor2D; // [N, d]
  });
}

/** LayerNorm without weight or bias, as in every TokenFormer block. x [N, d] -> [N, d]. */
export function layerNorm(x: tf.Tensor2D, eps: number): tf.Tensor2D {
  return customOp<tf.Tensor2D>([x], ([xi], save) => {
    const { y, rstd } = normalize(xi as tf.Tensor2D, eps);
    save([y, rstd]);
    return { value: y, gradFunc: (dy, [sy, sr]) => normalizeBackward(dy, sy as tf.Tensor2D, sr as tf.Tensor2D) };
  });
}

/** LayerNorm with weight and bias (the final norm). x [N, d], weight [d], bias [d] -> [N, d]. */
export function layerNormAffine(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor2D {
  return customOp<tf.Tensor2D>([x, weight, bias], ([xi, w, b], save) => {
    const { y, rstd } = normalize(xi as tf.Tensor2D, eps);
    save([y, rstd, w]);
    return {
      value: tf.add(tf.mul(y, w), b) as tf.Tensor2D, // [N, d]
      gradFunc: (dy, [sy, sr, sw]) => {
        const dx = normalizeBackward(tf.mul(dy, sw) as tf.Tensor2D, sy as tf.Tensor2D, sr as tf.Tensor2D); // [N, d]
        return [dx, tf.sum(tf.mul(dy, sy), 0), tf.sum(dy, 0)]; // [N, d], [d], [d]
      },
    };
  });
}
