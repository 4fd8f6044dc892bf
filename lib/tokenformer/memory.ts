// Bytes a model needs before any of it is allocated: weights, gradients, AdamW moments and a step's activations.
import type { ModelConfig } from './config';
import { ffnHidden, initialGrowth, pattentionSlots } from './params';
import { countParams } from './size';
import type { GrowthState } from './types';

/** Every tensor is float32. */
const BYTES = 4;

export interface MemoryEstimate {
  weights: number;
  /** One gradient per parameter (training only). */
  gradients: number;
  /** AdamW's two moments per parameter (training only). */
  optimizer: number;
  /** What one step of `batch` × `seqLen` keeps alive at its peak (0 without a step shape). */
  activations: number;
  total: number;
}

export interface StepShape {
  batch: number;
  seqLen: number;
}

export interface EstimateOptions {
  /** `train`: weights, gradients, moments and the tape of a train step; `infer`: weights and one forward pass. */
  mode: 'train' | 'infer';
  /** The batch of a step; without it only the model's own state is counted. */
  step?: StepShape;
}

/**
 * Estimates the bytes the engine holds for `c` (token counts from `growth`). Arithmetic only, linear in the
 * number of layers: callers validate the config first (validateConfig bounds the layers) and call this before
 * they allocate. Activations follow what the ops save for the backward pass (ops/*.ts `save(...)`), plus the
 * largest temporaries of the backward pass; measured against tf.profile in memory.test.ts.
 */
export function estimateMemory(c: ModelConfig, growth: GrowthState = initialGrowth(c), o: EstimateOptions): MemoryEstimate {
  const state = stateMemory(countParams(c, growth), o.mode);
  const activations = o.step ? stepActivations(c, growth, o.step, o.mode === 'train') * BYTES : 0;
  return { ...state, activations, total: state.total + activations };
}

/** The model's own state for `params` parameters: weights, and in training their gradients and AdamW moments. */
export function stateMemory(params: number, mode: EstimateOptions['mode']): MemoryEstimate {
  const weights = params * BYTES;
  const gradients = mode === 'train' ? weights : 0;
  const optimizer = mode === 'train' ? 2 * weights : 0;
  return { weights, gradients, optimizer, activations: 0, total: weights + gradients + optimizer };
}

/**
 * Float count of one step's live activations. Under tf.variableGrads every tensor of the forward pass stays alive
 * until the gradients are done, so all layers count.
 */
function stepActivations(c: ModelConfig, growth: GrowthState, { batch, seqLen }: StepShape, training: boolean): number {
  const N = batch * seqLen;
  const d = c.hiddenSize;
  const V = c.vocabSize;
  const scores = batch * c.numHeads * seqLen * seqLen; // one [B·H, T, T] attention map
  const head = 3 * N * V + 3 * N * d; // logits, their softmax and one-hot targets; the final norm
  const widest = c.arch === 'tokenformer' ? Math.max(...pattentionSlots(c).map((s) => growth[s.prefix]?.tokens ?? 0)) : ffnHidden(c);
  if (!training) {
    // A forward pass in a tidy keeps each Pattention's scores; the widest layer's work and the head peak on top.
    const kept = c.arch === 'tokenformer' ? pattentionSlots(c).reduce((n, s) => n + N * (growth[s.prefix]?.tokens ?? 0), 0) : c.numLayers * N * widest;
    return kept + c.numLayers * (6 * N * d + scores) + N * widest + 2 * scores + head;
  }
  let forward = 0;
  if (c.arch === 'tokenformer') {
    // Per Pattention: scores, normalised weights and their norm terms; input and output.
    for (const s of pattentionSlots(c)) forward += 4 * N * (growth[s.prefix]?.tokens ?? 0) + 2 * N * d;
    forward += c.numLayers * (12 * N * d + 2 * scores); // norms, q/k/v heads and rotations, residuals; scores, probabilities
  } else {
    forward += c.numLayers * (20 * N * d + 4 * N * ffnHidden(c) + 2 * scores);
  }
  // Backward: the temporaries of the layer being differentiated and the logits' gradient; then AdamW's update
  // temporaries, a few copies of the largest parameter (the embedding, whose two gradients also meet here).
  const largest = Math.max(V * d, ...(c.arch === 'tokenformer' ? [widest * d] : [ffnHidden(c) * d]));
  return forward + head + Math.max(2 * N * widest, 2 * scores) + 4 * N * d + N * V + 6 * largest;
}
