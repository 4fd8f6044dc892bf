// The zip reader against zips written by fflate: stored and deflated entries, chunked progress, CRC and
// truncation errors, and the local-header fallback for a zip cut off mid-download.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Zip, ZipDeflate, zipSync } from 'fflate';
import { createRng } from '../data/rng';
import { crc32 } from './crc32';
import { entryDataOffset, firstLocalEntry, isZip, listZipEntries, toZipSource, ZipError } from './directory';
import { MAX_RATIO, PUSH_BYTES, RATIO_GRACE_BYTES, readZipEntry, streamZipEntry, type ZipProgress } from './entry';

/** Text-like bytes (compressible, not trivially so), deterministic from a seed. */
function textish(n: number, seed: number): Uint8Array {
  const r = createRng(seed);
  const words = ['the ', 'of ', 'and ', 'wiki ', '[[link]] ', '<page>', '\n', 'enwik8 ', 'byte '];
  const out = new Uint8Array(n);
  let i = 0;
  while (i < n) for (const c of r.pick(words)) if (i < n) out[i++] = c.charCodeAt(0);
  return out;
}

/** A zip written with data descriptors (sizes after the data, general-purpose bit 3), as streaming zippers do. */
function streamedZip(name: string, data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  const z = new Zip((err, chunk) => {
    if (err) throw err;
    parts.push(chunk);
  });
  const f = new ZipDeflate(name, { level: 6 });
  z.add(f);
  f.push(data, true);
  z.end();
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

async function expectZipError(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ZipError);
  expect((e as ZipError).code).toBe(code);
  if (pattern) expect((e as ZipError).message).toMatch(pattern);
}

describe('crc32', () => {
  it('matches the standard check value and continues incrementally', () => {
    const s = new TextEncoder().encode('123456789');
    expect(crc32(s)).toBe(0xcbf43926);
    expect(crc32(s.subarray(4), crc32(s.subarray(0, 4)))).toBe(0xcbf43926);
  });

  it('agrees with the bit-by-bit definition at every length and split point', () => {
    const reference = (b: Uint8Array): number => {
      let c = 0xffffffff;
      for (const x of b) {
        c ^= x;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      return ~c >>> 0;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(40), (b, cut) => {
        const k = Math.min(cut, b.length);
        expect(crc32(b)).toBe(reference(b));
        expect(crc32(b.subarray(k), crc32(b.subarray(0, k)))).toBe(reference(b));
      }),
    );
  });
});

