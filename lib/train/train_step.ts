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
  /**
   * Rows that stay as they are, by parameter name: the first `rows` rows of that tensor (all of it when `rows` is at
   * least its length). For training only the parameter tokens appended by growth.
   */
  freeze?: ReadonlyMap<string, number>;
}

/**
 * Runs forward, backward and the update on `batchIds` (int32 [B, T]) and returns the loss as a scalar tensor,
 * still on the device: the caller reads (and disposes) it when it wants, e.g. every N steps.
 */
export function trainStep(model: LanguageModel, optimizer: AdamW, batchIds: tf.Tensor2D, lr: number, opts: TrainStepOptions = {}): tf.Scalar {
  const frozenRows = (n: string) => opts.freeze?.get(n) ?? 0;
  // Wholly frozen tensors get no gradient at all (less work); partly frozen ones get theirs masked.
  const names = [...model.params.keys()].filter((n) => frozenRows(n) < model.params.get(n)!.shape[0]);
  if (!names.length) throw new Error('every parameter is frozen: nothing to train');
  const vars = names.map((n) => model.params.get(n)!);
  const { value, grads } = tf.variableGrads(() => model.loss(batchIds), vars);
  const byName = new Map(names.map((n, i) => [n, grads[vars[i].name]] as [string, tf.Tensor]));
  const kept = new Map<string, tf.Tensor>();
  for (const n of names) {
    const k = frozenRows(n);
    if (k <= 0) continue;
    const p = model.params.get(n)!;
    const rows = p.shape[0];
    const g = byName.get(n)!;
    const mask = tf.tidy(() => tf.concat([tf.zeros([k, 1]), tf.ones([rows - k, 1])])); // [n, 1]
    byName.set(n, tf.mul(g, mask));
    tf.dispose([g, mask]);
    // Weight decay moves rows even with a zero gradient: the frozen rows are put back after the update.
    kept.set(n, tf.slice(p, 0, k)); // [k, d]
  }
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
  for (const [n, old] of kept) {
    const p = model.params.get(n)!;
    tf.tidy(() => p.assign(tf.concat([old, tf.slice(p, old.shape[0])]))); // [n, d]
  }
  tf.dispose([...byName.values(), ...kept.values(), ...(scale ? [scale] : [])]);
  return value;
}
