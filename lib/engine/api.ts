// The Engine API: one async interface, implemented in-process (Node, tests, CLI) and by the Web Worker client.
import type { ModelConfig, PresetName } from '../tokenformer/config';
import type { AttentionMaps, GrowOptions, GrowthEvent } from '../tokenformer/types';
import type { BackendInfo, BackendName, DataInfo, DataSpec, EvalResult, GenerateOptions, Metrics, ModelInfo, TrainOptions } from './types';

export interface ModelSpec {
  preset?: PresetName;
  /** Overrides on top of the preset (e.g. `{ arch: 'transformer' }`, `{ norm: 'softmax' }`). */
  config?: Partial<ModelConfig>;
  seed?: number;
}

export type EngineState = 'idle' | 'training' | 'paused' | 'busy';

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
}

/** Token-to-parameter usage over a validation batch (see the attention-maps docs). */
export interface UsageStats {
  /** Per layer, per Pattention kind: mean normalised weight of each parameter token. */
  layers: Record<string, Float32Array>[];
}

export interface EngineApi {
  init(opts?: { backend?: BackendName }): Promise<BackendInfo>;
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
  saveCheckpoint(opts?: { includeOptimizer?: boolean }): Promise<Uint8Array>;
  loadCheckpoint(bytes: Uint8Array, filename?: string): Promise<ModelInfo>;
  memory(): Promise<{ numTensors: number; numBytes: number }>;
  state(): Promise<EngineState>;
  dispose(): Promise<void>;
}
