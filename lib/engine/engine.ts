// The Engine: model + optimizer + data + run loop behind the EngineApi, the same code in Node and in the worker.
import * as tf from '@tensorflow/tfjs-core';
import { preset, validateConfig, type ModelConfig } from '../tokenformer/config';
import type { AttentionMaps, GrowOptions, GrowthEvent, GrowthState } from '../tokenformer/types';
import type { EngineApi, EngineState, InitOptions, ModelSpec, Progress, TrainSummary, UsageStats } from './api';
import { selectBackend } from './backend';
import { buildCorpus, type Corpus } from './data';
import { Trainer } from './trainer';
import { computeUsage } from './usage';
import { byteTokenizer, decode, type TokenIds, type Tokenizer } from '../data';
import { makeTokenizer, textLoss, tokenizerFitError, tokenizerInfo, type TextLoss, type TokenizerInfo } from './text';
import { blobSource, encodeCheckpoint, openAnyCheckpoint, toByteSource, type ByteSource } from '../io';
import { createModel, modelFromTensorStream, type LanguageModel } from '../tokenformer/model';
import { generate as sample } from '../train/sample';
import { evaluateOn, modelLayout } from './glue';
import { checkBatchSize, checkBudget, resolveBudget, type MemoryBudget } from './budget';
import { estimateMemory, stateMemory, type MemoryEstimate, type StepShape } from '../tokenformer/memory';
import { planGrowth } from '../tokenformer/growth';
import { MAX_THREADS, replicaMemory, type ShardRunner } from '../train/dataParallel';
import { checkParity, type ParityFiles, type ParityOptions, type ParityReport } from './parity';
import { MAX_RUNS, addCheckpoint, addGrowth, applyMetrics, newRun, planSchedule, summarize } from './run';
import type { BackendInfo, DataInfo, DataSpec, EngineStatus, EvalResult, GenerateOptions, LrPlan, Metrics, ModelInfo, RunRecord, RunSummary, RunUpdate, TrainOptions } from './types';

export interface EngineOptions {
  wasmPath?: string;
  /** Unrecoverable faults outside any call (e.g. the GPU device was lost). */
  onFatal?: (message: string) => void;
  /** Bytes a model and its training step may take (default: a share of the device's memory, see budget.ts). */
  memoryBudget?: number | MemoryBudget;
  /**
   * Threads a training step is split over (data parallel, see docs/performance.md): 1 (the default) trains on this
   * thread exactly as before; more needs `shardRunner`, which runs the other shards' replicas.
   */
  dataParallel?: number;
  /** Makes the replicas for `dataParallel` > 1 once the backend is known (Node: cli/replicas/pool.ts, worker threads). */
  shardRunner?: (replicas: number, backend: 'wasm' | 'cpu') => ShardRunner;
}

/** Encoding text with BPE in JS runs at a few MB/s: beyond this, tokenizing the corpus would stall the engine. */
const MAX_BPE_CORPUS_BYTES = 16 * 1024 * 1024;

/** A learning-rate plan from a checkpoint's metadata, or null when it is absent or not a sane one. */
function readPlan(v: unknown): LrPlan | null {
  if (!v || typeof v !== 'object') return null;
  const p = v as Record<string, unknown>;
  const keys = ['startStep', 'lr', 'minLr', 'warmupSteps', 'totalSteps'] as const;
  if (!keys.every((k) => typeof p[k] === 'number' && Number.isFinite(p[k]) && (p[k] as number) >= 0)) return null;
  return Object.fromEntries(keys.map((k) => [k, p[k]])) as unknown as LrPlan;
}

export class EngineError extends Error {
  override name = 'EngineError';
}

