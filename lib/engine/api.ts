// The Engine API: one async interface, implemented in-process (Node, tests, CLI) and by the Web Worker client.
import type { ModelConfig, PresetName } from '../tokenformer/config';
import type { AttentionMaps, GrowOptions, GrowthEvent, PattentionKind } from '../tokenformer/types';
import type { ParityFiles, ParityOptions, ParityReport } from './parity';
import type { TextLoss, TokenizerInfo } from './text';
import type { MemoryBudget } from './budget';
import type { BackendInfo, BackendName, DataInfo, DataSpec, DivergenceEvent, EngineStatus, EvalResult, GenerateOptions, Metrics, ModelInfo, RunRecord, RunSummary, RunUpdate, TrainOptions } from './types';

/** How the engine picks its backend (lib/engine/backend.ts selectBackend), and how much memory it may use. */
export interface InitOptions {
  /** Use this backend (falling down the order only if it cannot start). */
  backend?: BackendName;
  /** Time each backend and pick the fastest, unless `prefer` (an earlier measurement's choice) starts. */
  measure?: boolean;
  prefer?: BackendName;
  /** Wasm threads (1: single-threaded). Default: one per core, up to 8, when cross-origin isolated; the page's `?threads=N` sets it. */
  threads?: number;
  /** Bytes a model and its training step may take (default: half the device's reported memory). */
  memoryBudget?: number | MemoryBudget;
}

export interface ModelSpec {
  preset?: PresetName;
  /** Name of the run this model's training is recorded under (default: preset and arch). */
  name?: string;
  /** Overrides on top of the preset (e.g. `{ arch: 'transformer' }`, `{ norm: 'softmax' }`). */
  config?: Partial<ModelConfig>;
  seed?: number;
}

export type EngineState = EngineStatus['state'];

export interface Progress {
  /** What is happening, e.g. "unzipping enwik8". */
  label: string;
  done: number;
  total: number;
}

export interface TrainSummary {
  steps: number;
  finalLoss: number;
  stopped: boolean;
  elapsedMs: number;
  /** Steps skipped because their loss or gradient norm was not finite. */
  skipped?: number;
  /** Set when non-finite steps stopped the run and it was rolled back (see `TrainOptions.maxNonFiniteSteps`). */
  divergence?: DivergenceEvent;
}

/** One place in the data that weights a parameter token strongly (a "max-activating" context). */
export interface TokenContext {
  /** The text around the position, with the position's byte at `focus`. */
  text: string;
  focus: number;
  /** Code points of the focused token's label (1 when absent: one byte). */
  focusLength?: number;
  weight: number;
}

export interface PattentionUsage {
  /** Mean normalised weight of each parameter token over all positions, [n]. */
  mean: Float32Array;
  /** How many positions have the token in their top-k, [n]; 0 means "dead". */
  topkHits: Int32Array;
  /** Per parameter token, the contexts that weight it most (strongest first). */
  contexts: TokenContext[][];
}

/** Token-to-parameter usage over held-out windows, per layer and Pattention kind. */
export interface UsageStats {
  positions: number;
  k: number;
  layers: Record<PattentionKind, PattentionUsage>[];
}

export interface EngineApi {
  init(opts?: InitOptions): Promise<BackendInfo>;
  createModel(spec: ModelSpec): Promise<ModelInfo>;
  modelInfo(): Promise<ModelInfo | null>;
  loadData(spec: DataSpec, onProgress?: (p: Progress) => void): Promise<DataInfo>;
  /** Trains until `opts.steps` more steps are done, stop() is called, or an error; metrics at most ~10/s. */
  train(opts: TrainOptions, onMetrics: (m: Metrics) => void): Promise<TrainSummary>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Stops the current job (training loop, generation) at the next step boundary. */
  stop(): Promise<void>;
  /** Grows the model; during training it is applied between two steps. */
  grow(opts: GrowOptions): Promise<GrowthEvent>;
  evaluate(opts?: { split?: 'val' | 'test'; batches?: number; batchSize?: number; seqLen?: number }): Promise<EvalResult>;
  generate(opts: GenerateOptions): Promise<{ text: string; ids: number[] }>;
  attention(text: string): Promise<AttentionMaps>;
  /** Logits [B, T, V] (row-major) and the mean next-token loss for equal-length rows of token ids. */
  logits(ids: number[][]): Promise<{ logits: Float32Array; shape: [number, number, number]; loss: number }>;
  /** Sets the tokenizer: null/'byte' for bytes, or a tokenizer.json (GPT-NeoX-20B's for the published models). */
  setTokenizer(source: null | 'byte' | { json: string | Uint8Array; name?: string }): Promise<TokenizerInfo>;
  /** Ids and display pieces of a text under the current tokenizer. */
  tokenize(text: string): Promise<{ ids: number[]; pieces: string[] }>;
  /** Per-token loss of a text (for a heatmap over it) with loss, perplexity and bits per byte. */
  textLoss(text: string, opts?: { window?: number; maxTokens?: number }): Promise<TextLoss>;
  /** Usage of parameter tokens over `windows` held-out windows (top-k with `k`, `contexts` kept per token). */
  usage(opts?: { windows?: number; seqLen?: number; k?: number; contexts?: number }): Promise<UsageStats>;
  /** `name`: the store name it is saved under, recorded in the run's checkpoint events. */
  saveCheckpoint(opts?: { includeOptimizer?: boolean; name?: string }): Promise<Uint8Array>;
  /**
   * Bytes, or a Blob (a dropped File), which the engine reads one tensor at a time without holding the file whole.
   * `transfer`: the worker takes the bytes' buffer instead of a copy (the caller's view is emptied).
   */
  loadCheckpoint(input: Uint8Array | Blob, filename?: string, opts?: { referenceConfig?: Record<string, unknown>; overrides?: Partial<ModelConfig>; name?: string; transfer?: boolean }): Promise<ModelInfo>;
  /** Reference-fixture parity (logits, loss, gradient norms, training vs cpu) on this engine's backend. */
  parity(files: ParityFiles, opts?: ParityOptions): Promise<ParityReport>;
  memory(): Promise<{ numTensors: number; numBytes: number }>;
  /** Every model's training history in this engine as summaries (no points), oldest first. */
  runs(): Promise<RunSummary[]>;
  /** One run's whole bounded record (points, evaluations, events); the current run without an id. */
  run(id?: string): Promise<RunRecord | null>;
  /**
   * The one run stream: each update carries the engine's state and memory, and a run's start, metrics, growth or
   * checkpoint. Resolves with every run so far, to start a mirror from (lib/store/runStore.ts).
   */
  subscribe(listener: (u: RunUpdate) => void): Promise<{ id: number; seq: number; runs: RunRecord[]; status: EngineStatus }>;
  /** The `seq` of the stream's last update (see RunUpdate.seq). */
  syncPoint(): Promise<number>;
  unsubscribe(id: number): Promise<void>;
  state(): Promise<EngineState>;
  dispose(): Promise<void>;
}
