// The run loop's divergence guard on a real micro model with poisoned batches: skip, roll back, no leaks.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../testing/backend';
import { preset } from '../tokenformer/config';
import { createModel } from '../tokenformer/model';
import { poisoned, type Poison } from '../train/testUtils';
import { buildCorpus, type Corpus } from './data';
import { Trainer } from './trainer';
import type { Metrics, TrainOptions } from './types';

let corpus: Corpus;
beforeAll(async () => {
  await useBackend('wasm');
  tf.env().set('PROD', true);
  corpus = await buildCorpus({ kind: 'synthetic', task: 'copy', seed: 3, examples: 200 });
});

// A constant learning rate, so runs of different lengths take the same steps.
const OPTS = { batchSize: 2, seqLen: 16, lr: 3e-3, minLr: 3e-3, warmupSteps: 0, logEvery: 5, seed: 1 } satisfies Partial<TrainOptions>;

/** A trainer on a fresh micro model whose loss is poisoned on the 1-based steps in `bad`; `during(step)` runs in each step. */
function setup(bad: Record<number, Poison> = {}, during?: (step: number) => void) {
  const model = createModel(preset('micro', { maxSeqLen: 16 }), { seed: 2 });
  const trainer: Trainer = new Trainer(
    poisoned(model, (call) => {
      during?.(call + 1);
      return bad[call + 1] ?? null;
    }),
  );
  return { model, trainer, dispose: () => (trainer.dispose(), model.dispose()) };
}

/** Weights and optimizer state as raw bits, for exact comparison. */
async function state(s: ReturnType<typeof setup>) {
  const opt = await s.trainer.optimizerState();
  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer)).join(',');
  return {
    step: s.trainer.step,
    optimizerStep: opt.step,
    weights: [...s.model.params].map(([n, p]) => `${n}:${bits(p.dataSync() as Float32Array)}`).join(';'),
    moments: [...opt.m].map(([n, m]) => `${n}:${bits(m)}/${bits(opt.v.get(n)!)}`).join(';'),
  };
}

describe('divergence guard', () => {
  it('skips a single bad batch without a read-back of its own and trains on', async () => {
    const s = setup({ 7: 'nan' });
    const seen: Metrics[] = [];
    const summary = await s.trainer.run({ ...OPTS, steps: 20 }, corpus, (m) => seen.push(m));
    expect(summary).toMatchObject({ steps: 20, stopped: false, skipped: 1, divergence: undefined });
    expect(Number.isFinite(summary.finalLoss)).toBe(true);
    expect((await s.trainer.optimizerState()).step).toBe(19); // the skipped step did not count
    expect(seen[seen.length - 1].skipped).toBe(1);
    s.dispose();
  });

  it('stops after K non-finite steps in a row and restores the model and optimizer exactly', async () => {
    // Steps 8-10 are bad; the read-back at step 10 sees them. The last good state is the one step 5 was computed on.
    const s = setup({ 8: 'nan', 9: 'huge-grad', 10: 'nan' });
    const seen: Metrics[] = [];
    const summary = await s.trainer.run({ ...OPTS, steps: 20, maxNonFiniteSteps: 3 }, corpus, (m) => seen.push(m));
    const event = { step: 8, reason: 'loss is NaN', badSteps: 3, stoppedAt: 10, rolledBackTo: 4 };
    expect(summary.divergence).toEqual(event);
    expect(summary).toMatchObject({ steps: 4, stopped: true, skipped: 3 });
    expect(seen[seen.length - 1]).toMatchObject({ step: 10, divergence: event });
    const twin = setup();
    await twin.trainer.run({ ...OPTS, steps: 4 }, corpus, () => {});
    const [got, want] = [await state(s), await state(twin)];
    expect(got.step).toBe(4);
    expect(got.optimizerStep).toBe(4);
    expect(got.weights === want.weights).toBe(true);
    expect(got.moments === want.moments).toBe(true);
    expect(s.trainer.tokensSeen).toBe(twin.trainer.tokensSeen);
    // It trains on from there.
    expect((await s.trainer.run({ ...OPTS, steps: 3 }, corpus, () => {})).divergence).toBeUndefined();
    s.dispose();
    twin.dispose();
  });

  it('reports the gradient norm when the loss is finite, and a run that ends on a bad step as diverged', async () => {
    const s = setup({ 6: 'huge-grad' });
    const summary = await s.trainer.run({ ...OPTS, steps: 6 }, corpus, () => {});
    expect(summary.divergence).toEqual({ step: 6, reason: 'gradient norm is Infinity', badSteps: 1, stoppedAt: 6, rolledBackTo: 4 });
    expect(s.trainer.step).toBe(4);
    s.dispose();
  });

  it('a stop between two read-backs still learns about the steps not read back', async () => {
    const s = setup({ 3: 'nan', 4: 'nan' }, (step) => step === 4 && s.trainer.stop());
    const summary = await s.trainer.run({ ...OPTS, steps: 20, logEvery: 10 }, corpus, () => {});
    // Stopped after step 4, read back only at step 1: its two bad steps end the run, so it is rolled back.
    expect(summary.skipped).toBe(2);
    expect(summary.divergence).toMatchObject({ step: 3, badSteps: 2, rolledBackTo: 0 });
    s.dispose();
  });

  it('growth drops the snapshot: with no good state since, the run stops where it is', async () => {
    const s = setup({ 6: 'nan', 7: 'nan', 8: 'nan' });
    const summary = await s.trainer.run({ ...OPTS, steps: 12, growAt: [{ step: 5, grow: { add: 4 } }] }, corpus, () => {});
    expect(summary.divergence).toEqual({ step: 6, reason: 'loss is NaN', badSteps: 3, stoppedAt: 10, rolledBackTo: null });
    expect(s.trainer.step).toBe(9);
    s.dispose();
  });

  it('keeps the tensor count flat over 50 steps with NaNs injected, and across rollbacks', async () => {
    const bad: Record<number, Poison> = {};
    for (let i = 3; i <= 50; i += 7) bad[i] = i % 2 ? 'nan' : 'huge-grad';
    const s = setup(bad);
    await s.trainer.run({ ...OPTS, steps: 2 }, corpus, () => {}); // moments exist from here on
    const base = tf.memory().numTensors;
    const counts: number[] = [];
    const summary = await s.trainer.run({ ...OPTS, steps: 50, logEvery: 1 }, corpus, (m) => counts.push(m.numTensors));
    expect(summary.skipped).toBe(7);
    expect(summary.divergence).toBeUndefined();
    // While running: the live state plus one snapshot, the same at every read-back.
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(base);
    for (let i = 0; i < 3; i++) {
      const d = setup({ 2: 'nan', 3: 'nan', 4: 'nan' });
      const n0 = tf.memory().numTensors;
      expect((await d.trainer.run({ ...OPTS, steps: 10 }, corpus, () => {})).divergence?.rolledBackTo).toBe(0);
      // The snapshot and the step log are gone; the optimizer's moments are back to none.
      expect(tf.memory().numTensors).toBe(n0);
      d.dispose();
    }
    s.dispose();
  });
});