export class Engine implements EngineApi {
  private backendInfo: BackendInfo | null = null;
  private model: LanguageModel | null = null;
  private corpus: Corpus | null = null;
  /** Text <-> ids for generate, attention, usage and text losses; bytes unless a tokenizer.json was set. */
  private tokenizer: Tokenizer = byteTokenizer;
  /** The corpus in the tokenizer's ids (the corpus itself when that is bytes), made on first use. */
  private tokenCorpus: { train: TokenIds; val: TokenIds; test: TokenIds } | null = null;
  /** Rows of every parameter when the model arrived (created or loaded): growth appends after these. */
  private baseRows = new Map<string, number>();
  private trainer: Trainer | null = null;
  private busy = false;
  /** The last generate() queued: generations run one after another (each awaits its read-backs). */
  private generating: Promise<unknown> = Promise.resolve();
  private nonFinite: string[] = [];
  private readonly runRecords: RunRecord[] = [];
  private memoryBudget: number | MemoryBudget | undefined;
  /** The batch of the run in progress, for sizing a growth asked for during it. */
  private trainShape: StepShape | undefined;
  private runCount = 0;
  private readonly listeners = new Map<number, (u: RunUpdate) => void>();
  private nextListener = 1;
  private seq = 0;
  /** Threads a training step is split over (EngineOptions.dataParallel; wasm's own threads are InitOptions.threads). */
  readonly dataParallel: number;
  /** The replicas of a data-parallel step (threads > 1), made at init for its backend. */
  private replicas: ShardRunner | null = null;

