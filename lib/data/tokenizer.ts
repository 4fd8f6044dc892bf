// The byte tokenizer: UTF-8 text <-> token ids 0..255, labels for heatmap rows, and decoding that
// never throws on the broken UTF-8 a half-trained model (or a cut-off sample) produces.
import { DataError } from './errors';

export const VOCAB_SIZE = 256;

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. Lone surrogates become U+FFFD (EF BF BD), as in every browser. */
export function encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Checks that ids are bytes, so a bug upstream (a vocab-size mismatch) fails here and not as mojibake. */
function toBytes(ids: ArrayLike<number>): Uint8Array {
  if (ids instanceof Uint8Array) return ids;
  const out = new Uint8Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || v >= VOCAB_SIZE) {
      throw new DataError('bad-token', `token id ${v} at position ${i} is not a byte (0..255)`);
    }
    out[i] = v;
  }
  return out;
}

/** Text of the ids; invalid or truncated UTF-8 sequences become U+FFFD instead of throwing. */
export function decode(ids: ArrayLike<number>): string {
  return new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(toBytes(ids));
}

/** Ids as an Int32Array, the dtype the model's embedding lookup takes. */
export function encodeIds(text: string): Int32Array {
  return Int32Array.from(encode(text));
}

/**
 * Incremental decoding for sampling one byte at a time: a multi-byte character is held back until its
 * last byte arrives, so a streaming display never flashes a replacement char mid-character.
 */
export interface ByteStreamDecoder {
  /** Text completed by these ids (may be '' while inside a multi-byte character). */
  push(ids: number | ArrayLike<number>): string;
  /** Whatever is left; an unfinished character becomes U+FFFD. */
  flush(): string;
}

export function createStreamDecoder(): ByteStreamDecoder {
  const d = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  return {
    push: (ids) => d.decode(toBytes(typeof ids === 'number' ? [ids] : ids), { stream: true }),
    flush: () => d.decode(),
  };
}

const SPECIAL: Record<number, string> = {
  0x0a: '⏎',
  0x20: '␣',
  0x09: '⇥',
  0x0d: '␍',
};

/**
 * A short printable label for one byte (heatmap rows, top-k tables): printable ASCII as itself,
 * newline/space/tab/CR as symbols, everything else as `\xNN` (UTF-8 continuation bytes included:
 * a single byte of a multi-byte character has no glyph of its own).
 */
export function byteLabel(id: number): string {
  if (!Number.isInteger(id) || id < 0 || id >= VOCAB_SIZE) {
    throw new DataError('bad-token', `token id ${id} is not a byte (0..255)`);
  }
  const special = SPECIAL[id];
  if (special !== undefined) return special;
  if (id > 0x20 && id < 0x7f) return String.fromCharCode(id);
  return `\\x${id.toString(16).padStart(2, '0')}`;
}

/** Labels of a whole sequence, e.g. the row/column labels of an attention map. */
export function byteLabels(ids: ArrayLike<number>): string[] {
  return Array.from({ length: ids.length }, (_, i) => byteLabel(ids[i]));
}
