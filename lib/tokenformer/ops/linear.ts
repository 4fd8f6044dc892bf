// Dense layer y = x·Wᵀ + b in the PyTorch weight layout [out, in], for the plain-Transformer baseline.
import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './customOp';
import { mm, mmNT, mmTN } from './matmul';

/** x [N, in], weight [out, in], bias [out] -> [N, out]. */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  return customOp<tf.Tensor2D>([x, weight, bias], ([xi, w, b], save) => {
    save([xi, w]);
    return {
      value: tf.add(mmNT(xi as tf.Tensor2D, w as tf.Tensor2D), b) as tf.Tensor2D, // [N, out]
      gradFunc: (dy, [sx, sw]) => [mm(dy, sw as tf.Tensor2D), mmTN(dy, sx as tf.Tensor2D), tf.sum(dy, 0)], // [N, in], [out, in], [out]
    };
  });
}
