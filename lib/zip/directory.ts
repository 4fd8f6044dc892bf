// The zip's table of contents: the central directory (zip64 included) read from the end of a random-access
// source, checked against the file's size before anything is allocated; entries themselves are read on demand.

/** Anything of known size that hands out byte ranges: bytes in memory, a browser File, a Node file handle. */
export interface ZipSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export type ZipErrorCode = 'bad-zip' | 'truncated' | 'unsupported' | 'too-large';

/** Readers above (lib/io, lib/data) turn this into their own error types; `code` says which kind of problem. */
export class ZipError extends Error {
  override name = 'ZipError';
  constructor(
    readonly code: ZipErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate; others are refused when read. */
  method: number;
  crc32: number;
  /** Compressed size; Infinity when unknown (a cut-off zip whose local header defers the sizes). */
  compressedSize: number;
  /** Uncompressed size the zip declares; null when unknown. Reading never produces more. */
  size: number | null;
  /** Offset of the entry's local header. */
  localOffset: number;
}

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const MAX_COMMENT = 0xffff;

export const toZipSource = (input: Uint8Array | ZipSource): ZipSource =>
  input instanceof Uint8Array ? { size: input.length, read: (o, n) => Promise.resolve(input.subarray(o, o + n)) } : input;

/** Reads a range after checking it lies inside the source, so a lying offset or size never reaches an allocation. */
export async function readRange(source: ZipSource, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > source.size) {
    throw new ZipError('truncated', `${what}: bytes [${offset}, ${offset + length}) lie outside the ${source.size}-byte file`);
  }
  const out = await source.read(offset, length);
  if (out.length !== length) throw new ZipError('truncated', `${what}: asked for ${length} bytes at ${offset}, got ${out.length}`);
  return out;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function u64(dv: DataView, at: number, what: string): number {
  const v = dv.getUint32(at + 4, true) * 2 ** 32 + dv.getUint32(at, true);
  if (!Number.isSafeInteger(v)) throw new ZipError('bad-zip', `zip ${what} ${v} is out of range`);
  return v;
}

/** True when the bytes start like a zip (a local file header, or the end record of an empty zip). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && (view(bytes).getUint32(0, true) === LOCAL || view(bytes).getUint32(0, true) === EOCD);
}

/**
 * The entries named by the central directory, by name. Throws ZipError: 'bad-zip' (no end record, damaged
 * or lying directory, duplicate names, entries whose data overlap), 'truncated', 'unsupported' (encryption).
 */
export async function readZipDirectory(input: Uint8Array | ZipSource): Promise<Map<string, ZipEntry>> {
  const source = toZipSource(input);
  const tailLen = Math.min(source.size, 22 + MAX_COMMENT);
  const tailStart = source.size - tailLen;
  const tail = await readRange(source, tailStart, tailLen, 'zip end of central directory');
  const tv = view(tail);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD && i + 22 + tv.getUint16(i + 20, true) <= tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new ZipError('bad-zip', 'not a complete zip file: no end-of-central-directory record (truncated download?)');
  let count = tv.getUint16(at + 10, true);
  let cdSize = tv.getUint32(at + 12, true);
  let cdOffset = tv.getUint32(at + 16, true);
  const eocdPos = tailStart + at;
  let cdEnd = eocdPos;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    if (eocdPos < 20) throw new ZipError('bad-zip', 'zip64 locator missing');
    const loc = view(await readRange(source, eocdPos - 20, 20, 'zip64 locator'));
    if (loc.getUint32(0, true) !== EOCD64_LOCATOR) throw new ZipError('bad-zip', 'zip64 locator missing');
    const recPos = u64(loc, 8, 'zip64 record offset');
    if (recPos + 56 > eocdPos - 20) throw new ZipError('bad-zip', `zip64 end record at ${recPos} is not before its locator at ${eocdPos - 20}`);
    const rec = view(await readRange(source, recPos, 56, 'zip64 end of central directory'));
    if (rec.getUint32(0, true) !== EOCD64) throw new ZipError('bad-zip', 'bad zip64 end-of-central-directory signature');
    count = u64(rec, 32, 'zip64 entry count');
    cdSize = u64(rec, 40, 'zip64 directory size');
    cdOffset = u64(rec, 48, 'zip64 directory offset');
    cdEnd = recPos;
  }
  if (cdOffset + cdSize > cdEnd) throw new ZipError('bad-zip', `zip central directory [${cdOffset}, ${cdOffset + cdSize}) runs past its end record at ${cdEnd}`);
  // Each directory record is at least 46 bytes, so the count cannot outgrow the file (and the Map below with it).
  if (count * 46 > cdSize) throw new ZipError('bad-zip', `zip claims ${count} entries in a ${cdSize}-byte directory`);
  const cd = await readRange(source, cdOffset, cdSize, 'zip central directory');
  const cv = view(cd);
  const entries = new Map<string, ZipEntry>();
  const names = new TextDecoder('utf-8');
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cv.getUint32(p, true) !== CENTRAL) throw new ZipError('bad-zip', `zip directory entry ${i} is damaged`);
    const flags = cv.getUint16(p + 8, true);
    const method = cv.getUint16(p + 10, true);
    const crc = cv.getUint32(p + 16, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let size = cv.getUint32(p + 24, true);
    const nameLen = cv.getUint16(p + 28, true);
    const extraLen = cv.getUint16(p + 30, true);
    const commentLen = cv.getUint16(p + 32, true);
    let localOffset = cv.getUint32(p + 42, true);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > cd.length) throw new ZipError('bad-zip', `zip directory entry ${i} runs past the directory`);
    const name = names.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // Zip64 extra field: 64-bit values for exactly those fields that hold 0xFFFFFFFF, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = cv.getUint16(e, true);
      const len = cv.getUint16(e + 2, true);
      if (e + 4 + len > extraEnd) throw new ZipError('bad-zip', `zip entry "${name}" has a damaged extra field`);
      if (id === 1) {
        let q = e + 4;
        const next64 = (what: string) => {
          if (q + 8 > e + 4 + len) throw new ZipError('bad-zip', `zip entry "${name}" zip64 field lacks the ${what}`);
          q += 8;
          return u64(cv, q - 8, `entry "${name}" ${what}`);
        };
        if (size === 0xffffffff) size = next64('size');
        if (compressedSize === 0xffffffff) compressedSize = next64('compressed size');
        if (localOffset === 0xffffffff) localOffset = next64('offset');
      }
      e += 4 + len;
    }
    if (flags & 1) throw new ZipError('unsupported', `zip entry "${name}" is encrypted`);
    if (entries.has(name)) throw new ZipError('bad-zip', `zip names "${name}" twice`);
    if (localOffset + 30 + compressedSize > cdOffset) {
      throw new ZipError('bad-zip', `zip entry "${name}" (${compressedSize} bytes at ${localOffset}) would overlap the central directory at ${cdOffset}`);
    }
    entries.set(name, { name, method, crc32: crc, compressedSize, size, localOffset });
    p = next;
  }
  checkNoOverlap([...entries.values()]);
  return entries;
}

