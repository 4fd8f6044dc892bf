// Reading one entry: compressed bytes in small pieces through fflate's streaming Inflate, stopping at the
// declared size, the caller's limit or the compression-ratio limit (whichever comes first), CRC-checked.
import { Inflate } from 'fflate';
import { crc32 } from './crc32';
import { entryDataOffset, readRange, toZipSource, ZipError, type ZipEntry, type ZipSource } from './directory';

/**
 * Deflate can reach 1032:1, but real data does not come close (text ~3:1, float weights ~1.1:1). Past the
 * grace below, an entry that expands more than this is refused as a bomb.
 */
export const MAX_RATIO = 100;
/** Output allowed before the ratio is enforced, so small, very compressible entries (zero biases) still read. */
export const RATIO_GRACE_BYTES = 1 << 20;
/** Compressed bytes per Inflate.push: bounds one step's output to 1032x this (16.5 MB), however hostile. */
export const PUSH_BYTES = 16 << 10;
/** Compressed bytes per read from the source; progress is reported and the event loop given a turn after each. */
export const READ_BYTES = 1 << 20;

export interface ZipProgress {
  /** Compressed bytes consumed so far. */
  done: number;
  total: number;
}

export interface EntryReadOptions {
  /** Stop once this many bytes have been produced (a prefix, not an error; no CRC check then). */
  maxBytes?: number;
  /** Refuse ('too-large') an entry that declares or produces more than this many bytes. */
  limit?: number;
  /** Refuse ('too-large') an entry that expands more than this, once past RATIO_GRACE_BYTES. Default MAX_RATIO. */
  maxRatio?: number;
  /** Accept an entry whose compressed data ends early: return what inflates (no CRC check then). */
  allowTruncated?: boolean;
  /** Check the CRC-32 of a complete entry (default true). */
  verifyCrc?: boolean;
  onProgress?: (p: ZipProgress) => void;
  /** Compressed bytes per read (default READ_BYTES); small values make progress finer. */
  chunkBytes?: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Checks what the headers promise against the limits, before a byte is inflated or allocated. */
function checkDeclared(entry: ZipEntry, limit: number, maxRatio: number): void {
  if (entry.method !== 0 && entry.method !== 8) {
    throw new ZipError('unsupported', `zip entry "${entry.name}" uses compression method ${entry.method} (only stored and deflate are read)`);
  }
  const size = entry.size;
  if (size === null) return;
  if (size > limit) throw new ZipError('too-large', `zip entry "${entry.name}" declares ${size} bytes, over the limit of ${limit}`);
  if (entry.method === 0 && size !== entry.compressedSize && Number.isFinite(entry.compressedSize)) {
    throw new ZipError('bad-zip', `stored zip entry "${entry.name}" declares ${size} bytes but holds ${entry.compressedSize}`);
  }
  if (entry.method === 8 && size > RATIO_GRACE_BYTES && size > maxRatio * entry.compressedSize) {
    throw new ZipError(
      'too-large',
      `zip entry "${entry.name}" declares ${size} bytes from ${entry.compressedSize} compressed, a ratio over ${maxRatio}:1 (a zip bomb?)`,
    );
  }
}

/**
 * Streams an entry's uncompressed bytes to `sink` (fresh chunks the sink may keep). Returns how many bytes it
 * produced and whether that is the whole, CRC-checked entry. Throws ZipError.
 */
export async function streamZipEntry(
  input: Uint8Array | ZipSource,
  entry: ZipEntry,
  sink: (chunk: Uint8Array) => void,
  opts: EntryReadOptions = {},
): Promise<{ bytes: number; complete: boolean }> {
  const source = toZipSource(input);
  const { maxBytes = Infinity, limit = Infinity, maxRatio = MAX_RATIO, allowTruncated = false, verifyCrc = true, onProgress } = opts;
  const chunkBytes = Math.max(1, opts.chunkBytes ?? READ_BYTES);
  checkDeclared(entry, limit, maxRatio);
  const start = await entryDataOffset(source, entry);
  const available = Math.max(0, source.size - start);
  const truncated = available < entry.compressedSize;
  if (truncated && !allowTruncated) {
    const where = Number.isFinite(entry.compressedSize) ? `after ${available} of ${entry.compressedSize} compressed bytes` : 'before the entry does';
    throw new ZipError('truncated', `zip entry "${entry.name}" is cut off: the file ends ${where} (truncated download?)`);
  }
  const total = Math.min(available, entry.compressedSize);
  let produced = 0;
  let consumed = 0;
  let crc = 0;
  let full = false; // reached maxBytes
  const emit = (chunk: Uint8Array): void => {
    if (full || chunk.length === 0) return;
    const after = produced + chunk.length;
    if (entry.size !== null && after > entry.size) {
      throw new ZipError('bad-zip', `zip entry "${entry.name}" inflates to more than its declared ${entry.size} bytes`);
    }
    if (after > limit) throw new ZipError('too-large', `zip entry "${entry.name}" inflates to more than the limit of ${limit} bytes`);
    if (after > RATIO_GRACE_BYTES && after > maxRatio * consumed) {
      throw new ZipError('too-large', `zip entry "${entry.name}" expands more than ${maxRatio}:1 (${after} bytes from ${consumed}): a zip bomb?`);
    }
    const take = Math.min(chunk.length, maxBytes - produced);
    const part = take < chunk.length ? chunk.slice(0, take) : chunk;
    crc = crc32(part, crc);
    produced += part.length;
    sink(part);
    if (produced >= maxBytes) full = true;
  };
  const inflater = entry.method === 8 ? new Inflate((chunk) => emit(chunk)) : null;
  for (let off = 0; off < total && !full; off += chunkBytes) {
    const end = Math.min(total, off + chunkBytes);
    const piece = await readRange(source, start + off, end - off, `zip entry "${entry.name}"`);
    for (let p = 0; p < piece.length && !full; p += PUSH_BYTES) {
      const q = Math.min(piece.length, p + PUSH_BYTES);
      consumed += q - p;
      const last = off + q === total && !truncated;
      if (!inflater) {
        emit(piece.slice(p, q));
        continue;
      }
      try {
        inflater.push(piece.subarray(p, q), last);
      } catch (e) {
        if (e instanceof ZipError) throw e;
        throw new ZipError('bad-zip', `zip entry "${entry.name}" does not inflate (${(e as Error).message})`);
      }
    }
    onProgress?.({ done: end, total });
    if (total > chunkBytes) await yieldToEventLoop();
  }
  if (full || truncated) return { bytes: produced, complete: false };
  if (entry.size !== null && produced !== entry.size) {
    throw new ZipError('bad-zip', `zip entry "${entry.name}" inflates to ${produced} bytes, but its header says ${entry.size}`);
  }
  if (verifyCrc && crc !== entry.crc32) throw new ZipError('bad-zip', `zip entry "${entry.name}" fails its CRC-32 check (the file is damaged)`);
  return { bytes: produced, complete: true };
}

/**
 * The entry's bytes in one array. Preallocated only from a size the checks above have accepted; an entry of
 * unknown size is gathered in chunks, bounded by `maxBytes`, `limit` and the ratio as it streams.
 */
export async function readZipEntry(input: Uint8Array | ZipSource, entry: ZipEntry, opts: EntryReadOptions = {}): Promise<Uint8Array> {
  const source = toZipSource(input);
  checkDeclared(entry, opts.limit ?? Infinity, opts.maxRatio ?? MAX_RATIO);
  // A stored entry is one range of the file: no copy when the source is in memory.
  if (entry.method === 0 && entry.size !== null && !opts.allowTruncated && (opts.maxBytes ?? Infinity) >= entry.size) {
    const start = await entryDataOffset(source, entry);
    const data = await readRange(source, start, entry.size, `zip entry "${entry.name}"`);
    if (opts.verifyCrc !== false && crc32(data) !== entry.crc32) {
      throw new ZipError('bad-zip', `zip entry "${entry.name}" fails its CRC-32 check (the file is damaged)`);
    }
    opts.onProgress?.({ done: data.length, total: data.length });
    return data;
  }
  // Streaming never gets past max(grace, ratio x compressed bytes present), whatever the header says.
  const reachable = Math.max(RATIO_GRACE_BYTES, (opts.maxRatio ?? MAX_RATIO) * Math.max(0, source.size - entry.localOffset));
  const known = Math.min(entry.size ?? Infinity, opts.maxBytes ?? Infinity, opts.limit ?? Infinity);
  if (Number.isFinite(known)) {
    const out = new Uint8Array(Math.min(known, reachable));
    let at = 0;
    await streamZipEntry(source, entry, (c) => {
      out.set(c, at);
      at += c.length;
    }, opts);
    return at === out.length ? out : out.subarray(0, at);
  }
  const chunks: Uint8Array[] = [];
  const { bytes } = await streamZipEntry(source, entry, (c) => chunks.push(c), opts);
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Reads chosen byte ranges of a stored (uncompressed) entry straight from the source, in order, each once, so a
 * large entry (a flat weight storage) is never held whole. `ranges` are sorted, disjoint `[begin, end)` offsets
 * inside the entry; `take` gets each range's bytes before the next is read. With `verifyCrc` (default true) the
 * bytes between ranges are read in READ_BYTES pieces only for the CRC, which is checked after the last range:
 * callers must undo what `take` did when this throws.
 */
export async function readStoredRanges(
  input: Uint8Array | ZipSource,
  entry: ZipEntry,
  ranges: readonly (readonly [number, number])[],
  take: (index: number, bytes: Uint8Array) => void | Promise<void>,
  opts: { limit?: number; verifyCrc?: boolean } = {},
): Promise<void> {
  const source = toZipSource(input);
  checkDeclared(entry, opts.limit ?? Infinity, MAX_RATIO);
  if (entry.method !== 0 || entry.size === null) throw new ZipError('unsupported', `zip entry "${entry.name}" is not stored uncompressed with a known size`);
  const size = entry.size;
  const start = await entryDataOffset(source, entry);
  if (start + size > source.size) {
    throw new ZipError('truncated', `zip entry "${entry.name}" is cut off: the file ends after ${Math.max(0, source.size - start)} of ${size} bytes (truncated download?)`);
  }
  const verify = opts.verifyCrc !== false;
  let crc = 0;
  let at = 0;
  const skipTo = async (to: number) => {
    while (verify && at < to) {
      const n = Math.min(to - at, READ_BYTES);
      crc = crc32(await readRange(source, start + at, n, `zip entry "${entry.name}"`), crc);
      at += n;
    }
    at = to;
  };
  for (let i = 0; i < ranges.length; i++) {
    const [begin, end] = ranges[i];
    if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < at || end < begin || end > size) {
      throw new RangeError(`readStoredRanges: range [${begin}, ${end}) of zip entry "${entry.name}" is out of order or outside its ${size} bytes`);
    }
    await skipTo(begin);
    const bytes = await readRange(source, start + begin, end - begin, `zip entry "${entry.name}"`);
    if (verify) crc = crc32(bytes, crc);
    at = end;
    await take(i, bytes);
  }
  await skipTo(size);
  if (verify && crc !== entry.crc32) throw new ZipError('bad-zip', `zip entry "${entry.name}" fails its CRC-32 check (the file is damaged)`);
}
