// Training widget for notebook cells: a framework-free DOM factory with start/pause/resume/stop, settings, progress, live chart,
// and what happened to non-finite steps (skipped, or a divergence rolled back). It trains through `lab`, so it gets the
// run's learning-rate plan, autosave and stop signals like a cell's `lab.train`, and draws the run from the mirror.
import type { TrainSummary } from '@/lib/engine/api';
import type { AutosaveSetting, AutosaveStatus } from '@/lib/engine/autosaver';
import type { Lab, TrainRun } from '@/lib/engine/lab';
import type { DivergenceEvent, Metrics, RunRecord, TrainOptions } from '@/lib/engine/types';
import { currentRun, type RunStore } from '@/lib/store/runStore';
import { h, resolveDocument, type DocumentOption } from '@/components/viz/dom';
import { formatBytes, formatClock, formatCount } from './format';
import { liveChart, type LiveChartElement } from './liveChart';
import { statRow } from './panelKit';

export type TrainerState = 'idle' | 'training' | 'paused' | 'done' | 'stopped' | 'diverged' | 'error';

/** What the widget holds; an `input` event fires when `state` changes, so `viewof` cells can react. */
export interface TrainerValue {
  state: TrainerState;
  /** The latest metrics. */
  last: Metrics | null;
  /** The current run's record as the page's mirror holds it (read from there, not kept here); null before it connects. */
  readonly run: RunRecord | null;
  summary: TrainSummary | null;
  error: string | null;
}

export interface TrainerOptions extends DocumentOption {
  steps?: number;
  lr?: number;
  batchSize?: number;
  seqLen?: number;
  /** Validation bits-per-byte every this many steps (default: 10 evaluations per run). */
  evalEvery?: number;
  /** Further train options passed through as they are (warmup, growAt, seed, ...). */
  train?: Partial<TrainOptions>;
  /** Start at once instead of waiting for the Start button. */
  autoStart?: boolean;
  /** The cell's invalidation promise: training stops when the cell reruns or goes away. */
  invalidation?: Promise<unknown>;
  width?: number;
  chartHeight?: number;
  /** Called with every metrics update (after the widget has drawn it). */
  onMetrics?: (m: Metrics) => void;
  /** As lab.train's: on by default where the lab has a store (at most every 60 s, on pause, at the end); `false`: off. */
  autosave?: AutosaveSetting;
}

export interface TrainerElement extends HTMLDivElement {
  value: TrainerValue;
  /** Starts a run with the current settings; resolves with its summary (null if it failed). */
  start(): Promise<TrainSummary | null>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
  dispose(): void;
}

/** One line for the user: where it went wrong, why, and what was kept. */
export function divergenceMessage(d: DivergenceEvent): string {
  const back = d.rolledBackTo === null ? 'There was no good state in this run to roll back to.' : `The model and optimizer were rolled back to step ${d.rolledBackTo}.`;
  return `Training diverged at step ${d.step}: ${d.reason} (${d.badSteps} non-finite step${d.badSteps === 1 ? '' : 's'} in a row). ${back} Try a lower learning rate.`;
}

function numberField(doc: Document, label: string, testid: string, value: number, step: string) {
  const input = h(doc, 'input', { type: 'number', value, step, min: 0, 'data-testid': testid, 'aria-label': label });
  const wrap = h(doc, 'label', { class: 'trainer-field' });
  wrap.append(h(doc, 'span', {}, {}, label), input);
  return { wrap, input };
}

