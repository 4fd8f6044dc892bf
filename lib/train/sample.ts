// Seeded autoregressive sampling with temperature and top-k.
import * as tf from '@tensorflow/tfjs-core';
import type { LanguageModel } from '../tokenformer/model';
import { readBack } from '../tokenformer/readBack';
import { createNormalRng, type NormalRng } from '../data/rng';
import { topK } from './numeric';

export interface SampleOptions {
  maxNewTokens: number;
  /** 0 picks the most likely token (greedy); default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (default: all). */
  topK?: number;
  seed?: number;
  /** Sample only ids below this (a padded vocabulary's extra rows are no token). */
  vocabLimit?: number;
}

/** Picks a token from logits with the options' temperature and top-k, using `rng`. */
export function sampleToken(logits: Float32Array, opts: { temperature?: number; topK?: number }, rng: NormalRng): number {
  const temperature = opts.temperature ?? 1;
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (temperature <= 0) return best;
  const order =
    opts.topK !== undefined && opts.topK > 0 && opts.topK < logits.length
      ? Array.from(topK(logits, 1, logits.length, opts.topK)).filter((i) => i >= 0)
      : Array.from(logits.keys());
  const weights = order.map((i) => Math.exp((logits[i] - logits[best]) / temperature));
  let r = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let j = 0; j < order.length; j++) {
    r -= weights[j];
    if (r < 0) return order[j];
  }
  return order[order.length - 1];
}

/**
 * Continues `promptIds` by `maxNewTokens` tokens and returns only the new ones. The context is the last
 * maxSeqLen tokens; each step reruns the model on it (no cache: these models are small).
 */
export async function generate(model: LanguageModel, promptIds: number[], opts: SampleOptions): Promise<number[]> {
  if (promptIds.length === 0) throw new Error('generate needs at least one prompt token');
  const rng = createNormalRng(opts.seed ?? 0);
  const seq = [...promptIds];
  const out: number[] = [];
  for (let i = 0; i < opts.maxNewTokens; i++) {
    const ctx = seq.slice(-model.config.maxSeqLen);
    const last = tf.tidy(() => {
      const logits = model.logits(tf.tensor2d(ctx, [1, ctx.length], 'int32')); // [1, T, V]
      return tf.slice(logits, [0, ctx.length - 1, 0], [1, 1, model.config.vocabSize]);
    });
    let logits: Float32Array;
    try {
      logits = await readBack(last);
    } finally {
      last.dispose();
    }
    const limit = opts.vocabLimit;
    const next = sampleToken(limit && limit > 0 && limit < logits.length ? logits.subarray(0, limit) : logits, opts, rng);
    seq.push(next);
    out.push(next);
  }
  return out;
}
