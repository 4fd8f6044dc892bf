// Writes the Megatron/GPT-NeoX "mmap" indexed dataset (`P.bin` tokens back to back, `P.idx` sizes, byte offsets
// and document starts) that the reference trainer reads with `data_impl: mmap`.
import { FormatError } from './errors';

/** `.idx` magic: "MMIDIDX" and two NUL bytes. */
export const MMAP_MAGIC = new Uint8Array([0x4d, 0x4d, 0x49, 0x44, 0x49, 0x44, 0x58, 0x00, 0x00]);
export const MMAP_VERSION = 1;
/** Element type codes of the index header. */
export const MMAP_DTYPES = { uint8: 1, int8: 2, int16: 3, int32: 4, int64: 5, float32: 6, float64: 7, uint16: 8 } as const;

export interface MmapDataset {
  bin: Uint8Array;
  idx: Uint8Array;
  /** Element type of the tokens, as the reference's builder picks it: uint16 below 65500 ids, else int32. */
  dtype: 'uint16' | 'int32';
  documents: number;
  tokens: number;
}

/**
 * One item per document, one document per item (the layout `preprocess_data.py` writes without sentence
 * splitting). `vocabSize` picks the element type; every id must lie in [0, vocabSize).
 */
export function writeMmapDataset(documents: ArrayLike<number>[], vocabSize: number): MmapDataset {
  const dtype = vocabSize < 65500 ? 'uint16' : 'int32';
  const width = dtype === 'uint16' ? 2 : 4;
  const n = documents.length;
  let tokens = 0;
  for (const d of documents) {
    if (d.length > 0x7fffffff) throw new FormatError('unsupported', `a document of ${d.length} tokens does not fit the index's int32 sizes`);
    tokens += d.length;
  }
  if (!Number.isSafeInteger(tokens * width)) throw new FormatError('unsupported', `${tokens} tokens is too many for one dataset`);
  const bin = new Uint8Array(tokens * width);
  const bv = new DataView(bin.buffer);
  let at = 0;
  for (const d of documents) {
    for (let i = 0; i < d.length; i++) {
      const id = d[i];
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new FormatError('bad-offsets', `token id ${id} is outside the vocabulary [0, ${vocabSize})`);
      if (width === 2) bv.setUint16(at, id, true);
      else bv.setInt32(at, id, true);
      at += width;
    }
  }
  // Header: magic, u64 version, u8 dtype code, u64 item count, u64 doc_idx length; then int32 sizes,
  // int64 byte pointers, int64 doc_idx (0, then one entry after each document).
  const header = MMAP_MAGIC.length + 8 + 1 + 8 + 8;
  const idx = new Uint8Array(header + n * 4 + n * 8 + (n + 1) * 8);
  const iv = new DataView(idx.buffer);
  idx.set(MMAP_MAGIC, 0);
  let p = MMAP_MAGIC.length;
  iv.setBigUint64(p, BigInt(MMAP_VERSION), true);
  iv.setUint8((p += 8), MMAP_DTYPES[dtype]);
  iv.setBigUint64((p += 1), BigInt(n), true);
  iv.setBigUint64((p += 8), BigInt(n + 1), true);
  p += 8;
  for (const d of documents) {
    iv.setInt32(p, d.length, true);
    p += 4;
  }
  let pointer = 0;
  for (const d of documents) {
    iv.setBigInt64(p, BigInt(pointer), true);
    pointer += d.length * width;
    p += 8;
  }
  for (let i = 0; i <= n; i++) {
    iv.setBigInt64(p, BigInt(i), true);
    p += 8;
  }
  return { bin, idx, dtype, documents: n, tokens };
}

/** Cuts a byte split into documents of at most `size` bytes (the reference splits train/valid/test by document). */
export function chunkDocuments(bytes: Uint8Array, size: number): Uint8Array[] {
  if (!Number.isInteger(size) || size < 1) throw new FormatError('unsupported', `document size must be a positive integer, got ${size}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, Math.min(bytes.length, i + size)));
  return out;
}
