// Glue between the model, the optimizer, the data and the checkpoint format (conversions the engine needs).
import * as tf from '@tensorflow/tfjs-core';
import { evalBatches } from '../data';
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

/** Mean loss and bits per byte over up to `batches` held-out batches of `data`. */
export async function evaluateOn(model: LanguageModel, data: Uint8Array, o: { batches: number; batchSize: number; seqLen: number }): Promise<Evaluation> {
  const seqLen = Math.min(o.seqLen, data.length);
  const tensors: tf.Tensor2D[] = [];
  try {
    for (const b of evalBatches(data, o.batchSize, seqLen, o.batches)) tensors.push(tf.tensor2d(b, [b.length / seqLen, seqLen], 'int32'));
    return await evaluate(model, tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/** Expected tensor names and shapes for either architecture (the checkpoint validator's layout). */
export const modelLayout: Layout = (c, growth) => new Map(paramSpecs(c, growth).map((s) => [s.name, [...s.shape]]));
