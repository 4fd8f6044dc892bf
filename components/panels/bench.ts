// The browser training benchmark: time to the first step, steady tokens/s over a timed run, and how long the page's main thread was blocked meanwhile.
import type { EngineApi, TrainSummary } from '@/lib/engine/api';
import type { BackendInfo, Metrics, PresetName, TrainOptions } from '@/lib/engine/types';
import { createLab } from '@/lib/engine/lab';
import { trainer } from './trainer';

export interface BenchOptions {
  preset: PresetName;
  /** Train for this many seconds (from the train call, so compilation counts), then stop the engine. */
  seconds: number;
  /** Stop earlier after this many steps (default: no cap). */
  steps?: number;
  batchSize: number;
  seqLen?: number;
  /** The first steps (shader compilation, allocation) are left out of tokens/s (default 3). */
  warmupSteps?: number;
  /** The engine reads the loss back every this many steps, as the notebook trainer does (default 5). */
  logEvery?: number;
  /** 'trainer': drive the notebook's trainer widget (live chart and stats), so the main-thread numbers are the app's; 'none': the engine alone. */
  ui?: 'trainer' | 'none';
}

export interface BenchResult {
  backend: BackendInfo['backend'];
  adapter?: string;
  /** wasm: the threads its kernels ran on. */
  threads?: number;
  fallbacks: BackendInfo['fallbacks'];
  preset: PresetName;
  ui: 'trainer' | 'none';
  params: number;
  batchSize: number;
  seqLen: number;
  /** Requested training time, s. */
  seconds: number;
  /** Steps trained in that time. */
  steps: number;
  /** From the bench start (before the worker starts) to the first metrics: worker, backend, model, data, first step with its compilation. */
  timeToFirstStepMs: number;
  /** Its parts: the worker and the backend's init, creating the model and loading data, and the first step (train call to its metrics). */
  engineMs: number;
  modelMs: number;
  firstStepMs: number;
  /** Steady state: steps after the warmup, between two loss readbacks (the device has finished them). */
  msPerStep: number;
  tokensPerSec: number;
  /** The train call's wall time, until the stop took effect. */
  trainMs: number;
  finalLoss: number;
  lossFinite: boolean;
  /** The longest task on the page's main thread while training (PerformanceObserver 'longtask': tasks over 50 ms); 0: none; null: not supported. */
  longestTaskMs: number | null;
  /** How many long tasks, and their total, while training. */
  longTasks: number;
  longTasksTotalMs: number;
  /** The first 20 of them: when (ms after the train call) and how long. */
  longTaskList: { atMs: number; ms: number }[];
  /** The longest main-thread task before training started (page load, hydration, engine start). */
  longestSetupTaskMs: number | null;
  /** Worst lateness of a 20 ms timer while training: how long an input event could have waited. */
  maxTimerLagMs: number;
  /** When (ms after the train call). */
  maxTimerLagAtMs: number;
  numTensors: number;
  numBytes: number;
  userAgent: string;
}

const PRESETS: readonly string[] = ['micro', 'tiny', 'small'];
export const isPreset = (s: string | null): s is PresetName => s !== null && PRESETS.includes(s);

/** Watches the page's main thread: long tasks (when the browser reports them) and timer lateness. */
export function watchMainThread() {
  const tasks: { start: number; duration: number }[] = [];
  const supported = typeof PerformanceObserver !== 'undefined' && (PerformanceObserver.supportedEntryTypes ?? []).includes('longtask');
  let observer: PerformanceObserver | null = null;
  if (supported) {
    observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) tasks.push({ start: e.startTime, duration: e.duration });
    });
    // Buffered: tasks from page load on, before this code ran.
    observer.observe({ type: 'longtask', buffered: true });
  }
  const lag = { from: Infinity, to: Infinity, max: 0, at: 0 };
  const TICK = 20;
  let expected = performance.now() + TICK;
  const timer = setInterval(() => {
    const now = performance.now();
    if (now >= lag.from && now <= lag.to && now - expected > lag.max) {
      lag.max = now - expected;
      lag.at = now;
    }
    expected = now + TICK;
  }, TICK);
  return {
    supported,
    /** Timer lateness counts only inside [from, to]. */
    lagWindow(from: number, to = Infinity) {
      lag.from = from;
      lag.to = to;
    },
    /** Long tasks that started in [from, to). */
    tasks(from: number, to: number) {
      // Entries are delivered asynchronously; takeRecords picks up any still queued.
      for (const e of observer?.takeRecords() ?? []) tasks.push({ start: e.startTime, duration: e.duration });
      return tasks.filter((t) => t.start >= from && t.start < to);
    },
    maxLag: () => lag.max,
    /** When the worst lateness happened (performance.now()). */
    maxLagAt: () => lag.at,
    stop() {
      observer?.disconnect();
      clearInterval(timer);
    },
  };
}
export type MainThreadWatch = ReturnType<typeof watchMainThread>;

/** Steady-state rate from the metrics: between the first and the last loss readback after the warmup. */
export function steadyRate(metrics: readonly Metrics[], o: { startStep: number; warmupSteps: number; logEvery: number; tokensPerStep: number }): { msPerStep: number; tokensPerSec: number } | null {
  const after = metrics.filter((m) => m.step - o.startStep >= o.warmupSteps);
  // At a readback step the loss was read from the device, so the device had finished that step.
  const synced = after.filter((m) => m.step % o.logEvery === 0);
  const pts = synced.length >= 2 ? synced : after;
  if (pts.length < 2) return null;
  const a = pts[0];
  const b = pts[pts.length - 1];
  const steps = b.step - a.step;
  const ms = b.elapsedMs - a.elapsedMs;
  if (steps <= 0 || ms <= 0) return null;
  return { msPerStep: ms / steps, tokensPerSec: (steps * o.tokensPerStep * 1000) / ms };
}

