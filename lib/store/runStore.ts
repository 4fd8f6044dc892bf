// The page's one mirror of the engine's runs: a zustand store fed by the engine's run stream (Engine.subscribe).
// It applies the same operations as the engine (lib/engine/run.ts), so it holds the same bounded history; notebooks,
// widgets and the header read it and keep no copies of their own.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EngineApi } from '../engine/api';
import { MAX_RUNS, addCheckpoint, addGrowth, applyMetrics } from '../engine/run';
import type { EngineStatus, Metrics, RunRecord, RunUpdate } from '../engine/types';

export interface RunsState {
  /** Every run, oldest first; a changed run is a new object (its lists copied), so selectors see the change. */
  runs: RunRecord[];
  /** The engine's state, memory and parameter count as of the last update. */
  status: EngineStatus | null;
  /** The latest metrics message (live numbers: tokens/s, ETA). */
  last: Metrics | null;
  /** Bumped on every update. */
  version: number;
  /** The engine's `seq` of the last update applied. */
  seq: number;
  /** Starts over from a snapshot (subscribe's answer). */
  reset(runs: RunRecord[], status: EngineStatus | null, seq?: number): void;
  apply(u: RunUpdate): void;
}

export type RunStore = StoreApi<RunsState>;

/** A copy whose lists can be changed without touching the old object (points themselves are never changed). */
const thaw = (r: RunRecord): RunRecord => ({
  ...r,
  points: r.points.slice(),
  evals: r.evals.slice(),
  growth: r.growth.slice(),
  divergence: r.divergence.slice(),
  checkpoints: r.checkpoints.slice(),
});

export function createRunStore(): RunStore {
  return createStore<RunsState>()((set, get) => ({
    runs: [],
    status: null,
    last: null,
    version: 0,
    seq: 0,
    reset: (runs, status, seq = 0) => set({ runs, status, last: null, version: get().version + 1, seq }),
    apply: (u) => {
      const s = get();
      let runs = s.runs;
      if (u.run) {
        const at = runs.findIndex((r) => r.id === u.run!.id);
        runs = at >= 0 ? runs.map((r, i) => (i === at ? u.run! : r)) : [...runs, u.run].slice(-MAX_RUNS);
      } else if (u.runId && (u.metrics || u.growth || u.checkpoint)) {
        runs = runs.map((r) => {
          if (r.id !== u.runId) return r;
          const next = thaw(r);
          if (u.growth) addGrowth(next, u.growth);
          if (u.checkpoint) addCheckpoint(next, u.checkpoint);
          if (u.metrics) applyMetrics(next, u.metrics);
          return next;
        });
      }
      set({ runs, status: u.status, last: u.metrics ?? s.last, version: s.version + 1, seq: Math.max(s.seq, u.seq ?? 0) });
    },
  }));
}

/** Subscribes `api`'s run stream into a new store (bounded like the engine: MAX_RUNS runs, each bounded). */
export async function mirrorRuns(api: Pick<EngineApi, 'subscribe'>): Promise<RunStore> {
  const store = createRunStore();
  const buffered: RunUpdate[] = [];
  let ready = false;
  const { runs, status, seq } = await api.subscribe((u) => {
    if (ready) store.getState().apply(u);
    else buffered.push(u);
  });
  store.getState().reset(runs, status, seq);
  ready = true;
  // The engine registers the listener and takes the snapshot in one turn, so every update that arrived before the
  // snapshot (over another port) happened after it.
  for (const u of buffered) store.getState().apply(u);
  return store;
}

/**
 * Resolves once `store` has applied the engine's update `seq` (everything the engine did before that call), or after
 * `timeoutMs` if the stream went quiet (a page whose listener was dropped): callers then read what there is.
 */
export function caughtUp(store: RunStore, seq: number, timeoutMs = 5000): Promise<void> {
  if (store.getState().seq >= seq) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    const unsubscribe = store.subscribe((s) => s.seq >= seq && done());
  });
}

/** The run a metrics stream belongs to right now: the last one. */
export const currentRun = (s: Pick<RunsState, 'runs'>): RunRecord | null => s.runs[s.runs.length - 1] ?? null;
