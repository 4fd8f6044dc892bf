// The cell-facing lab over an in-process engine: iteration, stop signals, autosave and resume, runs.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { memoryCheckpointStore } from '../io/checkpointStore';
import { Engine } from './engine';
import { AUTOSAVE, createLab } from './lab';

async function makeLab(store = memoryCheckpointStore()) {
  tf.env().set('PROD', true);
  const engine = new Engine();
  const info = await engine.init({ backend: 'wasm' });
  return { lab: createLab({ api: engine, info }, { store, quick: true }), engine, store };
}

describe('lab', () => {
  it('streams metrics through async iteration and records the run with its growth', async () => {
    const { lab } = await makeLab();
    await lab.model({ preset: 'micro', name: 'first' });
    await lab.data('copy');
    const run = lab.train({ steps: 8, batchSize: 4, seqLen: 32, logEvery: 1, growAt: [{ step: 4, grow: { add: 4, target: 'ffn' } }] });
    const steps: number[] = [];
    for await (const m of run) steps.push(m.step);
    expect(steps[steps.length - 1]).toBe(8);
    expect((await run.done).steps).toBe(8);
    const runs = await lab.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0].name).toBe('first');
    expect(runs[0].growth.map((g) => g.step)).toEqual([4]);
    // One point per step, from the mirror; the train call kept none of its own.
    expect(runs[0].points.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(run.record).toBe(runs[0]);
  });

  it('stops when the signal fires (a cell invalidation)', async () => {
    const { lab } = await makeLab();
    await lab.model('micro');
    await lab.data('reverse');
    let invalidate!: () => void;
    const invalidation = new Promise<void>((r) => (invalidate = r));
    const run = lab.train({ steps: 500, batchSize: 4, seqLen: 32, logEvery: 1, signal: invalidation });
    for await (const m of run) if (m.step >= 3) invalidate();
    const s = await run.done;
    expect(s.stopped).toBe(true);
    expect(s.steps).toBeLessThan(500);
  });

  it('ignores a signal that fires after its run ended', async () => {
    const { lab } = await makeLab();
    await lab.model('micro');
    await lab.data('copy');
    let invalidate!: () => void;
    await lab.train({ steps: 2, batchSize: 4, seqLen: 32, signal: new Promise<void>((r) => (invalidate = r)) }).done;
    const second = lab.train({ steps: 30, batchSize: 4, seqLen: 32, logEvery: 1 });
    invalidate();
    const s = await second.done;
    expect(s.stopped).toBe(false);
    expect(s.steps).toBe(30);
  });

  it('autosaves during training and resumes the step count after a "reload"', async () => {
    const store = memoryCheckpointStore();
    const { lab } = await makeLab(store);
    await lab.model('micro');
    await lab.data('sort');
    await lab.train({ steps: 7, batchSize: 4, seqLen: 32, logEvery: 1, checkpointEvery: 3 }).done;
    const saved = await store.list();
    expect(saved.map((s) => s.name)).toEqual([AUTOSAVE]);
    expect(saved[0].step).toBe(7);
    const fresh = (await makeLab(store)).lab; // a new engine, as after a page reload
    const info = await fresh.load();
    expect(info.step).toBe(7);
    const flopsBefore = (await lab.runs())[0].points.at(-1)!.flops;
    await fresh.data('sort');
    const resumed = await fresh.train({ steps: 2, batchSize: 4, seqLen: 32 }).done;
    expect(resumed.steps).toBe(2);
    expect((await fresh.info())!.step).toBe(9);
    // Compute counters continue from the checkpoint: 2 more steps on top of the first 7.
    const flopsAfter = (await fresh.runs())[0].points.at(-1)!.flops;
    expect(flopsAfter).toBeCloseTo((flopsBefore * 9) / 7, 0);
  });

  it('autosaves every run by default (at the end, and on pause), unless told not to', async () => {
    const store = memoryCheckpointStore();
    const { lab } = await makeLab(store);
    await lab.model('micro');
    await lab.data('copy');
    const run = lab.train({ steps: 4, batchSize: 4, seqLen: 32 });
    await run.done;
    expect((await store.list()).map((c) => [c.name, c.step])).toEqual([[AUTOSAVE, 4]]);
    expect(run.autosave).toMatchObject({ step: 4, saves: 1, error: null });

    const long = lab.train({ steps: 10_000, batchSize: 4, seqLen: 32, logEvery: 1 });
    for await (const m of long) if (m.step >= 7) break;
    await lab.pause();
    const paused = (await store.list())[0].step;
    expect(paused).toBeGreaterThanOrEqual(7);
    expect(long.autosave?.step).toBe(paused);
    await long.stop();
    await long.done;

    await store.delete(AUTOSAVE);
    const off = lab.train({ steps: 3, batchSize: 4, seqLen: 32, autosave: false });
    await off.done;
    expect(off.autosave).toBeNull();
    expect(await store.list()).toEqual([]);
  });

  it('rejects unknown data with a clear message', async () => {
    const { lab } = await makeLab();
    await expect(lab.data('shakespeare')).rejects.toThrow(/unknown synthetic task "shakespeare"/);
    await expect(lab.load('nothing-here')).rejects.toThrow(/no checkpoint named "nothing-here"/);
    expect(lab.steps(1000)).toBe(20);
  });
});
