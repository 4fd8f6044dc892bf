// A zip reader over a ByteSource (what torch.save writes): central directory first, entries read on demand.
import { inflateSync } from 'fflate';
import { readExact, type ByteSource } from './byte-source';
import { FormatError } from './errors';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

// Deflate cannot expand more than ~1032:1; a declared size beyond that is a lie, not a big file.
const MAX_DEFLATE_RATIO = 1032;
const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Reads the central directory. Throws FormatError('bad-zip' | 'truncated' | 'unsupported'). */
export async function readZipDirectory(source: ByteSource): Promise<Map<string, ZipEntry>> {
  const tailLen = Math.min(source.size, 22 + 0xffff);
  const tailStart = source.size - tailLen;
  const tail = await readExact(source, tailStart, tailLen, 'zip end of central directory');
  const tv = view(tail);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD && i + 22 + tv.getUint16(i + 20, true) <= tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new FormatError('bad-zip', 'no zip end-of-central-directory record');
  let count = tv.getUint16(at + 10, true);
  let cdSize = tv.getUint32(at + 12, true);
  let cdOffset = tv.getUint32(at + 16, true);
  const eocdPos = tailStart + at;
  let cdEnd = eocdPos;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    if (eocdPos < 20) throw new FormatError('bad-zip', 'zip64 locator missing');
    const loc = view(await readExact(source, eocdPos - 20, 20, 'zip64 locator'));
    if (loc.getUint32(0, true) !== EOCD64_LOCATOR) throw new FormatError('bad-zip', 'zip64 locator missing');
    const recPos = u64(loc, 8, 'zip64 record offset');
    const rec = view(await readExact(source, recPos, 56, 'zip64 end of central directory'));
    if (rec.getUint32(0, true) !== EOCD64) throw new FormatError('bad-zip', 'bad zip64 end-of-central-directory signature');
    count = u64(rec, 32, 'zip64 entry count');
    cdSize = u64(rec, 40, 'zip64 directory size');
    cdOffset = u64(rec, 48, 'zip64 directory offset');
    cdEnd = recPos;
  }
  if (cdOffset + cdSize > cdEnd) throw new FormatError('bad-zip', `zip central directory [${cdOffset}, ${cdOffset + cdSize}) runs past its end record at ${cdEnd}`);
  if (count * 46 > cdSize) throw new FormatError('bad-zip', `zip claims ${count} entries in a ${cdSize}-byte directory`);
  const cd = await readExact(source, cdOffset, cdSize, 'zip central directory');
  const cv = view(cd);
  const entries = new Map<string, ZipEntry>();
  const names = new TextDecoder('utf-8');
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cv.getUint32(p, true) !== CENTRAL) throw new FormatError('bad-zip', `zip directory entry ${i} is damaged`);
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
    if (next > cd.length) throw new FormatError('bad-zip', `zip directory entry ${i} runs past the directory`);
    const name = names.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // Zip64 extra field: 64-bit values for exactly those fields that hold 0xFFFFFFFF, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = cv.getUint16(e, true);
      const len = cv.getUint16(e + 2, true);
      if (e + 4 + len > extraEnd) throw new FormatError('bad-zip', `zip entry "${name}" has a damaged extra field`);
      if (id === 1) {
        let q = e + 4;
        const next64 = (what: string) => {
          if (q + 8 > e + 4 + len) throw new FormatError('bad-zip', `zip entry "${name}" zip64 field lacks ${what}`);
          q += 8;
          return u64(cv, q - 8, what);
        };
        if (size === 0xffffffff) size = next64('size');
        if (compressedSize === 0xffffffff) compressedSize = next64('compressed size');
        if (localOffset === 0xffffffff) localOffset = next64('offset');
      }
      e += 4 + len;
    }
    if (flags & 1) throw new FormatError('unsupported', `zip entry "${name}" is encrypted`);
    if (entries.has(name)) throw new FormatError('bad-zip', `zip names "${name}" twice`);
    if (localOffset + 30 + compressedSize > cdOffset) throw new FormatError('bad-zip', `zip entry "${name}" data would overlap the central directory`);
    entries.set(name, { name, method, crc, compressedSize, size, localOffset });
    p = next;
  }
  return entries;
}

/** Reads one entry's bytes (inflating if needed) and checks its CRC-32. */
export async function readZipEntry(source: ByteSource, entry: ZipEntry, options: { verifyCrc?: boolean } = {}): Promise<Uint8Array> {
  const local = view(await readExact(source, entry.localOffset, 30, `zip entry "${entry.name}" header`));
  if (local.getUint32(0, true) !== LOCAL) throw new FormatError('bad-zip', `zip entry "${entry.name}" has no local header at ${entry.localOffset}`);
  const start = entry.localOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
  const raw = await readExact(source, start, entry.compressedSize, `zip entry "${entry.name}"`);
  let data: Uint8Array;
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize) throw new FormatError('bad-zip', `stored zip entry "${entry.name}" has size ${entry.size} but ${entry.compressedSize} stored bytes`);
    data = raw;
  } else if (entry.method === 8) {
    if (entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 64) {
      throw new FormatError('bad-zip', `zip entry "${entry.name}" claims ${entry.size} bytes from ${entry.compressedSize} compressed, beyond what deflate can produce`);
    }
    const out = new Uint8Array(entry.size);
    try {
      data = inflateSync(raw, { out });
    } catch (e) {
      throw new FormatError('bad-zip', `zip entry "${entry.name}" does not inflate: ${(e as Error).message}`);
    }
    if (data.length !== entry.size) throw new FormatError('bad-zip', `zip entry "${entry.name}" inflates to ${data.length} bytes, not ${entry.size}`);
  } else {
    throw new FormatError('unsupported', `zip entry "${entry.name}" uses compression method ${entry.method} (only stored and deflate are read)`);
  }
  if (options.verifyCrc !== false && crc32(data) !== entry.crc) throw new FormatError('bad-zip', `zip entry "${entry.name}" fails its CRC-32 check`);
  return data;
}

let crcTable: Uint32Array | undefined;
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function u64(dv: DataView, at: number, what: string): number {
  const v = dv.getUint32(at + 4, true) * 2 ** 32 + dv.getUint32(at, true);
  if (!Number.isSafeInteger(v)) throw new FormatError('bad-zip', `zip ${what} ${v} is out of range`);
  return v;
}
