// Data-parallel training over real worker threads against the one-thread step: same losses and weights up to float
// rounding (odd batch, growth between steps, frozen rows), failures that lose nothing, no leaks, workers stopped.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../lib/engine/engine';
import type { TrainOptions } from '../../lib/engine/types';
import { preset } from '../../lib/tokenformer/config';
import { estimateMemory } from '../../lib/tokenformer/memory';
import type { NamedTensor } from '../../lib/tokenformer/model';
import { WorkerShardRunner, resolveThreads, workerShardRunner } from './pool';

/**
 * Float32 sums in another order: each shard's loss and gradients are means over fewer tokens, combined afterwards,
 * so they differ from the whole batch's in the last bits (~1e-7 relative). Measured (micro, lr 3e-3, batch 5):
 * losses within 3e-7 relative over 8 steps (6e-7 over 50); weights within 5.5e-6 absolute after 8 steps (1.4e-5
 * after 50; tiny, batch 16 x 128, 5 steps: 7.4e-6). AdamW's update is about lr x m/√v whatever the gradient's size,
 * so where a gradient is near zero its rounding moves the update by a fair part of lr; the gap grows with steps.
 */
const LOSS_RTOL = 1e-5;
const WEIGHT_ATOL = 2e-5;

const synthetic = { kind: 'synthetic' as const, task: 'copy' as const, seed: 3, examples: 400 };
const base: TrainOptions = { steps: 8, batchSize: 5, seqLen: 32, lr: 3e-3, warmupSteps: 0, logEvery: 1, evalEvery: 0, seed: 7 };

const engines: Engine[] = [];
let lastRunner: WorkerShardRunner | null = null;

async function engine(threads: number): Promise<Engine> {
  const e = new Engine({
    dataParallel: threads,
    shardRunner: (replicas, backend) => (lastRunner = workerShardRunner(replicas, backend)),
  });
  engines.push(e);
  await e.init({ backend: 'wasm' });
  await e.createModel({ preset: 'micro', seed: 1 });
  await e.loadData(synthetic);
  return e;
}

async function train(e: Engine, o: Partial<TrainOptions> = {}): Promise<number[]> {
  const losses: number[] = [];
  await e.train({ ...base, ...o }, (m) => losses.push(...m.points.map((p) => p.loss)));
  return losses;
}

async function weights(e: Engine): Promise<Map<string, NamedTensor>> {
  // The checkpoint path's own read-back: every parameter as the engine holds it.
  const model = (e as unknown as { model: { toTensors(): Promise<Map<string, NamedTensor>> } }).model;
  return model.toTensors();
}

function maxWeightDiff(a: Map<string, NamedTensor>, b: Map<string, NamedTensor>): number {
  expect([...b.keys()]).toEqual([...a.keys()]);
  let max = 0;
  for (const [name, t] of a) {
    const u = b.get(name)!;
    expect(u.shape).toEqual(t.shape);
    for (let i = 0; i < t.data.length; i++) max = Math.max(max, Math.abs(t.data[i] - u.data[i]));
  }
  return max;
}

function expectLossesClose(a: number[], b: number[]) {
  expect(b.length).toBe(a.length);
  a.forEach((x, i) => expect(Math.abs(b[i] - x)).toBeLessThanOrEqual(LOSS_RTOL * Math.abs(x)));
}

