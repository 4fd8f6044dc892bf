// Training loop pieces together: learning, flat memory over 50 steps and across growth, evaluation, sampling.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../testing/backend';
import { preset } from '../tokenformer/config';
import { growModel } from '../tokenformer/growth';
import { createModel, type LanguageModel } from '../tokenformer/model';
import { AdamW } from './adamw';
import { bitsPerByte, evaluate } from './evaluate';
import { generate, sampleToken } from './sample';
import { trainStep } from './trainStep';
import { createNormalRng } from '../data/rng';
import { poisoned } from './testUtils';

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
  test('50 steps: the loss falls and the tensor count stays flat, also across growth', async () => {
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
      expect(await opt.steps()).toBe(60);
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
  const rng = createNormalRng(1);
  const picks = new Set(Array.from({ length: 200 }, () => sampleToken(logits, { topK: 2 }, rng)));
  expect([...picks].sort()).toEqual([1, 3]);
  model.dispose();
});

describe('non-finite steps', () => {
  /** Every parameter and moment as raw bits, and the step count. */
  const bits = async (model: { params: Map<string, tf.Variable> }, opt: AdamW) => {
    const s = await opt.state();
    const u32 = (a: Float32Array) => new Uint32Array(a.slice().buffer);
    const out = new Map<string, Uint32Array>([['step', Uint32Array.of(s.step)]]);
    for (const [n, p] of model.params) out.set(n, u32(p.dataSync() as Float32Array));
    for (const [n, x] of s.moments) out.set(`m:${n}`, u32(x.m)).set(`v:${n}`, u32(x.v));
    return out;
  };
  /** Names whose bits differ (a short failure message, not a diff of thousands of numbers). */
  const changed = (a: Map<string, Uint32Array>, b: Map<string, Uint32Array>) =>
    [...new Set([...a.keys(), ...b.keys()])].filter((n) => !a.get(n) || !b.get(n) || a.get(n)!.some((x, i) => x !== b.get(n)![i]) || a.get(n)!.length !== b.get(n)!.length);

  test.each(['nan', 'huge-grad'] as const)('a step with a %s loss changes no bit of the state, and training goes on', async (poison) => {
    const plain = createModel(preset('micro', { maxSeqLen: 16 }), { seed: 4 });
    const model = createModel(preset('micro', { maxSeqLen: 16 }), { seed: 4 });
    // Calls 2 and 3 are poisoned: the model sees 5 good batches, like its plain twin.
    const sick = poisoned(model, (call) => (call === 2 || call === 3 ? poison : null));
    const optPlain = new AdamW(plain.params);
    const opt = new AdamW(model.params);
    let norm = NaN;
    const step = (m: LanguageModel, o: AdamW, b: number) => {
      const ids = batch(2, 16, b);
      trainStep(m, o, ids, 1e-2, { onGradNorm: (n) => ((norm = n.dataSync()[0]), n.dispose()) }).dispose();
      ids.dispose();
    };
    for (const b of [0, 1]) step(sick, opt, b);
    const before = await bits(model, opt);
    step(sick, opt, 2);
    expect(poison === 'nan' ? Number.isNaN(norm) : norm === Infinity).toBe(true);
    step(sick, opt, 3);
    expect(changed(await bits(model, opt), before)).toEqual([]);
    for (const b of [4, 5, 6]) step(sick, opt, b);
    for (const b of [0, 1, 4, 5, 6]) step(plain, optPlain, b);
    expect(changed(await bits(model, opt), await bits(plain, optPlain))).toEqual([]);
    expect(await opt.steps()).toBe(5);
    [opt, optPlain, model, plain].forEach((x) => x.dispose());
  });
});
