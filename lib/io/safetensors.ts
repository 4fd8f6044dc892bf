// safetensors: an 8-byte little-endian header length, a JSON header, then raw little-endian tensor bytes.
import { readExact, type ByteSource } from './byteSource';
import { decodeFloats, f32Bytes, type FloatDType } from './dtype';
import { describe, FormatError } from './errors';
import { parseSafetensorsHeader, readSafetensorsHeader, type SafetensorsHeader, type TensorInfo } from './safetensorsHeader';

export { bf16ToF32, f16ToF32 } from './dtype';
export { MAX_HEADER_BYTES, parseSafetensorsHeader, readSafetensorsHeader } from './safetensorsHeader';
export type { SafetensorsHeader, TensorInfo } from './safetensorsHeader';

export type DType = FloatDType;
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}
export interface SafetensorsFile {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
  /** Tensors left out because their dtype is not a float type we decode (only with `unsupported: 'skip'`). */
  skipped?: string[];
}

export interface ReadOptions {
  /** Read only these tensors (others are never touched). */
  names?: (name: string) => boolean;
  /** What to do with tensors of a dtype other than F32/F16/BF16 (e.g. I64 buffers): fail (default) or leave out. */
  unsupported?: 'error' | 'skip';
}

const isFloat = (dtype: string): dtype is FloatDType => dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';

/** Reads a whole safetensors buffer; F16 and BF16 are widened to float32. */
export function readSafetensors(bytes: Uint8Array, options: ReadOptions = {}, known?: SafetensorsHeader): SafetensorsFile {
  const header = known ?? parseSafetensorsHeader(bytes);
  const { wanted, skipped } = select(header, options);
  const tensors = new Map<string, NamedTensor>();
  for (const t of wanted) tensors.set(t.name, decodeTensor(t, bytes.subarray(header.dataStart + t.begin, header.dataStart + t.end)));
  return { tensors, metadata: header.metadata, skipped };
}

/**
 * Reads from a random-access source: the header first (or the one given, already read and checked), then
 * one tensor at a time.
 */
export async function readSafetensorsFrom(source: ByteSource, options: ReadOptions = {}, known?: SafetensorsHeader): Promise<SafetensorsFile> {
  const header = known ?? (await readSafetensorsHeader(source));
  const { wanted, skipped } = select(header, options);
  const tensors = new Map<string, NamedTensor>();
  for (const t of wanted) tensors.set(t.name, await readTensor(source, header, t.name));
  return { tensors, metadata: header.metadata, skipped };
}

/** Reads one tensor by name, given a header from `readSafetensorsHeader`. */
export async function readTensor(source: ByteSource, header: SafetensorsHeader, name: string): Promise<NamedTensor> {
  const t = header.byName.get(name);
  if (!t) throw new FormatError('missing-tensor', `safetensors file has no tensor "${name}"`);
  return decodeTensor(t, await readExact(source, header.dataStart + t.begin, t.end - t.begin, `tensor "${name}"`));
}

function select(header: SafetensorsHeader, options: ReadOptions) {
  const wanted: TensorInfo[] = [];
  const skipped: string[] = [];
  for (const t of header.tensors) {
    if (options.names && !options.names(t.name)) continue;
    if (isFloat(t.dtype)) wanted.push(t);
    else if (options.unsupported === 'skip') skipped.push(t.name);
    else throw new FormatError('unknown-dtype', `tensor "${t.name}" has dtype ${t.dtype}; only F32, F16 and BF16 are read`);
  }
  return { wanted, skipped };
}

function decodeTensor(t: TensorInfo, raw: Uint8Array): NamedTensor {
  return { shape: [...t.shape], data: decodeFloats(raw, t.dtype as FloatDType, t.numel) };
}

/** The header bytes (padded to 8 so tensor data stays aligned) and the total file size, for the writers. */
export function planSafetensors(tensors: Map<string, NamedTensor>, metadata: Record<string, string> = {}): { header: Uint8Array; names: string[]; size: number } {
  // Sorted by name, as the reference writer does, so equal inputs give byte-identical files.
  const names = [...tensors.keys()].sort();
  // No prototype: a tensor or metadata key "__proto__" must stay a plain key, not reach Object.prototype's setter.
  const header: Record<string, unknown> = Object.create(null);
  const metaEntries = Object.entries(metadata);
  for (const [k, v] of metaEntries) if (typeof v !== 'string') throw new FormatError('bad-metadata', `metadata "${k}" must be a string, got ${describe(v)}`);
  if (metaEntries.length) header.__metadata__ = metadata;
  let offset = 0;
  for (const n of names) {
    if (n === '__metadata__') throw new FormatError('bad-header', 'a tensor cannot be named "__metadata__"');
    const t = tensors.get(n)!;
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || numel !== t.data.length) {
      throw new FormatError('shape-mismatch', `tensor "${n}" has shape ${describe(t.shape)} but ${t.data.length} values`);
    }
    header[n] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] };
    offset += t.data.length * 4;
  }
  const text = JSON.stringify(header);
  const len = new TextEncoder().encode(text).length;
  const json = new TextEncoder().encode(text + ' '.repeat((8 - (len % 8)) % 8));
  const out = new Uint8Array(8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return { header: out, names, size: out.length + offset };
}

/**
 * Writes float32 tensors chunk by chunk: the header, then each tensor's bytes. On little-endian hosts the
 * tensor chunks are views on the callers' arrays (no copy), so consume each chunk before changing the data.
 */
export function* safetensorsChunks(tensors: Map<string, NamedTensor>, metadata: Record<string, string> = {}): Generator<Uint8Array> {
  const plan = planSafetensors(tensors, metadata);
  yield plan.header;
  for (const n of plan.names) {
    const data = tensors.get(n)!.data;
    if (data.length) yield f32Bytes(data);
  }
}

/** Writes float32 tensors (sorted by name, as the reference writer does) with string metadata. */
export function writeSafetensors(tensors: Map<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const plan = planSafetensors(tensors, metadata);
  const out = new Uint8Array(plan.size);
  out.set(plan.header, 0);
  let o = plan.header.length;
  for (const n of plan.names) {
    const bytes = f32Bytes(tensors.get(n)!.data);
    out.set(bytes, o);
    o += bytes.length;
  }
  return out;
}

/** Joins chunks from a chunked writer into one buffer (tests, small files). */
export function concatChunks(chunks: Iterable<Uint8Array>): Uint8Array {
  const list = [...chunks];
  const out = new Uint8Array(list.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of list) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
