// The engine's public contract: plain data only (typed arrays, numbers, strings), so every value can cross a
// Web Worker boundary by structured clone. The same Engine class runs in-process in Node (CLI, tests, bench).
import type { ModelConfig, NormActivation, PresetName } from '../tokenformer/config';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The backend actually in use. */
  backend: BackendName;
  /** Human-readable device, e.g. the WebGPU adapter description. */
  adapter?: string;
  /** Each backend tried before the one in use, and why it was not used. */
  fallbacks: { backend: BackendName; reason: string }[];
}

export type GrowTarget = 'all' | 'qkv' | 'q' | 'k' | 'v' | 'proj' | 'ffn';
export type GrowMode = 'preserve' | 'zero' | 'official';

export interface GrowOptions {
  /** Tokens to append to each chosen Pattention (or use `factor`). */
  add?: number;
  /** Multiply each chosen Pattention's token count by this (rounded). */
  factor?: number;
  target?: GrowTarget;
  /** Restrict to these layer indices (default: all layers). */
  layers?: number[];
  mode?: GrowMode;
  seed?: number;
}

export interface GrowthEvent {
  step: number;
  mode: GrowMode;
  /** Pattention name (reference prefix, e.g. `sequential.2.attention.query`) -> [tokens before, after]. */
  changes: Record<string, [number, number]>;
  paramsBefore: number;
  paramsAfter: number;
}

/** Per-Pattention growth state, stored in checkpoints. `scaleTokens` is the n used in the normalisation. */
export interface PattentionState {
  tokens: number;
  scaleTokens: number;
}
export type GrowthState = Record<string, PattentionState>;

export interface ModelInfo {
  config: ModelConfig;
  params: number;
  /** Forward FLOPs per token at full context (2 * MACs), for compute-axis plots. */
  flopsPerToken: number;
  growth: GrowthState;
  step: number;
}

export type DataSpec =
  | { kind: 'synthetic'; task: SyntheticTask; seed?: number; examples?: number }
  | { kind: 'text'; name: string; bytes: Uint8Array }
  | { kind: 'enwik8'; name: string; bytes: Uint8Array };
export type SyntheticTask = 'copy' | 'reverse' | 'sort' | 'modadd' | 'brackets' | 'mix';

export interface DataInfo {
  name: string;
  trainBytes: number;
  valBytes: number;
  testBytes: number;
  /** A short printable sample of the training data. */
  sample: string;
}

export interface TrainOptions {
  steps: number;
  batchSize?: number;
  seqLen?: number;
  lr?: number;
  minLr?: number;
  warmupSteps?: number;
  weightDecay?: number;
  gradClip?: number;
  /** Evaluate validation bits-per-byte every this many steps (0: never). */
  evalEvery?: number;
  evalBatches?: number;
  /** Read the loss back from the device every this many steps (no readback in between). */
  logEvery?: number;
  seed?: number;
  /** Growth events to apply when the step count reaches `step`. */
  growAt?: { step: number; grow: GrowOptions }[];
}

export interface Metrics {
  step: number;
  /** Total steps of this train call's target. */
  totalSteps: number;
  loss: number;
  bpb: number;
  valBpb?: number;
  lr: number;
  tokensPerSec: number;
  tokensSeen: number;
  /** Cumulative training FLOPs (6 * params-ish, from flopsPerToken * 3). */
  flops: number;
  params: number;
  numTensors: number;
  numBytes: number;
  elapsedMs: number;
  growth?: GrowthEvent;
}

export interface EvalResult {
  loss: number;
  bpb: number;
  tokens: number;
}

export interface GenerateOptions {
  prompt: string;
  maxNewTokens: number;
  temperature?: number;
  topK?: number;
  seed?: number;
}

export type PattentionKind = 'query' | 'key' | 'value' | 'proj' | 'ffn';

/** Token-to-parameter attention for one text, all layers and Pattentions from one forward pass. */
export interface AttentionMaps {
  /** The input bytes (rows). */
  ids: number[];
  layers: {
    /** kind -> normalised weights f(X K^T), [T, n] row-major, with n = that Pattention's token count. */
    pattention: Record<PattentionKind, { n: number; weights: Float32Array }>;
    /** Causal token-to-token attention per head, [H, T, T] row-major. */
    heads: Float32Array;
  }[];
}

export type NormName = NormActivation;
export type { ModelConfig, PresetName };
