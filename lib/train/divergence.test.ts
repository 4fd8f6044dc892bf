// Non-finite steps: reasons, runs in a row across read-back windows, and the on-device step log.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../testing/backend';
import { NonFiniteRuns, StepLog, nonFiniteReason } from './divergence';

beforeAll(async () => {
  await useBackend('cpu');
});

test('a step is refused for its loss first, then its gradient norm', () => {
  expect(nonFiniteReason(2.5, 0.3)).toBeNull();
  expect(nonFiniteReason(NaN, Infinity)).toBe('loss is NaN');
  expect(nonFiniteReason(-Infinity, 1)).toBe('loss is -Infinity');
  expect(nonFiniteReason(2, Infinity)).toBe('gradient norm is Infinity');
  expect(nonFiniteReason(2, NaN)).toBe('gradient norm is NaN');
});

describe('NonFiniteRuns', () => {
  const pairs = (...steps: [number, number][]) => steps.flat();

  test('counts skips, keeps the last finite loss, and trips on the limit even across windows', () => {
    const r = new NonFiniteRuns(3);
    expect(r.feed(1, pairs([5, 1], [NaN, 1], [4, 1]))).toBeNull(); // one bad batch: no trip
    expect(r.skipped).toBe(1);
    expect(r.lastFiniteLoss).toBe(4);
    expect(r.feed(4, pairs([3, 1], [2, Infinity]))).toBeNull();
    expect(r.trailing()).toEqual({ step: 5, reason: 'gradient norm is Infinity', badSteps: 1 });
    // The run goes on in the next window and reaches 3 at step 7; it keeps counting while it lasts.
    expect(r.feed(6, pairs([NaN, NaN], [Infinity, 1], [NaN, 1], [2.5, 1]))).toEqual({ step: 5, reason: 'gradient norm is Infinity', badSteps: 4 });
    expect(r.trailing()).toBeNull();
    expect(r.lastFiniteLoss).toBe(2.5);
    expect(r.skipped).toBe(5);
    // The first run that tripped is the one reported.
    expect(r.feed(10, pairs([NaN, 1], [NaN, 1], [NaN, 1]))?.step).toBe(5);
  });

  test('limit 1 trips on the first bad step; the limit must be a positive integer', () => {
    expect(new NonFiniteRuns(1).feed(7, [NaN, 0])).toEqual({ step: 7, reason: 'loss is NaN', badSteps: 1 });
    for (const bad of [0, 1.5, NaN]) expect(() => new NonFiniteRuns(bad)).toThrow(/positive integer/);
  });
});

describe('StepLog', () => {
  test('keeps every step in order on the device, reads it back in one piece, and frees it', async () => {
    const log = new StepLog();
    const before = tf.memory().numTensors;
    const scalars: tf.Scalar[] = [];
    for (let s = 11; s <= 30; s++) {
      const loss = tf.scalar(s === 17 ? NaN : s);
      const norm = tf.scalar(-s);
      log.push(s, loss, norm);
      scalars.push(loss, norm);
      // Merged six at a time: the log never holds more than six tensors.
      expect(tf.memory().numTensors - before - scalars.length).toBeLessThanOrEqual(6);
    }
    expect(() => log.push(40, scalars[0], scalars[1])).toThrow(/step 40 after step 30/);
    tf.dispose(scalars);
    const { firstStep, values } = await log.drain();
    expect(firstStep).toBe(11);
    expect(Array.from(values)).toEqual(Array.from({ length: 20 }, (_, i) => [i + 11 === 17 ? NaN : i + 11, -(i + 11)]).flat());
    expect(log.length).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect((await log.drain()).values).toHaveLength(0);
  });

  test('merges with no kernel of more than 7 inputs (the WebGPU limit)', async () => {
    const log = new StepLog();
    const x = tf.scalar(1);
    const prof = await tf.profile(() => {
      for (let s = 1; s <= 40; s++) log.push(s, x, x);
    });
    expect(prof.kernels.filter((k) => k.inputShapes.length > 7)).toEqual([]);
    log.dispose();
    x.dispose();
  });
});
