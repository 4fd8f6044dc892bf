// safetensors reader/writer: fixture round trip, F16/BF16 widening, streaming forms, and every validation rule.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blobSource, bytesSource, type ByteSource } from './byteSource';
import { FormatError } from './errors';
import {
  concatChunks,
  readSafetensors,
  readSafetensorsFrom,
  readSafetensorsHeader,
  readTensor,
  safetensorsChunks,
  writeSafetensors,
  type NamedTensor,
} from './safetensors';
import { maxTensorCount, parseSafetensorsHeader } from './safetensorsHeader';

const FIXTURE = '/work/shared/fixtures/reference-small/model.safetensors';

/** Builds a file from a raw header object and data bytes, for malformed-header cases. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof FormatError) return e.code;
    throw e;
  }
  return 'ok';
}

describe('readSafetensors', () => {
  it('reads the reference fixture and writes it back byte-identically modulo header padding', () => {
    const bytes = new Uint8Array(readFileSync(FIXTURE));
    const { tensors } = readSafetensors(bytes);
    expect(tensors.get('sequential.0.word_embeddings.weight')!.shape).toEqual([64, 32]);
    expect(tensors.get('sequential.5.norm.weight')!.shape).toEqual([32]);
    const again = readSafetensors(writeSafetensors(tensors, { a: 'b' }));
    expect(again.metadata).toEqual({ a: 'b' });
    for (const [n, t] of tensors) expect(again.tensors.get(n)!.data).toEqual(t.data);
  });

  it('widens F16 and BF16 exactly, including subnormals, infinities and NaN', () => {
    const f16 = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0xfc00, 0x7e00];
    const bf16 = [0x3f80, 0xc049, 0x7f80, 0x0001];
    const data = new Uint8Array(new Uint16Array([...f16, ...bf16]).buffer);
    const file = build(
      {
        h: { dtype: 'F16', shape: [2, 4], data_offsets: [0, 16] },
        b: { dtype: 'BF16', shape: [4], data_offsets: [16, 24] },
      },
      data,
    );
    const { tensors } = readSafetensors(file);
    const h = [...tensors.get('h')!.data];
    expect(h.slice(0, 7)).toEqual([1, -2, 65504, 2 ** -24, -0, Infinity, -Infinity]);
    expect(Object.is(h[4], -0)).toBe(true);
    expect(Number.isNaN(h[7])).toBe(true);
    const b = [...tensors.get('b')!.data];
    expect(b.slice(0, 3)).toEqual([1, Math.fround(-3.140625), Infinity]);
    expect(b[3]).toBeCloseTo(9.18e-41, 43);
  });

  it('reads tensors at unaligned offsets (header length not a multiple of 4)', () => {
    const data = new Uint8Array(new Float32Array([1.5, -2.25]).buffer);
    const text = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = text + ' '.repeat((((1 - text.length) % 4) + 4) % 4); // 8 + length = 1 (mod 4)
    const file = build(null, data, padded);
    expect((8 + padded.length) % 4).toBe(1);
    expect([...readSafetensors(file).tensors.get('x')!.data]).toEqual([1.5, -2.25]);
  });

  it('round-trips arbitrary float32 tensors (including NaN payloads and -0) through both writers', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__metadata__'), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), { maxKeys: 5 }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
        fc.integer(),
        (shapes, metadata, seed) => {
          const tensors = new Map<string, NamedTensor>();
          let s = seed;
          for (const [name, shape] of Object.entries(shapes)) {
            const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
            const bits = new Uint32Array(data.buffer);
            for (let i = 0; i < bits.length; i++) bits[i] = s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            tensors.set(name, { shape, data });
          }
          const whole = writeSafetensors(tensors, metadata);
          expect(concatChunks(safetensorsChunks(tensors, metadata))).toEqual(whole);
          const back = readSafetensors(whole);
          expect(back.metadata).toEqual(Object.keys(metadata).length ? metadata : {});
          expect([...back.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
          for (const [n, t] of tensors) {
            expect(back.tensors.get(n)!.shape).toEqual(t.shape);
            expect(new Uint32Array(back.tensors.get(n)!.data.buffer)).toEqual(new Uint32Array(t.data.buffer));
          }
        },
      ),
      // Fixed seed: the suite must not flake for others; the regression cases below pin what random runs found.
      { numRuns: 150, seed: 20240611 },
    );
  });

  it('keeps "__proto__" as an ordinary tensor and metadata name (found by fast-check)', () => {
    const t = new Map([['__proto__', { shape: [1], data: new Float32Array([2]) }]]);
    const back = readSafetensors(writeSafetensors(t, JSON.parse('{"__proto__": "m"}')));
    expect(back.tensors.get('__proto__')!.data).toEqual(new Float32Array([2]));
    expect(Object.entries(back.metadata)).toEqual([['__proto__', 'm']]);
  });

  it('rejects writer inputs that cannot be a valid file', () => {
    expect(code(() => writeSafetensors(new Map([['x', { shape: [3], data: new Float32Array(2) }]])))).toBe('shape-mismatch');
    expect(code(() => writeSafetensors(new Map([['__metadata__', { shape: [0], data: new Float32Array(0) }]])))).toBe('bad-header');
    expect(code(() => writeSafetensors(new Map(), { a: 1 as unknown as string }))).toBe('bad-metadata');
  });
});

describe('header validation', () => {
  const f32 = (shape: number[], off: [number, number]) => ({ dtype: 'F32', shape, data_offsets: off });
  const cases: [string, () => Uint8Array, string][] = [
    ['shorter than 8 bytes', () => new Uint8Array(5), 'truncated'],
    ['header length past the end', () => build({}).subarray(0, 9), 'truncated'],
    ['huge header length', () => { const b = build({}); new DataView(b.buffer).setUint32(4, 1, true); return b; }, 'header-too-large'],
    ['header over the size limit', () => { const b = build({}); new DataView(b.buffer).setUint32(0, 100_000_001, true); return b; }, 'header-too-large'],
    ['not JSON', () => build(null, undefined, '{"x": '), 'bad-header'],
    ['not UTF-8', () => { const b = build({ ab: 1 }); b[10] = 0xff; return b; }, 'bad-header'],
    ['JSON array', () => build([]), 'bad-header'],
    ['duplicate names', () => build(null, new Uint8Array(8), '{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'), 'bad-header'],
    ['unknown dtype', () => build({ x: { dtype: 'F99', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'unknown-dtype'],
    ['negative shape', () => build({ x: f32([-1], [0, 0]) }), 'bad-header'],
    ['fractional shape', () => build({ x: f32([1.5], [0, 6]) }, new Uint8Array(6)), 'bad-header'],
    ['shape not an array', () => build({ x: { dtype: 'F32', shape: 4, data_offsets: [0, 16] } }, new Uint8Array(16)), 'bad-header'],
    ['offsets not a pair', () => build({ x: { dtype: 'F32', shape: [1], data_offsets: [0] } }, new Uint8Array(4)), 'bad-header'],
    ['size does not match shape', () => build({ x: f32([2], [0, 4]) }, new Uint8Array(4)), 'bad-offsets'],
    ['end before begin', () => build({ x: f32([0], [4, 0]) }, new Uint8Array(4)), 'bad-offsets'],
    ['past the data', () => build({ x: f32([2], [0, 8]) }, new Uint8Array(4)), 'bad-offsets'],
    ['overlapping', () => build({ x: f32([2], [0, 8]), y: f32([1], [4, 8]) }, new Uint8Array(8)), 'bad-offsets'],
    ['gap', () => build({ x: f32([1], [0, 4]), y: f32([1], [8, 12]) }, new Uint8Array(12)), 'bad-offsets'],
    ['trailing bytes', () => build({ x: f32([1], [0, 4]) }, new Uint8Array(8)), 'bad-offsets'],
    ['giant shape', () => build({ x: f32([2 ** 40, 2 ** 40], [0, 4]) }, new Uint8Array(4)), 'bad-offsets'],
    ['metadata not strings', () => build({ __metadata__: { a: 1 } }), 'bad-header'],
    ['tensor entry not an object', () => build({ x: 3 }), 'bad-header'],
  ];
  for (const [what, make, expected] of cases) {
    it(`rejects ${what} with ${expected}`, () => expect(code(() => readSafetensors(make()))).toBe(expected));
  }

  it('accepts zero-sized tensors sharing an offset', () => {
    const file = build({ a: f32([0, 3], [0, 0]), b: f32([1], [0, 4]), c: f32([0], [4, 4]) }, new Uint8Array(4));
    expect(readSafetensors(file).tensors.get('a')!.shape).toEqual([0, 3]);
  });

  it('skips or refuses non-float dtypes as asked', () => {
    const file = build({ i: { dtype: 'I64', shape: [1], data_offsets: [0, 8] }, x: f32([1], [8, 12]) }, new Uint8Array(12));
    expect(code(() => readSafetensors(file))).toBe('unknown-dtype');
    const r = readSafetensors(file, { unsupported: 'skip' });
    expect(r.skipped).toEqual(['i']);
    expect([...r.tensors.keys()]).toEqual(['x']);
  });
});

describe('streaming', () => {
  /** A source that records which ranges were read, to prove nothing is read that is not needed. */
  function spy(bytes: Uint8Array): ByteSource & { reads: [number, number][] } {
    const reads: [number, number][] = [];
    return { size: bytes.length, reads, read: async (o, l) => (reads.push([o, l]), bytes.slice(o, o + l)) };
  }

  it('parses the header from the first 8 + N bytes and reads one tensor alone', async () => {
    const bytes = new Uint8Array(readFileSync(FIXTURE));
    const src = spy(bytes);
    const header = await readSafetensorsHeader(src);
    expect(src.reads).toEqual([[0, 8], [0, header.dataStart]]);
    const t = await readTensor(src, header, 'sequential.5.norm.bias');
    expect(src.reads.at(-1)![1]).toBe(32 * 4);
    expect(t.data).toEqual(readSafetensors(bytes).tensors.get('sequential.5.norm.bias')!.data);
    await expect(readTensor(src, header, 'nope')).rejects.toMatchObject({ code: 'missing-tensor' });
  });

  it('reads the same tensors from bytes, Blob and a filtered source', async () => {
    const bytes = new Uint8Array(readFileSync(FIXTURE));
    const direct = readSafetensors(bytes).tensors;
    for (const src of [bytesSource(bytes), blobSource(new Blob([bytes]))]) {
      const r = await readSafetensorsFrom(src);
      for (const [n, t] of direct) expect(r.tensors.get(n)!.data).toEqual(t.data);
    }
    const some = await readSafetensorsFrom(bytesSource(bytes), { names: (n) => n.includes('norm') });
    expect([...some.tensors.keys()].sort()).toEqual(['sequential.5.norm.bias', 'sequential.5.norm.weight']);
  });

  it('yields the header first, then one chunk per non-empty tensor, as views without copies', () => {
    const a = new Float32Array([1, 2, 3]);
    const chunks = [...safetensorsChunks(new Map([['b', { shape: [0], data: new Float32Array(0) }], ['a', { shape: [3], data: a }]]))];
    expect(chunks).toHaveLength(2);
    expect(chunks[1].buffer).toBe(a.buffer);
    expect((chunks[0].length - 8) % 8).toBe(0);
  });

  it('fails with truncated when a source is shorter than its header claims', async () => {
    const bytes = new Uint8Array(readFileSync(FIXTURE)).subarray(0, 100);
    await expect(readSafetensorsFrom(bytesSource(bytes))).rejects.toMatchObject({ code: 'truncated' });
  });
});

