// The `lab` object notebook cells use: a friendly, documented layer over the EngineApi (works in Node too).
import { PRESETS, type ModelConfig, type PresetName } from '../tokenformer/config';
import type { GrowOptions, GrowthEvent } from '../tokenformer/types';
import type { CheckpointStore, StoredCheckpointInfo } from '../io/checkpointStore';
import { SYNTHETIC_TASKS, loadBpeTokenizer, padVocab, type SyntheticTask } from '../data';
import type { EngineApi, ModelSpec, Progress, TrainSummary } from './api';
import { AUTOSAVE, trainWithAutosave, type AutosaveSetting, type AutosaveStatus, type AutosavedTraining } from './autosaver';
import { openPublished, standInConfig, type PublishedFiles } from './published';
import type { BackendInfo, DataInfo, DataSpec, Metrics, ModelInfo, RunRecord, TrainOptions } from './types';
import { caughtUp, mirrorRuns, type RunStore } from '../store/runStore';

/** Something that says "stop": a cell's invalidation promise or an AbortSignal. */
export type StopSignal = PromiseLike<unknown> | AbortSignal;

export interface LabTrainOptions extends TrainOptions {
  /** Stop training when this fires (pass the cell's `invalidation`). */
  signal?: StopSignal;
  /**
   * Autosave to this browser's store under `autosave`: on by default, at most every 60 s, on pause and at the end of the
   * run (stopped or finished). `false` turns it off; `{ intervalMs, name }` changes it.
   */
  autosave?: AutosaveSetting;
  /** Also autosave every this many steps (0: not); these saves happen even with `autosave: false`. */
  checkpointEvery?: number;
  /** Called after each autosave attempt of this run. */
  onAutosave?: (status: Readonly<AutosaveStatus>) => void;
}

/**
 * A training call in progress: iterate it for the metrics as they arrive (`for await (const m of run)`), or await
 * `done`. The history itself is the run's record (`run.record`, `lab.run()`), kept once, in the mirror.
 */
export interface TrainRun extends AsyncIterable<Metrics> {
  readonly done: Promise<TrainSummary>;
  /** The run this call trains, as the mirror holds it now (null until the mirror is connected). */
  readonly record: RunRecord | null;
  stop(): Promise<void>;
  /** Pauses, then autosaves. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** This run's autosave: last saved step, time, count, last error; null when the run does not autosave. */
  readonly autosave: Readonly<AutosaveStatus> | null;
}

export { AUTOSAVE };

/** Metrics kept for an iterator that has not caught up; older ones are dropped (the run's record keeps the points). */
const MAX_QUEUED = 256;

function onStop(signal: StopSignal | undefined, fn: () => void) {
  if (!signal) return;
  if ('aborted' in signal) {
    if (signal.aborted) fn();
    else signal.addEventListener('abort', fn, { once: true });
  } else signal.then(fn, fn);
}

async function toDataSpec(data: string | DataSpec | Blob, seed: number): Promise<DataSpec> {
  if (typeof data === 'string') {
    const task = data.replace(/^synthetic:/, '');
    if (!(SYNTHETIC_TASKS as readonly string[]).includes(task)) throw new Error(`unknown synthetic task "${data}" (known: ${SYNTHETIC_TASKS.join(', ')}); for your own text pass a File`);
    return { kind: 'synthetic', task: task as SyntheticTask, seed };
  }
  if (typeof Blob !== 'undefined' && data instanceof Blob) {
    const name = (data as File).name ?? 'file';
    const bytes = new Uint8Array(await data.arrayBuffer());
    const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b;
    return isZip || /^enwik8/.test(name) ? { kind: 'enwik8', name, bytes, partial: bytes.length < 100_000_000 && !isZip } : { kind: 'text', name, bytes };
  }
  return data as DataSpec;
}

