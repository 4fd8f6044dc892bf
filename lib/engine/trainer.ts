// The training run loop: steps, pause/resume/stop, growth between steps, throttled metrics, periodic eval.
import * as tf from '@tensorflow/tfjs-core';
import type { GrowOptions, GrowthEvent } from '../tokenformer/types';
import type { TrainSummary } from './api';
import { Batcher, byteTokenizer, predictedBytes, type TokenIds, type Tokenizer } from '../data';
import type { OptimizerState } from '../io';
import type { LanguageModel } from '../tokenformer/model';
import { AdamW } from '../train/adamw';
import { learningRate } from '../train/schedule';
import { trainStep } from '../train/train_step';
import { bitsPerByteOf, evaluateOn, growWithOptimizer, optimizerState } from './glue';
import type { Metrics, TrainOptions } from './types';

/** Metrics reach the caller at most this often (ms), except at growth, eval and the last step. */
const EMIT_INTERVAL_MS = 100;

const yieldToEventLoop = () =>
  new Promise<void>((resolve) => {
    // A macrotask, so worker messages (pause, stop, grow) are handled between steps.
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve();
      ch.port2.postMessage(null);
    }
  });

interface PendingGrowth {
  opts: GrowOptions;
  resolve: (e: GrowthEvent) => void;
  reject: (e: Error) => void;
}

export class Trainer {
  running = false;
  paused = false;
  tokensSeen = 0;
  flops = 0;
  private optimizer: AdamW;
  private stopFlag = false;
  private resumeWaiter: (() => void) | null = null;
  private pending: PendingGrowth[] = [];

  constructor(
    private model: LanguageModel,
    public step = 0,
    /** Every growth, whenever it happens (during a run, between runs, or after a stop). */
    private readonly onGrowth: (e: GrowthEvent) => void = () => {},
  ) {
    this.optimizer = new AdamW(model.params);
  }

  pause() {
    if (this.running) this.paused = true;
  }

  resume() {
    this.paused = false;
    this.resumeWaiter?.();
    this.resumeWaiter = null;
  }

  stop() {
    this.stopFlag = true;
    this.resume();
  }

  /** Grows now when idle; during a run the growth happens between two steps and this resolves then. */
  grow(opts: GrowOptions): Promise<GrowthEvent> {
    if (!this.running) return Promise.resolve(this.applyGrowth(opts));
    return new Promise((resolve, reject) => this.pending.push({ opts, resolve, reject }));
  }

  private applyGrowth(opts: GrowOptions): GrowthEvent {
    const event = growWithOptimizer(this.model, this.optimizer, opts, this.step);
    this.onGrowth(event);
    return event;
  }

  optimizerState() {
    return optimizerState(this.optimizer);
  }

  restoreOptimizer(state: OptimizerState) {
    this.optimizer.restore(state.step, state.m, state.v);
  }