describe('data-parallel training on worker threads', () => {
  beforeAll(() => {
    tf.env().set('PROD', true);
  });
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.dispose()));
  });

  it('trains like one thread: odd batch, growth between steps (losses and weights up to float rounding)', async () => {
    const opts = { growAt: [{ step: 3, grow: { add: 8, target: 'ffn' as const, mode: 'preserve' as const } }] };
    const one = await engine(1);
    const two = await engine(2);
    const [l1, l2] = [await train(one, opts), await train(two, opts)];
    expect(l1).toHaveLength(8);
    expect(l1.every(Number.isFinite)).toBe(true);
    expectLossesClose(l1, l2);
    // Not the same numbers by accident: training moved the weights far more than the tolerance.
    const w1 = await weights(one);
    const diff = maxWeightDiff(w1, await weights(two));
    expect(diff).toBeLessThanOrEqual(WEIGHT_ATOL);
    expect((await two.modelInfo())!.params).toBe((await one.modelInfo())!.params);
    expect(l1[0] - l1[7]).toBeGreaterThan(0.05);
  });

  it('keeps frozen rows frozen and trains the new ones like one thread (trainOnly new-tokens, 3 threads on 7 rows)', async () => {
    const grow = { add: 8, target: 'ffn' as const, mode: 'preserve' as const };
    const opts = { trainOnly: 'new-tokens' as const, steps: 5, batchSize: 7 };
    const [one, three] = [await engine(1), await engine(3)];
    for (const e of [one, three]) await e.grow(grow);
    const before = await weights(three);
    expectLossesClose(await train(one, opts), await train(three, opts));
    const after = await weights(three);
    expect(maxWeightDiff(await weights(one), after)).toBeLessThanOrEqual(WEIGHT_ATOL);
    // Wholly frozen tensors and the old rows of grown ones keep their exact bits; the new rows moved.
    let moved = 0;
    for (const [name, t] of before) {
      const u = after.get(name)!;
      const rows = t.shape[0];
      const keep = /mlp\.(key|value)_param_tokens$/.test(name) ? (rows - 8) * (t.data.length / rows) : t.data.length;
      for (let i = 0; i < keep; i++) expect(u.data[i]).toBe(t.data[i]);
      for (let i = keep; i < t.data.length; i++) moved += u.data[i] !== t.data[i] ? 1 : 0;
    }
    expect(moved).toBeGreaterThan(0);
  });

  it('fails the step with a clear error when a worker dies; the model stays at the last good step, nothing leaks', async () => {
    const e = await engine(2);
    const runner = lastRunner!;
    const plan = { totalSteps: 20 };
    await train(e, { ...plan, steps: 2 });
    const tensors = (await e.memory()).numTensors;
    let killed = false;
    const run = e.train({ ...base, ...plan, steps: 18 }, (m) => {
      if (m.step >= 4 && !killed) {
        killed = true;
        void runner.workerOf(0)!.terminate();
      }
    });
    await expect(run).rejects.toThrow(/data-parallel step failed, nothing applied: replica 1 of 1: the worker thread stopped/);
    const done = (await e.modelInfo())!.step;
    expect(done).toBeGreaterThanOrEqual(4);
    expect(done).toBeLessThan(20);
    expect(await e.state()).toBe('idle');
    expect((await e.memory()).numTensors).toBe(tensors);
    // The same steps on one thread give the same model: nothing of the failed step was applied.
    const ref = await engine(1);
    await train(ref, { ...plan, steps: 2 });
    await train(ref, { ...plan, steps: done - 2 });
    expect(maxWeightDiff(await weights(ref), await weights(e))).toBeLessThanOrEqual(WEIGHT_ATOL);
    // A new worker takes the dead one's place at the next step.
    const more = await train(e, { steps: 2, seed: 11 });
    expect(more.every(Number.isFinite)).toBe(true);
    expect(runner.alive).toBe(1);
  });

  it('reports what a replica threw, and the replica works again after', async () => {
    const runner = workerShardRunner(1, 'wasm');
    try {
      const e = await engine(1);
      const w = await weights(e);
      const info = (await e.modelInfo())!;
      const weightsMap = new Map([...w].map(([n, t]) => [n, { shape: t.shape, data: t.data }]));
      const ids = new Int32Array(2 * 16).map((_, i) => i % 200);
      const shard = { ids, rows: 2, seqLen: 16 };
      // A structure the weights do not fit: the replica's model build throws inside the worker.
      const wrong = { config: { ...info.config, vocabSize: 512 }, growth: info.growth };
      await expect(runner.run({ structure: wrong, weights: weightsMap, names: ['sequential.0.word_embeddings.weight'], shards: [shard] })).rejects.toThrow(/^replica 1 of 1: .*word_embeddings/);
      const [r] = await runner.run({ structure: { config: info.config, growth: info.growth }, weights: weightsMap, names: ['sequential.0.word_embeddings.weight'], shards: [shard] });
      expect(r.loss).toBeGreaterThan(0);
      expect(r.grads[0]).toHaveLength(w.get('sequential.0.word_embeddings.weight')!.data.length);
    } finally {
      await runner.dispose();
    }
  });

  it('leaks no tensors over many steps and stops its workers on dispose', async () => {
    const e = await engine(2);
    const runner = lastRunner!;
    await train(e, { steps: 3 });
    const before = (await e.memory()).numTensors;
    await train(e, { steps: 30, logEvery: 5 });
    expect((await e.memory()).numTensors).toBe(before);
    expect(runner.alive).toBe(1);
    const worker = runner.workerOf(0)!;
    const exited = new Promise((r) => worker.once('exit', r));
    await e.dispose();
    await exited;
    expect(runner.alive).toBe(0);
    await expect(runner.run({ structure: { config: {} as never, growth: {} }, weights: new Map(), names: [], shards: [] })).rejects.toThrow(/stopped/);
  });

  it('counts every replica against the memory budget', async () => {
    const step = { batch: 16, seqLen: 128 };
    const one = estimateMemory(preset('tiny'), undefined, { mode: 'train', step }).total;
    const budget = Math.ceil(one * 1.05);
    const fits = new Engine({ memoryBudget: budget });
    const over = new Engine({ memoryBudget: budget, dataParallel: 4, shardRunner: workerShardRunner });
    engines.push(fits, over);
    for (const e of [fits, over]) {
      await e.init({ backend: 'wasm' });
      await e.createModel({ preset: 'tiny' });
    }
    expect(() => fits.checkTrain({ steps: 1, batchSize: 16, seqLen: 128 })).not.toThrow();
    expect(() => over.checkTrain({ steps: 1, batchSize: 16, seqLen: 128 })).toThrow(/training with batch 16 × 128 needs about .* over the memory budget/);
  });

  it('refuses threads it cannot run, and reads --threads', async () => {
    expect(() => new Engine({ dataParallel: 2 })).toThrow(/needs replicas/);
    expect(() => new Engine({ dataParallel: 0, shardRunner: workerShardRunner })).toThrow(/threads must be an integer/);
    expect(resolveThreads('3')).toBe(3);
    expect(resolveThreads('auto')).toBeGreaterThanOrEqual(1);
    expect(() => resolveThreads('two')).toThrow(/--threads must be auto or an integer/);
    expect(() => resolveThreads('1000')).toThrow(/from 1 to 64/);
  });
});
