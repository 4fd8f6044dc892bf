// Glue between the model, the optimizer, the data and the checkpoint format (conversions the engine needs).
import * as tf from '@tensorflow/tfjs-core';
import { byteTokenizer, evalBatches, predictedBytes, type TokenIds, type Tokenizer } from '../data';
import type { OptimizerState } from '../io';
import type { Layout } from '../io';
import { growModel } from '../tokenformer/growth';
import type { LanguageModel } from '../tokenformer/model';
import { paramSpecs } from '../tokenformer/params';
import type { GrowOptions, GrowthEvent } from '../tokenformer/types';
import { AdamW } from '../train/adamw';
import { evaluate, type Evaluation } from '../train/evaluate';

/** Grows the model and extends the optimizer's moments for every replaced parameter (zeros for new rows), as one transaction. */
export function growWithOptimizer(model: LanguageModel, optimizer: AdamW, opts: GrowOptions, step: number): GrowthEvent {
  return growModel(model, opts, { step, stageParam: (name, _old, next) => optimizer.stageExtend(name, next) });
}

export async function optimizerState(opt: AdamW): Promise<OptimizerState> {
  const s = await opt.state();
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [name, mom] of s.moments) {
    m.set(name, mom.m);
    v.set(name, mom.v);
  }
  return { step: s.step, m, v };
}

/**
 * Mean loss and bits per byte over up to `batches` held-out batches of `data`, whose ids are `tokenizer`'s (bytes by
 * default): the bits are divided by the bytes of text behind the predicted tokens.
 */
export async function evaluateOn(model: LanguageModel, data: TokenIds, o: { batches: number; batchSize: number; seqLen: number; tokenizer?: Tokenizer }): Promise<Evaluation> {
  const seqLen = Math.min(o.seqLen, data.length);
  const tensors: tf.Tensor2D[] = [];
  let bytes = 0;
  try {
    for (const b of evalBatches(data, o.batchSize, seqLen, o.batches)) {
      tensors.push(tf.tensor2d(b, [b.length / seqLen, seqLen], 'int32'));
      bytes += predictedBytes(o.tokenizer ?? byteTokenizer, b, seqLen);
    }
    const r = await evaluate(model, tensors);
    return { ...r, bpb: bitsPerByteOf(r.loss, r.tokens, bytes) };
  } finally {
    tf.dispose(tensors);
  }
}

/** Bits per byte from a mean loss (nats) over `tokens` predicted tokens that stand for `bytes` bytes of text. */
export const bitsPerByteOf = (loss: number, tokens: number, bytes: number) => (loss * tokens) / Math.LN2 / Math.max(1, bytes);

/** Expected tensor names and shapes for either architecture (the checkpoint validator's layout). */
export const modelLayout: Layout = (c, growth) => new Map(paramSpecs(c, growth).map((s) => [s.name, [...s.shape]]));
