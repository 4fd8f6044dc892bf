// Streaming loads: every tensor's bytes are read once, straight from the source, and handed on before the next.
import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { ByteSource } from './byteSource';
import { readReferenceConfig } from './configReader';
import { loadAnyCheckpoint, openAnyCheckpoint } from './loadAny';
import { f32Bytes } from './dtype';
import { PickleWriter, randomTensor, rng } from './testUtils';
import { READ_BYTES, readZipDirectory } from '../zip';
import { entryDataOffset } from '../zip/directory';

const DIR = 'lib/io/testdata/neox-bpe/';

/** A source that logs every read; `reads` and `log` are shared with the caller. */
function counting(bytes: Uint8Array) {
  const reads: [number, number][] = [];
  const log: string[] = [];
  const source: ByteSource = {
    size: bytes.length,
    // Copies, as a file handle does: nothing the loader keeps can alias the file.
    read: async (offset, length) => {
      reads.push([offset, length]);
      log.push('read');
      return bytes.slice(offset, offset + length);
    },
  };
  return { source, reads, log };
}

/** Byte range of one zip entry's data in the file. */
async function entryRange(bytes: Uint8Array, suffix: string): Promise<[number, number]> {
  const entries = await readZipDirectory(bytes);
  const e = [...entries.values()].find((x) => x.name.endsWith(suffix))!;
  const start = await entryDataOffset({ size: bytes.length, read: async (o, n) => bytes.subarray(o, o + n) }, e);
  return [start, start + e.size!];
}

/**
 * A DeepSpeed-style state dict: every tensor a view into one flat float32 storage, with `gap` unused elements
 * before each (zero_to_fp32 pads to alignment), stored uncompressed as torch.save does.
 */
function flatTorchZip(tensors: Map<string, { shape: number[]; data: Float32Array }>, gap: number): Uint8Array {
  let total = 0;
  const offsets: number[] = [];
  for (const t of tensors.values()) {
    total += gap;
    offsets.push(total);
    total += t.data.length;
  }
  const flat = new Float32Array(total).fill(7); // the gaps hold junk that must never reach a tensor
  [...tensors.values()].forEach((t, i) => flat.set(t.data, offsets[i]));
  const w = new PickleWriter().proto(2).emptyDict().mark();
  [...tensors.entries()].forEach(([name, t], i) => {
    const stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    w.str(name).global('torch._utils', '_rebuild_tensor_v2').mark();
    w.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(total).tuple().op(0x51); // BINPERSID
    w.int(offsets[i]).mark();
    t.shape.forEach((d) => w.int(d));
    w.tuple().mark();
    stride.forEach((d) => w.int(d));
    w.tuple().op(0x89); // NEWFALSE
    w.global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
  });
  const pkl = w.setitems().stop().bytes();
  return zipSync({ 'archive/data.pkl': pkl, 'archive/byteorder': new TextEncoder().encode('little'), 'archive/data/0': f32Bytes(flat).slice() }, { level: 0 });
}

