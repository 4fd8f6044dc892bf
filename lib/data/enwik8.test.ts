// enwik8 import from synthetic zips built with fflate (the real file is not available offline): the
// standard split at full size, the partial flag, maxBytes, progress, and the typed errors.
import { describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { ENWIK8_BYTES, loadEnwik8 } from './enwik8';
import { createRng } from './rng';
import type { Progress } from './types';
import { errorOf } from './testUtils';

function fakeEnwik8(n: number, seed = 0): Uint8Array {
  const r = createRng(seed);
  const out = new Uint8Array(n);
  // Mostly lowercase with spaces and newlines: compressible like text, but every position distinct enough to check slices.
  for (let i = 0; i < n; i++) {
    const x = r.int(32);
    out[i] = x < 26 ? 97 + x : x < 30 ? 32 : 10;
  }
  return out;
}

describe('loadEnwik8 at full size', () => {
  // One 100 MB buffer shared by both tests. Not zeros: those deflate 1000:1, which the zip reader refuses as a
  // bomb. A repeated 4 KiB block with every 127th byte random deflates ~20:1, cheaply, like real text (3:1) would.
  const full = new Uint8Array(ENWIK8_BYTES);
  const r = createRng(7);
  const block = Uint8Array.from({ length: 4096 }, () => 97 + r.int(26));
  for (let i = 0; i < ENWIK8_BYTES; i++) full[i] = i % 127 === 0 ? 97 + r.int(26) : block[i & 4095];
  full[0] = 1;
  full[ENWIK8_BYTES - 1] = 2;

  it('splits the raw file 90M/5M/5M as views of the input', async () => {
    const c = await loadEnwik8(full);
    expect(c.name).toBe('enwik8');
    expect([c.train.length, c.val.length, c.test.length]).toEqual([90_000_000, 5_000_000, 5_000_000]);
    expect(c.train.buffer).toBe(full.buffer);
    expect(c.val.byteOffset).toBe(90_000_000);
    expect(c.test.byteOffset).toBe(95_000_000);
  });

  it('unzips enwik8.zip with progress and gives the same split', async () => {
    const zip = zipSync({ enwik8: [full, { level: 1 }] });
    const progress: Progress[] = [];
    const c = await loadEnwik8(zip, { onProgress: (p) => progress.push(p) });
    expect([c.train.length, c.val.length, c.test.length]).toEqual([90_000_000, 5_000_000, 5_000_000]);
    expect(c.train[0]).toBe(1);
    expect(c.test[c.test.length - 1]).toBe(2);
    expect(progress.at(-1)?.done).toBe(progress.at(-1)?.total);
  });
});

describe('loadEnwik8 with small synthetic files', () => {
  const data = fakeEnwik8(200_000);
  const zip = zipSync({ 'readme.txt': new Uint8Array([65]), enwik8: data });

  it('rejects a file of the wrong size unless partial, and then splits proportionally', async () => {
    const e = await errorOf(loadEnwik8(zip));
    expect(e.code).toBe('bad-size');
    expect(e.message).toMatch(/200,000 bytes.*exactly 100,000,000.*partial: true/);
    expect((await errorOf(loadEnwik8(data))).code).toBe('bad-size');

    for (const input of [zip, data]) {
      const c = await loadEnwik8(input, { partial: true });
      expect(c.name).toBe('enwik8[:200000]');
      expect([c.train.length, c.val.length, c.test.length]).toEqual([180_000, 10_000, 10_000]);
      expect(Array.from(c.val.subarray(0, 50))).toEqual(Array.from(data.subarray(180_000, 180_050)));
    }
  });

  it('takes only the first maxBytes bytes', async () => {
    const c = await loadEnwik8(zip, { partial: true, maxBytes: 50_000, name: 'mini' });
    expect(c.name).toBe('mini');
    expect(c.train.length + c.val.length + c.test.length).toBe(50_000);
    expect(Array.from(c.test)).toEqual(Array.from(data.subarray(47_500, 50_000)));
    expect((await errorOf(loadEnwik8(zip, { partial: true, maxBytes: 10 }))).code).toBe('bad-option');
  });

  it('reads what there is of a zip cut off mid-download when partial', async () => {
    const cut = zip.subarray(0, Math.floor(zip.length / 2));
    expect((await errorOf(loadEnwik8(cut))).code).toBe('bad-zip');
    // 'readme.txt' comes first in this zip, so its local header is not enwik8's.
    expect((await errorOf(loadEnwik8(cut, { partial: true }))).code).toBe('missing-entry');
    const onlyEnwik8 = zipSync({ enwik8: data });
    const c = await loadEnwik8(onlyEnwik8.subarray(0, Math.floor(onlyEnwik8.length / 2)), { partial: true });
    const total = c.train.length + c.val.length + c.test.length;
    expect(total).toBeGreaterThan(60_000);
    expect(Array.from(c.train.subarray(0, 100))).toEqual(Array.from(data.subarray(0, 100)));
  });

  it('fails with missing-entry naming what the zip holds', async () => {
    const e = await errorOf(loadEnwik8(zipSync({ 'enwik9': data, 'notes.md': new Uint8Array(3) }), { partial: true }));
    expect(e.code).toBe('missing-entry');
    expect(e.message).toMatch(/"enwik9", "notes.md"/);
    // An entry in a folder still counts.
    const c = await loadEnwik8(zipSync({ 'data/enwik8': data }), { partial: true });
    expect(c.train.length).toBe(180_000);
  });

  it('fails with bad-zip on corrupt data', async () => {
    const bad = zip.slice();
    bad[Math.floor(bad.length / 2)] ^= 0xff;
    expect((await errorOf(loadEnwik8(bad, { partial: true }))).code).toBe('bad-zip');
    // A zip signature followed by garbage.
    const garbage = fakeEnwik8(30_000, 9);
    garbage.set([0x50, 0x4b, 0x03, 0x04]);
    expect((await errorOf(loadEnwik8(garbage, { partial: true }))).code).toMatch(/bad-zip|missing-entry/);
  });

  it('refuses a zip bomb before inflating it, with or without maxBytes', async () => {
    // 64 MiB of zeros deflate to ~64 KB; claiming to be enwik8 does not make a 1000:1 ratio believable.
    const bomb = zipSync({ enwik8: [new Uint8Array(64 << 20), { level: 9 }] });
    for (const opts of [{}, { partial: true }, { partial: true, maxBytes: 100_000 }]) {
      const e = await errorOf(loadEnwik8(bomb, opts));
      expect(e.code).toBe(Object.keys(opts).length ? 'bad-zip' : 'bad-size');
      if (Object.keys(opts).length) expect(e.message).toMatch(/ratio over 100:1/);
    }
  });

  it('refuses data too small to split usefully', async () => {
    expect((await errorOf(loadEnwik8(fakeEnwik8(5000), { partial: true }))).code).toBe('too-small');
  });
});
