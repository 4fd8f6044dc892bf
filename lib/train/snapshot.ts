// A rollback point for training: the model's weights and the optimizer's state on the device, with counters.
import * as tf from '@tensorflow/tfjs-core';
import type { AdamW, AdamWCapture } from './adamw';

/**
 * Clones share the live buffers (no copy when taken); each later step assigns new buffers to the variables rather
 * than writing into these, so the snapshot costs one copy of weights and moments once training moves on.
 */
export class TrainSnapshot<Meta> {
  private constructor(
    private readonly weights: Map<string, tf.Tensor>,
    private readonly optimizer: AdamWCapture,
    readonly meta: Meta,
  ) {}

  static take<Meta>(params: Map<string, tf.Variable>, optimizer: AdamW, meta: Meta): TrainSnapshot<Meta> {
    const weights = new Map<string, tf.Tensor>();
    for (const [name, p] of params) weights.set(name, tf.clone(p));
    return new TrainSnapshot(weights, optimizer.capture(), meta);
  }

  /** Whether `params` still has the snapshot's names and shapes (growth changes them). */
  matches(params: Map<string, tf.Variable>): boolean {
    if (params.size !== this.weights.size) return false;
    for (const [name, w] of this.weights) {
      const p = params.get(name);
      if (!p || !tf.util.arraysEqual(p.shape, w.shape)) return false;
    }
    return true;
  }

  /** Puts the weights and the optimizer state back; refuses, changing nothing, when the model changed shape. */
  restore(params: Map<string, tf.Variable>, optimizer: AdamW): void {
    if (!this.matches(params)) throw new Error('TrainSnapshot: the model changed shape since the snapshot (grown?); cannot roll back to it');
    optimizer.reset(this.optimizer);
    for (const [name, w] of this.weights) params.get(name)!.assign(w);
  }

  dispose(): void {
    tf.dispose([...this.weights.values(), this.optimizer.t, ...[...this.optimizer.moments.values()].flatMap(({ m, v }) => [m, v])]);
    this.weights.clear();
    this.optimizer.moments.clear();
  }
}
