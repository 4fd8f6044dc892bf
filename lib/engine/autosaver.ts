// Training autosave, shared by lab.train and the trainer widget: a checkpoint at most every minute, on pause and at the
// end of a run, never two at once, and a failed save keeps the previous one.
import type { CheckpointStore } from '../io/checkpointStore';
import type { EngineApi, TrainSummary } from './api';
import type { Metrics, TrainOptions } from './types';

/** The store name training autosaves go under; crash recovery and "Resume from autosave" load it. */
export const AUTOSAVE = 'autosave';
export const AUTOSAVE_INTERVAL_MS = 60_000;

export interface AutosaveOptions {
  /** Least time between two periodic saves, in ms (default 60 000). Pause and the end of a run save regardless. */
  intervalMs?: number;
  /** Store name (default `autosave`). */
  name?: string;
}

/** `true` or omitted: autosave with the defaults; `false`: never. */
export type AutosaveSetting = boolean | AutosaveOptions;

export interface AutosaveStatus {
  /** Step of the last checkpoint written by this run's autosaver; null before the first. */
  step: number | null;
  /** When it was written (the autosaver's clock). */
  savedAt: number | null;
  saves: number;
  /** Why the last attempt failed (e.g. non-finite weights); null after a success. */
  error: string | null;
}

export interface Autosaver {
  /** A metrics update at `step`: starts a save when one is due (interval passed, or `everySteps` crossed) and none runs. */
  tick(step: number): void;
  /**
   * Saves now (pause, stop, end of a run), after the save in flight if there is one; skipped when the last save holds
   * `step` already. Never rejects: a failure is in `status.error`.
   */
  flush(step?: number): Promise<void>;
  readonly status: Readonly<AutosaveStatus>;
}

export interface AutosaverDeps {
  /** Writes one checkpoint and resolves with its step; a rejection leaves the previous checkpoint as it was. */
  write(): Promise<number>;
  /** ms; default Date.now. */
  now?: () => number;
  /** Periodic saves at most this often (default 60 s); Infinity: only step-based ones and flushes. */
  intervalMs?: number;
  /** Also save when training passes every this many steps (lab.train's `checkpointEvery`; 0: not). */
  everySteps?: number;
  /** Called once per autosaver, at its first failure. */
  onError?: (message: string) => void;
  /** Called after every attempt, successful or not. */
  onStatus?: (status: Readonly<AutosaveStatus>) => void;
}

export function createAutosaver(deps: AutosaverDeps): Autosaver {
  const now = deps.now ?? Date.now;
  const intervalMs = deps.intervalMs ?? AUTOSAVE_INTERVAL_MS;
  const everySteps = deps.everySteps ?? 0;
  const status: AutosaveStatus = { step: null, savedAt: null, saves: 0, error: null };
  // The interval runs from the start of the run, then from the start of each save.
  let lastStart = now();
  let nextStep = everySteps;
  let inflight: Promise<void> | null = null;
  let reported = false;

  const start = (step?: number): Promise<void> => {
    lastStart = now();
    if (everySteps && step !== undefined) nextStep = step + everySteps;
    const p = (async () => {
      try {
        const saved = await deps.write();
        status.step = saved;
        status.savedAt = now();
        status.saves++;
        status.error = null;
      } catch (e) {
        status.error = e instanceof Error ? e.message : String(e);
        if (!reported) {
          reported = true;
          deps.onError?.(status.error);
        }
      }
      deps.onStatus?.(status);
    })();
    inflight = p;
    void p.finally(() => {
      if (inflight === p) inflight = null;
    });
    return p;
  };

  return {
    status,
    tick(step) {
      if (inflight) return; // one at a time: a save still running means this one is skipped, training goes on
      if (now() - lastStart >= intervalMs || (everySteps > 0 && step >= nextStep)) void start(step);
    },
    async flush(step) {
      while (inflight) await inflight;
      if (step !== undefined && status.step === step && status.error === null) return;
      await start(step);
    },
  };
}

/** A writer for createAutosaver: the engine's model with its optimizer state, into `store` under `name`. */
export function checkpointWriter(api: Pick<EngineApi, 'modelInfo' | 'saveCheckpoint'>, store: CheckpointStore, name = AUTOSAVE): () => Promise<number> {
  return async () => {
    const info = await api.modelInfo();
    if (!info) throw new Error('no model to save');
    // Encoding refuses weights that are not finite; then nothing reaches the store and the last good save stays.
    const bytes = await api.saveCheckpoint({ includeOptimizer: true, name });
    await store.save(name, bytes, { step: info.step, params: info.params });
    return info.step;
  };
}

export interface AutosavedTrainingOptions {
  /** Where to save; without one there is no autosave. */
  store?: CheckpointStore;
  setting?: AutosaveSetting;
  /** Extra step-based saves (lab.train's `checkpointEvery`); they happen even with `setting: false`. */
  everySteps?: number;
  now?: () => number;
  /** First failure of this run's autosave (default: one console warning). */
  onError?: (message: string) => void;
  onStatus?: (status: Readonly<AutosaveStatus>) => void;
}

export interface AutosavedTraining {
  /** The engine's summary, once the run has ended and its last autosave is written. */
  done: Promise<TrainSummary>;
  /** Pauses the engine, then saves. */
  pause(): Promise<void>;
  /** Null when this run does not autosave. */
  autosaver: Autosaver | null;
}

const warnOnce = (message: string) => console.warn(`autosave failed, the previous autosave is kept: ${message}`);

/**
 * `api.train` with autosave: periodic saves as metrics arrive, one on pause, one when the run ends (finished or
 * stopped). A run that fails leaves the last autosave as it was.
 */
export function trainWithAutosave(api: EngineApi, opts: TrainOptions, onMetrics: (m: Metrics) => void, o: AutosavedTrainingOptions = {}): AutosavedTraining {
  const { store, setting = true, everySteps = 0 } = o;
  const timed = setting !== false;
  const custom = typeof setting === 'object' ? setting : {};
  const autosaver =
    store && (timed || everySteps > 0)
      ? createAutosaver({
          write: checkpointWriter(api, store, custom.name),
          now: o.now,
          intervalMs: timed ? (custom.intervalMs ?? AUTOSAVE_INTERVAL_MS) : Infinity,
          everySteps,
          onError: o.onError ?? warnOnce,
          onStatus: o.onStatus,
        })
      : null;
  const done = api
    .train(opts, (m) => {
      onMetrics(m);
      autosaver?.tick(m.step);
    })
    .then(async (summary) => {
      // The engine's step, not the last metrics update's: a stop can land a few (unreported) steps later.
      if (autosaver) await autosaver.flush((await api.modelInfo().catch(() => null))?.step);
      return summary;
    });
  return {
    done,
    autosaver,
    async pause() {
      await api.pause();
      await autosaver?.flush();
    },
  };
}
