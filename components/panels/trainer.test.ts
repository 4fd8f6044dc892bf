// @vitest-environment jsdom
// The training widget against a scripted engine: progress, step and loss readouts, pause/resume, stop, errors.
import { describe, expect, it } from 'vitest';
import type { EngineApi, TrainSummary } from '@/lib/engine/api';
import { createLab } from '@/lib/engine/lab';
import type { BackendInfo, Metrics, TrainOptions } from '@/lib/engine/types';
import { memoryCheckpointStore, type CheckpointStore } from '@/lib/io/checkpointStore';
import { createRunStore } from '@/lib/store/runStore';
import { trainer } from './trainer';

/** The widget drives a lab; here one over `api` with an empty mirror (and `store` for autosaves, if given). */
const labOf = (api: EngineApi, store?: CheckpointStore) => createLab({ api, info: { backend: 'cpu', fallbacks: [] } as BackendInfo, runs: createRunStore() }, { store });

const metrics = (step: number, totalSteps: number): Metrics => ({
  step,
  totalSteps,
  loss: 2 / step,
  bpb: 2 / step / Math.LN2,
  lr: 1e-3,
  tokensPerSec: 1000,
  tokensSeen: step * 64,
  flops: step * 1e6,
  params: 1234,
  numTensors: 10,
  numBytes: 4096,
  elapsedMs: step * 10,
  points: [{ step, loss: 2 / step, lr: 1e-3, tokensSeen: step * 64, flops: step * 1e6 }],
});

/** An engine whose train() emits one metrics record per step and honours stop(). */
function scriptedEngine() {
  const calls: string[] = [];
  let stopFlag = false;
  let paused = false;
  let seen: TrainOptions | null = null;
  const api = {
    async train(o: TrainOptions, onMetrics: (m: Metrics) => void): Promise<TrainSummary> {
      seen = o;
      stopFlag = false;
      let s = 0;
      for (; s < o.steps && !stopFlag; s++) {
        while (paused && !stopFlag) await new Promise((r) => setTimeout(r, 1));
        onMetrics(metrics(s + 1, o.steps));
        await new Promise((r) => setTimeout(r, 1));
      }
      return { steps: s, finalLoss: 2 / Math.max(1, s), stopped: s < o.steps, elapsedMs: s };
    },
    pause: async () => {
      calls.push('pause');
      paused = true;
    },
    resume: async () => {
      calls.push('resume');
      paused = false;
    },
    stop: async () => {
      calls.push('stop');
      stopFlag = true;
    },
  } as unknown as EngineApi;
  return { api, calls, options: () => seen };
}

const q = (el: Element, id: string) => el.querySelector(`[data-testid="${id}"]`) as HTMLElement;

