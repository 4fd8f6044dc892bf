// Evaluation: mean next-token loss over batches and bits per byte (byte-level vocabulary).
import * as tf from '@tensorflow/tfjs-core';
import type { LanguageModel } from '../tokenformer/model';
import { readScalar } from '../tokenformer/readBack';

/** Bits per byte from a mean cross-entropy in nats per byte token. */
export const bitsPerByte = (loss: number) => loss / Math.LN2;

export interface Evaluation {
  loss: number;
  bpb: number;
  /** Predicted positions counted (B·(T−1) per batch). */
  tokens: number;
}

/**
 * Token-weighted mean loss over `batches` (int32 [B, T] each; the caller keeps ownership). Async: every loss is
 * computed first, then read back without `dataSync` (which breaks WebGPU in a worker, see readBack).
 */
export async function evaluate(model: LanguageModel, batches: Iterable<tf.Tensor2D>): Promise<Evaluation> {
  let sum = 0;
  let tokens = 0;
  const losses: { loss: tf.Scalar; weight: number }[] = [];
  try {
    for (const ids of batches) {
      const [b, t] = ids.shape;
      losses.push({ loss: tf.tidy(() => model.loss(ids)), weight: b * (t - 1) });
    }
    for (const { loss, weight } of losses) {
      sum += (await readScalar(loss)) * weight;
      tokens += weight;
    }
  } finally {
    tf.dispose(losses.map((l) => l.loss));
  }
  if (tokens === 0) throw new Error('evaluate needs at least one batch with two or more positions');
  const loss = sum / tokens;
  return { loss, bpb: bitsPerByte(loss), tokens };
}
