// The browser-safe API of lib/data (no Node built-ins). Node-only helpers live in ./node/*.
export { DataError, type DataErrorCode } from './errors';
export type { Corpus, TokenIds, Progress, ProgressCallback, SplitFractions } from './types';
export { createRng, deriveSeed, mixSeed, type Rng } from './rng';
export { byteTokenizer, padVocab, displayPiece, pieces, predictedBytes, type Tokenizer, type SpecialToken } from './tokenizers';
export { loadBpeTokenizer, MAX_TOKENIZER_BYTES } from './bpe';
export { VOCAB_SIZE, encode, encodeIds, decode, createStreamDecoder, byteLabel, byteLabels, type ByteStreamDecoder } from './tokenizer';
export { DEFAULT_FRACTIONS, splitPoints, splitBytes, splitCorpus } from './split';
export { crc32, isZip, listZipEntries, firstLocalEntry, streamZipEntry, readZipEntry, type ZipEntry, type EntryReadOptions } from '../zip';
export {
  ENWIK8_URL,
  ENWIK8_BYTES,
  ENWIK8_ZIP_BYTES,
  ENWIK8_MD5,
  ENWIK8_SHA1,
  ENWIK8_ENTRY,
  ENWIK8_SPLIT,
  loadEnwik8,
  type Enwik8Options,
} from './enwik8';
export {
  SYNTHETIC_TASKS,
  TASK_KINDS,
  generateExample,
  solvePrompt,
  scoreCompletion,
  exactMatchAccuracy,
  resolveTaskOptions,
  type SyntheticTask,
  type TaskOptions,
  type Example,
  type Score,
} from './tasks';
export { generateSyntheticCorpus, syntheticExamples, type SyntheticOptions } from './synthetic';
export { MIN_TEXT_BYTES, textCorpus, corpusInfo, loadCorpus, type TextCorpusOptions, type CorpusInfo, type CorpusSpec } from './corpus';
export { Batcher, evalBatches, evalPlan, evalWindowStarts, type BatcherOptions } from './batcher';
