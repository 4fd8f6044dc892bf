// Non-finite steps: why a step was skipped, runs of them in a row, and each step's loss and gradient norm kept on
// the device until the next read-back (so finding them costs no read-back per step).
import * as tf from '@tensorflow/tfjs-core';
import { readBack } from '../tokenformer/readBack';

/** A run of non-finite steps long enough to stop training. */
export interface NonFiniteRun {
  /** Its first step (1-based, as `Metrics.step` counts). */
  step: number;
  /** Why that step was skipped: "loss is NaN", "gradient norm is Infinity", ... */
  reason: string;
  /** Non-finite steps in a row. */
  badSteps: number;
}

/** Why a step with this loss and gradient norm must not update the model, or null when it may. */
export function nonFiniteReason(loss: number, norm: number): string | null {
  if (!Number.isFinite(loss)) return `loss is ${loss}`;
  if (!Number.isFinite(norm)) return `gradient norm is ${norm}`;
  return null;
}

/** Counts non-finite steps and runs of them, fed with read-back windows in step order (host side, no tensors). */
export class NonFiniteRuns {
  /** Non-finite steps so far. */
  skipped = 0;
  /** The latest finite loss seen (NaN before the first). */
  lastFiniteLoss = NaN;
  private current: NonFiniteRun | null = null;
  private tripped: NonFiniteRun | null = null;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`the number of non-finite steps in a row that stops training must be a positive integer, got ${limit}`);
  }

  /**
   * `values` holds [loss, gradient norm] for each step from `firstStep` on. Returns the first run that reached the
   * limit (then and later; its `badSteps` keeps counting while it lasts), or null.
   */
  feed(firstStep: number, values: ArrayLike<number>): NonFiniteRun | null {
    for (let i = 0; 2 * i + 1 < values.length; i++) {
      const loss = values[2 * i];
      const reason = nonFiniteReason(loss, values[2 * i + 1]);
      if (reason === null) {
        this.current = null;
        this.lastFiniteLoss = loss;
        continue;
      }
      this.skipped++;
      if (this.current) this.current.badSteps++;
      else this.current = { step: firstStep + i, reason, badSteps: 1 };
      if (!this.tripped && this.current.badSteps >= this.limit) this.tripped = this.current;
    }
    return this.tripped ? { ...this.tripped } : null;
  }

  /** The run of non-finite steps the history ends with, if any. */
  trailing(): NonFiniteRun | null {
    return this.current ? { ...this.current } : null;
  }
}

/**
 * Loss and gradient norm of each step since the last read-back, on the device. Parts are merged six at a time,
 * so no op ever gets more than 7 inputs (WebGPU's storage-buffer limit, see clip.ts) and the count stays small.
 */
export class StepLog {
  private parts: tf.Tensor1D[] = [];
  private first = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Keeps step `step`'s values (copies; the caller keeps `loss` and `norm`). Steps must arrive in order. */
  push(step: number, loss: tf.Scalar, norm: tf.Scalar): void {
    if (this.count === 0) this.first = step;
    else if (step !== this.first + this.count) throw new Error(`StepLog: step ${step} after step ${this.first + this.count - 1}`);
    this.parts.push(tf.stack([loss, norm]) as tf.Tensor1D); // [2]
    this.count++;
    if (this.parts.length === 6) this.merge();
  }

  /** Reads every kept step back (one read) and empties the log: [loss, norm] per step from `firstStep`. */
  async drain(): Promise<{ firstStep: number; values: Float32Array }> {
    const firstStep = this.first;
    this.merge();
    const all = this.parts.splice(0);
    this.count = 0;
    try {
      return { firstStep, values: all.length ? await readBack(all[0]) : new Float32Array(0) };
    } finally {
      tf.dispose(all);
    }
  }

  dispose(): void {
    tf.dispose(this.parts.splice(0));
    this.count = 0;
  }

  private merge() {
    if (this.parts.length < 2) return;
    const merged = tf.concat(this.parts) as tf.Tensor1D; // [2·steps]
    tf.dispose(this.parts);
    this.parts = [merged];
  }
}
