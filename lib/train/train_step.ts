// One optimisation step: loss and gradients of every parameter, global-norm clipping, AdamW update.
import * as tf from '@tensorflow/tfjs-core';
import type { LanguageModel } from '../tokenformer/model';
import type { AdamW } from './adamw';
import { clipScale, globalNorm } from './clip';

export interface TrainStepOptions {
  /** Clip gradients to this global norm (default 1; 0 or Infinity: no clipping). */
  gradClip?: number;
  /** Receives the pre-clip gradient norm as a scalar tensor the caller must dispose (no readback here). */
  onGradNorm?: (norm: tf.Scalar) => void;
}

/**
 * Runs forward, backward and the update on `batchIds` (int32 [B, T]) and returns the loss as a scalar tensor,
 * still on the device: the caller reads (and disposes) it when it wants, e.g. every N steps.
 */
export function trainStep(model: LanguageModel, optimizer: AdamW, batchIds: tf.Tensor2D, lr: number, opts: TrainStepOptions = {}): tf.Scalar {
  const names = [...model.params.keys()];
  const vars = names.map((n) => model.params.get(n)!);
  const { value, grads } = tf.variableGrads(() => model.loss(batchIds), vars);
  const byName = new Map(names.map((n, i) => [n, grads[vars[i].name]] as [string, tf.Tensor]));
  const clip = opts.gradClip ?? 1;
  let scale: tf.Scalar | undefined;
  if (clip > 0 && Number.isFinite(clip)) {
    // The clip factor travels into the optimizer as a tensor: no readback, no scaled copies of the gradients.
    const norm = globalNorm(byName.values());
    scale = clipScale(norm, clip);
    if (opts.onGradNorm) opts.onGradNorm(norm);
    else norm.dispose();
  }
  optimizer.step(byName, lr, scale);
  tf.dispose([...byName.values(), ...(scale ? [scale] : [])]);
  return value;
}
