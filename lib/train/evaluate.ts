// Evaluation: mean next-token loss over batches and bits per byte (byte-level vocabulary).
import * as tf from '@tensorflow/tfjs-core';
import type { LanguageModel } from '../tokenformer/model';

/** Bits per byte from a mean cross-entropy in nats per byte token. */
export const bitsPerByte = (loss: number) => loss / Math.LN2;

export interface Evaluation {
  loss: number;
  bpb: number;
  /** Predicted positions counted (B·(T−1) per batch). */
  tokens: number;
}

/** Token-weighted mean loss over `batches` (int32 [B, T] each; the caller keeps ownership). */
export function evaluate(model: LanguageModel, batches: Iterable<tf.Tensor2D>): Evaluation {
  let sum = 0;
  let tokens = 0;
  for (const ids of batches) {
    const [b, t] = ids.shape;
    const loss = tf.tidy(() => model.loss(ids));
    sum += loss.dataSync()[0] * b * (t - 1);
    tokens += b * (t - 1);
    loss.dispose();
  }
  if (tokens === 0) throw new Error('evaluate needs at least one batch with two or more positions');
  const loss = sum / tokens;
  return { loss, bpb: bitsPerByte(loss), tokens };
}
