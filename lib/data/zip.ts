// A small zip reader for one large entry: finds it through the central directory, inflates it in chunks
// with fflate's streaming Inflate (so progress is real and the UI can breathe), and checks its CRC-32.
import { Inflate } from 'fflate';
import { DataError } from './errors';
import type { ProgressCallback } from './types';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate; others are rejected. */
  method: number;
  crc32: number;
  /** Compressed size; Infinity when unknown (a truncated zip whose local header defers sizes to after the data). */
  compressedSize: number;
  /** Uncompressed size from the header; null when unknown (a local header written before the data). */
  size: number | null;
  /** Offset of the first byte of the entry's (compressed) data in the zip. */
  dataOffset: number;
}

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const EOCD_SIG = 0x06054b50;

const u16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

/** True when the bytes start like a zip (a local file header, or the end record of an empty zip). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && (u32(bytes, 0) === LOCAL_SIG || u32(bytes, 0) === EOCD_SIG);
}

// Slicing-by-4 tables: four bytes per step, about 3x the byte-at-a-time loop on enwik8's 100 MB.
const CRC_TABLES = (() => {
  const t = new Uint32Array(4 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 4; k++) {
      const prev = t[(k - 1) * 256 + n];
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
})();

/** Incremental CRC-32 (the zip/PNG polynomial): pass the previous value to continue a running checksum. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const t = CRC_TABLES;
  let c = ~previous;
  let i = 0;
  for (const n4 = bytes.length - 3; i < n4; i += 4) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    c = t[768 + (c & 0xff)] ^ t[512 + ((c >>> 8) & 0xff)] ^ t[256 + ((c >>> 16) & 0xff)] ^ t[c >>> 24];
  }
  for (; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

const utf8 = new TextDecoder();

function localDataOffset(zip: Uint8Array, headerOffset: number, name: string): number {
  if (headerOffset + 30 > zip.length || u32(zip, headerOffset) !== LOCAL_SIG) {
    throw new DataError('bad-zip', `corrupt zip: the local header of "${name}" is missing`);
  }
  return headerOffset + 30 + u16(zip, headerOffset + 26) + u16(zip, headerOffset + 28);
}

/** The entries named by the central directory. Throws `bad-zip` when there is none (not a zip, or cut off). */
export function listZipEntries(zip: Uint8Array): ZipEntry[] {
  // The end record sits in the last 22 + (up to 65535 comment) bytes; scan backwards for its signature.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (u32(zip, i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    throw new DataError('bad-zip', 'not a complete zip file: no end-of-central-directory record (truncated download?)');
  }
  const count = u16(zip, eocd + 10);
  let p = u32(zip, eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 46 > zip.length || u32(zip, p) !== CENTRAL_SIG) {
      throw new DataError('bad-zip', 'corrupt zip: central directory entry out of place');
    }
    const nameLen = u16(zip, p + 28);
    const name = utf8.decode(zip.subarray(p + 46, p + 46 + nameLen));
    const compressedSize = u32(zip, p + 20);
    const size = u32(zip, p + 24);
    if (compressedSize === 0xffffffff || size === 0xffffffff) {
      throw new DataError('bad-zip', `"${name}" is a zip64 entry, which this reader does not support`);
    }
    if (u16(zip, p + 8) & 1) throw new DataError('bad-zip', `"${name}" is encrypted`);
    entries.push({
      name,
      method: u16(zip, p + 10),
      crc32: u32(zip, p + 16),
      compressedSize,
      size,
      dataOffset: localDataOffset(zip, u32(zip, p + 42), name),
    });
    p += 46 + nameLen + u16(zip, p + 30) + u16(zip, p + 32);
  }
  return entries;
}

/**
 * The first entry from its local header alone, for a zip whose end was cut off (an interrupted download):
 * its data runs to the end of what we have. Null when the bytes do not start with a local header.
 */
export function firstLocalEntry(zip: Uint8Array): ZipEntry | null {
  if (zip.length < 30 || u32(zip, 0) !== LOCAL_SIG) return null;
  const name = utf8.decode(zip.subarray(30, 30 + u16(zip, 26)));
  const dataOffset = localDataOffset(zip, 0, name);
  // Bit 3: sizes and CRC follow the data, so the header's are zeros.
  const deferred = (u16(zip, 6) & 8) !== 0;
  return {
    name,
    method: u16(zip, 8),
    crc32: u32(zip, 14),
    compressedSize: deferred ? Infinity : u32(zip, 18),
    size: deferred ? null : u32(zip, 22),
    dataOffset,
  };
}