export function createLab(conn: { api: EngineApi; info: BackendInfo; runs?: RunStore }, opts: { quick?: boolean; store?: CheckpointStore } = {}) {
  const { api } = conn;
  // One mirror per engine: the connection's (in the page), or one of its own (Node).
  let mirrorNow: RunStore | null = conn.runs ?? null;
  const mirror: Promise<RunStore> = mirrorNow ? Promise.resolve(mirrorNow) : mirrorRuns(api).then((m) => (mirrorNow = m));
  mirror.catch(() => undefined);
  /** The mirror, once it has every change the engine made so far (the stream can lag behind call answers). */
  const synced = async (): Promise<RunStore> => {
    const m = await mirror;
    await caughtUp(m, await api.syncPoint());
    return m;
  };
  const record = (id?: string | null): RunRecord | null => {
    const runs = mirrorNow?.getState().runs ?? [];
    return (id ? runs.find((r) => r.id === id || r.name === id) : runs[runs.length - 1]) ?? null;
  };
  const quick = !!opts.quick;
  const store = opts.store;
  const requireStore = () => {
    if (!store) throw new Error('no checkpoint store here (browser IndexedDB is used in the app)');
    return store;
  };
  /** The run lab.train started last, while it runs (the engine trains one run at a time). */
  let active: AutosavedTraining | null = null;

  const lab = {
    /** The backend in use and why others were skipped. */
    backend: conn.info,
    presets: PRESETS,
    /** True in quick mode (`?quick=1`): notebooks shrink step counts so they run in seconds. */
    quick,
    /** `n` normally, `q` in quick mode. */
    steps: (n: number, q = Math.max(2, Math.round(n / 50))) => (quick ? q : n),

    /** Creates a fresh model: `lab.model('tiny')`, `lab.model({ preset: 'micro', config: { arch: 'transformer' } })`. */
    async model(spec: PresetName | ModelSpec = 'tiny', config?: Partial<ModelConfig>): Promise<ModelInfo> {
      const s: ModelSpec = typeof spec === 'string' ? { preset: spec, config } : spec;
      return api.createModel(s);
    },
    info: () => api.modelInfo(),

    /** Loads training data: a synthetic task name (`'copy'`), a File (text, enwik8.zip, raw enwik8) or a DataSpec. */
    async data(data: string | DataSpec | Blob = 'mix', o: { seed?: number; onProgress?: (p: Progress) => void } = {}): Promise<DataInfo> {
      return api.loadData(await toDataSpec(data, o.seed ?? 0), o.onProgress);
    },

    /** Starts training; returns at once with a TrainRun to iterate or await. */
    train(o: LabTrainOptions): TrainRun {
      const { signal, checkpointEvery = 0, autosave, onAutosave, ...trainOpts } = o;
      const queue: Metrics[] = [];
      const waiters: (() => void)[] = [];
      let finished = false;
      let runId: string | null = record()?.id ?? null;
      const wake = () => waiters.splice(0).forEach((w) => w());
      const training = trainWithAutosave(
        api,
        trainOpts,
        (m) => {
          runId = m.runId ?? runId;
          queue.push(m);
          if (queue.length > MAX_QUEUED) queue.shift();
          wake();
        },
        { store, setting: autosave, everySteps: checkpointEvery, onStatus: onAutosave },
      );
      active = training;
      const done = training.done.then(async (s) => (await synced().catch(() => null), s)).finally(() => {
        finished = true;
        if (active === training) active = null;
        wake();
      });
      // A signal that fires after this run ended must not stop a later run (perhaps another cell's).
      onStop(signal, () => {
        if (!finished) void api.stop();
      });
      return {
        done,
        get record() {
          return record(runId);
        },
        stop: () => api.stop(),
        pause: () => training.pause(),
        resume: () => api.resume(),
        get autosave() {
          return training.autosaver?.status ?? null;
        },
        async *[Symbol.asyncIterator]() {
          for (;;) {
            while (queue.length) yield queue.shift()!;
            if (finished) break;
            await new Promise<void>((r) => waiters.push(r));
          }
          await done; // surfaces a training error in the iterating cell
        },
      };
    },

    stop: () => api.stop(),
    /** Pauses the run; one started by lab.train autosaves then. */
    pause: () => (active ? active.pause() : api.pause()),
    resume: () => api.resume(),
    /** Appends parameter tokens; during training it happens between two steps. */
    grow: (o: GrowOptions): Promise<GrowthEvent> => api.grow(o),
    evaluate: (o?: Parameters<EngineApi['evaluate']>[0]) => api.evaluate(o),
    /** Samples a continuation of `prompt`. */
    generate: (prompt: string, o: { tokens?: number; temperature?: number; topK?: number; seed?: number } = {}) =>
      api.generate({ prompt, maxNewTokens: o.tokens ?? 100, temperature: o.temperature ?? 0.8, topK: o.topK, seed: o.seed }),
    /** Sets the tokenizer: a tokenizer.json (File, text or bytes), or null for bytes. */
    async tokenizer(source: Blob | string | Uint8Array | null) {
      if (source === null) return api.setTokenizer(null);
      if (typeof source === 'string' || source instanceof Uint8Array) return api.setTokenizer({ json: source });
      return api.setTokenizer({ json: new Uint8Array(await source.arrayBuffer()), name: (source as File).name ?? 'tokenizer.json' });
    },
    tokenize: (text: string) => api.tokenize(text),
    /** Per-token loss of `text` (heatmap with viz.tokenLossMap), with loss, perplexity and bits per byte. */
    textLoss: (text: string, o?: { window?: number; maxTokens?: number }) => api.textLoss(text, o),
    /** Opens a published TokenFormer: pytorch_model.bin + eval YAML + tokenizer.json (see notebooks/real-tokenformer.md). */
    openPublished: (files: PublishedFiles) => openPublished(api, files),
    /** A small model of the published models' shape family, for when their files are not at hand. */
    async standIn(o: { tokenizer?: { name: string; text: string | Uint8Array }; seed?: number } = {}) {
      // The stand-in takes the tokenizer's padded vocabulary, as a published model would.
      const vocab = o.tokenizer ? padVocab(loadBpeTokenizer(o.tokenizer.text, o.tokenizer.name).vocabSize) : 256;
      await api.setTokenizer(null);
      const info = await api.createModel({ config: standInConfig(vocab), name: 'stand-in TokenFormer', seed: o.seed ?? 0 });
      if (o.tokenizer) await api.setTokenizer({ json: o.tokenizer.text, name: o.tokenizer.name });
      return (await api.modelInfo()) ?? info;
    },
    /** Token-to-parameter and token-to-token attention for a text, every layer, one pass. */
    attention: (text: string) => api.attention(text),
    usage: (o?: Parameters<EngineApi['usage']>[0]) => api.usage(o),
    memory: () => api.memory(),
    /** Every run's whole record, from the page's mirror of the engine (oldest first). */
    runs: async (): Promise<RunRecord[]> => (await synced()).getState().runs,
    /** One run by id or name; the current run without one. */
    run: async (id?: string): Promise<RunRecord | null> => (await synced(), record(id)),
    /** The mirror itself, for widgets that redraw as it changes (components/panels). */
    mirror: () => mirror,

    /** Saves the model (with optimizer state) in the browser under `name`. */
    async save(name = 'checkpoint'): Promise<StoredCheckpointInfo> {
      const info = await api.modelInfo();
      if (!info) throw new Error('no model to save');
      return requireStore().save(name, await api.saveCheckpoint({ includeOptimizer: true, name }), { step: info.step, params: info.params });
    },
    /** Loads a checkpoint saved in the browser (`'autosave'` is the latest training autosave), or from bytes/a File. */
    /** `name`: the name of the run the loaded model's training is recorded under (default: the file's). */
    /** `filename`: what the file is called in messages and format checks (default: the File's name). */
    async load(source: string | Uint8Array | Blob = AUTOSAVE, o: { name?: string; filename?: string } = {}): Promise<ModelInfo> {
      const { filename, ...opts } = o;
      if (typeof source === 'string') {
        const bytes = await requireStore().load(source);
        if (!bytes) throw new Error(`no checkpoint named "${source}" in this browser`);
        return api.loadCheckpoint(bytes, filename ?? `${source}.safetensors`, opts);
      }
      if (source instanceof Uint8Array) return api.loadCheckpoint(source, filename ?? 'checkpoint.safetensors', opts);
      // A File goes as a Blob: the engine reads it one tensor at a time instead of holding it whole.
      return api.loadCheckpoint(source, filename ?? (source as File).name ?? 'upload.safetensors', opts);
    },
    checkpoints: () => requireStore().list(),
    deleteCheckpoint: (name: string) => requireStore().delete(name),
    /** The checkpoint as bytes (a .safetensors file), e.g. to download. */
    checkpointBytes: (includeOptimizer = false) => api.saveCheckpoint({ includeOptimizer }),
  };
  return lab;
}

export type Lab = ReturnType<typeof createLab>;
