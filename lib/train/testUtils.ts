// Test helpers for lib/train and the run loop: a model whose loss can be made non-finite on chosen calls.
import * as tf from '@tensorflow/tfjs-core';
import type { LanguageModel } from '../tokenformer/model';

/** 'nan': the loss (and so every gradient) is NaN. 'huge-grad': the loss stays finite, the gradient norm overflows to Infinity. */
export type Poison = 'nan' | 'huge-grad' | null;

/**
 * x·valueFactor forward, dy·gradFactor backward, with its own gradient (Node loads no registered gradients).
 * NaN, NaN: a NaN loss and NaN gradients. 1, 1e30: every gradient stays finite, but their squared sum overflows.
 */
const scaled = (valueFactor: number, gradFactor: number) =>
  tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    (args[1] as tf.GradSaveFunc)([]);
    return { value: tf.mul(args[0] as tf.Tensor, valueFactor), gradFunc: (dy: tf.Tensor) => tf.mul(dy, gradFactor) };
  }) as (x: tf.Scalar) => tf.Scalar;
const nanLoss = scaled(NaN, NaN);
const hugeGrad = scaled(1, 1e30);

/**
 * `model` with a poisoned loss on the calls `plan` picks (0-based call count). Everything else is the model itself
 * (same parameters), so the optimizer and the run loop see a real model.
 */
export function poisoned(model: LanguageModel, plan: (call: number) => Poison): LanguageModel & { calls: number } {
  const wrapped = Object.create(model) as LanguageModel & { calls: number };
  wrapped.calls = 0;
  wrapped.loss = (ids: tf.Tensor2D) => {
    const poison = plan(wrapped.calls++);
    const loss = model.loss(ids);
    if (poison === 'nan') return nanLoss(loss);
    if (poison === 'huge-grad') return hugeGrad(loss);
    return loss;
  };
  return wrapped;
}