  /** `tokenizer`: whose ids the corpus holds (bytes by default), for bits per byte of text. */
  async run(o: TrainOptions, corpus: { train: TokenIds; val: TokenIds }, onMetrics: (m: Metrics) => void, freeze?: ReadonlyMap<string, number>, tokenizer: Tokenizer = byteTokenizer): Promise<TrainSummary> {
    if (!Number.isInteger(o.steps) || o.steps <= 0) throw new Error(`steps must be a positive integer, got ${o.steps}`);
    const cfg = this.model.config;
    const batchSize = o.batchSize ?? 16;
    const seqLen = Math.min(o.seqLen ?? cfg.maxSeqLen, cfg.maxSeqLen);
    const batcher = new Batcher(corpus.train, { batchSize, seqLen, seed: o.seed ?? this.step });
    const startStep = this.step;
    const endStep = startStep + o.steps;
    const maxLr = o.lr ?? 1e-3;
    // The schedule spans this call's steps; a later call (resume) starts a new warmup + cosine.
    const schedule = { lr: maxLr, minLr: o.minLr ?? maxLr / 10, warmupSteps: o.warmupSteps ?? Math.min(100, Math.ceil(o.steps / 10)), totalSteps: o.steps };
    const logEvery = Math.max(1, o.logEvery ?? 5);
    const growAt = [...(o.growAt ?? [])].sort((a, b) => a.step - b.step);
    const t0 = performance.now();
    let lastEmit = -Infinity;
    let lastLoss = NaN;
    let lastBpb = NaN;
    let lastValBpb: number | undefined;
    let windowStart = performance.now();
    let windowTokens = 0;
    let tokensPerSec = 0;
    this.running = true;
    this.stopFlag = false;
    this.paused = false;
    try {
      while (this.step < endStep && !this.stopFlag) {
        if (this.paused) {
          await new Promise<void>((r) => (this.resumeWaiter = r));
          windowStart = performance.now();
          windowTokens = 0;
          if (this.stopFlag) break;
        }
        let growth: GrowthEvent | undefined;
        while (growAt.length && growAt[0].step <= this.step) growth = this.applyGrowth(growAt.shift()!.grow);
        for (const p of this.pending.splice(0)) {
          try {
            growth = this.applyGrowth(p.opts);
            p.resolve(growth);
          } catch (e) {
            p.reject(e as Error);
          }
        }
        const lr = learningRate(schedule, this.step - startStep);
        const ids = batcher.next();
        const batch = tf.tensor2d(ids, [batchSize, seqLen], 'int32'); // [B, T]
        const loss = trainStep(this.model, this.optimizer, batch, lr, { gradClip: o.gradClip ?? 1, freeze });
        batch.dispose();
        this.step++;
        this.tokensSeen += batchSize * seqLen;
        windowTokens += batchSize * seqLen;
        this.flops += 3 * this.model.flopsPerToken(seqLen) * batchSize * seqLen;
        const last = this.step === endStep;
        // Reading the loss back synchronises with the device: only every logEvery steps.
        if (this.step % logEvery === 0 || last || growth || this.step === startStep + 1) {
          lastLoss = (await loss.data())[0];
          lastBpb = bitsPerByteOf(lastLoss, batchSize * (seqLen - 1), predictedBytes(tokenizer, ids, seqLen));
          const now = performance.now();
          tokensPerSec = (windowTokens / (now - windowStart)) * 1000;
          windowStart = now;
          windowTokens = 0;
        }
        loss.dispose();
        let evaluated = false;
        if (o.evalEvery && (this.step % o.evalEvery === 0 || last)) {
          const r = await evaluateOn(this.model, corpus.val, { batches: o.evalBatches ?? 4, batchSize, seqLen, tokenizer });
          lastValBpb = r.bpb;
          evaluated = true;
        }
        const now = performance.now();
        if (now - lastEmit >= EMIT_INTERVAL_MS || last || growth || evaluated) {
          lastEmit = now;
          const mem = tf.memory();
          onMetrics({
            step: this.step,
            totalSteps: endStep,
            loss: lastLoss,
            bpb: lastBpb,
            valBpb: lastValBpb,
            lr,
            tokensPerSec,
            tokensSeen: this.tokensSeen,
            flops: this.flops,
            params: this.model.paramCount(),
            numTensors: mem.numTensors,
            numBytes: mem.numBytes,
            elapsedMs: now - t0,
            growth,
          });
        }
        await yieldToEventLoop();
      }
    } finally {
      this.running = false;
      this.paused = false;
      // Growth asked for while stopping still happens: the model is idle now.
      for (const p of this.pending.splice(0)) {
        try {
          p.resolve(this.applyGrowth(p.opts));
        } catch (e) {
          p.reject(e as Error);
        }
      }
    }
    return { steps: this.step - startStep, finalLoss: lastLoss, stopped: this.step < endStep, elapsedMs: performance.now() - t0 };
  }

  dispose() {
    this.stop();
    this.optimizer.dispose();
  }
}