  constructor(private readonly opts: EngineOptions = {}) {
    this.memoryBudget = opts.memoryBudget;
    if (this.memoryBudget !== undefined) resolveBudget(this.memoryBudget);
    const threads = opts.dataParallel ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) throw new EngineError(`threads must be an integer from 1 to ${MAX_THREADS}, got ${threads}`);
    if (threads > 1 && !opts.shardRunner) throw new EngineError(`threads ${threads} needs replicas this host does not provide (worker threads: the CLI and bench in Node)`);
    this.dataParallel = threads;
  }

  async init(o: InitOptions = {}): Promise<BackendInfo> {
    if (o.memoryBudget !== undefined) {
      resolveBudget(o.memoryBudget);
      this.memoryBudget = o.memoryBudget;
    }
    this.backendInfo = await selectBackend({ backend: o.backend, measure: o.measure, prefer: o.prefer, threads: o.threads, wasmPath: this.opts.wasmPath });
    if (this.dataParallel > 1) {
      const backend = this.backendInfo.backend;
      if (backend !== 'wasm' && backend !== 'cpu') throw new EngineError(`${this.dataParallel} data-parallel threads run replicas on wasm or cpu, but the engine runs on ${backend}: use threads 1`);
      await this.replicas?.dispose();
      this.replicas = this.opts.shardRunner!(this.dataParallel - 1, backend);
    }
    if (this.backendInfo.backend === 'webgpu') {
      const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ message: string }> } }).device;
      device?.lost?.then((info) => this.opts.onFatal?.(`GPU device lost: ${info.message || 'no reason given'}`));
    }
    return this.backendInfo;
  }

  private async ensureBackend() {
    if (!this.backendInfo) await this.init();
  }

  private requireModel(): LanguageModel {
    if (!this.model) throw new EngineError('no model yet: create one (lab.model / createModel) or load a checkpoint first');
    return this.model;
  }

  private requireIdle(what: string) {
    if (this.trainer?.running) throw new EngineError(`cannot ${what} while training; stop or pause first`);
    if (this.busy) throw new EngineError(`cannot ${what}: the engine is busy`);
  }

  /** Refuses, before anything is allocated, what would not fit the memory budget (BudgetError). */
  private checkMemory(what: string, est: MemoryEstimate) {
    checkBudget(what, est, resolveBudget(this.memoryBudget, this.backendInfo?.backend));
  }

  /**
   * Throws what train(o) would refuse for size (batch bounds, the memory budget for the batch and every growth the
   * run schedules) without starting anything, so a host can fail before it loads data.
   */
  checkTrain(o: TrainOptions) {
    const m = this.requireModel();
    const batch = checkBatchSize(o.batchSize ?? 16);
    const seqLen = Math.min(o.seqLen ?? m.config.maxSeqLen, m.config.maxSeqLen);
    let growth = m.growth;
    let worst = this.trainMemory(growth, { batch, seqLen });
    for (const g of o.growAt ?? []) {
      growth = planGrowth(m.config, growth, g.grow).growth;
      const est = this.trainMemory(growth, { batch, seqLen });
      if (est.total > worst.total) worst = est;
    }
    this.checkMemory(`training with batch ${batch} × ${seqLen}${o.growAt?.length ? ' and its scheduled growth' : ''}`, worst);
    this.trainShape = { batch, seqLen };
  }

  /** A training step's memory, the replicas of a data-parallel step included. */
  private trainMemory(growth: GrowthState, step: StepShape | undefined): MemoryEstimate {
    const c = this.requireModel().config;
    const est = estimateMemory(c, growth, { mode: 'train', step });
    if (!step || this.dataParallel === 1) return est;
    const r = replicaMemory(c, growth, step, this.dataParallel);
    return { weights: est.weights + r.weights, gradients: est.gradients + r.gradients, optimizer: est.optimizer, activations: est.activations + r.activations, total: est.total + r.total };
  }

  /**
   * Checks a growth request and sizes the grown model before growModel allocates: until the swap, the grown
   * Pattentions' old variables and moments stay alive beside the new ones.
   */
  private checkGrowth(o: GrowOptions) {
    const m = this.requireModel();
    const plan = planGrowth(m.config, m.growth, o);
    const grown = this.trainMemory(plan.growth, this.trainer?.running ? this.trainShape : undefined);
    const old = stateMemory(Object.values(plan.changes).reduce((n, [before]) => n + before * 2 * m.config.hiddenSize, 0), 'train');
    const est = { ...grown, weights: grown.weights + old.weights, optimizer: grown.optimizer + old.optimizer };
    this.checkMemory('growing the model', { ...est, total: est.weights + est.gradients + est.optimizer + est.activations });
  }

  private setModel(model: LanguageModel, step: number, name: string) {
    if (tokenizerFitError(this.tokenizer, model.config.vocabSize)) this.useTokenizer(byteTokenizer);
    this.trainer?.dispose();
    this.model?.dispose();
    this.model = model;
    this.baseRows = new Map([...model.params].map(([n, p]) => [n, p.shape[0]]));
    this.trainer = new Trainer(
      model,
      step,
      (e) => {
        const run = this.currentRun;
        if (!run) return;
        addGrowth(run, e);
        this.publish({ runId: run.id, growth: e });
      },
      () => this.replicas,
    );
    const c = model.config;
    const n = this.runRecords.filter((r) => r.name === name || r.name.startsWith(`${name} #`)).length;
    const run = newRun(`run-${++this.runCount}`, n ? `${name} #${n + 1}` : name, { ...c, params: model.paramCount() }, model.paramCount());
    this.runRecords.push(run);
    if (this.runRecords.length > MAX_RUNS) this.runRecords.shift();
    this.publish({ run: structuredClone(run) });
  }

  private status(): EngineStatus {
    const m = tf.memory();
    const state: EngineStatus['state'] = this.trainer?.running ? (this.trainer.paused ? 'paused' : 'training') : this.busy ? 'busy' : 'idle';
    return { state, numTensors: m.numTensors, numBytes: m.numBytes, params: this.model?.paramCount() ?? null };
  }

  /** Sends one update to every subscriber; a failing subscriber (a page gone) is dropped, training goes on. */
  private publish(u: Omit<RunUpdate, 'status' | 'seq'>): void {
    this.seq++;
    if (!this.listeners.size) return;
    const update: RunUpdate = { seq: this.seq, status: this.status(), ...u };
    for (const [id, fn] of this.listeners) {
      try {
        const r = fn(update) as unknown;
        if (r instanceof Promise) r.catch(() => this.listeners.delete(id));
      } catch {
        this.listeners.delete(id);
      }
    }
  }

  /**
   * The run stream: every run's start, metrics (with each step's loss), growth and checkpoint, each with the
   * engine's state and memory. Resolves with a snapshot of every run to start a mirror from, and the id to unsubscribe.
   */
  async subscribe(listener: (u: RunUpdate) => void): Promise<{ id: number; seq: number; runs: RunRecord[]; status: EngineStatus }> {
    const id = this.nextListener++;
    this.listeners.set(id, listener);
    return { id, seq: this.seq, runs: structuredClone(this.runRecords), status: this.status() };
  }

  /**
   * The last update's `seq`. The stream travels on its own message port, so an answer can overtake it: a mirror
   * that has reached this number has seen everything done before this call.
   */
  async syncPoint(): Promise<number> {
    return this.seq;
  }

  async unsubscribe(id: number): Promise<void> {
    this.listeners.delete(id);
  }

  private get currentRun(): RunRecord | undefined {
    return this.runRecords[this.runRecords.length - 1];
  }

  async createModel(spec: ModelSpec): Promise<ModelInfo> {
    await this.ensureBackend();
    this.requireIdle('create a model');
    const config: ModelConfig = validateConfig({ ...preset(spec.preset ?? 'tiny'), ...spec.config });
    this.checkMemory('this model', estimateMemory(config, undefined, { mode: 'train' }));
    this.nonFinite = [];
    this.setModel(createModel(config, { seed: spec.seed ?? 0 }), 0, spec.name ?? `${spec.preset ?? 'tiny'} ${config.arch}`);
    return this.info();
  }

  async modelInfo(): Promise<ModelInfo | null> {
    return this.model ? this.info() : null;
  }

  private info(): ModelInfo {
    const m = this.requireModel();
    return {
      config: m.config,
      params: m.paramCount(),
      flopsPerToken: m.flopsPerToken(m.config.maxSeqLen),
      growth: structuredClone(m.growth),
      step: this.trainer?.step ?? 0,
      tokenizer: tokenizerInfo(this.tokenizer),
    };
  }

  async loadData(spec: DataSpec, onProgress?: (p: Progress) => void): Promise<DataInfo> {
    this.requireIdle('load data');
    this.corpus = await buildCorpus(spec, onProgress);
    this.tokenCorpus = null;
    const c = this.corpus;
    return {
      name: c.name,
      trainBytes: c.train.length,
      valBytes: c.val.length,
      testBytes: c.test.length,
      sample: decode(c.train.subarray(0, 200)).replace(/\ufffd{1,3}$/, ''),
    };
  }

  private requireCorpus(): Corpus {
    if (!this.corpus) throw new EngineError('no data loaded: call loadData (lab.data) first');
    return this.corpus;
  }

  async train(o: TrainOptions, onMetrics: (m: Metrics) => void): Promise<TrainSummary> {
    // No await before the trainer starts: state() reads 'training' as soon as train() is called.
    this.requireModel();
    const corpus = this.requireCorpus();
    if (this.nonFinite.length) throw new EngineError(`refusing to train: the loaded weights hold NaN or Inf (${this.nonFinite.slice(0, 3).join('; ')})`);
    this.requireIdle('start training');
    this.checkTrain(o);
    const run = this.currentRun!;
    const freeze = o.trainOnly === 'new-tokens' ? this.frozenForNewTokens() : undefined;
    // The plan belongs to the run: a later call continues it, growth keeps it.
    run.schedule = planSchedule(run.schedule, o, this.trainer!.step);
    const done = this.trainer!.run(o, this.tokensOf(corpus), (m) => {
      const tagged = { ...m, runId: run.id };
      applyMetrics(run, tagged);
      this.publish({ runId: run.id, metrics: tagged });
      onMetrics(tagged);
    }, freeze, run.schedule, this.tokenizer);
    this.publish({ run: structuredClone(run) });
    return done
      .then((summary) => {
        // A plan that diverged is not one to continue: the next call starts afresh (with its own or default rates).
        if (summary.divergence) {
          run.schedule = null;
          this.publish({ run: structuredClone(run) });
        }
        return summary;
      })
      .finally(() => this.publish({ runId: run.id }));
  }

  /** Every parameter frozen except the rows growth appended since the model arrived. */
  private frozenForNewTokens(): Map<string, number> {
    const freeze = new Map<string, number>();
    let grown = 0;
    for (const [name, p] of this.requireModel().params) {
      const base = this.baseRows.get(name) ?? 0;
      const rows = p.shape[0];
      const tokens = /_param_tokens$/.test(name) && rows > base;
      if (tokens) grown++;
      freeze.set(name, tokens ? base : rows);
    }
    if (!grown) throw new EngineError("trainOnly: 'new-tokens' needs new parameter tokens: grow the model first");
    return freeze;
  }

  async pause() {
    this.trainer?.pause();
  }

  async resume() {
    this.trainer?.resume();
  }

  async stop() {
    this.trainer?.stop();
  }

  async grow(o: GrowOptions): Promise<GrowthEvent> {
    this.checkGrowth(o);
    return this.trainer!.grow(o);
  }

  /** Every run, without its points and evaluations (cheap to poll). */
  async runs(): Promise<RunSummary[]> {
    return this.runRecords.map(summarize);
  }

  /** One run's whole (bounded) record; the current run when no id is given. */
  async run(id?: string): Promise<RunRecord | null> {
    const r = id === undefined ? this.currentRun : this.runRecords.find((x) => x.id === id);
    return r ? structuredClone(r) : null;
  }

  async evaluate(o: { split?: 'val' | 'test'; batches?: number; batchSize?: number; seqLen?: number } = {}): Promise<EvalResult> {
    const model = this.requireModel();
    const corpus = this.requireCorpus();
    const tokens = this.tokensOf(corpus);
    const data = o.split === 'test' ? tokens.test : tokens.val;
    const step = { batch: checkBatchSize(o.batchSize ?? 8), seqLen: Math.min(o.seqLen ?? model.config.maxSeqLen, model.config.maxSeqLen) };
    this.checkMemory(`evaluating with batch ${step.batch} × ${step.seqLen}`, estimateMemory(model.config, model.growth, { mode: 'infer', step }));
    return evaluateOn(model, data, { batches: o.batches ?? 8, batchSize: step.batch, seqLen: step.seqLen, tokenizer: this.tokenizer });
  }

  async generate(o: GenerateOptions): Promise<{ text: string; ids: number[] }> {
    // Sampling reads logits back asynchronously (a synchronous read breaks WebGPU in a worker), so two calls can
    // overlap, e.g. from two notebook cells: they queue instead of the second failing as busy.
    const previous = this.generating;
    const turn = previous.then(() => this.generateNow(o));
    this.generating = turn.catch(() => undefined);
    return turn;
  }

  private async generateNow(o: GenerateOptions): Promise<{ text: string; ids: number[] }> {
    const model = this.requireModel();
    this.requireIdle('generate');
    this.busy = true;
    try {
      const tok = this.tokenizer;
      const prompt = tok.encode(o.prompt).slice(-model.config.maxSeqLen);
      // An empty prompt starts from end-of-text (BPE) or a newline, the most neutral byte in text corpora.
      const start = prompt.length ? prompt : [tok.eos ?? 10];
      // Padded embedding rows are no token: never sample them.
      const ids = await sample(model, start, { maxNewTokens: o.maxNewTokens, temperature: o.temperature ?? 1, topK: o.topK, seed: o.seed ?? 0, vocabLimit: tok.vocabSize });
      return { text: tok.decode(ids), ids };
    } finally {
      this.busy = false;
    }
  }

  /** Logits [B, T, V] (row-major) and the fixtures' loss for a batch of equal-length id rows. */
  async logits(ids: number[][]): Promise<{ logits: Float32Array; shape: [number, number, number]; loss: number }> {
    const model = this.requireModel();
    const B = ids.length;
    const T = ids[0]?.length ?? 0;
    if (!B || !T || ids.some((r) => r.length !== T)) throw new EngineError('ids must be a non-empty [B][T] array of equal-length rows');
    const V = model.config.vocabSize;
    for (const row of ids) for (const id of row) if (!Number.isInteger(id) || id < 0 || id >= V) throw new EngineError(`token id ${id} is outside the vocabulary [0, ${V})`);
    if (T > model.config.maxSeqLen) throw new EngineError(`sequence length ${T} exceeds the model's context ${model.config.maxSeqLen}`);
    const x = tf.tensor2d(ids.flat(), [B, T], 'int32'); // [B, T]
    try {
      const logits = model.logits(x); // [B, T, V]
      const loss = T > 1 ? model.loss(x) : null;
      const out = { logits: (await logits.data()) as Float32Array, shape: [B, T, V] as [number, number, number], loss: loss ? (await loss.data())[0] : NaN };
      tf.dispose(loss ? [logits, loss] : [logits]);
      return out;
    } finally {
      x.dispose();
    }
  }

  async attention(text: string): Promise<AttentionMaps> {
    const model = this.requireModel();
    const ids = this.tokenizer.encode(text).slice(0, model.config.maxSeqLen);
    if (ids.length === 0) throw new EngineError('attention needs a non-empty text');
    const maps = await model.attentionMaps(ids);
    return this.tokenizer.kind === 'byte' ? maps : { ...maps, labels: ids.map((id) => this.tokenizer.piece(id)) };
  }

  async usage(o: { windows?: number; seqLen?: number; k?: number; contexts?: number } = {}): Promise<UsageStats> {
    const model = this.requireModel();
    const corpus = this.requireCorpus();
    const tokens = this.tokensOf(corpus);
    const tok = this.tokenizer;
    return computeUsage(model, tokens.val.length >= 2 ? tokens.val : tokens.train, o, tok.kind === 'byte' ? undefined : (id) => tok.piece(id));
  }

  /**
   * Sets the tokenizer: `null` or 'byte' for the byte vocabulary, or a tokenizer.json (e.g. GPT-NeoX-20B's).
   * Refused when the loaded model has fewer embedding rows than the tokenizer has ids.
   */
  async setTokenizer(source: null | 'byte' | { json: string | Uint8Array; name?: string }): Promise<TokenizerInfo> {
    this.requireIdle('change the tokenizer');
    const t = makeTokenizer(source);
    const misfit = this.model && tokenizerFitError(t, this.model.config.vocabSize);
    if (misfit) throw new EngineError(misfit);
    this.useTokenizer(t);
    return tokenizerInfo(t);
  }

  private useTokenizer(t: Tokenizer) {
    this.tokenizer = t;
    this.tokenCorpus = null;
  }

  /** Ids and display pieces of a text under the current tokenizer. */
  async tokenize(text: string): Promise<{ ids: number[]; pieces: string[] }> {
    const ids = this.tokenizer.encode(text);
    return { ids, pieces: ids.map((id) => this.tokenizer.piece(id)) };
  }

  /** Per-token loss of a text, with loss, perplexity and bits per byte over it. */
  async textLoss(text: string, o: { window?: number; maxTokens?: number } = {}): Promise<TextLoss> {
    // Read-only, like attention(): it may run beside a generation or between training steps.
    return textLoss(this.requireModel(), this.tokenizer, text, o);
  }

  /** The corpus as ids of the current tokenizer (bytes pass through; BPE encodes each split once). */
  private tokensOf(corpus: Corpus): { train: TokenIds; val: TokenIds; test: TokenIds } {
    const tok = this.tokenizer;
    if (tok.kind === 'byte') return corpus;
    if (!this.tokenCorpus) {
      const bytes = corpus.train.length + corpus.val.length + corpus.test.length;
      if (bytes > MAX_BPE_CORPUS_BYTES) throw new EngineError(`the data is ${bytes.toLocaleString('en-US')} bytes; BPE training in the lab takes at most ${MAX_BPE_CORPUS_BYTES / 2 ** 20} MiB (cut it, or train on the cluster: export-neox)`);
      const ids = (b: Uint8Array) => Int32Array.from(tok.encode(decode(b)));
      this.tokenCorpus = { train: ids(corpus.train), val: ids(corpus.val), test: ids(corpus.test) };
    }
    return this.tokenCorpus;
  }

  async saveCheckpoint(o: { includeOptimizer?: boolean; name?: string } = {}): Promise<Uint8Array> {
    const model = this.requireModel();
    const run = this.currentRun;
    const step = this.trainer?.step ?? 0;
    const bytes = await encodeCheckpoint({
      tensors: await model.toTensors(),
      config: model.config,
      growth: model.growth,
      step: this.trainer?.step ?? 0,
      optimizer: o.includeOptimizer ? await this.trainer?.optimizerState() : undefined,
      // Counters for compute-axis plots continue after a reload.
      // and the learning-rate plan, so training resumed from this file continues it.
      training: { tokensSeen: this.trainer?.tokensSeen ?? 0, flops: this.trainer?.flops ?? 0, schedule: run?.schedule ?? null },
      layout: modelLayout,
    });
    if (run) {
      const event = { step, name: o.name, bytes: bytes.length, at: Date.now() };
      addCheckpoint(run, event);
      this.publish({ runId: run.id, checkpoint: event });
    }
    return bytes;
  }

  /**
   * Loads any checkpoint (ours, reference safetensors or PyTorch .bin). `referenceConfig` (GPT-NeoX names) is used
   * when the file carries no config; `overrides` change the loaded config (e.g. the norm). A Blob (a dropped File) or
   * a ByteSource (a file on disk) is read one tensor at a time, straight into the backend.
   */
  async loadCheckpoint(input: Uint8Array | Blob | ByteSource, filename = 'checkpoint.safetensors', o: { referenceConfig?: Record<string, unknown>; overrides?: Partial<ModelConfig>; name?: string } = {}): Promise<ModelInfo> {
    await this.ensureBackend();
    this.requireIdle('load a checkpoint');
    const source = input instanceof Blob ? blobSource(input) : toByteSource(input);
    const ck = await openAnyCheckpoint(source, filename, { referenceConfig: o.referenceConfig, layout: modelLayout });
    if (!ck.config) throw new EngineError(`${filename} carries no model config: pass one (a reference config.json or .yml)`);
    const config = validateConfig({ ...ck.config, ...o.overrides });
    // Sized from the header alone, before any tensor is read.
    this.checkMemory(`the model in ${filename}`, stateMemory([...ck.shapes.values()].reduce((n, t) => n + t.shape.reduce((a, d) => a * d, 1), 0), 'train'));
    let optimizer: Awaited<ReturnType<typeof ck.read>>;
    const model = await modelFromTensorStream(config, ck.shapes, ck.growth, async (take) => (optimizer = await ck.read(take)));
    this.nonFinite = ck.warnings.filter((w) => /nan|inf|non-finite/i.test(w));
    this.setModel(model, ck.step ?? 0, o.name ?? filename.replace(/\.(safetensors|bin|pt)$/, ''));
    if (optimizer) this.trainer!.restoreOptimizer(optimizer);
    const t = ck.training as { tokensSeen?: unknown; flops?: unknown; schedule?: unknown } | undefined;
    if (typeof t?.tokensSeen === 'number' && typeof t.flops === 'number') {
      this.trainer!.tokensSeen = t.tokensSeen;
      this.trainer!.flops = t.flops;
    }
    const plan = readPlan(t?.schedule);
    if (plan) {
      this.currentRun!.schedule = plan;
      this.publish({ run: structuredClone(this.currentRun!) });
    }
    return this.info();
  }

  /** Reference-fixture parity on this engine's backend (lib/engine/parity.ts); leaves the engine's model alone. */
  async parity(files: ParityFiles, o: ParityOptions = {}): Promise<ParityReport> {
    await this.ensureBackend();
    this.requireIdle('check parity');
    return checkParity(this.backendInfo!, files, o);
  }

  async memory() {
    const m = tf.memory();
    return { numTensors: m.numTensors, numBytes: m.numBytes };
  }

  async state(): Promise<EngineState> {
    if (this.trainer?.running) return this.trainer.paused ? 'paused' : 'training';
    return this.busy ? 'busy' : 'idle';
  }

  async dispose() {
    this.trainer?.stop();
    this.trainer?.dispose();
    this.model?.dispose();
    this.trainer = null;
    this.model = null;
    const replicas = this.replicas;
    this.replicas = null;
    await replicas?.dispose();
  }
}
