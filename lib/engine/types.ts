// The engine's public contract: plain data only (typed arrays, numbers, strings), so every value can cross a
// Web Worker boundary by structured clone. The same Engine class runs in-process in Node (CLI, tests, bench).
import type { ModelConfig, NormActivation, PresetName } from '../tokenformer/config';
import type { CorpusSpec } from '../data';
import type { TokenizerInfo } from './text';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
/** Fastest first; a backend that cannot start falls to the next one. */
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendInfo {
  /** The backend actually in use. */
  backend: BackendName;
  /** Human-readable device, e.g. the WebGPU adapter description, or `wasm (SIMD, 2 threads)`. */
  adapter?: string;
  /** wasm only: the threads its kernels run on (1 unless the page is cross-origin isolated). */
  threads?: number;
  /** Each backend tried before the one in use, and why it was not used. */
  fallbacks: { backend: BackendName; reason: string }[];
  /** How the backend was chosen: asked for, timed, remembered from an earlier timing on this device, or the first that started. */
  choice?: 'forced' | 'measured' | 'remembered' | 'order';
  /** With a measured choice: each backend's timing of a Pattention step (or why it has none), in the order above. */
  timings?: BackendTiming[];
  /** When the timings were taken (ms since the epoch), for a remembered choice. */
  measuredAt?: number;
}

/** One backend's timing of the representative step (lib/engine/measure.ts). */
export interface BackendTiming {
  backend: BackendName;
  /** The first step, shader compilation and uploads included (ms). */
  firstMs?: number;
  /** The median of the steps after the first (ms). */
  stepMs?: number;
  /** A software GPU adapter (SwiftShader, or the browser's fallback adapter). */
  software?: boolean;
  /** Why there is no step time: it could not start, failed, or was too slow to finish. */
  reason?: string;
}

export type { GrowTarget, GrowMode, GrowOptions, GrowthEvent, PattentionState, GrowthState, PattentionKind, AttentionMaps } from '../tokenformer/types';
import type { GrowOptions, GrowthEvent, GrowthState } from '../tokenformer/types';

export interface ModelInfo {
  config: ModelConfig;
  params: number;
  /** Forward FLOPs per token at full context (2 * MACs), for compute-axis plots. */
  flopsPerToken: number;
  growth: GrowthState;
  step: number;
  /** The tokenizer the engine uses with this model (bytes unless a tokenizer.json was set). */
  tokenizer?: TokenizerInfo;
}

/** Where training data comes from: synthetic tasks, a text file, or enwik8 (zip or raw). */
export type DataSpec = CorpusSpec;
export type { SyntheticTask } from '../data';

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
  /**
   * `'new-tokens'`: train only the parameter tokens appended since the model was loaded or created (the paper's
   * "reuse the old parameters" setting); old tokens, embedding and final norm stay as they are.
   */
  trainOnly?: 'all' | 'new-tokens';
  /**
   * The learning-rate plan's length in steps, counted from where the plan starts (default: this call's `steps`).
   * A later call continues the same warmup + cosine plan, extending it when it would run past the end.
   */
  totalSteps?: number;
  /** Start a new warmup + cosine plan at the current step instead of continuing the run's plan. */
  restart?: boolean;
  /** Growth events to apply when the step count reaches `step`. */
  growAt?: { step: number; grow: GrowOptions }[];
  /**
   * Stop and roll back after this many non-finite steps in a row (default 3). A step whose loss or gradient norm
   * is NaN or infinite is always skipped; a run that ends on such steps counts as diverged whatever their number.
   */
  maxNonFiniteSteps?: number;
}

/** Training stopped on non-finite steps; the model and optimizer were restored to the last good state. */
export interface DivergenceEvent {
  /** The first step of the run of non-finite steps (1-based, as `Metrics.step`). */
  step: number;
  /** Why that step was skipped: "loss is NaN", "gradient norm is Infinity", ... */
  reason: string;
  /** Non-finite steps in a row when training stopped. */
  badSteps: number;
  /** The last step the run reached. */
  stoppedAt: number;
  /** The step whose state the model and optimizer were restored to; null when the run had no good state to return to. */
  rolledBackTo: number | null;
}

