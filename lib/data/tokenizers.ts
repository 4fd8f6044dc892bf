// The tokenizer abstraction: what the engine, the CLI and the viz need from any tokenizer (ids both ways, a
// short display piece per id, the vocabulary size), the byte tokenizer behind it, and GPT-NeoX vocab padding.
import { DataError } from './errors';
import { VOCAB_SIZE, byteLabel, decode as decodeBytes, encode as encodeBytes } from './tokenizer';

export interface SpecialToken {
  id: number;
  content: string;
}

export interface Tokenizer {
  readonly kind: 'byte' | 'bpe';
  /** For messages: "bytes" or the tokenizer file's name. */
  readonly name: string;
  /** Ids the tokenizer can produce (added tokens included, before padding): the embedding needs this many rows. */
  readonly vocabSize: number;
  readonly specialTokens: readonly SpecialToken[];
  /** End of text (GPT-NeoX: `<|endoftext|>` = 0), the first token of an empty prompt; null for bytes. */
  readonly eos: number | null;
  encode(text: string): number[];
  /** Text of the ids. Never throws: ids the tokenizer lacks (padded rows) and broken UTF-8 become U+FFFD. */
  decode(ids: ArrayLike<number>): string;
  /** A short printable label for one id (heatmap rows, usage contexts): spaces as ␣, newlines as ⏎. */
  piece(id: number): string;
  /** UTF-8 bytes of the text one id stands for (0 for ids without text, e.g. padded rows): bits per byte divide by these. */
  byteLength(id: number): number;
}

/** The lab's byte vocabulary: ids are UTF-8 bytes. */
export const byteTokenizer: Tokenizer = {
  kind: 'byte',
  name: 'bytes',
  vocabSize: VOCAB_SIZE,
  specialTokens: [],
  eos: null,
  encode: (text) => Array.from(encodeBytes(text)),
  decode: (ids) => {
    const bytes = Uint8Array.from(Array.from(ids, (v) => (Number.isInteger(v) && v >= 0 && v < VOCAB_SIZE ? v : 0x3f)));
    return decodeBytes(bytes);
  },
  piece: (id) => (Number.isInteger(id) && id >= 0 && id < VOCAB_SIZE ? byteLabel(id) : `<${id}>`),
  byteLength: (id) => (Number.isInteger(id) && id >= 0 && id < VOCAB_SIZE ? 1 : 0),
};

/**
 * Bytes of text behind the predicted tokens of a batch (`ids` row-major [rows, seqLen]; positions 1..seqLen-1 of each
 * row are predicted), so a summed loss in bits over them is bits per byte whatever the tokenizer.
 */
export function predictedBytes(t: Tokenizer, ids: ArrayLike<number>, seqLen: number): number {
  let bytes = 0;
  for (let i = 0; i < ids.length; i++) if (i % seqLen !== 0) bytes += t.byteLength(ids[i]);
  return bytes;
}

/**
 * GPT-NeoX's `_vocab_size_with_padding`: the tokenizer's size rounded up to a multiple of
 * `make_vocab_size_divisible_by` x `model_parallel_size`, so 50277 -> 50304. The padded width is the logits'.
 */
export function padVocab(vocabSize: number, divisibleBy = 128, modelParallel = 1): number {
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new DataError('bad-option', `vocabulary size must be a positive integer, got ${vocabSize}`);
  const m = divisibleBy * modelParallel;
  if (!Number.isInteger(m) || m < 1 || m > 1 << 16) throw new DataError('bad-option', `make_vocab_size_divisible_by x model_parallel_size must be an integer in [1, 65536], got ${m}`);
  return Math.ceil(vocabSize / m) * m;
}

const SHOWN: Record<string, string> = { ' ': '␣', '\n': '⏎', '\t': '⇥', '\r': '␍' };

/** Display form of a piece of text: whitespace as visible symbols, long space runs shortened, other controls as \xNN. */
export function displayPiece(text: string): string {
  const run = /^ {4,}$/.test(text) ? `␣×${text.length}` : null;
  if (run) return run;
  return Array.from(text, (ch) => {
    const shown = SHOWN[ch];
    if (shown) return shown;
    const cp = ch.codePointAt(0)!;
    return cp < 0x20 || cp === 0x7f ? `\\x${cp.toString(16).padStart(2, '0')}` : ch;
  }).join('');
}

/** Labels of a whole sequence. */
export function pieces(tokenizer: Tokenizer, ids: ArrayLike<number>): string[] {
  return Array.from({ length: ids.length }, (_, i) => tokenizer.piece(ids[i]));
}
