// Zip reader details the torch files do not exercise: zip64 records, CRC checks, lying sizes.
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32';
import { readZipDirectory, toZipSource, ZipError } from './directory';
import { readZipEntry } from './entry';

const bytesSource = toZipSource;
async function code(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ZipError);
  return (e as ZipError).code;
}

/** A one-entry stored zip that uses zip64 fields for size, compressed size and offset. */
function zip64(name: string, data: Uint8Array): Uint8Array {
  const enc = new TextEncoder().encode(name);
  const parts: number[] = [];
  const u16 = (v: number) => {
    parts.push(v & 0xff, (v >>> 8) & 0xff);
  };
  const u32 = (v: number) => {
    u16(v & 0xffff);
    u16(v >>> 16);
  };
  const u64 = (v: number) => {
    u32(v);
    u32(0);
  };
  const crc = crc32(data);
  const local = [0x04034b50, 45, 0, 0, 0, 0, crc, data.length, data.length, enc.length, 0];
  const localWidths = [4, 2, 2, 2, 2, 2, 4, 4, 4, 2, 2];
  local.forEach((v, i) => (localWidths[i] === 4 ? u32(v) : u16(v)));
  parts.push(...enc, ...data);
  const cdStart = parts.length;
  // Central entry: sizes and offset are 0xFFFFFFFF, the real values sit in the zip64 extra field (id 1).
  const central = [0x02014b50, 45, 45, 0, 0, 0, 0, crc, 0xffffffff, 0xffffffff, enc.length, 28, 0, 0, 0, 0, 0xffffffff];
  const centralWidths = [4, 2, 2, 2, 2, 2, 2, 4, 4, 4, 2, 2, 2, 2, 2, 4, 4];
  central.forEach((v, i) => (centralWidths[i] === 4 ? u32(v) : u16(v)));
  parts.push(...enc);
  u16(1);
  u16(24);
  [data.length, data.length, 0].forEach(u64);
  const cdSize = parts.length - cdStart;
  const rec = parts.length;
  u32(0x06064b50);
  u64(44);
  u16(45);
  u16(45);
  u32(0);
  u32(0);
  [1, 1, cdSize, cdStart].forEach(u64);
  u32(0x07064b50);
  u32(0);
  u64(rec);
  u32(1);
  u32(0x06054b50);
  [0, 0, 0xffff, 0xffff].forEach(u16);
  u32(0xffffffff);
  u32(0xffffffff);
  u16(0);
  return new Uint8Array(parts);
}

describe('zip', () => {
  it('matches the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('reads zip64 directories', async () => {
    const data = new TextEncoder().encode('hello zip64');
    const src = bytesSource(zip64('a/b.bin', data));
    const entries = await readZipDirectory(src);
    const e = entries.get('a/b.bin')!;
    expect(e).toMatchObject({ size: data.length, compressedSize: data.length, localOffset: 0 });
    expect(await readZipEntry(src, e)).toEqual(data);
  });

  it('detects corrupted data by CRC and lying sizes before allocating', async () => {
    const data = new Uint8Array(1000).fill(7);
    const z = zipSync({ x: data }, { level: 6 });
    const src = bytesSource(z);
    const e = (await readZipDirectory(src)).get('x')!;
    expect(await readZipEntry(src, e)).toEqual(data);
    expect(await code(readZipEntry(src, { ...e, crc32: e.crc32 ^ 1 }))).toBe('bad-zip');
    expect(await code(readZipEntry(src, { ...e, size: 2 ** 40 }))).toBe('too-large');
    expect(await code(readZipEntry(src, { ...e, size: 999 }))).toBe('bad-zip');
    expect(await code(readZipEntry(src, { ...e, method: 12 }))).toBe('unsupported');
    expect(await code(readZipEntry(src, { ...e, localOffset: 5 }))).toBe('bad-zip');
    expect(await code(readZipEntry(src, { ...e, localOffset: 2 ** 40 }))).toBe('truncated');
    expect(await code(readZipDirectory(bytesSource(new Uint8Array(100))))).toBe('bad-zip');
  });
});

describe('lying directories', () => {
  it('refuses counts, offsets and zip64 records that do not fit the file', async () => {
    const z = zipSync({ a: new Uint8Array(10), b: new Uint8Array(10) }, { level: 0 });
    const eocd = z.length - 22;
    const patch = (at: number, v: number, width: 2 | 4) => {
      const c = z.slice();
      const dv = new DataView(c.buffer);
      if (width === 2) dv.setUint16(at, v, true);
      else dv.setUint32(at, v, true);
      return c;
    };
    expect(await code(readZipDirectory(patch(eocd + 10, 60_000, 2)))).toBe('bad-zip'); // entry count
    expect(await code(readZipDirectory(patch(eocd + 16, 2 ** 31, 4)))).toBe('bad-zip'); // directory offset
    expect(await code(readZipDirectory(patch(eocd + 12, 2 ** 31, 4)))).toBe('bad-zip'); // directory size
    // 0xFFFF entries means "see the zip64 record", which is not there.
    expect(await code(readZipDirectory(patch(eocd + 10, 0xffff, 2)))).toBe('bad-zip');
  });

  it('reads a zip64 entry but refuses a zip64 size past the file', async () => {
    const data = new TextEncoder().encode('0123456789');
    const z = zip64('x', data);
    // The central record's zip64 extra field: size, then compressed size, then offset (after the 1-byte name).
    const cd = z.indexOf(0x50, 30 + 1 + data.length);
    const compressed = cd + 46 + 1 + 4 + 8;
    const c = z.slice();
    new DataView(c.buffer).setUint32(compressed, 2 ** 31, true);
    expect(await code(readZipDirectory(c))).toBe('bad-zip');
  });
});
