// The training run loop: steps on a learning-rate plan, pause/resume/stop, growth between steps, throttled metrics
// with each step's own loss, periodic eval, and the divergence guard (non-finite steps skipped on the device, rollback after too many in a row).
import * as tf from '@tensorflow/tfjs-core';
import type { GrowOptions, GrowthEvent } from '../tokenformer/types';
import type { TrainSummary } from './api';
import { Batcher, byteTokenizer, predictedBytes, type TokenIds, type Tokenizer } from '../data';
import type { OptimizerState } from '../io';
import type { LanguageModel } from '../tokenformer/model';
import { AdamW } from '../train/adamw';
import { applyGradients, computeGradients, disposeGradients, type StepGradients } from '../train/trainStep';
import { computeGradientsParallel, type ShardRunner } from '../train/dataParallel';
import { DivergenceGuard } from '../train/guard';
import type { NonFiniteRun } from '../train/divergence';
import { evaluateOn, growWithOptimizer, optimizerState } from './glue';
import { planLr, planSchedule } from './run';
import type { DivergenceEvent, EvalPoint, LrPlan, Metrics, TrainOptions, TrainPoint } from './types';

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

/** Where a rollback returns to: the counters that go with the snapshot's weights. */
interface RunPoint {
  step: number;
  tokensSeen: number;
  flops: number;
}

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
    /** Replicas for data-parallel steps (threads > 1); none: every step on this thread, as always. */
    private readonly replicas: () => ShardRunner | null = () => null,
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

  /**
   * Trains `o.steps` steps on the learning-rate `plan` (default: a fresh one for this call). Metrics go out only
   * after a read-back, at most every EMIT_INTERVAL_MS, each carrying every step read back since the last one with
   * that step's own loss: nothing plotted is an older step's loss stamped with a newer step. `tokenizer`: whose ids
   * the corpus holds (bytes by default), for bits per byte of text.
   */
  async run(o: TrainOptions, corpus: { train: TokenIds; val: TokenIds }, onMetrics: (m: Metrics) => void, freeze?: ReadonlyMap<string, number>, plan: LrPlan = planSchedule(null, o, this.step), tokenizer: Tokenizer = byteTokenizer): Promise<TrainSummary> {
    if (!Number.isInteger(o.steps) || o.steps <= 0) throw new Error(`steps must be a positive integer, got ${o.steps}`);
    const cfg = this.model.config;
    const batchSize = o.batchSize ?? 16;
    const seqLen = Math.min(o.seqLen ?? cfg.maxSeqLen, cfg.maxSeqLen);
    const batcher = new Batcher(corpus.train, { batchSize, seqLen, seed: o.seed ?? this.step });
    const startStep = this.step;
    const endStep = startStep + o.steps;
    const logEvery = Math.max(1, o.logEvery ?? 5);
    const growAt = [...(o.growAt ?? [])].sort((a, b) => a.step - b.step);
    const guard = new DivergenceGuard<RunPoint>(this.model.params, this.optimizer, o.maxNonFiniteSteps ?? 3);
    let divergence: DivergenceEvent | undefined;
    const t0 = performance.now();
    let lastEmit = -Infinity;
    let lastLoss = NaN;
    let lastBpb = NaN;
    let lastLr = planLr(plan, this.step);
    let lastValBpb: number | undefined;
    let windowStart = performance.now();
    let windowTokens = 0;
    let tokensPerSec = 0;
    // Steps on the device not read back yet (host-side counters), and points read back but not sent yet.
    const unread: (Omit<TrainPoint, 'loss' | 'bpb'> & { bitsScale: number })[] = [];
    let pending: TrainPoint[] = [];
    let pendingEval: EvalPoint | undefined;
    const readInto = (firstStep: number, values: Float32Array) => {
      // The guard logs exactly the steps in `unread`, in the same order.
      for (let i = 0; 2 * i + 1 < values.length; i++) {
        const u = unread[i];
        if (u?.step !== firstStep + i) continue;
        const { bitsScale, ...point } = u;
        const loss = values[2 * i];
        pending.push({ ...point, loss, bpb: (loss / Math.LN2) * bitsScale });
        lastBpb = (loss / Math.LN2) * bitsScale;
      }
      unread.splice(0);
    };
    const metrics = (step: number, extra: Partial<Metrics>): Metrics => {
      const mem = tf.memory();
      const m: Metrics = {
        step,
        totalSteps: endStep,
        loss: lastLoss,
        bpb: lastBpb,
        valBpb: lastValBpb,
        lr: lastLr,
        tokensPerSec,
        tokensSeen: this.tokensSeen,
        flops: this.flops,
        params: this.model.paramCount(),
        numTensors: mem.numTensors,
        numBytes: mem.numBytes,
        elapsedMs: performance.now() - t0,
        points: pending,
        eval: pendingEval,
        skipped: guard.skipped,
        ...extra,
      };
      pending = [];
      pendingEval = undefined;
      return m;
    };
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
        if (growth) guard.invalidate();
        const lr = (lastLr = planLr(plan, this.step));
        const ids = batcher.next();
        const runner = this.replicas();
        let g: StepGradients;
        if (runner) g = await computeGradientsParallel(this.model, ids, [batchSize, seqLen], runner, { gradClip: o.gradClip ?? 1, freeze });
        else {
          const batch = tf.tensor2d(ids, [batchSize, seqLen], 'int32'); // [B, T]
          g = computeGradients(this.model, batch, { gradClip: o.gradClip ?? 1, freeze });
          batch.dispose();
        }
        const n = this.step + 1;
        const last = n === endStep;
        const evaluate = !!o.evalEvery && (n % o.evalEvery === 0 || last);
        const stepTokens = batchSize * seqLen;
        const stepFlops = 3 * this.model.flopsPerToken(seqLen) * stepTokens;
        // Bits per byte = bits per predicted token x predicted tokens / the bytes they stand for (1 for bytes).
        const predicted = batchSize * (seqLen - 1);
        const bitsScale = tokenizer === byteTokenizer ? 1 : predicted / Math.max(1, predictedBytes(tokenizer, ids, seqLen));
        unread.push({ step: n, lr, tokensSeen: this.tokensSeen + stepTokens, flops: this.flops + stepFlops, bitsScale });
        windowTokens += stepTokens; // this step's forward and backward are done by the read-back below
        // Reading back synchronises with the device: only every logEvery steps (and where an evaluation syncs
        // anyway), before that step's update, so a finite loss vouches for the state it was computed on. Other
        // steps' loss and norm wait on the device and come back with the next read-back, each with its step.
        let tripped: NonFiniteRun | null = null;
        let readBack = false;
        try {
          if (n % logEvery === 0 || last || growth || evaluate || n === startStep + 1) {
            const r = await guard.check(n, g.loss, g.norm);
            readInto(r.firstStep, r.values);
            readBack = true;
            tripped = r.tripped;
            if (!tripped && r.finite) guard.commit({ step: this.step, tokensSeen: this.tokensSeen, flops: this.flops });
            lastLoss = r.loss;
            const now = performance.now();
            tokensPerSec = (windowTokens / (now - windowStart)) * 1000;
            windowStart = now;
            windowTokens = 0;
          } else guard.defer(n, g.loss, g.norm);
        } catch (e) {
          disposeGradients(g);
          throw e;
        } finally {
          tf.dispose([g.loss, g.norm]);
        }
        if (tripped) {
          // Step n's update is dropped, not applied: the run stops here.
          disposeGradients(g);
          divergence = this.rollBack(guard, tripped, n);
          break;
        }
        applyGradients(this.optimizer, g, lr);
        this.step++;
        this.tokensSeen += stepTokens;
        this.flops += stepFlops;
        if (evaluate) {
          const r = await evaluateOn(this.model, corpus.val, { batches: o.evalBatches ?? 4, batchSize, seqLen, tokenizer });
          lastValBpb = r.bpb;
          pendingEval = { step: this.step, loss: r.loss, bpb: r.bpb, tokensSeen: this.tokensSeen, flops: this.flops };
        }
        const now = performance.now();
        if (readBack && (now - lastEmit >= EMIT_INTERVAL_MS || last || growth || evaluate)) {
          lastEmit = now;
          onMetrics(metrics(this.step, { lr, growth }));
        }
        await yieldToEventLoop();
      }
      if (!divergence) {
        // Steps not read back yet (a stop between two read-backs); a run that ends on non-finite steps diverged.
        const end = await guard.finish();
        readInto(end.firstStep, end.values);
        if (end.tripped) divergence = this.rollBack(guard, end.tripped, this.step);
        else if (pending.length || pendingEval) onMetrics(metrics(pending.at(-1)?.step ?? this.step, {}));
      }
      // The last metrics carry the event: step and counters where the run stopped, before the rollback.
      if (divergence) onMetrics(metrics(divergence.stoppedAt, { divergence }));
    } finally {
      guard.dispose();
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
    return { steps: this.step - startStep, finalLoss: lastLoss, stopped: this.step < endStep, elapsedMs: performance.now() - t0, skipped: guard.skipped, divergence };
  }

  /** Stops on a run of non-finite steps: the model and optimizer go back to the guard's last good state. */
  private rollBack(guard: DivergenceGuard<RunPoint>, run: NonFiniteRun, stoppedAt: number): DivergenceEvent {
    const to = guard.rollback();
    if (to) {
      this.step = to.step;
      this.tokensSeen = to.tokensSeen;
      this.flops = to.flops;
    }
    return { ...run, stoppedAt, rolledBackTo: to ? to.step : null };
  }

  dispose() {
    this.stop();
    this.optimizer.dispose();
  }
}
