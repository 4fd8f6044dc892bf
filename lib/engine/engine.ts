// The Engine: model + optimizer + data + run loop behind the EngineApi, the same code in Node and in the worker.
import * as tf from '@tensorflow/tfjs-core';
import { preset, validateConfig, type ModelConfig } from '../tokenformer/config';
import type { AttentionMaps, GrowOptions, GrowthEvent } from '../tokenformer/types';
import type { EngineApi, EngineState, ModelSpec, Progress, TrainSummary, UsageStats } from './api';
import { selectBackend } from './backend';
import { buildCorpus, type Corpus } from './data';
import { Trainer } from './trainer';
import { computeUsage } from './usage';
import { decode, encode } from '../data';
import { loadAnyCheckpoint, encodeCheckpoint } from '../io';
import { createModel, modelFromTensors, type LanguageModel } from '../tokenformer/model';
import { generate as sample } from '../train/sample';
import { evaluateOn, modelLayout } from './glue';
import { checkBatchSize, checkBudget, resolveBudget, type MemoryBudget } from './budget';
import { estimateMemory, stateMemory, type MemoryEstimate, type StepShape } from '../tokenformer/memory';
import { planGrowth } from '../tokenformer/growth';
import type { BackendInfo, BackendName, DataInfo, DataSpec, EvalResult, GenerateOptions, Metrics, ModelInfo, RunRecord, TrainOptions } from './types';

export interface EngineOptions {
  wasmPath?: string;
  /** Unrecoverable faults outside any call (e.g. the GPU device was lost). */
  onFatal?: (message: string) => void;
  /** Bytes a model and its training step may take (default: a share of the device's memory, see budget.ts). */
  memoryBudget?: number | MemoryBudget;
}

export class EngineError extends Error {
  override name = 'EngineError';
}

export class Engine implements EngineApi {
  private backendInfo: BackendInfo | null = null;
  private model: LanguageModel | null = null;
  private corpus: Corpus | null = null;
  private trainer: Trainer | null = null;
  private busy = false;
  /** The last generate() queued: generations run one after another (each awaits its read-backs). */
  private generating: Promise<unknown> = Promise.resolve();
  private nonFinite: string[] = [];
  private readonly runRecords: RunRecord[] = [];
  private memoryBudget: number | MemoryBudget | undefined;
  /** The batch of the run in progress, for sizing a growth asked for during it. */
  private trainShape: StepShape | undefined;

  constructor(private readonly opts: EngineOptions = {}) {
    this.memoryBudget = opts.memoryBudget;
    if (this.memoryBudget !== undefined) resolveBudget(this.memoryBudget);
  }

  async init(o: { backend?: BackendName; memoryBudget?: number | MemoryBudget } = {}): Promise<BackendInfo> {
    if (o.memoryBudget !== undefined) {
      resolveBudget(o.memoryBudget);
      this.memoryBudget = o.memoryBudget;
    }
    this.backendInfo = await selectBackend({ backend: o.backend, wasmPath: this.opts.wasmPath });
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
    let worst = estimateMemory(m.config, growth, { mode: 'train', step: { batch, seqLen } });
    for (const g of o.growAt ?? []) {
      growth = planGrowth(m.config, growth, g.grow).growth;
      const est = estimateMemory(m.config, growth, { mode: 'train', step: { batch, seqLen } });
      if (est.total > worst.total) worst = est;
    }
    this.checkMemory(`training with batch ${batch} × ${seqLen}${o.growAt?.length ? ' and its scheduled growth' : ''}`, worst);
    this.trainShape = { batch, seqLen };
  }

  /**
   * Checks a growth request and sizes the grown model before growModel allocates: until the swap, the grown
   * Pattentions' old variables and moments stay alive beside the new ones.
   */
  private checkGrowth(o: GrowOptions) {
    const m = this.requireModel();
    const plan = planGrowth(m.config, m.growth, o);
    const grown = estimateMemory(m.config, plan.growth, { mode: 'train', step: this.trainer?.running ? this.trainShape : undefined });
    const old = stateMemory(Object.values(plan.changes).reduce((n, [before]) => n + before * 2 * m.config.hiddenSize, 0), 'train');
    const est = { ...grown, weights: grown.weights + old.weights, optimizer: grown.optimizer + old.optimizer };
    this.checkMemory('growing the model', { ...est, total: est.weights + est.gradients + est.optimizer + est.activations });
  }

