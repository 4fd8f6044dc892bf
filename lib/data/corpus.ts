// Building corpora: any text file with a configurable contiguous split, a summary for the UI, and one
// `loadCorpus(spec)` entry point the engine maps its data specs onto.
import { DataError, assertInt } from './errors';
import { loadEnwik8 } from './enwik8';
import { DEFAULT_FRACTIONS, splitCorpus } from './split';
import { generateSyntheticCorpus, type SyntheticOptions } from './synthetic';
import type { SyntheticTask } from './tasks';
import { decode, encode } from './tokenizer';
import type { Corpus, ProgressCallback, SplitFractions } from './types';

/** Smallest text file accepted by default: below this, 5% val/test splits hold a few dozen bytes. */
export const MIN_TEXT_BYTES = 1024;

export interface TextCorpusOptions {
  /** [train, val, test] fractions along the file (default [0.9, 0.05, 0.05]). */
  fractions?: SplitFractions;
  /** Refuse files smaller than this (default MIN_TEXT_BYTES). */
  minBytes?: number;
}

/** Any bytes (usually a UTF-8 text file) as a corpus. Strings are UTF-8 encoded; byte arrays are split as views. */
export function textCorpus(name: string, data: Uint8Array | string, opts: TextCorpusOptions = {}): Corpus {
  const minBytes = opts.minBytes ?? MIN_TEXT_BYTES;
  assertInt('minBytes', minBytes, 0);
  const bytes = typeof data === 'string' ? encode(data) : data;
  if (bytes.length < minBytes) {
    throw new DataError(
      'too-small',
      `"${name}" has ${bytes.length} bytes; a text corpus needs at least ${minBytes} so that its ` +
        'validation and test splits hold more than a few characters',
    );
  }
  return splitCorpus(name, bytes, opts.fractions ?? DEFAULT_FRACTIONS);
}

/** The shape of the engine's DataInfo: sizes and a printable sample. */
export interface CorpusInfo {
  name: string;
  trainBytes: number;
  valBytes: number;
  testBytes: number;
  sample: string;
}

/** Sizes and the start of the training text (a character cut at the end is dropped, not shown as U+FFFD). */
export function corpusInfo(corpus: Corpus, sampleBytes = 200): CorpusInfo {
  const sample = decode(corpus.train.subarray(0, sampleBytes)).replace(/\ufffd{1,3}$/, '');
  return {
    name: corpus.name,
    trainBytes: corpus.train.length,
    valBytes: corpus.val.length,
    testBytes: corpus.test.length,
    sample,
  };
}

/** Where a corpus comes from: structurally a superset of the engine's DataSpec, so it can pass one straight in. */
export type CorpusSpec =
  | ({ kind: 'synthetic'; task: SyntheticTask } & SyntheticOptions)
  | ({ kind: 'text'; name: string; bytes: Uint8Array } & TextCorpusOptions)
  | { kind: 'enwik8'; name?: string; bytes: Uint8Array; partial?: boolean; maxBytes?: number };

export async function loadCorpus(spec: CorpusSpec, opts: { onProgress?: ProgressCallback } = {}): Promise<Corpus> {
  switch (spec.kind) {
    case 'synthetic':
      return generateSyntheticCorpus(spec.task, spec);
    case 'text':
      return textCorpus(spec.name, spec.bytes, spec);
    case 'enwik8':
      return loadEnwik8(spec.bytes, { partial: spec.partial, maxBytes: spec.maxBytes, name: spec.name, onProgress: opts.onProgress });
    default: {
      const never: never = spec;
      throw new DataError('bad-option', `unknown corpus kind in ${JSON.stringify(never)}`);
    }
  }
}
