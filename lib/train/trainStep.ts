// One optimisation step: loss and gradients of every parameter, global-norm clipping, AdamW update, all of it
// skipped on the device when the loss or the gradient norm is not finite.
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

/** Forward and backward of one batch, still on the device; `applyGradients` consumes it. */
export interface StepGradients {
  loss: tf.Scalar;
  /** ‖g‖ over all gradients, before clipping. */
  norm: tf.Scalar;
  /** bool scalar: loss and norm are both finite, i.e. the update may happen. */
  ok: tf.Scalar;
  grads: Map<string, tf.Tensor>;
  /** The clip factor, when clipping is on. */
  scale?: tf.Scalar;
  /** Frozen leading rows of partly frozen parameters: put back after the update (weight decay moves them). */
  kept?: Map<tf.Variable, tf.Tensor>;
}

/** Parameters that get a gradient: all but the wholly frozen ones (those get none at all, which is less work). */
export function trainableNames(model: LanguageModel, freeze?: ReadonlyMap<string, number>): string[] {
  const names = [...model.params.keys()].filter((n) => (freeze?.get(n) ?? 0) < model.params.get(n)!.shape[0]);
  if (!names.length) throw new Error('every parameter is frozen: nothing to train');
  return names;
}

/** Mean loss of `batchIds` (int32 [B, T]) and its raw gradients for `names`, on the device. */
export function lossAndGradients(model: LanguageModel, batchIds: tf.Tensor2D, names: readonly string[]): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const vars = names.map((n) => model.params.get(n)!);
  const { value, grads } = tf.variableGrads(() => model.loss(batchIds), vars);
  return { loss: value, grads: new Map(names.map((n, i) => [n, grads[vars[i].name]] as [string, tf.Tensor])) };
}

/**
 * Loss and gradients of `batchIds` (int32 [B, T]), with the global norm and the finiteness flag, without a
 * read-back: the caller may read `loss` and `norm` before deciding, or apply at once.
 */
export function computeGradients(model: LanguageModel, batchIds: tf.Tensor2D, opts: Pick<TrainStepOptions, 'gradClip' | 'freeze'> = {}): StepGradients {
  const { loss, grads } = lossAndGradients(model, batchIds, trainableNames(model, opts.freeze));
  return finishGradients(model, loss, grads, opts);
}

/**
 * The step's gradients from raw ones (`byName`, one per `trainableNames` entry, taken over): frozen rows masked
 * and kept, the global norm, the finiteness flag and the clip factor. Shared by the one-replica and the
 * data-parallel step, so both clip, skip and freeze alike.
 */
export function finishGradients(model: LanguageModel, value: tf.Scalar, byName: Map<string, tf.Tensor>, opts: Pick<TrainStepOptions, 'gradClip' | 'freeze'> = {}): StepGradients {
  const frozenRows = (n: string) => opts.freeze?.get(n) ?? 0;
  const kept = new Map<tf.Variable, tf.Tensor>();
  for (const n of byName.keys()) {
    const k = frozenRows(n);
    if (k <= 0) continue;
    const p = model.params.get(n)!;
    const rows = p.shape[0];
    const g = byName.get(n)!;
    const mask = tf.tidy(() => tf.concat([tf.zeros([k, 1]), tf.ones([rows - k, 1])])); // [n, 1]
    byName.set(n, tf.mul(g, mask));
    tf.dispose([g, mask]);
    // Weight decay moves rows even with a zero gradient: the frozen rows are put back after the update.
    kept.set(p, tf.slice(p, 0, k)); // [k, d]
  }
  // The norm is needed even without clipping: a NaN or Inf anywhere in the gradients shows in it.
  const norm = globalNorm(byName.values());
  const ok = tf.tidy(() => tf.logicalAnd(tf.isFinite(value), tf.isFinite(norm)) as tf.Scalar);
  const clip = opts.gradClip ?? 1;
  // The clip factor travels into the optimizer as a tensor: no readback, no scaled copies of the gradients.
  const scale = clip > 0 && Number.isFinite(clip) ? clipScale(norm, clip) : undefined;
  return { loss: value, norm, ok, grads: byName, scale, kept };
}

/** The AdamW update from `computeGradients` (a no-op on the device when not `ok`); disposes all but loss and norm. */
export function applyGradients(optimizer: AdamW, g: StepGradients, lr: number): void {
  try {
    optimizer.step(g.grads, lr, g.scale, g.ok);
    for (const [p, old] of g.kept ?? []) {
      tf.tidy(() => p.assign(tf.concat([old, tf.slice(p, old.shape[0])]))); // [n, d]
    }
  } finally {
    disposeGradients(g);
  }
}

/** Drops a step without updating (e.g. when the run stops instead): everything but loss and norm. */
export function disposeGradients(g: StepGradients): void {
  tf.dispose([...g.grads.values(), ...(g.kept?.values() ?? []), g.ok, ...(g.scale ? [g.scale] : [])]);
  g.grads.clear();
  g.kept?.clear();
}

/**
 * Runs forward, backward and the update on `batchIds` (int32 [B, T]) and returns the loss as a scalar tensor,
 * still on the device: the caller reads (and disposes) it when it wants, e.g. every N steps. A step whose loss
 * or gradient norm is NaN or infinite changes nothing (weights, moments, step count).
 */
export function trainStep(model: LanguageModel, optimizer: AdamW, batchIds: tf.Tensor2D, lr: number, opts: TrainStepOptions = {}): tf.Scalar {
  const g = computeGradients(model, batchIds, opts);
  applyGradients(optimizer, g, lr);
  if (opts.onGradNorm) opts.onGradNorm(g.norm);
  else g.norm.dispose();
  return g.loss;
}