/** One training step as read back from the device: the loss that step computed (NaN or Inf for a skipped step). */
export interface TrainPoint {
  /** The step count after this step (1-based, as `Metrics.step`). */
  step: number;
  loss: number;
  /** That step's bits per byte of text (loss / ln 2 for bytes; BPE divides by the bytes its tokens stand for). */
  bpb?: number;
  lr: number;
  /** Counters after this step, for the tokens and FLOPs axes. */
  tokensSeen: number;
  flops: number;
}

/** One validation evaluation during training. */
export interface EvalPoint {
  step: number;
  loss: number;
  bpb: number;
  tokensSeen: number;
  flops: number;
}

/** A checkpoint of the run's model was written (an autosave, `lab.save`, a download). */
export interface CheckpointEvent {
  step: number;
  /** Store name when the caller gave one (e.g. `autosave`). */
  name?: string;
  bytes: number;
  at: number;
}

/** A warmup + cosine learning-rate plan, as lib/train/schedule's CosineSchedule counted from `startStep`. */
export interface LrPlan {
  startStep: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  /** Length in steps from `startStep`; the learning rate is `minLr` after it. */
  totalSteps: number;
}

export interface Metrics {
  /** The run these metrics belong to (RunRecord.id). */
  runId?: string;
  /** The step whose loss was read back last: `loss` is that step's own loss (its latest finite one). */
  step: number;
  /** The step this train call ends at. */
  totalSteps: number;
  /** Mean next-token loss of the last read-back batch (nats per token). */
  loss: number;
  /** That batch's bits per byte of text: its bits over the bytes its predicted tokens stand for (BPE included). */
  bpb: number;
  /** The latest validation bits per byte of this train call, measured the same way. */
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
  /** Every step read back since the previous metrics, in order, each with its own loss. */
  points: TrainPoint[];
  /** The evaluation done since the previous metrics, if any. */
  eval?: EvalPoint;
  growth?: GrowthEvent;
  /** Steps skipped so far in this train call because their loss or gradient norm was not finite (known at read-backs). */
  skipped?: number;
  /** Set on the last metrics of a run that diverged. */
  divergence?: DivergenceEvent;
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

export type NormName = NormActivation;
export type { ModelConfig, PresetName };

/**
 * One training history, the single source of truth for it (lib/engine/run.ts): config, learning-rate plan, the
 * loss of each step (thinned evenly past a cap), evaluations, growth, divergence and checkpoint events.
 */
export interface RunRecord {
  id: string;
  name: string;
  config: Record<string, unknown>;
  /** Parameter count when the run started. */
  params: number;
  startedAt: number;
  /** The learning-rate plan consecutive train calls continue; null before the first. */
  schedule: LrPlan | null;
  /** Training points, strictly increasing in step; past the cap every `stride`-th step is kept (and the last). */
  points: TrainPoint[];
  stride: number;
  evals: EvalPoint[];
  growth: GrowthEvent[];
  divergence: DivergenceEvent[];
  checkpoints: CheckpointEvent[];
}

/** A run without its point and evaluation lists (what `runs()` returns). */
export interface RunSummary extends Omit<RunRecord, 'points' | 'evals'> {
  /** The latest step reached (0 before training). */
  step: number;
  pointCount: number;
  evalCount: number;
  last?: TrainPoint;
  bestValBpb?: number;
}

/** What the engine is doing, sent with every update so the page never polls for it. */
export interface EngineStatus {
  state: 'idle' | 'training' | 'paused' | 'busy';
  numTensors: number;
  numBytes: number;
  /** The current model's parameter count; null without a model. */
  params: number | null;
}

/** One message of the engine's run stream (Engine.subscribe). */
export interface RunUpdate {
  /** Increases by one per update: a mirror that has applied `seq` n has every change published before it. */
  seq: number;
  status: EngineStatus;
  /** A run started (new model, loaded checkpoint) or changed other than by appending: its whole record. */
  run?: RunRecord;
  /** The run the following fields belong to. */
  runId?: string;
  metrics?: Metrics;
  growth?: GrowthEvent;
  checkpoint?: CheckpointEvent;
}