export interface InflateEntryOptions {
  /** Stop once this many uncompressed bytes have been produced (no CRC check then). */
  maxBytes?: number;
  /** Accept an entry whose compressed data ends early: return what inflates (no CRC check then). */
  allowTruncated?: boolean;
  onProgress?: ProgressCallback;
  /** Compressed bytes pushed per step; progress is reported and the event loop given a turn after each. */
  chunkBytes?: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Streams an entry's uncompressed bytes to `sink` (chunks are fresh copies the sink may keep).
 * Returns how many bytes it produced and whether that is the whole, CRC-checked entry.
 */
export async function streamZipEntry(
  zip: Uint8Array,
  entry: ZipEntry,
  sink: (chunk: Uint8Array) => void,
  opts: InflateEntryOptions = {},
): Promise<{ bytes: number; complete: boolean }> {
  const { maxBytes = Infinity, allowTruncated = false, onProgress, chunkBytes = 1 << 20 } = opts;
  if (entry.method !== 0 && entry.method !== 8) {
    throw new DataError('bad-zip', `"${entry.name}" uses compression method ${entry.method}; only stored and deflate are supported`);
  }
  const available = zip.length - entry.dataOffset;
  if (available < entry.compressedSize && !allowTruncated) {
    const where = Number.isFinite(entry.compressedSize) ? `after ${available} of ${entry.compressedSize} compressed bytes` : 'before the entry does';
    throw new DataError('bad-zip', `"${entry.name}" is cut off: the zip ends ${where} (truncated download?)`);
  }
  const data = zip.subarray(entry.dataOffset, entry.dataOffset + Math.min(available, entry.compressedSize));
  let produced = 0;
  let crc = 0;
  let full = false; // reached maxBytes
  const emit = (chunk: Uint8Array): void => {
    if (full || chunk.length === 0) return;
    const take = Math.min(chunk.length, maxBytes - produced);
    const part = take < chunk.length ? chunk.slice(0, take) : chunk;
    if (entry.size !== null && produced + part.length > entry.size) {
      throw new DataError('bad-zip', `"${entry.name}" inflates to more than its declared ${entry.size} bytes`);
    }
    crc = crc32(part, crc);
    produced += part.length;
    sink(part);
    if (produced >= maxBytes) full = true;
  };
  const inflater = entry.method === 8 ? new Inflate((chunk) => emit(chunk)) : null;
  const truncated = data.length < entry.compressedSize;
  for (let off = 0; off < data.length && !full; off += chunkBytes) {
    const end = Math.min(data.length, off + chunkBytes);
    const last = end === data.length && !truncated;
    try {
      if (inflater) inflater.push(data.subarray(off, end), last);
      else emit(data.slice(off, end));
    } catch (e) {
      if (e instanceof DataError) throw e;
      throw new DataError('bad-zip', `corrupt zip: "${entry.name}" does not inflate (${(e as Error).message})`, { cause: e });
    }
    onProgress?.({ phase: 'unzip', done: end, total: data.length });
    await yieldToEventLoop();
  }
  if (full || truncated) return { bytes: produced, complete: false };
  if (entry.size !== null && produced !== entry.size) {
    throw new DataError('bad-zip', `corrupt zip: "${entry.name}" inflated to ${produced} bytes, its header says ${entry.size}`);
  }
  if (crc !== entry.crc32) {
    throw new DataError('bad-zip', `corrupt zip: CRC-32 of "${entry.name}" does not match (the file is damaged)`);
  }
  return { bytes: produced, complete: true };
}

/** The entry's bytes in one array (preallocated when the header or `maxBytes` gives the size). */
export async function readZipEntry(zip: Uint8Array, entry: ZipEntry, opts: InflateEntryOptions = {}): Promise<Uint8Array> {
  const known = Math.min(entry.size ?? Infinity, opts.maxBytes ?? Infinity);
  if (Number.isFinite(known)) {
    // Deflate expands at most 1032:1, which bounds the allocation when a damaged header lies about the size.
    const bound = entry.method === 8 ? entry.compressedSize * 1032 + 64 : entry.compressedSize;
    const out = new Uint8Array(Math.min(known, bound));
    let at = 0;
    const sink = (c: Uint8Array): void => {
      out.set(c, at);
      at += c.length;
    };
    await streamZipEntry(zip, entry, sink, opts);
    return at === out.length ? out : out.subarray(0, at);
  }
  const chunks: Uint8Array[] = [];
  const { bytes } = await streamZipEntry(zip, entry, (c) => chunks.push(c), opts);
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
