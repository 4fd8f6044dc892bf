// The Run: each step's own loss, one learning-rate plan across train calls and growth, bounded history, and a
// mirror that stays equal to the engine's record across a real MessageChannel.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../testing/backend';
import { preset } from '../tokenformer/config';
import { createModel, type LanguageModel } from '../tokenformer/model';
import { createRunStore } from '../store/runStore';
import { buildCorpus, type Corpus } from './data';
import { Engine } from './engine';
import { createLab } from './lab';
import { MAX_EVALS, MAX_POINTS, addGrowth, appendPoint, applyMetrics, newRun, planLr, planSchedule, summarize } from './run';
import { Trainer } from './trainer';
import type { Metrics, RunRecord, RunUpdate, TrainPoint } from './types';

let corpus: Corpus;
beforeAll(async () => {
  await useBackend('wasm');
  corpus = await buildCorpus({ kind: 'synthetic', task: 'copy', seed: 3, examples: 200 });
});

/** The scripted loss of the k-th loss computation (0-based): distinct for every step, so a stale one shows. */
const scripted = (k: number) => 3 + Math.sin(k) + k / 1000;

/**
 * `model` whose loss value is scripted (its gradients stay the real ones, so training is real): the value
 * a step computes is known before it runs.
 */
function scriptedModel(model: LanguageModel): LanguageModel & { calls: number } {
  const wrapped = Object.create(model) as LanguageModel & { calls: number };
  wrapped.calls = 0;
  wrapped.loss = (ids: tf.Tensor2D) => {
    const value = scripted(wrapped.calls++);
    const replace = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      (args[1] as tf.GradSaveFunc)([]);
      return { value: tf.add(tf.mul(args[0] as tf.Tensor, 0), value), gradFunc: (dy: tf.Tensor) => dy };
    }) as (x: tf.Scalar) => tf.Scalar;
    return replace(model.loss(ids));
  };
  return wrapped;
}

const OPTS = { batchSize: 2, seqLen: 16, lr: 3e-3, seed: 1 };

