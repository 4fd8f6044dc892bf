// The memory estimate: its parts by hand, its cost, and the peak tfjs really reaches in a train step and a forward pass.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../testing/backend';
import { AdamW } from '../train/adamw';
import { trainStep } from '../train/trainStep';
import { CONFIG_LIMITS, preset, type ModelConfig } from './config';
import { estimateMemory } from './memory';
import { createModel } from './model';
import { initialGrowth } from './params';
import { countParams } from './size';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('estimateMemory', () => {
  test('model state: 4 bytes per weight, the same for gradients, twice that for the AdamW moments', () => {
    const c = preset('tiny');
    const p = countParams(c);
    expect(estimateMemory(c, undefined, { mode: 'train' })).toEqual({ weights: 4 * p, gradients: 4 * p, optimizer: 8 * p, activations: 0, total: 16 * p });
    expect(estimateMemory(c, undefined, { mode: 'infer' })).toEqual({ weights: 4 * p, gradients: 0, optimizer: 0, activations: 0, total: 4 * p });
  });

  test('follows the growth state, and activations grow with the batch and faster with the context', () => {
    const c = preset('micro');
    const g = initialGrowth(c);
    const grown = Object.fromEntries(Object.entries(g).map(([k, s]) => [k, { tokens: s.tokens + 100, scaleTokens: s.scaleTokens }]));
    expect(estimateMemory(c, grown, { mode: 'train' }).weights - estimateMemory(c, g, { mode: 'train' }).weights).toBe(4 * 10 * 100 * 2 * 32);
    const act = (batch: number, seqLen: number) => estimateMemory(c, g, { mode: 'train', step: { batch, seqLen } }).activations;
    expect(act(8, 32)).toBeGreaterThan(1.9 * act(4, 32));
    expect(act(4, 64) / act(4, 32)).toBeGreaterThan(act(8, 32) / act(4, 32));
    expect(estimateMemory(c, g, { mode: 'infer', step: { batch: 4, seqLen: 32 } }).activations).toBeLessThan(act(4, 32));
  });

  test('the largest config the bounds allow is sized in arithmetic, at once and without overflow', () => {
    const c: ModelConfig = { ...preset('micro'), ...CONFIG_LIMITS, numHeads: 128 };
    const t0 = performance.now();
    const e = estimateMemory(c, undefined, { mode: 'train', step: { batch: 65_536, seqLen: c.maxSeqLen } });
    expect(performance.now() - t0).toBeLessThan(100);
    expect(Number.isFinite(e.total)).toBe(true);
    expect(e.total).toBeGreaterThan(1e18);
  });
});

/** Peak bytes tfjs holds during `fn`, all tensors counted (tf.profile reuses its result object: copy it). */
async function peakOf(fn: () => void): Promise<number> {
  return { ...(await tf.profile(fn)) }.peakBytes;
}

describe('against the peak tfjs reaches', () => {
  // Measured on these and larger shapes (tiny, small, wider vocabularies, 512-token contexts): 0.8–1.5× in training.
  test.each<[string, Partial<ModelConfig>, number, number]>([
    ['micro, batch 4 × 32', {}, 4, 32],
    ['micro with 1024 FFN tokens, batch 4 × 32', { ffnTokens: 1024 }, 4, 32],
    ['micro transformer, batch 4 × 32', { arch: 'transformer' }, 4, 32],
    ['micro, batch 1 × 256', { maxSeqLen: 256 }, 1, 256],
  ])('%s', async (label, overrides, batch, seqLen) => {
    const c = preset('micro', overrides);
    const before = tf.memory().numBytes; // whatever earlier tests left
    const model = createModel(c);
    const opt = new AdamW(model.params);
    const ids = tf.tensor2d(Int32Array.from({ length: batch * seqLen }, (_, i) => (i * 7) % c.vocabSize), [batch, seqLen], 'int32');
    trainStep(model, opt, ids, 1e-3).dispose(); // the moments exist from here on, as in a run
    const held = before + ids.size * 4;
    const train = (await peakOf(() => trainStep(model, opt, ids, 1e-3).dispose())) - held;
    const moments = 8 * countParams(c);
    const infer = (await peakOf(() => tf.tidy(() => model.logits(ids)).dispose())) - held - moments;
    const step = { batch, seqLen };
    const trainRatio = estimateMemory(c, model.growth, { mode: 'train', step }).total / train;
    const inferRatio = estimateMemory(c, model.growth, { mode: 'infer', step }).total / infer;
    console.log(`${label}: estimate / measured peak: train ${trainRatio.toFixed(2)}, forward ${inferRatio.toFixed(2)}`);
    expect(trainRatio).toBeGreaterThan(0.7);
    expect(trainRatio).toBeLessThan(2);
    expect(inferRatio).toBeGreaterThan(0.7);
    expect(inferRatio).toBeLessThan(2.5);
    tf.dispose(ids);
    opt.dispose();
    model.dispose();
  });
});
