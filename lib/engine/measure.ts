// Backend choice by measurement: time a Pattention-shaped forward and backward on each backend that starts, pick the fastest.
import * as tf from '@tensorflow/tfjs-core';
import { pattention } from '../tokenformer/ops/pattention';
import type { BackendName, BackendTiming } from './types';

/** Shapes of the timed work: the `tiny` preset's hidden size and FFN token count, 256 positions. */
const ROWS = 256;
const HIDDEN = 128;
const TOKENS = 512;

/**
 * One Pattention forward and backward (the L2-norm-GELU kind), through the model's own op and kernels: the work a
 * training step is made of, large enough to rank matmul speed, with enough small kernels to show dispatch overhead.
 * Returns one scalar that depends on every result, so a single read-back waits for all of it.
 */
function pattentionStep(x: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, dy: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const f = (kk: tf.Tensor, vv: tf.Tensor) => pattention(x, kk as tf.Tensor2D, vv as tf.Tensor2D, { norm: 'l2_norm_gelu', scaleTokens: TOKENS }); // [ROWS, HIDDEN]
    const [dk, dv] = tf.grads(f)([k, v], dy); // [TOKENS, HIDDEN] x2
    return tf.add(tf.sum(dk), tf.sum(dv)); // []
  });
}

function seeded(shape: [number, number], seed: number): tf.Tensor2D {
  return tf.randomUniform(shape, -0.5, 0.5, 'float32', seed) as tf.Tensor2D;
}

export interface MeasureOptions {
  /** Give up on a backend whose first step (shader compilation included) takes longer than this (ms). */
  firstStepLimitMs: number;
  /** Timed steps after the first; the median is the backend's step time. */
  steps: number;
  now?: () => number;
}

const DEFAULTS: MeasureOptions = { firstStepLimitMs: 4000, steps: 3 };

class TooSlow extends Error {}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TooSlow(`${what} took over ${(ms / 1000).toFixed(1)} s`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Times the representative step on the backend that is active now. Never throws: failures become the timing's reason. */
export async function timeActiveBackend(backend: BackendName, o: Partial<MeasureOptions> = {}): Promise<BackendTiming> {
  const { firstStepLimitMs, steps, now = () => performance.now() } = { ...DEFAULTS, ...o };
  const inputs = tf.tidy(() => [seeded([ROWS, HIDDEN], 1), seeded([TOKENS, HIDDEN], 2), seeded([TOKENS, HIDDEN], 3), seeded([ROWS, HIDDEN], 4)] as const);
  const run = async () => {
    const out = pattentionStep(...inputs);
    try {
      const [v] = await out.data();
      if (!Number.isFinite(v)) throw new Error(`computed ${v}`);
    } finally {
      out.dispose();
    }
  };
  try {
    let t = now();
    await within(run(), firstStepLimitMs, 'the first step');
    const firstMs = now() - t;
    // cpu and wasm run synchronously, so the timer above cannot fire before they finish: check afterwards too.
    if (firstMs > firstStepLimitMs) throw new TooSlow(`the first step took over ${(firstStepLimitMs / 1000).toFixed(1)} s`);
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      t = now();
      await within(run(), firstStepLimitMs, 'a step');
      times.push(now() - t);
    }
    times.sort((a, b) => a - b);
    return { backend, firstMs, stepMs: times[Math.floor(times.length / 2)] };
  } catch (e) {
    return { backend, reason: e instanceof TooSlow ? `too slow: ${e.message}` : `failed: ${(e as Error).message || String(e)}` };
  } finally {
    // A step abandoned by the time limit may still be running on the device; its inputs are freed when it finishes.
    tf.dispose(inputs as unknown as tf.Tensor[]);
  }
}

/**
 * The fastest measured backend: lowest step time, ties to the earlier backend in the order given. A software
 * GPU adapter only wins if it beats every other backend, wasm included, which the measurement decides by itself.
 */
export function pickFastest(timings: readonly BackendTiming[]): BackendName | null {
  let best: BackendTiming | null = null;
  for (const t of timings) {
    if (t.stepMs === undefined) continue;
    if (!best || t.stepMs < best.stepMs!) best = t;
  }
  return best?.backend ?? null;
}
