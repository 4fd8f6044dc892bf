// Data-parallel training step: the batch split into row shards, one per replica, their gradients combined into the
// full batch's, then the one-replica path (finiteness flag, clipping, frozen rows, AdamW) exactly as without threads.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../tokenformer/config';
import { estimateMemory, type MemoryEstimate, type StepShape } from '../tokenformer/memory';
import type { LanguageModel } from '../tokenformer/model';
import { readBack } from '../tokenformer/readBack';
import type { GrowthState } from '../tokenformer/types';
import { sumTensors } from './clip';
import { finishGradients, lossAndGradients, trainableNames, type StepGradients, type TrainStepOptions } from './trainStep';

/** Most threads a step is split over (more replicas than this cost more memory than cores help). */
export const MAX_THREADS = 64;

/** What a replica rebuilds from when it changes (new model, load, growth): weights come with every step. */
export interface ReplicaStructure {
  config: ModelConfig;
  growth: GrowthState;
}

export interface ShardJob {
  /** Token ids, int32 row-major [rows, seqLen]. */
  ids: Int32Array;
  rows: number;
  seqLen: number;
}

export interface ShardRequest {
  structure: ReplicaStructure;
  /** Every parameter's current values (the forward pass needs them all, frozen or not), in the model's order. */
  weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;
  /** The parameters whose gradients come back, in this order. */
  names: readonly string[];
  /** At most `replicas` shards, one per replica. */
  shards: readonly ShardJob[];
}

export interface ShardResult {
  /** Mean next-token loss over the shard (nats). */
  loss: number;
  /** One per requested name, in order, each the parameter's size. Read before the runner's next run. */
  grads: Float32Array[];
}

/**
 * Replicas that compute shards' losses and gradients off this thread (Node: cli/replicas.ts, worker threads with a
 * tfjs instance each). Stateless apart from the model's structure: every run brings the weights.
 */
export interface ShardRunner {
  /** How many shards one run takes at most. */
  readonly replicas: number;
  /**
   * One result per shard, in order. Rejects with a one-line error when a replica throws or dies, and only once
   * every other replica has finished with the request's buffers.
   */
  run(req: ShardRequest): Promise<ShardResult[]>;
  /** Stops every replica. */
  dispose(): Promise<void>;
}

/** Rows of each of `parts` shards of `batch` rows: as equal as possible, larger first, none empty. */
export function shardRows(batch: number, parts: number): number[] {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`shardRows: batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(parts) || parts < 1) throw new Error(`shardRows: parts must be a positive integer, got ${parts}`);
  const n = Math.min(batch, parts);
  return Array.from({ length: n }, (_, i) => Math.floor(batch / n) + (i < batch % n ? 1 : 0));
}

/**
 * One step's gradients over `runner.replicas + 1` shards of `ids` (int32 row-major [batch, seqLen]): this thread
 * computes the first shard while the replicas compute the others on copies of the current weights. The result is
 * the token-weighted mean of the shards' losses and gradients, i.e. the full batch's mean loss and its gradient up
 * to float rounding, then `finishGradients` as in the one-replica step. A replica's failure rejects the step with
 * nothing applied (the model stays as it was) and nothing left allocated.
 */
export async function computeGradientsParallel(
  model: LanguageModel,
  ids: Int32Array,
  [batch, seqLen]: readonly [number, number],
  runner: ShardRunner,
  opts: Pick<TrainStepOptions, 'gradClip' | 'freeze'> = {},
): Promise<StepGradients> {
  if (ids.length !== batch * seqLen) throw new Error(`computeGradientsParallel: ${ids.length} ids for a [${batch}, ${seqLen}] batch`);
  const names = trainableNames(model, opts.freeze);
  const rows = shardRows(batch, runner.replicas + 1);
  const weights = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, p] of model.params) weights.set(name, { shape: p.shape, data: await readBack(p) });
  const shards: ShardJob[] = [];
  for (let i = 1, start = rows[0]; i < rows.length; start += rows[i++]) {
    shards.push({ ids: ids.subarray(start * seqLen, (start + rows[i]) * seqLen), rows: rows[i], seqLen });
  }
  const remote = runner.run({ structure: { config: model.config, growth: model.growth }, weights, names, shards });
  // Not awaited until this thread's shard is done: a failure meanwhile must not surface as an unhandled rejection.
  remote.catch(() => {});
  let local: { loss: tf.Scalar; grads: Map<string, tf.Tensor> };
  const first = tf.tensor2d(ids.subarray(0, rows[0] * seqLen), [rows[0], seqLen], 'int32'); // [b0, T]
  try {
    local = lossAndGradients(model, first, names);
  } catch (e) {
    await remote.catch(() => {});
    throw e;
  } finally {
    first.dispose();
  }
  let results: ShardResult[];
  try {
    results = await remote;
    checkResults(results, shards.length, names, model);
  } catch (e) {
    tf.dispose([local.loss, ...local.grads.values()]);
    throw new Error(`data-parallel step failed, nothing applied: ${(e as Error).message}`);
  }
  // Every shard predicts seqLen − 1 tokens per row, so a shard's weight in the full batch's mean is its share of rows.
  const share = rows.map((r) => r / batch);
  const grads = new Map<string, tf.Tensor>();
  const loss = tf.tidy(() => {
    names.forEach((n, k) => {
      const shape = model.params.get(n)!.shape;
      const parts = [tf.mul(local.grads.get(n)!, share[0]), ...results.map((r, i) => tf.mul(tf.tensor(r.grads[k], shape, 'float32'), share[i + 1]))];
      grads.set(n, tf.keep(sumTensors(parts)));
    });
    const rest = results.reduce((s, r, i) => s + r.loss * share[i + 1], 0);
    return tf.add(tf.mul(local.loss, share[0]), rest) as tf.Scalar;
  });
  tf.dispose([local.loss, ...local.grads.values()]);
  return finishGradients(model, loss, grads, opts);
}

function checkResults(results: ShardResult[], shards: number, names: readonly string[], model: LanguageModel): void {
  if (results.length !== shards) throw new Error(`the replicas returned ${results.length} results for ${shards} shards`);
  for (const r of results) {
    if (typeof r.loss !== 'number' || r.grads.length !== names.length) throw new Error('a replica returned a malformed result');
    names.forEach((n, k) => {
      if (r.grads[k].length !== model.params.get(n)!.size) throw new Error(`a replica's gradient of "${n}" has ${r.grads[k].length} values, the parameter ${model.params.get(n)!.size}`);
    });
  }
}

/**
 * Bytes `threads` replicas add to a one-replica training step of `step`: each worker's weights, gradients and
 * activations for its shard (no optimizer), the gradients coming back and their combination on this side, and the
 * host copies the weights travel in.
 */
export function replicaMemory(c: ModelConfig, growth: GrowthState, step: StepShape, threads: number): MemoryEstimate {
  const workers = Math.max(0, threads - 1);
  if (!workers) return { weights: 0, gradients: 0, optimizer: 0, activations: 0, total: 0 };
  const shard = estimateMemory(c, growth, { mode: 'train', step: { batch: Math.ceil(step.batch / threads), seqLen: step.seqLen } });
  const weights = workers * shard.weights + 2 * shard.weights;
  const gradients = workers * 3 * shard.gradients;
  const activations = workers * shard.activations;
  return { weights, gradients, optimizer: 0, activations, total: weights + gradients + activations };
}