describe('trainer widget', () => {
  it('trains to the end and shows step, loss and progress', async () => {
    const e = scriptedEngine();
    const el = trainer(labOf(e.api), { steps: 5, lr: 0.01, batchSize: 4, width: 320 });
    const states: string[] = [];
    el.addEventListener('input', () => states.push(el.value.state));
    const summary = await el.start();
    expect(summary?.steps).toBe(5);
    expect(e.options()).toMatchObject({ steps: 5, lr: 0.01, batchSize: 4 });
    expect(q(el, 'train-step').textContent).toBe('5');
    expect(Number(q(el, 'train-loss').dataset.loss)).toBeCloseTo(0.4);
    expect((q(el, 'train-progress') as HTMLProgressElement).value).toBe(1);
    expect(el.dataset.state).toBe('done');
    expect(states).toEqual(['training', 'done']);
  });

  it('pauses and resumes, with the buttons following the state', async () => {
    const e = scriptedEngine();
    const seen: string[] = [];
    const el = trainer(labOf(e.api), { steps: 6, width: 320 });
    el.addEventListener('input', () => seen.push(el.value.state));
    const run = el.start();
    await el.pause();
    expect(el.value.state).toBe('paused');
    expect((q(el, 'train-resume') as HTMLButtonElement).disabled).toBe(false);
    expect((q(el, 'train-pause') as HTMLButtonElement).disabled).toBe(true);
    const stepWhilePaused = el.value.last?.step ?? 0;
    await new Promise((r) => setTimeout(r, 20));
    expect(el.value.last?.step ?? 0).toBe(stepWhilePaused);
    await el.resume();
    expect((await run)?.steps).toBe(6);
    expect(seen).toEqual(['training', 'paused', 'training', 'done']);
    expect(e.calls).toEqual(['pause', 'resume']);
  });

  it('stops a run and says so', async () => {
    const e = scriptedEngine();
    const el = trainer(labOf(e.api), { steps: 1000, width: 320, onMetrics: (m) => m.step === 3 && void el.stop() });
    const summary = await el.start();
    expect(summary?.stopped).toBe(true);
    expect(el.value.state).toBe('stopped');
    expect(e.calls).toContain('stop');
  });

  it('shows an engine error in the widget', async () => {
    const api = { train: async () => Promise.reject(new Error('no data loaded')) } as unknown as EngineApi;
    const el = trainer(labOf(api), { width: 320 });
    expect(await el.start()).toBeNull();
    expect(el.value.state).toBe('error');
    expect(q(el, 'train-error').textContent).toContain('no data loaded');
    expect(q(el, 'train-error').hidden).toBe(false);
  });

  it('stops training when the cell is invalidated', async () => {
    const e = scriptedEngine();
    let invalidate!: () => void;
    const invalidation = new Promise<void>((r) => (invalidate = r));
    const el = trainer(labOf(e.api), { steps: 1000, width: 320, invalidation, onMetrics: (m) => m.step === 2 && invalidate() });
    await el.start();
    expect(e.calls).toContain('stop');
  });

  it('autosaves its runs into the store it is given, on pause and at the end; not with autosave: false', async () => {
    const e = scriptedEngine();
    let step = 0;
    const api = {
      ...e.api,
      modelInfo: async () => ({ step, params: 1234 }),
      saveCheckpoint: async () => new Uint8Array([step]),
    } as unknown as EngineApi;
    const store = memoryCheckpointStore();
    const el = trainer(labOf(api, store), { steps: 6, width: 320, onMetrics: (m) => void (step = m.step) });
    const run = el.start();
    await new Promise((r) => setTimeout(r, 5));
    await el.pause();
    const atPause = (await store.list())[0]?.step;
    expect(atPause).toBeGreaterThan(0);
    expect(el.dataset.autosaveStep).toBe(String(atPause));
    await el.resume();
    await run;
    expect((await store.list()).map((c) => [c.name, c.step])).toEqual([['autosave', 6]]);
    expect(el.dataset.autosaveStep).toBe('6');

    const none = memoryCheckpointStore();
    await trainer(labOf(api, none), { steps: 3, width: 320, autosave: false }).start();
    expect(await none.list()).toEqual([]);
  });
});

describe('trainer widget on a diverging run', () => {
  it('shows the divergence, the skipped steps and the rollback, and marks the chart (real engine, lr 1e30)', async () => {
    const { microEngine } = await import('./testEngine');
    const { engine, api } = await microEngine();
    const el = trainer(createLab({ api, info: { backend: 'wasm', fallbacks: [] } }), { steps: 20, lr: 1e30, batchSize: 2, seqLen: 16, width: 320, train: { warmupSteps: 0 } });
    const summary = await el.start();
    expect(summary?.divergence).toMatchObject({ step: 2, reason: 'loss is NaN', rolledBackTo: 0 });
    expect(el.value.state).toBe('diverged');
    const note = q(el, 'train-divergence');
    expect(note.hidden).toBe(false);
    expect(note.getAttribute('role')).toBe('alert');
    expect(note.textContent).toBe('Training diverged at step 2: loss is NaN (3 non-finite steps in a row). The model and optimizer were rolled back to step 0. Try a lower learning rate.');
    // Evaluations (every 2 steps here) read the loss back too, so the third bad step in a row is seen at once.
    expect(q(el, 'train-skipped').textContent).toBe('3');
    expect(q(el, 'train-step').textContent).toBe('0');
    // The loss readout never shows NaN: skipped steps do not replace the last finite loss.
    expect(Number.isFinite(Number(q(el, 'train-loss').dataset.loss))).toBe(true);
    expect(q(el, 'train-chart').textContent).toContain('diverged at 2: loss is NaN · back to step 0');
    // The widget keeps no history: its value reads the run from the mirror.
    expect(el.value.run?.divergence).toEqual([summary!.divergence]);
    expect(el.value.run?.points.map((p) => p.step)).toEqual([1, 2, 3, 4]);
    // A new run clears the message.
    await el.start();
    expect(q(el, 'train-divergence').hidden).toBe(false); // lr is still 1e30 in the field: it diverges again
    (q(el, 'train-lr') as HTMLInputElement).value = '0.001';
    expect((await el.start())?.divergence).toBeUndefined();
    expect(q(el, 'train-divergence').hidden).toBe(true);
    expect(el.value.state).toBe('done');
    await engine.dispose();
  }, 60_000);
});