export interface BenchHooks {
  /** performance.now() when the bench started (before the engine worker was started). */
  startedAt: number;
  /** Time the worker and backend took to start. */
  engineMs: number;
  watch?: MainThreadWatch;
  /** Where the trainer widget goes when `ui` is 'trainer'. */
  host?: HTMLElement | null;
  onStatus?: (s: string) => void;
}

/** A timed training run, through the trainer widget or the engine alone; `stop()` ends it at the next step. */
function startRun(api: EngineApi, info: BackendInfo, train: TrainOptions, onMetrics: (m: Metrics) => void, host: HTMLElement | null | undefined) {
  if (!host) return { done: api.train(train, onMetrics), stop: () => api.stop() };
  const { steps, batchSize, seqLen, lr, evalEvery, ...rest } = train;
  // No store: the bench never autosaves.
  const el = trainer(createLab({ api, info }), { steps, batchSize, seqLen, lr, evalEvery, train: rest, onMetrics });
  host.replaceChildren(el);
  const done = el.start().then((s): TrainSummary => {
    if (!s) throw new Error(el.value.error ?? 'training failed');
    return s;
  });
  return { done, stop: () => el.stop() };
}

export async function runBench(api: EngineApi, info: BackendInfo, o: BenchOptions, hooks: BenchHooks): Promise<BenchResult> {
  const say = hooks.onStatus ?? (() => undefined);
  const warmupSteps = Math.max(1, o.warmupSteps ?? 3);
  const logEvery = Math.max(1, o.logEvery ?? 5);
  const ui = o.ui ?? 'trainer';

  say('creating model');
  const m0 = performance.now();
  const model = await api.createModel({ preset: o.preset, seed: 1 });
  const seqLen = Math.min(o.seqLen ?? model.config.maxSeqLen, model.config.maxSeqLen);
  say('loading data');
  await api.loadData({ kind: 'synthetic', task: 'mix', seed: 1 });
  const modelMs = performance.now() - m0;

  say(`training for ${o.seconds} s`);
  const metrics: Metrics[] = [];
  let firstAt: number | null = null;
  let lastStatus = 0;
  const trainStart = performance.now();
  hooks.watch?.lagWindow(trainStart);
  const run = startRun(
    api,
    info,
    { steps: o.steps ?? 1_000_000, batchSize: o.batchSize, seqLen, lr: 1e-3, evalEvery: 0, logEvery },
    (m) => {
      const now = performance.now();
      firstAt ??= now;
      metrics.push(m);
      if (now - lastStatus > 1000) {
        lastStatus = now;
        say(`training: step ${m.step}, ${Math.round((now - trainStart) / 1000)} of ${o.seconds} s`);
      }
    },
    ui === 'trainer' ? hooks.host : null,
  );
  const timer = setTimeout(() => void run.stop(), o.seconds * 1000);
  let summary: TrainSummary;
  try {
    summary = await run.done;
  } finally {
    clearTimeout(timer);
  }
  const trainEnd = performance.now();
  hooks.watch?.lagWindow(trainStart, trainEnd);
  // Let the last long-task entries arrive.
  await new Promise((r) => setTimeout(r, 100));

  const tokensPerStep = o.batchSize * seqLen;
  const rate = steadyRate(metrics, { startStep: 0, warmupSteps, logEvery, tokensPerStep }) ?? {
    msPerStep: summary.elapsedMs / Math.max(1, summary.steps),
    tokensPerSec: (summary.steps * tokensPerStep * 1000) / summary.elapsedMs,
  };
  const w = hooks.watch;
  const during = w?.tasks(trainStart, trainEnd) ?? [];
  const before = w?.tasks(0, trainStart) ?? [];
  const supported = !!w?.supported;
  const mem = await api.memory();
  return {
    backend: info.backend,
    adapter: info.adapter,
    threads: info.threads,
    fallbacks: info.fallbacks,
    preset: o.preset,
    ui,
    params: model.params,
    batchSize: o.batchSize,
    seqLen,
    seconds: o.seconds,
    steps: summary.steps,
    timeToFirstStepMs: Math.round((firstAt ?? trainEnd) - hooks.startedAt),
    engineMs: Math.round(hooks.engineMs),
    modelMs: Math.round(modelMs),
    firstStepMs: Math.round((firstAt ?? trainEnd) - trainStart),
    msPerStep: rate.msPerStep,
    tokensPerSec: rate.tokensPerSec,
    trainMs: Math.round(trainEnd - trainStart),
    finalLoss: summary.finalLoss,
    lossFinite: Number.isFinite(summary.finalLoss),
    longestTaskMs: supported ? Math.round(Math.max(0, ...during.map((t) => t.duration))) : null,
    longTasks: during.length,
    longTasksTotalMs: Math.round(during.reduce((s, t) => s + t.duration, 0)),
    longTaskList: during.slice(0, 20).map((t) => ({ atMs: Math.round(t.start - trainStart), ms: Math.round(t.duration) })),
    longestSetupTaskMs: supported ? Math.round(Math.max(0, ...before.map((t) => t.duration))) : null,
    maxTimerLagMs: Math.round(w?.maxLag() ?? 0),
    maxTimerLagAtMs: Math.round((w?.maxLagAt() ?? trainStart) - trainStart),
    numTensors: mem.numTensors,
    numBytes: mem.numBytes,
    userAgent: typeof navigator !== 'undefined' ? navigator.userAgent : '',
  };
}
