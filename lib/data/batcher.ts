// Training batches (random windows, deterministic from a seed, resumable) and evaluation batches (windows
// whose predicted positions tile the split exactly once) as flat Int32Arrays of shape [B, T].
import { DataError, assertInt } from './errors';
import { createRng, type Rng } from './rng';
import type { TokenIds } from './types';

export interface BatcherOptions {
  batchSize: number;
  /** Tokens per window; the model predicts positions 1..T-1 from 0..T-2, so T >= 2. */
  seqLen: number;
  seed?: number;
}

function checkShape(dataLength: number, batchSize: number, seqLen: number, what = 'data'): void {
  assertInt('batchSize', batchSize, 1);
  assertInt('seqLen', seqLen, 2);
  if (dataLength < seqLen) {
    throw new DataError(
      'too-small',
      `${what} has ${dataLength} bytes, fewer than one window of seqLen = ${seqLen}; use a shorter seqLen or more data`,
    );
  }
}

/** Random windows: each row is data[s, s + seqLen) for a start s drawn uniformly from every valid start. */
export class Batcher {
  readonly batchSize: number;
  readonly seqLen: number;
  /** How many distinct windows exist (valid start positions). */
  readonly windows: number;
  /** Start offsets of the rows of the latest batch (for debugging and for showing the text behind a batch). */
  readonly lastStarts: Int32Array;
  private readonly rng: Rng;

  constructor(
    private readonly data: TokenIds,
    opts: BatcherOptions,
  ) {
    checkShape(data.length, opts.batchSize, opts.seqLen);
    this.batchSize = opts.batchSize;
    this.seqLen = opts.seqLen;
    this.windows = data.length - opts.seqLen + 1;
    this.lastStarts = new Int32Array(opts.batchSize);
    this.rng = createRng(opts.seed ?? 0);
  }

  /** The next batch, [batchSize, seqLen] row-major. Pass `out` to reuse a buffer across steps. */
  next(out?: Int32Array): Int32Array {
    const { batchSize: B, seqLen: T } = this;
    if (out && out.length !== B * T) {
      throw new DataError('bad-option', `out has ${out.length} elements; a batch needs ${B} x ${T} = ${B * T}`);
    }
    const batch = out ?? new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const s = this.rng.int(this.windows);
      this.lastStarts[b] = s;
      for (let t = 0; t < T; t++) batch[b * T + t] = this.data[s + t];
    }
    return batch;
  }

  /** Sampler state, saved with a checkpoint so a resumed run sees the same batches it would have. */
  get state(): number {
    return this.rng.state;
  }

  set state(v: number) {
    this.rng.state = v;
  }
}

/**
 * Starts of the evaluation windows. Consecutive windows overlap by one token, the stride being seqLen - 1,
 * so that every byte after the first is a prediction target exactly once (a window's first token is only
 * context). When `maxWindows` cuts the list, the kept windows are spread evenly over the split rather than
 * bunched at its start, which would bias the estimate toward one article.
 */
export function evalWindowStarts(dataLength: number, seqLen: number, maxWindows = Infinity): Int32Array {
  checkShape(dataLength, 1, seqLen);
  const stride = seqLen - 1;
  const total = Math.floor((dataLength - 1) / stride);
  const n = Math.min(total, maxWindows);
  const starts = new Int32Array(n);
  for (let k = 0; k < n; k++) starts[k] = Math.floor((k * total) / n) * stride;
  return starts;
}

/** How much an evaluation will read: for progress bars and for weighting a mean over batches. */
export function evalPlan(
  dataLength: number,
  batchSize: number,
  seqLen: number,
  maxBatches = Infinity,
): { windows: number; batches: number; targets: number } {
  checkShape(dataLength, batchSize, seqLen);
  if (maxBatches !== Infinity) assertInt('maxBatches', maxBatches, 1);
  const windows = evalWindowStarts(dataLength, seqLen, maxBatches * batchSize).length;
  return { windows, batches: Math.ceil(windows / batchSize), targets: windows * (seqLen - 1) };
}

/**
 * Held-out batches in order; the last one may have fewer rows (its length is rows * seqLen).
 * Deterministic, no seed: every evaluation of a split reads the same bytes. Arguments are checked
 * on the call, not on the first iteration.
 */
export function evalBatches(data: TokenIds, batchSize: number, seqLen: number, maxBatches = Infinity): Generator<Int32Array> {
  checkShape(data.length, batchSize, seqLen, 'the evaluation split');
  if (maxBatches !== Infinity) assertInt('maxBatches', maxBatches, 1);
  const starts = evalWindowStarts(data.length, seqLen, maxBatches * batchSize);
  return (function* () {
    for (let first = 0; first < starts.length; first += batchSize) {
      const rows = Math.min(batchSize, starts.length - first);
      const batch = new Int32Array(rows * seqLen);
      for (let r = 0; r < rows; r++) {
        const s = starts[first + r];
        for (let t = 0; t < seqLen; t++) batch[r * seqLen + t] = data[s + t];
      }
      yield batch;
    }
  })();
}