/** The same entries in directory order (for callers that search by suffix). */
export async function listZipEntries(input: Uint8Array | ZipSource): Promise<ZipEntry[]> {
  return [...(await readZipDirectory(input)).values()];
}

// Overlapping entries are how a small zip names the same compressed bytes many times over (the "overlapping
// files" zip bomb); no zip writer produces them.
function checkNoOverlap(entries: ZipEntry[]): void {
  const sorted = entries.slice().sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (prev.localOffset + 30 + prev.compressedSize > sorted[i].localOffset) {
      throw new ZipError('bad-zip', `zip entries "${prev.name}" and "${sorted[i].name}" overlap (a zip bomb trick, not a zip writer's output)`);
    }
  }
}

/**
 * The first entry from its local header alone, for a zip whose end was cut off (an interrupted download):
 * its data runs to the end of what there is. Null when the source does not start with a local header.
 */
export async function firstLocalEntry(input: Uint8Array | ZipSource): Promise<ZipEntry | null> {
  const source = toZipSource(input);
  if (source.size < 30) return null;
  const head = await readRange(source, 0, 30, 'zip local header');
  const hv = view(head);
  if (hv.getUint32(0, true) !== LOCAL) return null;
  const nameLen = hv.getUint16(26, true);
  const name = new TextDecoder().decode(await readRange(source, 30, Math.min(nameLen, source.size - 30), 'zip local header name'));
  // Bit 3: sizes and CRC follow the data, so the header's are zeros.
  const deferred = (hv.getUint16(6, true) & 8) !== 0;
  return {
    name,
    method: hv.getUint16(8, true),
    crc32: hv.getUint32(14, true),
    compressedSize: deferred ? Infinity : hv.getUint32(18, true),
    size: deferred ? null : hv.getUint32(22, true),
    localOffset: 0,
  };
}

/** Where the entry's compressed bytes start: after its local header, which is checked to be there. */
export async function entryDataOffset(source: ZipSource, entry: ZipEntry): Promise<number> {
  const local = await readRange(source, entry.localOffset, Math.min(30, source.size - entry.localOffset), `zip entry "${entry.name}" header`);
  if (local.length < 30 || view(local).getUint32(0, true) !== LOCAL) {
    throw new ZipError('bad-zip', `zip entry "${entry.name}" has no local header at ${entry.localOffset}`);
  }
  return entry.localOffset + 30 + view(local).getUint16(26, true) + view(local).getUint16(28, true);
}
