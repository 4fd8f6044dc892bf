// Byte-level writers for hostile files: a zip writer that lies on request, a hand-built deflate bomb, a small
// pickler for torch state dicts, and safetensors from raw header JSON. Only the hostile-input tests use them.
import { deflateSync } from 'fflate';
import { encodeCheckpoint, expectedShapes, type NamedTensor } from '../../lib/io';
import { initialGrowth } from '../../lib/tokenformer/params';
import { preset, type ModelConfig } from '../../lib/tokenformer/config';
import { crc32 } from '../../lib/zip';

const enc = new TextEncoder();

/** Little-endian writer with a growing buffer. */
export class Bytes {
  private buf = new Uint8Array(1024);
  length = 0;
  private room(n: number) {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u8(...v: number[]) {
    this.room(v.length);
    for (const x of v) this.buf[this.length++] = x & 0xff;
    return this;
  }
  u16(v: number) {
    return this.u8(v, v >>> 8);
  }
  u32(v: number) {
    return this.u8(v, v >>> 8, v >>> 16, v >>> 24);
  }
  u64(v: number) {
    return this.u32(v % 2 ** 32).u32(Math.floor(v / 2 ** 32));
  }
  bytes(b: Uint8Array | string) {
    const a = typeof b === 'string' ? enc.encode(b) : b;
    this.room(a.length);
    this.buf.set(a, this.length);
    this.length += a.length;
    return this;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export interface RawZipEntry {
  name: string;
  /** The bytes stored in the zip (already compressed for method 8). */
  data: Uint8Array;
  method: 0 | 8;
  crc: number;
  /** Declared sizes; default to the truth. */
  size: number;
  compressedSize?: number;
  /** Put 0xFFFFFFFF in the central record and the real values (or these lies) in a zip64 extra field. */
  zip64?: { size: number; compressedSize: number; offset?: number };
  /** Override the local-header offset written in the central directory (to make entries overlap). */
  offset?: number;
}

export const stored = (name: string, data: Uint8Array | string): RawZipEntry => {
  const d = typeof data === 'string' ? enc.encode(data) : data;
  return { name, data: d, method: 0, crc: crc32(d), size: d.length };
};
export const deflated = (name: string, data: Uint8Array | string): RawZipEntry => {
  const d = typeof data === 'string' ? enc.encode(data) : data;
  return { name, data: deflateSync(d), method: 8, crc: crc32(d), size: d.length };
};

/** Writes entries as given (lies included): local headers and data, the central directory, the end record. */
export function writeZip(entries: RawZipEntry[], opts: { eocdCount?: number; cdOffsetDelta?: number } = {}): Uint8Array {
  const w = new Bytes();
  const offsets: number[] = [];
  for (const e of entries) {
    offsets.push(w.length);
    const name = enc.encode(e.name);
    w.u32(0x04034b50).u16(20).u16(0).u16(e.method).u16(0).u16(0).u32(e.crc);
    w.u32(e.compressedSize ?? e.data.length).u32(e.size).u16(name.length).u16(0).bytes(name).bytes(e.data);
  }
  const cdStart = w.length;
  entries.forEach((e, i) => {
    const name = enc.encode(e.name);
    const z = e.zip64;
    w.u32(0x02014b50).u16(45).u16(45).u16(0).u16(e.method).u16(0).u16(0).u32(e.crc);
    w.u32(z ? 0xffffffff : (e.compressedSize ?? e.data.length)).u32(z ? 0xffffffff : e.size);
    w.u16(name.length).u16(z ? 28 : 0).u16(0).u16(0).u16(0).u32(0);
    w.u32(z ? 0xffffffff : (e.offset ?? offsets[i])).bytes(name);
    if (z) w.u16(1).u16(24).u64(z.size).u64(z.compressedSize).u64(z.offset ?? offsets[i]);
  });
  const cdSize = w.length - cdStart;
  const count = opts.eocdCount ?? entries.length;
  w.u32(0x06054b50).u16(0).u16(0).u16(count).u16(count).u32(cdSize).u32(cdStart + (opts.cdOffsetDelta ?? 0)).u16(0);
  return w.done();
}

/**
 * A raw deflate stream of one literal zero and `matches` copies of <length 258, distance 1>: 1 + 258 * matches
 * zero bytes from 2 bits per match, deflate's 1032:1 ceiling (one dynamic-Huffman block).
 */
export function zeroBomb(matches: number): { data: Uint8Array; size: number } {
  const out = new Uint8Array(Math.ceil((2 * matches + 200) / 8));
  let bit = 0;
  const put = (value: number, n: number) => {
    for (let i = 0; i < n; i++, bit++) if ((value >>> i) & 1) out[bit >> 3] |= 1 << (bit & 7);
  };
  const huff = (code: number, len: number) => {
    for (let i = len - 1; i >= 0; i--, bit++) if ((code >>> i) & 1) out[bit >> 3] |= 1 << (bit & 7);
  };
  put(1, 1); // BFINAL
  put(2, 2); // dynamic Huffman
  put(286 - 257, 5); // HLIT: 286 literal/length codes
  put(2 - 1, 5); // HDIST: 2 distance codes
  put(18 - 4, 4); // HCLEN: 18 code-length codes in the permuted order below
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1];
  const clen: Record<number, number> = { 18: 1, 1: 2, 2: 2 }; // codes: 18 -> 0, 1 -> 10, 2 -> 11
  for (const s of order) put(clen[s] ?? 0, 3);
  const sym = (s: number) => (s === 18 ? huff(0, 1) : huff(s === 1 ? 0b10 : 0b11, 2));
  // Literal 0 and end-of-block get 2 bits, length 258 (symbol 285) 1 bit; both distances 1 bit.
  sym(2);
  sym(18);
  put(138 - 11, 7); // symbols 1..138 unused
  sym(18);
  put(117 - 11, 7); // 139..255
  sym(2); // 256 (end of block)
  sym(18);
  put(28 - 11, 7); // 257..284
  sym(1); // 285
  sym(1); // distance code 0
  sym(1); // distance code 1
  huff(0b10, 2); // literal 0
  // Length 258 (1 bit) and distance 1 (1 bit): both codes are 0, so the bits are already in place.
  bit += 2 * matches;
  huff(0b11, 2); // end of block
  return { data: out.slice(0, Math.ceil(bit / 8)), size: 1 + 258 * matches };
}

/** CRC-32 of `n` zero bytes without running over them: the register update is linear, so square its matrix. */
export function zerosCrc(n: number): number {
  const times = (mat: number[], vec: number) => {
    let sum = 0;
    for (let i = 0, v = vec >>> 0; v; v >>>= 1, i++) if (v & 1) sum ^= mat[i];
    return sum >>> 0;
  };
  const square = (mat: number[]) => mat.map((m) => times(mat, m));
  let odd = [0xedb88320]; // one zero bit
  for (let i = 1, row = 1; i < 32; i++, row <<= 1) odd.push(row >>> 0);
  let even = square(odd); // two bits
  odd = square(even); // four bits
  let r = 0xffffffff;
  for (let len = n; len > 0; ) {
    even = square(odd); // the next power of two bytes
    if (len % 2) r = times(even, r);
    len = Math.floor(len / 2);
    if (!len) break;
    odd = square(even);
    if (len % 2) r = times(odd, r);
    len = Math.floor(len / 2);
  }
  return ~r >>> 0;
}

/** A pickle built opcode by opcode. */
export class Pickle extends Bytes {
  proto(p = 2) {
    return this.u8(0x80, p);
  }
  str(s: string) {
    const b = enc.encode(s);
    return b.length < 256 ? this.u8(0x8c, b.length).bytes(b) : this.u8(0x58).u32(b.length).bytes(b);
  }
  int(n: number) {
    return this.u8(0x4a).u32(n);
  }
  global(module: string, name: string) {
    return this.u8(0x63).bytes(`${module}\n${name}\n`);
  }
  op(...codes: string[]) {
    for (const c of codes) this.u8(c.charCodeAt(0));
    return this;
  }
  /** `_rebuild_tensor_v2(storage, 0, shape, stride, False, OrderedDict())` on storage `key` of `numel` floats. */
  tensor(key: string, numel: number, shape: number[]) {
    this.global('torch._utils', '_rebuild_tensor_v2').op('(');
    this.op('(').str('storage').global('torch', 'FloatStorage').str(key).str('cpu').int(numel).op('t', 'Q');
    this.int(0).op('(');
    for (const d of shape) this.int(d);
    this.op('t', '(');
    let s = 1;
    const strides = shape.map(() => 0);
    for (let i = shape.length - 1; i >= 0; i--) {
      strides[i] = s;
      s *= shape[i];
    }
    for (const d of strides) this.int(d);
    this.op('t').u8(0x89).global('collections', 'OrderedDict').op(')', 'R', 't', 'R');
    return this;
  }
}

/** data.pkl of a state dict: name -> [storage key, numel, shape]. */
export function stateDictPickle(tensors: [string, string, number, number[]][]): Uint8Array {
  const p = new Pickle().proto(2).op('}', '(');
  for (const [name, key, numel, shape] of tensors) p.str(name).tensor(key, numel, shape);
  return p.op('u', '.').done();
}

/** A torch.save zip (stored entries, as torch writes them) of the given pickle and storages. */
export function torchZip(pkl: Uint8Array, storages: RawZipEntry[] = []): Uint8Array {
  return writeZip([stored('archive/data.pkl', pkl), stored('archive/byteorder', 'little'), ...storages]);
}

/** safetensors bytes from a header object or raw header text, followed by `data`. */
export function safetensors(header: object | string | Uint8Array, data: Uint8Array = new Uint8Array(0), lengthOverride?: number): Uint8Array {
  const json = header instanceof Uint8Array ? header : enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const w = new Bytes().u64(lengthOverride ?? json.length).bytes(json).bytes(data);
  return w.done();
}

/** A valid micro checkpoint with config metadata (deterministic weights), for attacks on an otherwise good file. */
export function microCheckpoint(config: ModelConfig = preset('micro'), extra: Map<string, NamedTensor> = new Map()): Uint8Array {
  const tensors = new Map<string, NamedTensor>();
  let seed = 1;
  for (const [name, shape] of expectedShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.04;
    tensors.set(name, { shape, data });
  }
  const growth = initialGrowth(config);
  const bytes = encodeCheckpoint({ tensors, config, growth });
  if (!extra.size) return bytes;
  // Re-encode with extra tensors by writing the header by hand: encodeCheckpoint itself refuses unknown names.
  const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<string, { data_offsets: number[] }>;
  const parts = [bytes.subarray(8 + headerLen)];
  let end = bytes.length - 8 - headerLen;
  for (const [name, t] of extra) {
    const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    (header as Record<string, unknown>)[name] = { dtype: 'F32', shape: t.shape, data_offsets: [end, end + raw.length] };
    parts.push(raw);
    end += raw.length;
  }
  const data = new Uint8Array(end);
  let at = 0;
  for (const p of parts) data.set(p, (at += p.length) - p.length);
  return safetensors(header, data);
}