describe('header limits', () => {
  const empties = (n: number) => `{${Array.from({ length: n }, (_, i) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`).join(',')}}`;

  it('refuses more tensors than the data can hold before parsing the JSON', () => {
    // 4,096 empty tensors are fine; one more is not, and a million cost one byte loop, not a JSON tree.
    expect(parseSafetensorsHeader(build(null, new Uint8Array(0), empties(4096))).tensors).toHaveLength(4096);
    expect(code(() => parseSafetensorsHeader(build(null, new Uint8Array(0), empties(4097))))).toBe('too-large');
    const million = build(null, new Uint8Array(0), empties(1_000_000));
    const t0 = performance.now();
    expect(() => parseSafetensorsHeader(million)).toThrow(/names more than 4096 tensors/);
    expect(performance.now() - t0).toBeLessThan(1500);
    // Tensor data buys room: one tensor per 16 bytes.
    expect(maxTensorCount(16 * 1000)).toBe(4096 + 1000);
    // Commas inside names and metadata strings are not entries.
    const meta = { __metadata__: { note: ','.repeat(10_000) }, 'a,b': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } };
    expect(parseSafetensorsHeader(build(meta, new Uint8Array(4))).tensors.map((t) => t.name)).toEqual(['a,b']);
  });

  it('refuses headers nested deeper than a safetensors header can be', () => {
    const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(() => parseSafetensorsHeader(build(null, new Uint8Array(0), deep))).toThrow(/nests deeper than 8 levels/);
  });
});