describe('openAnyCheckpoint (streaming)', () => {
  it('reads the official-layout .bin (one flat storage) tensor by tensor, each byte once, never ahead of the sink', async () => {
    const bytes = new Uint8Array(readFileSync(`${DIR}pytorch_model.bin`));
    const referenceConfig = readReferenceConfig(readFileSync(`${DIR}tiny_eval.yml`, 'utf8'), 'tiny_eval.yml');
    const whole = await loadAnyCheckpoint(bytes, 'pytorch_model.bin', { referenceConfig });
    const [begin, end] = await entryRange(bytes, 'data/0');

    const c = counting(bytes);
    const stream = await openAnyCheckpoint(c.source, 'pytorch_model.bin', { referenceConfig });
    expect(stream.config).toEqual(whole.config);
    expect([...stream.shapes.keys()]).toEqual([...whole.tensors.keys()]);
    const before = c.reads.length;
    // Nothing of the storage is read past what the directory's tail read happened to cover.
    for (const [, n] of c.reads) expect(n, 'a header read').toBeLessThanOrEqual(Math.max(2336, 22 + 0xffff));

    const got = new Map<string, Float32Array>();
    let taken = 0;
    const tensorBytes = [...whole.tensors.values()].reduce((a, t) => a + t.data.byteLength, 0);
    const gaps = end - begin - tensorBytes;
    await stream.read((name, t) => {
      c.log.push(`take ${name}`);
      taken += t.data.byteLength;
      const readSoFar = c.reads.slice(before).reduce((a, [o, n]) => a + (o >= begin && o < end ? n : 0), 0);
      // Streaming: at any take, no more has been read than the tensors handed over (plus CRC-only gap bytes).
      expect(readSoFar).toBeLessThanOrEqual(taken + gaps);
      got.set(name, t.data);
    });
    // Outside the storage, only its 30-byte local header (where its data starts) is read.
    expect(c.reads.slice(before).filter(([o]) => o < begin || o >= end).map(([, n]) => n)).toEqual([30]);
    const during = c.reads.slice(before).filter(([o]) => o >= begin && o < end).sort((a, b) => a[0] - b[0]);
    // Each byte of the storage exactly once: disjoint reads that tile it (the gaps for the CRC), nothing else.
    expect(during[0][0]).toBe(begin);
    for (let i = 1; i < during.length; i++) expect(during[i][0]).toBe(during[i - 1][0] + during[i - 1][1]);
    expect(during[during.length - 1][0] + during[during.length - 1][1]).toBe(end);
    expect(Math.max(...during.map(([, n]) => n))).toBeLessThan(end - begin);
    expect(c.log.filter((e) => e.startsWith('take')).length).toBe(whole.tensors.size);
    // Reads and takes interleave: the first tensor is handed on before the last range is read.
    expect(c.log.indexOf(`take ${[...got.keys()][0]}`)).toBeLessThan(c.log.lastIndexOf('read'));
    for (const [name, t] of whole.tensors) expect(got.get(name), name).toEqual(t.data);
  });

  it('never asks for the whole file, checks the storage CRC across the gaps, and skips the gaps without it', async () => {
    const next = rng(5);
    const tensors = new Map([
      ['sequential.0.word_embeddings.weight', randomTensor([256, 64], next)],
      ['sequential.2.mlp.key_param_tokens', randomTensor([512, 64], next)],
      ['sequential.2.mlp.value_param_tokens', randomTensor([512, 64], next)],
      ['sequential.5.norm.weight', randomTensor([64], next)],
    ]);
    const bytes = flatTorchZip(tensors, 1000);
    const largest = 512 * 64 * 4;
    const c = counting(bytes);
    const stream = await openAnyCheckpoint(c.source, 'flat.bin', { validate: false });
    const opened = c.reads.length;
    const got = new Map<string, Float32Array>();
    await stream.read((name, t) => void got.set(name, t.data));
    for (const [name, t] of tensors) expect(got.get(name), name).toEqual(t.data);
    expect(bytes.length).toBeGreaterThan(2 * largest);
    expect(Math.max(...c.reads.map(([, n]) => n))).toBeLessThanOrEqual(Math.max(largest, 22 + 0xffff));
    // Reading the tensors reads each byte of the storage once (opening read the directory from the file's tail).
    const [begin, end] = await entryRange(bytes, 'data/0');
    const perByte = new Uint8Array(bytes.length);
    for (const [o, n] of c.reads.slice(opened)) for (let i = o; i < o + n; i++) perByte[i]++;
    for (let i = begin; i < end; i++) if (perByte[i] !== 1) throw new Error(`storage byte ${i} read ${perByte[i]} times`);
    expect(c.reads.filter(([o]) => o >= begin && o < end).every(([, n]) => n <= Math.max(largest, READ_BYTES))).toBe(true);

    // A flipped byte in a gap changes no tensor, but the CRC still catches it (after the tensors were handed on).
    const damaged = bytes.slice();
    damaged[begin + 10] ^= 1;
    const s2 = await openAnyCheckpoint(counting(damaged).source, 'flat.bin', { validate: false });
    let handed = 0;
    await expect(s2.read(() => void handed++)).rejects.toThrow(/^flat\.bin: .*CRC-32/);
    expect(handed).toBe(tensors.size);

    // Without the CRC check the gaps are never read.
    const c3 = counting(damaged);
    const s3 = await openAnyCheckpoint(c3.source, 'flat.bin', { validate: false, verifyCrc: false });
    const before = c3.reads.length;
    await s3.read(() => undefined);
    const tensorBytes = [...tensors.values()].reduce((a, t) => a + t.data.byteLength, 0);
    expect(c3.reads.slice(before).reduce((a, [, n]) => a + n, 0)).toBe(30 + tensorBytes); // the local header, then the tensors
  });

  it('reads a safetensors checkpoint tensor by tensor, and a stream only once', async () => {
    const bytes = new Uint8Array(readFileSync('/work/shared/fixtures/reference-small/model.safetensors'));
    const config = JSON.parse(readFileSync('/work/shared/fixtures/reference-small/config.json', 'utf8'));
    const whole = await loadAnyCheckpoint(bytes, 'model.safetensors', { referenceConfig: config });
    const c = counting(bytes);
    const stream = await openAnyCheckpoint(c.source, 'model.safetensors', { referenceConfig: config });
    const before = c.reads.length;
    const sizes: number[] = [];
    await stream.read((name, t) => {
      expect(t.data).toEqual(whole.tensors.get(name)!.data);
      sizes.push(t.data.byteLength);
    });
    expect(c.reads.slice(before).map(([, n]) => n)).toEqual(sizes);
    await expect(stream.read(() => undefined)).rejects.toThrow(/read once/);
  });
});
