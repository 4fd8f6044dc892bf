// The zip reader against zips written by fflate: stored and deflated entries, chunked progress, CRC and
// truncation errors, and the local-header fallback for a zip cut off mid-download.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Zip, ZipDeflate, zipSync } from 'fflate';
import { crc32, firstLocalEntry, isZip, listZipEntries, readZipEntry } from './zip';
import { DataError } from './errors';
import { createRng } from './rng';
import type { Progress } from './types';

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

async function expectDataError(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DataError);
  expect((e as DataError).code).toBe(code);
  if (pattern) expect((e as DataError).message).toMatch(pattern);
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
          const entries = listZipEntries(zip);
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
    const [entry] = listZipEntries(zip);
    const seen: Progress[] = [];
    await readZipEntry(zip, entry, { chunkBytes: 1000, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBe(Math.ceil(entry.compressedSize / 1000));
    for (let i = 1; i < seen.length; i++) expect(seen[i].done).toBeGreaterThan(seen[i - 1].done);
    expect(seen.at(-1)).toEqual({ phase: 'unzip', done: entry.compressedSize, total: entry.compressedSize });
  });

  it('stops at maxBytes', async () => {
    const data = textish(40_000, 2);
    const zip = zipSync({ x: data });
    const out = await readZipEntry(zip, listZipEntries(zip)[0], { maxBytes: 12_345, chunkBytes: 512 });
    expect(Array.from(out)).toEqual(Array.from(data.subarray(0, 12_345)));
  });

  it('rejects damaged data with bad-zip (inflate error, size or CRC mismatch)', async () => {
    const data = textish(20_000, 3);
    for (const level of [0, 6] as const) {
      const zip = zipSync({ x: [data, { level }] });
      const entry = listZipEntries(zip)[0];
      for (const at of [0.1, 0.5, 0.9]) {
        const bad = zip.slice();
        bad[entry.dataOffset + Math.floor(entry.compressedSize * at)] ^= 0x5a;
        await expectDataError(readZipEntry(bad, entry), 'bad-zip');
      }
    }
  });

  it('treats a cut-off zip as bad-zip, and can read its first entry from the local header', async () => {
    const data = textish(60_000, 4);
    for (const zip of [zipSync({ enwik8: data }), streamedZip('enwik8', data)]) {
      const cut = zip.subarray(0, Math.floor(zip.length * 0.6));
      expect(() => listZipEntries(cut)).toThrow(/no end-of-central-directory/);
      const local = firstLocalEntry(cut);
      expect(local?.name).toBe('enwik8');
      await expectDataError(readZipEntry(cut, local!), 'bad-zip', /cut off|unexpected EOF/);
      const prefix = await readZipEntry(cut, local!, { allowTruncated: true, chunkBytes: 4096 });
      expect(prefix.length).toBeGreaterThan(data.length * 0.3);
      expect(Array.from(prefix)).toEqual(Array.from(data.subarray(0, prefix.length)));
    }
    expect(firstLocalEntry(new Uint8Array(100))).toBeNull();
  });

  it('reads zips written with data descriptors', async () => {
    const data = textish(10_000, 5);
    const zip = streamedZip('enwik8', data);
    const out = await readZipEntry(zip, listZipEntries(zip)[0]);
    expect(Array.from(out)).toEqual(Array.from(data));
  });
});
