// The mmap dataset, decoded by a reader written here from the format's description (not the writer's code).
import { describe, expect, it } from 'vitest';
import { FormatError } from './errors';
import { chunkDocuments, writeMmapDataset } from './mmapDataset';

/** Reads .idx/.bin as Megatron's MMapIndexedDataset does: header, sizes, pointers, doc_idx, then each item. */
function readMmap(idx: Uint8Array, bin: Uint8Array) {
  const dv = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
  expect(new TextDecoder('latin1').decode(idx.subarray(0, 9))).toBe('MMIDIDX\0\0');
  expect(dv.getBigUint64(9, true)).toBe(1n);
  const code = dv.getUint8(17);
  const width = { 1: 1, 4: 4, 8: 2 }[code as 1 | 4 | 8];
  if (!width) throw new Error(`dtype code ${code}`);
  const n = Number(dv.getBigUint64(18, true));
  const docCount = Number(dv.getBigUint64(26, true));
  let p = 34;
  const sizes = Array.from({ length: n }, (_, i) => dv.getInt32(p + 4 * i, true));
  p += 4 * n;
  const pointers = Array.from({ length: n }, (_, i) => Number(dv.getBigInt64(p + 8 * i, true)));
  p += 8 * n;
  const docIdx = Array.from({ length: docCount }, (_, i) => Number(dv.getBigInt64(p + 8 * i, true)));
  expect(p + 8 * docCount).toBe(idx.length);
  const bv = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const items = sizes.map((size, i) => Array.from({ length: size }, (_, j) => (width === 2 ? bv.getUint16(pointers[i] + 2 * j, true) : width === 4 ? bv.getInt32(pointers[i] + 4 * j, true) : bv.getUint8(pointers[i] + j))));
  return { code, items, docIdx };
}

describe('mmap indexed dataset', () => {
  it('decodes to the original token ids, one item per document, uint16 for a byte vocabulary', () => {
    const text = new TextEncoder().encode('Grüße aus dem Labor.\nA second line, and a third.\n\u{1F600}');
    const docs = chunkDocuments(text, 7);
    const ds = writeMmapDataset(docs, 256);
    const read = readMmap(ds.idx, ds.bin);
    expect(read.code).toBe(8);
    expect(read.items.flat()).toEqual(Array.from(text));
    expect(read.items.map((d) => d.length)).toEqual(docs.map((d) => d.length));
    expect(read.docIdx).toEqual(Array.from({ length: docs.length + 1 }, (_, i) => i));
    expect(ds.bin.length).toBe(2 * text.length);
  });

  it('uses int32 from 65500 ids up, and refuses ids outside the vocabulary', () => {
    const ds = writeMmapDataset([[70000, 5], [65499]], 70001);
    const read = readMmap(ds.idx, ds.bin);
    expect(read.code).toBe(4);
    expect(read.items).toEqual([[70000, 5], [65499]]);
    expect(() => writeMmapDataset([[256]], 256)).toThrow(FormatError);
    expect(() => writeMmapDataset([[-1]], 256)).toThrow(/outside the vocabulary/);
  });
});
