// Training loop pieces together: learning, flat memory over 50 steps and across growth, evaluation, sampling.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../testing/backend';
import { preset } from '../tokenformer/config';
import { growModel } from '../tokenformer/growth';
import { createModel } from '../tokenformer/model';
import { AdamW } from './adamw';
import { bitsPerByte, evaluate } from './evaluate';
import { generate, sampleToken } from './sample';
import { trainStep } from './train_step';
import { createRng } from '../tokenformer/rng';

/** A repeating byte pattern: easy to learn, so the loss must fall. */
function batch(b: number, t: number, offset: number): tf.Tensor2D {
  const text = 'the quick brown fox jumps over the lazy dog. ';
  const data: number[] = [];
  for (let i = 0; i < b; i++) for (let j = 0; j < t; j++) data.push(text.charCodeAt((offset + i * 7 + j) % text.length));
  return tf.tensor2d(data, [b, t], 'int32');
}

beforeAll(async () => {
  await useBackend('wasm');
});

test('the model trains without tfjs registered gradients (this file never loads them)', () => {
  // Node cannot import tfjs-core's gradient registrations; every op on the loss path has its own backward.
  expect(tf.getGradient('BatchMatMul')).toBeUndefined();
});

describe.each(['tokenformer', 'transformer'] as const)('%s', (arch) => {
  test('50 steps: the loss falls and the tensor count stays flat, also across growth', () => {
    const model = createModel(preset('micro', { arch, maxSeqLen: 32 }), { seed: 1 });
    const opt = new AdamW(model.params);
    const counts: number[] = [];
    const losses: number[] = [];
    const heap = () => ((tf.backend() as any).wasm?.HEAPU8?.length as number) ?? 0;
    let heapAfterWarmup = 0;
    const run = (step: number) => {
      if (step === 5) heapAfterWarmup = heap();
      const ids = batch(4, 32, step);
      const loss = trainStep(model, opt, ids, 3e-3);
      if (step % 10 === 9) losses.push(loss.dataSync()[0]);
      loss.dispose();
      ids.dispose();
      counts.push(tf.memory().numTensors);
    };
    for (let step = 0; step < 50; step++) run(step);
    expect(new Set(counts.slice(2)).size, `numTensors over steps: ${counts.join(',')}`).toBe(1);
    // The wasm heap only grows when something on the wasm side leaks (e.g. the batched matmul's aliases).
    expect(heap()).toBe(heapAfterWarmup);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.6);
    if (arch === 'tokenformer') {
      growModel(model, { add: 8, mode: 'preserve' }, { stageParam: (name, _old, next) => opt.stageExtend(name, next) });
      const grownCounts: number[] = [];
      for (let step = 50; step < 60; step++) {
        run(step);
        grownCounts.push(tf.memory().numTensors);
      }
      expect(grownCounts.every((c) => c === counts[counts.length - 11])).toBe(true);
      expect(opt.stepCount).toBe(60);
    }
    opt.dispose();
    model.dispose();
  });
});

test('evaluate averages loss over predicted positions; bpb = loss/ln2', async () => {
  const model = createModel(preset('micro'), { seed: 2 });
  const batches = [batch(2, 16, 0), batch(3, 8, 5)];
  const ev = await evaluate(model, batches);
  const l0 = model.loss(batches[0]).dataSync()[0];
  const l1 = model.loss(batches[1]).dataSync()[0];
  expect(ev.tokens).toBe(2 * 15 + 3 * 7);
  expect(ev.loss).toBeCloseTo((l0 * 30 + l1 * 21) / 51, 5);
  expect(ev.bpb).toBeCloseTo(ev.loss / Math.LN2, 10);
  expect(bitsPerByte(Math.LN2 * 8)).toBeCloseTo(8, 10);
  // An untrained byte model is close to uniform: about 8 bits per byte.
  expect(ev.bpb).toBeGreaterThan(7.5);
  expect(ev.bpb).toBeLessThan(8.5);
  model.dispose();
});

test('sampling is seeded; temperature 0 and top-1 are greedy', async () => {
  const model = createModel(preset('micro'), { seed: 3 });
  const prompt = [104, 101, 108, 108, 111];
  const a = await generate(model, prompt, { maxNewTokens: 6, temperature: 1, seed: 9 });
  const b = await generate(model, prompt, { maxNewTokens: 6, temperature: 1, seed: 9 });
  expect(a).toEqual(b);
  expect(a).toHaveLength(6);
  const greedy = await generate(model, prompt, { maxNewTokens: 4, temperature: 0 });
  expect(await generate(model, prompt, { maxNewTokens: 4, topK: 1, seed: 5 })).toEqual(greedy);
  const logits = Float32Array.from([0, 5, 1, 4.9]);
  const rng = createRng(1);
  const picks = new Set(Array.from({ length: 200 }, () => sampleToken(logits, { topK: 2 }, rng)));
  expect([...picks].sort()).toEqual([1, 3]);
  model.dispose();
});