export function trainer(lab: Lab, options: TrainerOptions = {}): TrainerElement {
  const doc = resolveDocument(options);
  const root = h(doc, 'div', { class: 'panel trainer', 'data-testid': 'trainer', 'data-state': 'idle' }) as TrainerElement;
  let mirror: RunStore | null = null;
  const value: TrainerValue = {
    state: 'idle',
    last: null,
    summary: null,
    error: null,
    get run() {
      return mirror ? currentRun(mirror.getState()) : null;
    },
  };
  root.value = value;

  // Controls.
  const bar = h(doc, 'div', { class: 'trainer-controls' });
  const button = (text: string, testid: string) => h(doc, 'button', { type: 'button', 'data-testid': testid }, {}, text);
  const startBtn = button('Start', 'train-start');
  const pauseBtn = button('Pause', 'train-pause');
  const resumeBtn = button('Resume', 'train-resume');
  const stopBtn = button('Stop', 'train-stop');
  const lr = numberField(doc, 'learning rate', 'train-lr', options.lr ?? options.train?.lr ?? 1e-3, 'any');
  const batch = numberField(doc, 'batch', 'train-batch', options.batchSize ?? options.train?.batchSize ?? 16, '1');
  const steps = numberField(doc, 'steps', 'train-steps', options.steps ?? options.train?.steps ?? 200, '1');
  bar.append(startBtn, pauseBtn, resumeBtn, stopBtn, lr.wrap, batch.wrap, steps.wrap);

  // Progress and live numbers.
  const progress = h(doc, 'progress', { class: 'trainer-progress', max: 1, value: 0, 'data-testid': 'train-progress' });
  const stats = h(doc, 'div', { class: 'trainer-stats' });
  const stat = statRow(doc, stats);
  const stateEl = stat('state', 'train-state');
  const stepEl = stat('step', 'train-step');
  const lossEl = stat('loss', 'train-loss');
  const valEl = stat('val bpb', 'train-val-bpb');
  const etaEl = stat('ETA', 'train-eta');
  const tpsEl = stat('tokens/s', 'train-tps');
  const memEl = stat('memory', 'train-memory');
  const skippedEl = stat('skipped', 'train-skipped');
  skippedEl.title = 'steps whose loss or gradient norm was NaN or infinite; they did not change the model';
  skippedEl.textContent = '0';
  const errorEl = h(doc, 'div', { class: 'trainer-error', role: 'alert', 'data-testid': 'train-error' });
  errorEl.hidden = true;
  const divergedEl = h(doc, 'div', { class: 'trainer-error trainer-diverged', role: 'alert', 'data-testid': 'train-divergence' });
  divergedEl.hidden = true;
  const chartHost = h(doc, 'div', { class: 'trainer-chart', 'data-testid': 'train-chart' });
  root.append(bar, progress, stats, errorEl, divergedEl, chartHost);

  // Run bookkeeping: ETA uses time spent training, not time spent paused.
  let runSteps = 0;
  let startStep: number | null = null;
  let activeMs = 0;
  let activeSince: number | null = null;
  let chart: LiveChartElement | null = null;
  let disposed = false;
  let run: TrainRun | null = null;
  // The last autosave's step, for tests and the curious (the autosaver warns once if saving fails).
  const onAutosave = (s: Readonly<AutosaveStatus>) => {
    if (s.step !== null) root.dataset.autosaveStep = String(s.step);
  };
  const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

  const setState = (state: TrainerState) => {
    value.state = state;
    root.dataset.state = state;
    stateEl.textContent = state;
    const running = state === 'training' || state === 'paused';
    startBtn.disabled = running;
    pauseBtn.disabled = state !== 'training';
    resumeBtn.disabled = state !== 'paused';
    stopBtn.disabled = !running;
    for (const f of [lr.input, batch.input, steps.input]) f.disabled = running;
    root.dispatchEvent(new Event('input', { bubbles: true }));
  };

  // The current run, from the page's mirror of the engine: the same record every other view reads.
  void lab.mirror().then(
    (store) => {
      mirror = store;
      if (disposed) return;
      const width = options.width ?? Math.max(320, Math.min(720, root.clientWidth || 640));
      chart = liveChart(store, { document: doc, runs: 'current', width, height: options.chartHeight ?? 220, maxPoints: 200 });
      chartHost.replaceChildren(chart);
    },
    () => undefined,
  );
  const redraw = () => chart?.update({});

  const onMetrics = (m: Metrics) => {
    if (disposed) return;
    value.last = m;
    startStep ??= m.totalSteps - runSteps;
    const done = m.step - startStep;
    progress.value = runSteps > 0 ? Math.min(1, done / runSteps) : 0;
    stepEl.textContent = String(m.step);
    stepEl.dataset.step = String(m.step);
    stepEl.title = `${done} of ${runSteps} this run`;
    lossEl.textContent = Number.isFinite(m.loss) ? m.loss.toFixed(4) : String(m.loss);
    lossEl.dataset.loss = String(m.loss);
    lossEl.title = `${m.bpb.toFixed(3)} bits per byte`;
    if (m.valBpb !== undefined) valEl.textContent = m.valBpb.toFixed(3);
    tpsEl.textContent = formatCount(m.tokensPerSec);
    memEl.textContent = `${formatBytes(m.numBytes)} · ${m.numTensors} tensors`;
    if (m.skipped !== undefined) skippedEl.textContent = String(m.skipped);
    if (m.divergence) {
      divergedEl.textContent = divergenceMessage(m.divergence);
      divergedEl.hidden = false;
    }
    const spent = activeMs + (activeSince !== null ? now() - activeSince : 0);
    etaEl.textContent = done > 0 ? formatClock(((runSteps - done) * spent) / done / 1000) : '–';
    options.onMetrics?.(m);
  };

  const readSettings = (): TrainOptions => {
    const num = (input: HTMLInputElement, fallback: number) => (Number.isFinite(input.valueAsNumber) && input.valueAsNumber > 0 ? input.valueAsNumber : fallback);
    const n = Math.round(num(steps.input, 200));
    return {
      evalEvery: options.evalEvery ?? Math.max(1, Math.round(n / 10)),
      seqLen: options.seqLen,
      ...options.train,
      steps: n,
      lr: num(lr.input, 1e-3),
      batchSize: Math.round(num(batch.input, 16)),
    };
  };

  root.start = async () => {
    if (value.state === 'training' || value.state === 'paused') return null;
    const opts = readSettings();
    runSteps = opts.steps;
    startStep = null;
    activeMs = 0;
    activeSince = now();
    value.last = null;
    value.summary = null;
    value.error = null;
    errorEl.hidden = true;
    divergedEl.hidden = true;
    skippedEl.textContent = '0';
    progress.value = 0;
    etaEl.textContent = '–';
    setState('training');
    try {
      const current = (run = lab.train({ ...opts, autosave: options.autosave, onAutosave, signal: options.invalidation }));
      for await (const m of current) onMetrics(m);
      const summary = await current.done;
      value.summary = summary;
      if (!disposed) {
        progress.value = summary.stopped ? progress.value : 1;
        etaEl.textContent = summary.stopped ? '–' : '0:00';
        if (summary.divergence) {
          // The step readout follows the model, which is back at the rollback point.
          divergedEl.textContent = divergenceMessage(summary.divergence);
          divergedEl.hidden = false;
          if (summary.divergence.rolledBackTo !== null) stepEl.textContent = stepEl.dataset.step = String(summary.divergence.rolledBackTo);
        }
        redraw();
        setState(summary.divergence ? 'diverged' : summary.stopped ? 'stopped' : 'done');
      }
      return summary;
    } catch (e) {
      value.error = e instanceof Error ? e.message : String(e);
      if (!disposed) {
        errorEl.textContent = value.error;
        errorEl.hidden = false;
        setState('error');
      }
      return null;
    } finally {
      activeSince = null;
    }
  };
  root.pause = async () => {
    if (value.state !== 'training') return;
    const paused = run?.pause();
    if (activeSince !== null) activeMs += now() - activeSince;
    activeSince = null;
    setState('paused');
    await paused; // the engine pauses, then the run autosaves
  };
  root.resume = async () => {
    if (value.state !== 'paused') return;
    await run?.resume();
    activeSince = now();
    setState('training');
  };
  root.stop = async () => {
    if (value.state !== 'training' && value.state !== 'paused') return;
    await run?.stop();
  };
  root.dispose = () => {
    if (disposed) return;
    if (value.state === 'training' || value.state === 'paused') void run?.stop().catch(() => undefined);
    disposed = true;
    chart?.dispose();
  };

  // Button errors (a dead worker) show in the widget rather than as unhandled rejections.
  const guard = (fn: () => Promise<unknown>) => () =>
    void fn().catch((e: unknown) => {
      errorEl.textContent = e instanceof Error ? e.message : String(e);
      errorEl.hidden = false;
    });
  startBtn.addEventListener('click', guard(root.start));
  pauseBtn.addEventListener('click', guard(root.pause));
  resumeBtn.addEventListener('click', guard(root.resume));
  stopBtn.addEventListener('click', guard(root.stop));

  void options.invalidation?.then(root.dispose);
  setState('idle');
  if (options.autoStart) void root.start();
  return root;
}
