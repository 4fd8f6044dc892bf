// Contiguous train/val/test splits of a byte array: train first, then val, then test, as in the standard
// enwik8 split, so held-out text is text the model never saw (no shuffling of overlapping windows).
import { DataError } from './errors';
import type { Corpus, SplitFractions } from './types';

export const DEFAULT_FRACTIONS: SplitFractions = [0.9, 0.05, 0.05];

function checkFractions(f: SplitFractions): void {
  if (f.length !== 3 || f.some((x) => !Number.isFinite(x) || x < 0)) {
    throw new DataError('bad-option', `split fractions must be three non-negative numbers, got [${f.join(', ')}]`);
  }
  const sum = f[0] + f[1] + f[2];
  if (Math.abs(sum - 1) > 1e-9) {
    throw new DataError('bad-option', `split fractions must sum to 1, got [${f.join(', ')}] (sum ${sum})`);
  }
}

/**
 * The two cut points [trainEnd, valEnd]. Rounding the cumulative fractions (not each size) makes the
 * sizes add up to n exactly and gives enwik8's 90,000,000 / 5,000,000 / 5,000,000 at n = 1e8.
 */
export function splitPoints(n: number, fractions: SplitFractions = DEFAULT_FRACTIONS): [number, number] {
  checkFractions(fractions);
  const a = Math.round(n * fractions[0]);
  const b = Math.max(a, Math.min(n, Math.round(n * (fractions[0] + fractions[1]))));
  return [a, b];
}

/** Splits into views of `bytes` (no copy; they share its buffer). */
export function splitBytes(bytes: Uint8Array, fractions: SplitFractions = DEFAULT_FRACTIONS): Omit<Corpus, 'name'> {
  const [a, b] = splitPoints(bytes.length, fractions);
  return { train: bytes.subarray(0, a), val: bytes.subarray(a, b), test: bytes.subarray(b) };
}

/**
 * Splits and checks that every split a fraction asks for got at least one byte, with a message that
 * says how many bytes the file would need.
 */
export function splitCorpus(
  name: string,
  bytes: Uint8Array,
  fractions: SplitFractions = DEFAULT_FRACTIONS,
  minBytes = 0,
): Corpus {
  if (bytes.length < minBytes) {
    throw new DataError(
      'too-small',
      `${name} has ${bytes.length} bytes; at least ${minBytes} are needed to split it into train/val/test`,
    );
  }
  const parts = splitBytes(bytes, fractions);
  const names = ['train', 'val', 'test'] as const;
  names.forEach((k, i) => {
    if (fractions[i] > 0 && parts[k].length === 0) {
      const need = Math.ceil(1 / fractions[i]);
      throw new DataError(
        'too-small',
        `${name} has ${bytes.length} bytes, which leaves its ${k} split empty; use at least ${need} bytes or a larger ${k} fraction`,
      );
    }
  });
  return { name, ...parts };
}