  private setModel(model: LanguageModel, step: number, name: string) {
    this.trainer?.dispose();
    this.model?.dispose();
    this.model = model;
    this.trainer = new Trainer(model, step, (e) => this.currentRun?.growth.push(e));
    const c = model.config;
    const n = this.runRecords.filter((r) => r.name === name || r.name.startsWith(`${name} #`)).length;
    this.runRecords.push({
      id: `run-${this.runRecords.length + 1}`,
      name: n ? `${name} #${n + 1}` : name,
      config: { ...c, params: model.paramCount() },
      params: model.paramCount(),
      growth: [],
      metrics: [],
      startedAt: Date.now(),
    });
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
    };
  }

  async loadData(spec: DataSpec, onProgress?: (p: Progress) => void): Promise<DataInfo> {
    this.requireIdle('load data');
    this.corpus = await buildCorpus(spec, onProgress);
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
    return this.trainer!.run(o, corpus, (m) => {
      run.metrics.push(m);
      onMetrics(m);
    });
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

  async runs(): Promise<RunRecord[]> {
    return structuredClone(this.runRecords);
  }

  async evaluate(o: { split?: 'val' | 'test'; batches?: number; batchSize?: number; seqLen?: number } = {}): Promise<EvalResult> {
    const model = this.requireModel();
    const corpus = this.requireCorpus();
    const data = o.split === 'test' ? corpus.test : corpus.val;
    const step = { batch: checkBatchSize(o.batchSize ?? 8), seqLen: Math.min(o.seqLen ?? model.config.maxSeqLen, model.config.maxSeqLen) };
    this.checkMemory(`evaluating with batch ${step.batch} × ${step.seqLen}`, estimateMemory(model.config, model.growth, { mode: 'infer', step }));
    return evaluateOn(model, data, { batches: o.batches ?? 8, batchSize: o.batchSize ?? 8, seqLen: Math.min(o.seqLen ?? model.config.maxSeqLen, model.config.maxSeqLen) });
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
      const prompt = Array.from(encode(o.prompt));
      // An empty prompt starts from a newline, the most neutral byte in text corpora.
      const ids = await sample(model, prompt.length ? prompt : [10], { maxNewTokens: o.maxNewTokens, temperature: o.temperature ?? 1, topK: o.topK, seed: o.seed ?? 0 });
      return { text: decode(Uint8Array.from(ids)), ids };
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
    const ids = Array.from(encode(text)).slice(0, model.config.maxSeqLen);
    if (ids.length === 0) throw new EngineError('attention needs a non-empty text');
    return model.attentionMaps(ids);
  }

  async usage(o: { windows?: number; seqLen?: number; k?: number; contexts?: number } = {}): Promise<UsageStats> {
    const model = this.requireModel();
    const corpus = this.requireCorpus();
    return computeUsage(model, corpus.val.length >= 2 ? corpus.val : corpus.train, o);
  }

  async saveCheckpoint(o: { includeOptimizer?: boolean } = {}): Promise<Uint8Array> {
    const model = this.requireModel();
    return encodeCheckpoint({
      tensors: await model.toTensors(),
      config: model.config,
      growth: model.growth,
      step: this.trainer?.step ?? 0,
      optimizer: o.includeOptimizer ? await this.trainer?.optimizerState() : undefined,
      // Counters for compute-axis plots continue after a reload.
      training: { tokensSeen: this.trainer?.tokensSeen ?? 0, flops: this.trainer?.flops ?? 0 },
      layout: modelLayout,
    });
  }

  /**
   * Loads any checkpoint (ours, reference safetensors or PyTorch .bin). `referenceConfig` (GPT-NeoX names) is used
   * when the file carries no config; `overrides` change the loaded config (e.g. the norm).
   */
  async loadCheckpoint(bytes: Uint8Array, filename = 'checkpoint.safetensors', o: { referenceConfig?: Record<string, unknown>; overrides?: Partial<ModelConfig>; name?: string } = {}): Promise<ModelInfo> {
    await this.ensureBackend();
    this.requireIdle('load a checkpoint');
    const ck = await loadAnyCheckpoint(bytes, filename, { referenceConfig: o.referenceConfig, layout: modelLayout });
    if (!ck.config) throw new EngineError(`${filename} carries no model config: pass one (a reference config.json or .yml)`);
    const config = validateConfig({ ...ck.config, ...o.overrides });
    this.checkMemory(`the model in ${filename}`, stateMemory([...ck.tensors.values()].reduce((n, t) => n + t.data.length, 0), 'train'));
    const model = modelFromTensors(config, ck.tensors, ck.growth);
    this.nonFinite = ck.warnings.filter((w) => /nan|inf|non-finite/i.test(w));
    this.setModel(model, ck.step ?? 0, o.name ?? filename.replace(/\.(safetensors|bin|pt)$/, ''));
    if (ck.optimizer) this.trainer!.restoreOptimizer(ck.optimizer);
    const t = ck.training as { tokensSeen?: unknown; flops?: unknown } | undefined;
    if (typeof t?.tokensSeen === 'number' && typeof t.flops === 'number') {
      this.trainer!.tokensSeen = t.tokensSeen;
      this.trainer!.flops = t.flops;
    }
    return this.info();
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
  }
}
