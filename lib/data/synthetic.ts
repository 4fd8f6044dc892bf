// Synthetic corpora from a seed, the default data that needs no download: train/val/test are lines from
// independent sub-seeds, optionally with held-out lines guaranteed absent from train.
import { DataError, assertInt } from './errors';
import { createRng, deriveSeed } from './rng';
import { generateExample, resolveTaskOptions, type Example, type SyntheticTask, type TaskOptions } from './tasks';
import type { Corpus } from './types';

export interface SyntheticOptions extends TaskOptions {
  seed?: number;
  /** Lines of train text (default 20,000, about 300 kB). */
  examples?: number;
  /** Lines of val and of test text (default: a tenth of `examples`, at least 100). */
  heldOutExamples?: number;
  /**
   * Reject val/test lines that also occur in train, so held-out accuracy measures generalisation, not
   * recall. Fails with `too-small` when the task has too few distinct lines for the sizes asked.
   */
  disjoint?: boolean;
}

/** `count` examples of a task; the same seed gives the same examples. */
export function syntheticExamples(task: SyntheticTask, count: number, seed = 0, opts: TaskOptions = {}): Example[] {
  assertInt('count', count, 0);
  const rng = createRng(seed);
  return Array.from({ length: count }, () => generateExample(task, rng, opts));
}

function heldOut(task: SyntheticTask, count: number, seed: number, opts: TaskOptions, exclude: Set<string> | null): string {
  if (!exclude) return syntheticExamples(task, count, seed, opts).map((e) => e.line).join('');
  const rng = createRng(seed);
  const lines: string[] = [];
  // Bounded: a task with few distinct lines (modadd has modulus^2) must fail, not spin.
  for (let tries = 0; lines.length < count; tries++) {
    if (tries >= 50 * count + 1000) {
      throw new DataError(
        'too-small',
        `only ${lines.length} of ${count} held-out ${task} lines could avoid the ${exclude.size} distinct train lines; ` +
          'use fewer examples, a larger maxLen/modulus, or disjoint: false',
      );
    }
    const { line } = generateExample(task, rng, opts);
    if (!exclude.has(line)) lines.push(line);
  }
  return lines.join('');
}

const encoder = new TextEncoder();

/** A corpus of newline-terminated example lines; one buffer holds train, val and test back to back. */
export function generateSyntheticCorpus(task: SyntheticTask, opts: SyntheticOptions = {}): Corpus {
  const { seed = 0, examples = 20_000, disjoint = false } = opts;
  assertInt('examples', examples, 1);
  const held = opts.heldOutExamples ?? Math.max(100, Math.round(examples / 10));
  assertInt('heldOutExamples', held, 1);
  const taskOpts = resolveTaskOptions(opts);
  const trainLines = syntheticExamples(task, examples, deriveSeed(seed, 'train'), taskOpts).map((e) => e.line);
  const exclude = disjoint ? new Set(trainLines) : null;
  const parts = [
    trainLines.join(''),
    heldOut(task, held, deriveSeed(seed, 'val'), taskOpts, exclude),
    heldOut(task, held, deriveSeed(seed, 'test'), taskOpts, exclude),
  ].map((s) => encoder.encode(s));
  const all = new Uint8Array(parts[0].length + parts[1].length + parts[2].length);
  all.set(parts[0], 0);
  all.set(parts[1], parts[0].length);
  all.set(parts[2], parts[0].length + parts[1].length);
  const a = parts[0].length;
  const b = a + parts[1].length;
  return { name: `synthetic:${task}`, train: all.subarray(0, a), val: all.subarray(a, b), test: all.subarray(b) };
}
