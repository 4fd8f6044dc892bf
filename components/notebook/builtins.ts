// The names every cell can use besides its own: the lab, charts, inputs, tfjs, widgets, and the page's quick flag.
import { WASM_PATH } from '@/lib/engine/basePath';
import type { EngineConnection } from '@/lib/engine/client';
import type { CheckpointsOptions } from '@/components/panels/checkpoints';
import type { DataPickerOptions } from '@/components/panels/dataPicker';
import type { InsightBuiltin } from '@/components/panels/insight';
import type { TrainerOptions } from '@/components/panels/trainer';
import type { LiveChartOptions } from '@/components/panels/liveChart';
import type { Lab } from '@/lib/engine/lab';

/**
 * A thenable that starts loading only when something awaits it, so a notebook that never touches
 * tfjs or Plot never downloads them. Observable's runtime awaits thenable builtins like promises.
 */
export function lazy<T>(load: () => Promise<T>): PromiseLike<T> {
  let p: Promise<T> | null = null;
  return {
    then(onFulfilled, onRejected) {
      p ??= load();
      return p.then(onFulfilled, onRejected);
    },
  };
}

// Every insight panel by name; a Record so the compiler flags a panel added to or dropped from components/panels/insight.
const INSIGHT: Record<InsightBuiltin, true> = { attentionExplorer: true, usagePanel: true, growthPanel: true, runsPanel: true };

export interface BuiltinDeps {
  engine: Promise<EngineConnection>;
  /** `?quick=1`: cells shrink models and step counts so the whole notebook runs in seconds. */
  quick: boolean;
  /** The notebook's front-matter `defaults` (e.g. preset, steps), read by cells as `defaults.steps`. */
  defaults?: Record<string, unknown>;
  /** The `lab` object for an engine connection (lib/engine/lab's createLab). */
  createLab?: (conn: EngineConnection, quick: boolean) => unknown;
}

/**
 * Builtins are values or promises, never bare functions: Observable's runtime treats a function as a
 * variable definition and would call it. Widget factories therefore arrive as promises of functions,
 * which also makes a cell that uses them wait for the engine.
 */
export function makeBuiltins({ engine, quick, createLab, defaults = {} }: BuiltinDeps): Record<string, unknown> {
  // One lab per connection: cells and the trainer widget share it (its autosave store, its mirror of the runs).
  const lab = createLab ? engine.then((c) => createLab(c, quick) as Lab) : null;
  const builtins: Record<string, unknown> = {
    quick,
    defaults: Object.freeze({ ...defaults }),
    engine: engine.then((c) => c.api),
    backend: engine.then((c) => c.info),
    // It trains through the lab, so its runs autosave (into this browser's IndexedDB) and follow the run's schedule.
    trainer: lazy(async () => {
      const [{ trainer }, l] = await Promise.all([import('@/components/panels/trainer'), lab ?? engine.then(async (c) => (await import('@/lib/engine/lab')).createLab(c))]);
      return (opts?: TrainerOptions) => trainer(l, opts);
    }),
    // The live run chart: `chart({ runs: 'current' | 'all' | [names], x: 'step' | 'tokens' | 'flops' })`.
    chart: lazy(async () => {
      const [{ liveChart }, c] = await Promise.all([import('@/components/panels/liveChart'), engine]);
      return (opts?: LiveChartOptions) => liveChart(c.runs, opts);
    }),
    dataPicker: lazy(async () => {
      const [{ dataPicker }, c] = await Promise.all([import('@/components/panels/dataPicker'), engine]);
      return (opts?: DataPickerOptions) => dataPicker(c.api, opts);
    }),
    // The three files of a published TokenFormer: dropped, chosen or fetched (and cached); no engine needed.
    modelFiles: lazy(async () => (await import('@/components/panels/modelFiles')).modelFiles),
    // Checkpoints in this browser's IndexedDB: the same database the lab's save/load/autosave use (lib/io/checkpointStoreIdb).
    checkpoints: lazy(async () => {
      const [{ checkpoints }, { idbCheckpointStore }, { createLab: makeLab }, c] = await Promise.all([import('@/components/panels/checkpoints'), import('@/lib/io/checkpointStoreIdb'), import('@/lib/engine/lab'), engine]);
      const store = idbCheckpointStore();
      // Saves and loads go through the notebook's lab (the same store), so they are recorded like a cell's.
      const l = lab ? await lab : makeLab(c, { store });
      return (opts?: CheckpointsOptions) => checkpoints(l, c.api, store, opts);
    }),
    // The insight panels (attention maps, usage, growth controls, runs), bound to this engine like trainer().
    ...Object.fromEntries(
      (['attentionExplorer', 'usagePanel', 'growthPanel', 'runsPanel'] as const).map((name) => [
        name,
        lazy(async () => {
          const [{ bindInsight }, c] = await Promise.all([import('@/components/panels/insight'), engine]);
          return bindInsight(c.api, c.runs)[name];
        }),
      ]),
    ),
    Plot: lazy(() => import('@observablehq/plot')),
    Inputs: lazy(() => import('@observablehq/inputs')),
    viz: lazy(() => import('@/components/viz')),
    tf: lazy(async () => {
      const [tf, { selectBackend }, conn] = await Promise.all([
        import('@tensorflow/tfjs'),
        import('@/lib/engine/backend'),
        engine.catch(() => null),
      ]);
      // The page's tfjs runs on the backend the engine chose (tfjs would default to WebGL), so a cell that checks its
      // own math against the engine compares like with like, and a browser whose WebGL is broken is not used.
      await selectBackend({ backend: conn?.info.backend, wasmPath: WASM_PATH });
      return tf;
    }),
  };
  for (const name of Object.keys(INSIGHT) as InsightBuiltin[]) {
    builtins[name] = lazy(async () => {
      const [{ bindInsight }, c] = await Promise.all([import('@/components/panels/insight'), engine]);
      return bindInsight(c.api, c.runs)[name];
    });
  }
  if (lab) builtins.lab = lab;
  return builtins;
}