describe('readZipEntry', () => {
  it('returns every entry exactly, stored or deflated, whatever the chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 700 }),
        async (data, level, chunkBytes) => {
          const zip = zipSync({ 'a.txt': new Uint8Array([1, 2]), 'dir/b.bin': [data, { level: level as 0 }] });
          expect(isZip(zip)).toBe(true);
          const entries = await listZipEntries(zip);
          expect(entries.map((e) => e.name)).toEqual(['a.txt', 'dir/b.bin']);
          const out = await readZipEntry(zip, entries[1], { chunkBytes });
          expect(Array.from(out)).toEqual(Array.from(data));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('reports monotone progress that ends at the compressed size', async () => {
    const data = textish(50_000, 1);
    const zip = zipSync({ x: data });
    const [entry] = await listZipEntries(zip);
    const seen: ZipProgress[] = [];
    await readZipEntry(zip, entry, { chunkBytes: 1000, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBe(Math.ceil(entry.compressedSize / 1000));
    for (let i = 1; i < seen.length; i++) expect(seen[i].done).toBeGreaterThan(seen[i - 1].done);
    expect(seen.at(-1)).toEqual({ done: entry.compressedSize, total: entry.compressedSize });
  });

  it('stops at maxBytes', async () => {
    const data = textish(40_000, 2);
    const zip = zipSync({ x: data });
    const out = await readZipEntry(zip, (await listZipEntries(zip))[0], { maxBytes: 12_345, chunkBytes: 512 });
    expect(Array.from(out)).toEqual(Array.from(data.subarray(0, 12_345)));
  });

  it('rejects damaged data with bad-zip (inflate error, size or CRC mismatch)', async () => {
    const data = textish(20_000, 3);
    for (const level of [0, 6] as const) {
      const zip = zipSync({ x: [data, { level }] });
      const entry = (await listZipEntries(zip))[0];
      const dataOffset = await entryDataOffset(toZipSource(zip), entry);
      for (const at of [0.1, 0.5, 0.9]) {
        const bad = zip.slice();
        bad[dataOffset + Math.floor(entry.compressedSize * at)] ^= 0x5a;
        await expectZipError(readZipEntry(bad, entry), 'bad-zip');
      }
    }
  });

  it('treats a cut-off zip as bad-zip, and can read its first entry from the local header', async () => {
    const data = textish(60_000, 4);
    for (const zip of [zipSync({ enwik8: data }), streamedZip('enwik8', data)]) {
      const cut = zip.subarray(0, Math.floor(zip.length * 0.6));
      await expectZipError(listZipEntries(cut), 'bad-zip', /no end-of-central-directory/);
      const local = await firstLocalEntry(cut);
      expect(local?.name).toBe('enwik8');
      await expectZipError(readZipEntry(cut, local!), 'truncated', /cut off/);
      const prefix = await readZipEntry(cut, local!, { allowTruncated: true, chunkBytes: 4096 });
      expect(prefix.length).toBeGreaterThan(data.length * 0.3);
      expect(Array.from(prefix)).toEqual(Array.from(data.subarray(0, prefix.length)));
    }
    expect(await firstLocalEntry(new Uint8Array(100))).toBeNull();
  });

  it('reads zips written with data descriptors', async () => {
    const data = textish(10_000, 5);
    const zip = streamedZip('enwik8', data);
    const out = await readZipEntry(zip, (await listZipEntries(zip))[0]);
    expect(Array.from(out)).toEqual(Array.from(data));
  });
});

describe('bombs and limits', () => {
  // 8 MiB of zeros deflate to ~8 KB: 1000:1, the shape of every zip bomb.
  const zeros = new Uint8Array(8 << 20);
  const bomb = zipSync({ z: [zeros, { level: 9 }] });

  /** A source that records how many bytes were asked of it. */
  function counting(bytes: Uint8Array) {
    const src = toZipSource(bytes);
    const seen = { bytes: 0 };
    return { seen, source: { size: src.size, read: (o: number, n: number) => ((seen.bytes += n), src.read(o, n)) } };
  }

  it('refuses an entry whose declared size exceeds the ratio limit before reading its data', async () => {
    const [entry] = await listZipEntries(bomb);
    expect(entry.size! / entry.compressedSize).toBeGreaterThan(MAX_RATIO);
    const { seen, source } = counting(bomb);
    await expectZipError(readZipEntry(source, entry), 'too-large', /ratio over 100:1/);
    expect(seen.bytes).toBe(0);
    // A caller that expects such data can raise the limit.
    expect((await readZipEntry(bomb, entry, { maxRatio: 2000 })).length).toBe(zeros.length);
  });

  it('refuses an entry past the caller limit before reading it', async () => {
    const zip = zipSync({ x: textish(50_000, 7) });
    const [entry] = await listZipEntries(zip);
    const { seen, source } = counting(zip);
    await expectZipError(readZipEntry(source, entry, { limit: 49_999 }), 'too-large', /over the limit of 49999/);
    expect(seen.bytes).toBe(0);
  });

  it('stops a bomb that hides its size at the ratio limit, one small push at a time', async () => {
    const [entry] = await listZipEntries(bomb);
    const chunks: number[] = [];
    const hidden = { ...entry, size: null };
    await expectZipError(streamZipEntry(bomb, hidden, (c) => chunks.push(c.length)), 'too-large', /expands more than 100:1/);
    const produced = chunks.reduce((a, b) => a + b, 0);
    expect(produced).toBeLessThanOrEqual(RATIO_GRACE_BYTES);
    // No single step may produce more than deflate's ceiling on one push.
    expect(Math.max(...chunks)).toBeLessThanOrEqual(PUSH_BYTES * 1032);
    // The caller's limit binds first when it is lower.
    await expectZipError(streamZipEntry(bomb, hidden, () => {}, { limit: 100_000 }), 'too-large', /limit of 100000/);
  });

  it('stops at the declared size when the data inflates to more', async () => {
    const [entry] = await listZipEntries(bomb);
    let produced = 0;
    await expectZipError(streamZipEntry(bomb, { ...entry, size: 500_000 }, (c) => (produced += c.length)), 'bad-zip', /more than its declared 500000/);
    expect(produced).toBeLessThanOrEqual(500_000);
  });

  it('stops at maxBytes without reading the rest', async () => {
    const [entry] = await listZipEntries(bomb);
    const { seen, source } = counting(bomb);
    const out = await readZipEntry(source, entry, { maxBytes: 1000, maxRatio: 2000, chunkBytes: 1024 });
    expect(out.length).toBe(1000);
    expect(seen.bytes).toBeLessThan(3000);
  });

  it('refuses overlapping entries (the overlapping-files bomb)', async () => {
    const zip = zipSync({ a: textish(1000, 8), b: textish(1000, 9) });
    // Point b's central record at a's local header: both entries now name the same bytes.
    const cd = zip.length - 22 - 2 * (46 + 1);
    const bOffset = cd + 46 + 1 + 42;
    const lying = zip.slice();
    new DataView(lying.buffer).setUint32(bOffset, 0, true);
    await expectZipError(listZipEntries(lying), 'bad-zip', /overlap/);
  });
});