describe('each plotted point is the loss of its own step', () => {
  it('points arrive in batches at read-backs, steps strictly increasing, each loss the one its step computed', async () => {
    const model = createModel(preset('micro', { maxSeqLen: 16 }), { seed: 2 });
    const trainer = new Trainer(scriptedModel(model));
    const seen: Metrics[] = [];
    await trainer.run({ ...OPTS, steps: 23, logEvery: 4 }, corpus, (m) => seen.push(m));
    const points = seen.flatMap((m) => m.points);
    expect(points.map((p) => p.step)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    for (const p of points) expect(p.loss).toBe(Math.fround(scripted(p.step - 1)));
    // Every message's loss is the loss of its own step: never an older value under a newer step.
    for (const m of seen) expect(m.loss).toBe(Math.fround(scripted(m.step - 1)));
    // Fewer messages than steps: the losses were read back in batches.
    expect(seen.length).toBeLessThan(23);
    trainer.dispose();
    model.dispose();
  });
});

describe('the learning-rate plan belongs to the run', () => {
  async function engine() {
    const e = new Engine();
    await e.init({ backend: 'wasm' });
    await e.createModel({ preset: 'micro', seed: 1 });
    await e.loadData({ kind: 'synthetic', task: 'copy', seed: 3, examples: 200 });
    return e;
  }
  const lrs = (r: RunRecord | null) => r!.points.map((p) => p.lr);

  it('two train calls give the same learning rates as one call with the summed steps', async () => {
    const one = await engine();
    await one.train({ ...OPTS, steps: 30, warmupSteps: 5, logEvery: 1 }, () => {});
    const two = await engine();
    await two.train({ ...OPTS, steps: 12, totalSteps: 30, warmupSteps: 5, logEvery: 1 }, () => {});
    await two.train({ ...OPTS, steps: 18, logEvery: 1 }, () => {});
    const want = lrs(await one.run());
    expect(want).toHaveLength(30);
    expect(lrs(await two.run())).toEqual(want);
    // It is the warmup + cosine plan, not a constant.
    expect(want[0]).toBeCloseTo(3e-3 / 5);
    expect(want[29]).toBeLessThan(want[10]);
    // A restart asks for a new warmup from the current step.
    await two.train({ ...OPTS, steps: 3, warmupSteps: 5, restart: true, logEvery: 1 }, () => {});
    expect(lrs(await two.run()).slice(30)).toEqual([1, 2, 3].map((k) => (3e-3 * k) / 5));
    await one.dispose();
    await two.dispose();
  }, 60_000);

  it('continues across growth, and a later call without a total extends the plan', async () => {
    const plain = await engine();
    await plain.train({ ...OPTS, steps: 20, warmupSteps: 4, logEvery: 1 }, () => {});
    const grown = await engine();
    await grown.train({ ...OPTS, steps: 8, totalSteps: 20, warmupSteps: 4, logEvery: 1 }, () => {});
    await grown.grow({ add: 4, target: 'ffn', mode: 'preserve' });
    await grown.train({ ...OPTS, steps: 12, logEvery: 1 }, () => {});
    const run = await grown.run();
    expect(run!.growth.map((g) => g.step)).toEqual([8]);
    expect(lrs(run)).toEqual(lrs(await plain.run()));
    // Past the plan's end: the total grows to cover the call.
    await grown.train({ ...OPTS, steps: 5, logEvery: 1 }, () => {});
    expect((await grown.run())!.schedule).toMatchObject({ startStep: 0, totalSteps: 25, warmupSteps: 4 });
    await plain.dispose();
    await grown.dispose();
  }, 60_000);

  it('plans: continue, extend, restart on a new peak', () => {
    const p = planSchedule(null, { steps: 100, lr: 1e-3 }, 0);
    expect(p).toEqual({ startStep: 0, lr: 1e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 100 });
    expect(planSchedule(p, { steps: 50 }, 40).totalSteps).toBe(100);
    expect(planSchedule(p, { steps: 80 }, 40).totalSteps).toBe(120);
    expect(planSchedule(p, { steps: 10, lr: 2e-3 }, 40)).toMatchObject({ startStep: 40, lr: 2e-3 });
    expect(planLr(p, 0)).toBeCloseTo(1e-4);
    expect(planLr(p, 500)).toBeCloseTo(1e-4);
  });
});

describe('a run crosses structured cloning', () => {
  it("the mirror, fed across a real MessageChannel, equals the engine's run", async () => {
    const e = new Engine();
    await e.init({ backend: 'wasm' });
    const channel = new MessageChannel();
    const mirror = createRunStore();
    const got: RunUpdate[] = [];
    channel.port2.onmessage = (ev: MessageEvent<RunUpdate>) => {
      got.push(ev.data);
      mirror.getState().apply(ev.data);
    };
    const { runs, status, seq } = await e.subscribe((u) => channel.port1.postMessage(u));
    mirror.getState().reset(structuredClone(runs), status, seq);
    // The lab reads this mirror: its answers must wait for the stream, which lags behind the engine's answers.
    const lab = createLab({ api: e, info: { backend: 'wasm', fallbacks: [] }, runs: mirror });
    await lab.model({ preset: 'micro', seed: 1, name: 'cloned' });
    expect((await lab.run())?.name).toBe('cloned');
    await lab.data('copy');
    await lab.train({ ...OPTS, steps: 12, logEvery: 3, evalEvery: 6, evalBatches: 1, growAt: [{ step: 5, grow: { add: 4, target: 'ffn' } }] }).done;
    expect((await lab.run())?.points.at(-1)?.step).toBe(12);
    await e.saveCheckpoint({ name: 'kept' });
    await lab.runs();
    const mine = mirror.getState().runs;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toEqual(await e.run());
    expect(mine[0].points.map((p) => p.step)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(mine[0].evals.map((v) => v.step)).toEqual([6, 12]);
    expect(mine[0].checkpoints.map((c) => [c.step, c.name])).toEqual([[12, 'kept']]);
    expect(mirror.getState().status).toMatchObject({ state: 'idle', params: mine[0].growth[0].paramsAfter });
    expect(got.some((u) => u.metrics?.points.length)).toBe(true);
    // runs() is a summary: no points.
    const [summary] = await e.runs();
    expect(summary).toMatchObject({ id: mine[0].id, step: 12, pointCount: 12, evalCount: 2 });
    expect('points' in summary).toBe(false);
    channel.port1.close();
    await e.dispose();
  }, 60_000);
});

describe('a run stays bounded', () => {
  afterAll(() => undefined);

  it('over a 20,000-step scripted run: capped, evenly thinned, first/last/growth kept, the mirror equal', () => {
    const run = newRun('run-1', 'long', {}, 1000);
    const mirror = createRunStore();
    mirror.getState().reset([structuredClone(run)], null);
    const status = { state: 'training' as const, numTensors: 1, numBytes: 1, params: 1 };
    let batch: TrainPoint[] = [];
    const sizes: number[] = [];
    for (let step = 1; step <= 20_000; step++) {
      if (step === 7777) {
        const g = { step: 7777, mode: 'preserve' as const, changes: {}, paramsBefore: 1000, paramsAfter: 1100 };
        applyMetrics(run, { points: batch } as unknown as Metrics);
        mirror.getState().apply({ seq: 0, status, runId: 'run-1', metrics: { points: batch } as unknown as Metrics });
        batch = [];
        addGrowth(run, g);
        mirror.getState().apply({ seq: 0, status, runId: 'run-1', growth: g });
      }
      batch.push({ step, loss: 1 + 1 / step, lr: 1e-3, tokensSeen: step * 64, flops: step * 1e6 });
      if (step % 5 === 0) {
        const m = { points: batch, eval: step % 10 === 0 ? { step, loss: 1, bpb: 1.4, tokensSeen: step * 64, flops: step * 1e6 } : undefined } as unknown as Metrics;
        applyMetrics(run, m);
        mirror.getState().apply({ seq: 0, status, runId: 'run-1', metrics: m });
        batch = [];
      }
      if (step % 1000 === 0) sizes.push(JSON.stringify(run).length);
    }
    expect(run.points.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(run.points.length).toBeGreaterThan(MAX_POINTS / 2);
    expect(run.evals.length).toBeLessThanOrEqual(MAX_EVALS);
    const steps = run.points.map((p) => p.step);
    expect(steps[0]).toBe(1);
    expect(steps.at(-1)).toBe(20_000);
    expect(steps.every((s, i) => i === 0 || s > steps[i - 1])).toBe(true);
    expect(steps).toContain(7777);
    expect(steps).toContain(7778);
    // Evenly: every `stride`-th step from the first is there, and nothing else but the pinned and last points.
    const stride = run.stride;
    expect(stride).toBeGreaterThan(1);
    const regular = Array.from({ length: Math.floor(19_999 / stride) + 1 }, (_, i) => 1 + i * stride);
    expect(steps).toEqual([...new Set([...regular, 7777, 7778, 20_000])].sort((a, b) => a - b));
    // Memory: the record stops growing once the cap is reached (within one halving's swing).
    expect(Math.max(...sizes.slice(5))).toBeLessThan(2 * Math.min(...sizes.slice(5)));
    expect(Math.max(...sizes)).toBeLessThan(300_000);
    expect(mirror.getState().runs[0]).toEqual(run);
    expect(summarize(run)).toMatchObject({ step: 20_000, pointCount: run.points.length });
  });

  it('a rollback drops the abandoned steps, so steps keep increasing', () => {
    const run = newRun('r', 'r', {}, 1);
    for (let s = 1; s <= 10; s++) appendPoint(run, { step: s, loss: s, lr: 0, tokensSeen: s, flops: s });
    appendPoint(run, { step: 5, loss: 0.5, lr: 0, tokensSeen: 5, flops: 5 });
    expect(run.points.map((p) => p.step)).toEqual([1, 2, 3, 4, 5]);
    expect(run.points[4].loss).toBe(0.5);
  });
});
