// The training autosaver on a fake clock: at most one save a minute, one at a time, on pause and at the end, and a
// failed save (non-finite weights) keeps the previous one and is reported once.
import { describe, expect, it } from 'vitest';
import { memoryCheckpointStore } from '../io/checkpointStore';
import type { EngineApi, TrainSummary } from './api';
import { AUTOSAVE, checkpointWriter, createAutosaver, trainWithAutosave } from './autosaver';
import type { Metrics, ModelInfo, TrainOptions } from './types';

/** A write whose completion the test controls; resolves with the step given to `finish`. */
function controlledWrite() {
  const pending: ((step: number) => void)[] = [];
  let calls = 0;
  return {
    write: () => {
      calls++;
      return new Promise<number>((r) => pending.push(r));
    },
    finish: (step: number) => pending.shift()!(step),
    get calls() {
      return calls;
    },
  };
}

const flushMicrotasks = () => new Promise((r) => setTimeout(r, 0));

describe('createAutosaver', () => {
  it('saves at most once every 60 s of training, counted from the start', async () => {
    let t = 0;
    const saves: number[] = [];
    const s = createAutosaver({ write: async () => (saves.push(t), t), now: () => t });
    for (let step = 1; step <= 300; step++) {
      t += 1000; // a metrics update every second for five minutes
      s.tick(step);
      await flushMicrotasks();
    }
    expect(saves).toEqual([60_000, 120_000, 180_000, 240_000, 300_000]);
    expect(s.status).toMatchObject({ saves: 5, error: null });
  });

  it('never runs two saves at once: a tick while one is running is skipped', async () => {
    let t = 0;
    const w = controlledWrite();
    const s = createAutosaver({ write: w.write, now: () => t });
    t = 61_000;
    s.tick(10);
    t = 200_000;
    s.tick(11);
    s.tick(12);
    expect(w.calls).toBe(1);
    w.finish(10);
    await flushMicrotasks();
    expect(s.status.step).toBe(10);
    s.tick(13); // 139 s after the last save started: due
    expect(w.calls).toBe(2);
  });

  it('flush waits for the save in flight, then saves again; it skips a step already saved', async () => {
    let t = 0;
    const w = controlledWrite();
    const s = createAutosaver({ write: w.write, now: () => t });
    t = 60_000;
    s.tick(5);
    let flushed = false;
    const f = s.flush(7).then(() => (flushed = true));
    await flushMicrotasks();
    expect([w.calls, flushed]).toEqual([1, false]);
    w.finish(5);
    await flushMicrotasks();
    expect(w.calls).toBe(2);
    w.finish(7);
    await f;
    expect(s.status).toMatchObject({ step: 7, saves: 2 });
    await s.flush(7);
    expect(w.calls).toBe(2);
    // The flush restarted the interval: no periodic save until 60 s after it.
    t += 59_000;
    s.tick(8);
    expect(w.calls).toBe(2);
  });

  it('adds saves every N steps when asked, and only those when the timed ones are off', async () => {
    const saves: number[] = [];
    let step = 0;
    const s = createAutosaver({ write: async () => (saves.push(step), step), now: () => 0, intervalMs: Infinity, everySteps: 4 });
    for (step = 1; step <= 10; step++) {
      s.tick(step);
      await flushMicrotasks();
    }
    expect(saves).toEqual([4, 8]);
  });

  it('a failed save keeps the previous checkpoint, is reported once, and does not stop later saves', async () => {
    const store = memoryCheckpointStore();
    let step = 3;
    let finite = true;
    const api = {
      modelInfo: async () => ({ step, params: 10 }) as ModelInfo,
      saveCheckpoint: async () => {
        if (!finite) throw new Error('refusing to save non-finite weights');
        return new Uint8Array([step]);
      },
    };
    const reports: string[] = [];
    const s = createAutosaver({ write: checkpointWriter(api, store), now: () => 0, onError: (m) => reports.push(m) });
    await s.flush();
    finite = false;
    step = 4;
    await s.flush();
    step = 5;
    await s.flush();
    expect(reports).toEqual(['refusing to save non-finite weights']);
    expect(s.status).toMatchObject({ step: 3, saves: 1, error: 'refusing to save non-finite weights' });
    expect(await store.load(AUTOSAVE)).toEqual(new Uint8Array([3]));
    expect((await store.list())[0].step).toBe(3);
    finite = true;
    await s.flush();
    expect(s.status).toMatchObject({ step: 5, error: null });
    expect(reports).toHaveLength(1);
  });
});

/** An engine that trains one step per `advance` call (driven by the test), saving checkpoints of its step. */
function steppedEngine() {
  let step = 0;
  let stopFlag = false;
  let next: (() => void) | null = null;
  const calls: string[] = [];
  const api = {
    async train(o: TrainOptions, onMetrics: (m: Metrics) => void): Promise<TrainSummary> {
      const end = step + o.steps;
      while (step < end && !stopFlag) {
        await new Promise<void>((r) => (next = r));
        step++;
        onMetrics({ step } as Metrics);
      }
      return { steps: o.steps, finalLoss: 1, stopped: stopFlag, elapsedMs: 0 };
    },
    pause: async () => void calls.push('pause'),
    stop: async () => {
      stopFlag = true;
      next?.();
    },
    modelInfo: async () => ({ step, params: 1 }) as ModelInfo,
    saveCheckpoint: async () => new Uint8Array([step]),
  } as unknown as EngineApi;
  const advance = async () => {
    next?.();
    next = null;
    await flushMicrotasks();
  };
  return { api, calls, advance };
}

describe('trainWithAutosave', () => {
  it('saves on the clock, on pause and at the end of a stopped run', async () => {
    const e = steppedEngine();
    const store = memoryCheckpointStore();
    let t = 0;
    const steps: number[] = [];
    const run = trainWithAutosave(e.api, { steps: 100 }, () => {}, { store, now: () => t, onStatus: (s) => steps.push(s.step!) });
    for (let i = 0; i < 3; i++) await e.advance();
    t = 60_000;
    await e.advance(); // step 4, a minute in
    await run.pause();
    expect(e.calls).toEqual(['pause']);
    await e.advance();
    await e.api.stop(); // the step in progress (6) completes, then the run ends
    expect((await run.done).stopped).toBe(true);
    expect(steps).toEqual([4, 4, 6]);
    expect((await store.list()).map((c) => [c.name, c.step])).toEqual([[AUTOSAVE, 6]]);
  });

  it('is off with autosave: false or without a store; checkpointEvery still saves', async () => {
    for (const [o, saved, names] of [
      [{ setting: false }, [], []],
      [{ setting: false, everySteps: 2 }, [2, 3], [AUTOSAVE]],
      [{ setting: { intervalMs: 1, name: 'other' } }, [1, 2, 3], ['other']],
    ] as const) {
      const e = steppedEngine();
      const store = memoryCheckpointStore();
      const steps: number[] = [];
      let t = 0;
      const run = trainWithAutosave(e.api, { steps: 3 }, () => (t += 5), { store, now: () => t, onStatus: (s) => steps.push(s.step!), ...o });
      for (let i = 0; i < 3; i++) await e.advance();
      await run.done;
      expect(steps, JSON.stringify(o)).toEqual(saved);
      expect((await store.list()).map((c) => c.name)).toEqual(names);
      expect(run.autosaver === null).toBe(saved.length === 0);
    }
    const e = steppedEngine();
    const run = trainWithAutosave(e.api, { steps: 1 }, () => {});
    expect(run.autosaver).toBeNull();
    await e.advance();
    await run.done;
  });
});
