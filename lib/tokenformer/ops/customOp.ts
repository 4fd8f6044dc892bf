// A typed wrapper over tf.customGrad: every model op states its own backward pass, so the model needs no
// registered tfjs gradients (which Node cannot import from tfjs-core's ESM build).
import * as tf from '@tensorflow/tfjs-core';

export interface CustomOpResult<T extends tf.Tensor> {
  value: T;
  /** Gradients for each input, in order, given the output's gradient and the tensors passed to save(). */
  gradFunc: (dy: T, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

/** Runs `forward` on `inputs` as one differentiable op. Tensors passed to `save` live until the backward pass. */
export function customOp<T extends tf.Tensor>(inputs: tf.Tensor[], forward: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => CustomOpResult<T>): T {
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const { value, gradFunc } = forward(args.slice(0, -1) as tf.Tensor[], save);
    // Run each backward pass in its own scope so its temporaries go as soon as it returns.
    return { value, gradFunc: (dy: T, saved: tf.Tensor[]) => tf.tidy(() => gradFunc(dy, saved)) };
  }) as unknown as Parameters<typeof tf.customGrad<T>>[0]);
  return op(...inputs) as T;
}

/**
 * Whether a gradient tape is recording (inside tf.grads / variableGrads), so a forward pass can skip work only
 * the backward pass needs. Reads tfjs-core's engine state; false if that ever moves.
 */
export function isRecordingGradients(): boolean {
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number } }).state;
  return (state?.gradientDepth ?? 0) > 0;
}
