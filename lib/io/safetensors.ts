// safetensors: an 8-byte little-endian header length, a JSON header, then raw little-endian tensor bytes.
import { FormatError } from './errors';

export type DType = 'F32' | 'F16' | 'BF16';
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}
export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

const MAX_HEADER = 100 * 1024 * 1024;

/** Reads a whole safetensors buffer; F16 and BF16 are widened to float32. */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) throw new FormatError('truncated', `safetensors file is ${bytes.length} bytes, shorter than its 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER) throw new FormatError('header-too-large', `safetensors header claims ${headerLen} bytes (limit ${MAX_HEADER})`);
  if (8 + headerLen > bytes.length) throw new FormatError('truncated', `safetensors header runs past the end of the file (${8 + headerLen} > ${bytes.length})`);
  let header: Record<string, any>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new FormatError('bad-header', `safetensors header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new FormatError('bad-header', 'safetensors header is not a JSON object');
  const dataStart = 8 + headerLen;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: off } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const width = dtype === 'F32' ? 4 : dtype === 'F16' || dtype === 'BF16' ? 2 : 0;
    if (!width) throw new FormatError('unknown-dtype', `tensor "${name}" has dtype ${dtype}; only F32, F16 and BF16 are read`);
    const count = shape.reduce((a, b) => a * b, 1);
    const [begin, end] = off;
    if (end - begin !== count * width || dataStart + end > bytes.length) throw new FormatError('bad-offsets', `tensor "${name}" offsets [${begin}, ${end}] do not fit its shape or the file`);
    const raw = bytes.subarray(dataStart + begin, dataStart + end);
    const rv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      data[i] = width === 4 ? rv.getFloat32(i * 4, true) : dtype === 'BF16' ? bf16ToF32(rv.getUint16(i * 2, true)) : f16ToF32(rv.getUint16(i * 2, true));
    }
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}

/** Writes float32 tensors (sorted by name, as the reference writer does) with string metadata. */
export function writeSafetensors(tensors: Map<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const n of names) {
    const t = tensors.get(n)!;
    header[n] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] };
    offset += t.data.length * 4;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8; // keep tensor data 8-byte aligned
  if (pad) json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  const dv = new DataView(out.buffer, 8 + json.length);
  let o = 0;
  for (const n of names) for (const v of tensors.get(n)!.data) dv.setFloat32((o += 4) - 4, v, true);
  return out;
}

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

const bfBuf = new DataView(new ArrayBuffer(4));
export function bf16ToF32(b: number): number {
  bfBuf.setUint32(0, b << 16, false);
  return bfBuf.getFloat32(0, false);
}
