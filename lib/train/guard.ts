// Divergence guard for a training run: learns about skipped (non-finite) steps at read-backs, keeps the last
// state known to give a finite loss, and rolls the model and optimizer back to it after too many in a row.
import type * as tf from '@tensorflow/tfjs-core';
import type { AdamW } from './adamw';
import { NonFiniteRuns, StepLog, type NonFiniteRun } from './divergence';
import { TrainSnapshot } from './snapshot';

export interface CheckResult {
  /** The latest finite loss up to this step (NaN before the first). */
  loss: number;
  /** This step's loss and gradient norm are finite: the state before its update is a good rollback point. */
  finite: boolean;
  /** A run of non-finite steps that reached the limit (stop the run and roll back). */
  tripped: NonFiniteRun | null;
  /** What was read: [loss, gradient norm] of each step from `firstStep` on, up to this one. */
  firstStep: number;
  values: Float32Array;
}

/** The end of a run: the steps read back last, and the run of non-finite steps that ends it, if any. */
export interface FinishResult {
  tripped: NonFiniteRun | null;
  firstStep: number;
  values: Float32Array;
}

/**
 * One per run. Steps between read-backs are only logged on the device (`defer`); a read-back (`check`) happens
 * before that step's update, so when its loss and gradient norm are finite the state at that moment, the one
 * that produced them, becomes the rollback point (`commit`). One snapshot is held at a time.
 */
export class DivergenceGuard<Meta> {
  private readonly log = new StepLog();
  private readonly runs: NonFiniteRuns;
  private snapshot: TrainSnapshot<Meta> | null = null;

  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly optimizer: AdamW,
    limit: number,
  ) {
    this.runs = new NonFiniteRuns(limit);
  }

  /** Non-finite steps skipped so far (as of the last read-back). */
  get skipped(): number {
    return this.runs.skipped;
  }

  /** A step not read back now: its loss and norm wait on the device (copied; the caller disposes its own). */
  defer(step: number, loss: tf.Scalar, norm: tf.Scalar): void {
    this.log.push(step, loss, norm);
  }

  /** Reads back every step since the last check, this one included, in one read. */
  async check(step: number, loss: tf.Scalar, norm: tf.Scalar): Promise<CheckResult> {
    this.log.push(step, loss, norm);
    const { firstStep, values } = await this.log.drain();
    const tripped = this.runs.feed(firstStep, values);
    const n = values.length;
    return { loss: this.runs.lastFiniteLoss, finite: Number.isFinite(values[n - 2]) && Number.isFinite(values[n - 1]), tripped, firstStep, values };
  }

  /** The current state (before the checked step's update) becomes the rollback point; the old one is freed. */
  commit(meta: Meta): void {
    this.snapshot?.dispose();
    this.snapshot = TrainSnapshot.take(this.params, this.optimizer, meta);
  }

  /**
   * At the end of a run (finished or stopped): reads back steps not checked yet. A run that ends on non-finite
   * steps ends on a state that just failed, so it counts as diverged, however short the streak.
   */
  async finish(): Promise<FinishResult> {
    if (!this.log.length) return { tripped: this.runs.trailing(), firstStep: 0, values: new Float32Array(0) };
    const { firstStep, values } = await this.log.drain();
    return { tripped: this.runs.feed(firstStep, values) ?? this.runs.trailing(), firstStep, values };
  }

  /** The model changed shape (growth): the snapshot cannot be restored any more. */
  invalidate(): void {
    this.snapshot?.dispose();
    this.snapshot = null;
  }

  /** Restores the rollback point and returns its meta, or null when there is none (or it no longer fits). */
  rollback(): Meta | null {
    if (!this.snapshot?.matches(this.params)) return null;
    this.snapshot.restore(this.params, this.optimizer);
    return this.snapshot.meta;
  }

  dispose(): void {
    this.log.dispose();
    this.invalidate();
  }
}
