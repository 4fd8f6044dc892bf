// safetensors header parsing and validation: needs only the first 8 + N bytes, so huge files stay on disk.
import { readExact, type ByteSource } from './byteSource';
import { describe, FormatError } from './errors';

/** Every dtype of the safetensors spec with a whole-byte width; only F32/F16/BF16 are decoded to float32. */
export const DTYPE_WIDTH: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1,
  U16: 2, I16: 2, F16: 2, BF16: 2,
  U32: 4, I32: 4, F32: 4,
  U64: 8, I64: 8, F64: 8, C64: 8,
};

/** Same limit as the reference Rust implementation: a bigger header is either hostile or broken. */
export const MAX_HEADER_BYTES = 100_000_000;
/**
 * Tensors a file may name: this many, plus one per 16 bytes of tensor data (every real tensor holds data).
 * A header of a million empty tensors is 50 MB of JSON that would otherwise be parsed, checked and decoded.
 */
export const TENSOR_COUNT_FLOOR = 4096;
export const MIN_BYTES_PER_TENSOR = 16;
/** A header is an object of objects of arrays: anything nested deeper is not a safetensors header. */
export const MAX_HEADER_DEPTH = 8;

export const maxTensorCount = (dataLength: number) => TENSOR_COUNT_FLOOR + Math.floor(dataLength / MIN_BYTES_PER_TENSOR);

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  numel: number;
  /** Byte range relative to the start of the data section (8 + headerLength). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  headerLength: number;
  /** Absolute file offset of the first tensor byte. */
  dataStart: number;
  dataLength: number;
  metadata: Record<string, string>;
  /** In file order (by offset). */
  tensors: TensorInfo[];
  byName: Map<string, TensorInfo>;
}

/** Reads and checks the u64 header length from the first 8 bytes against the whole file's size. */
export function headerLength(first8: Uint8Array, fileSize: number): number {
  if (first8.length < 8 || fileSize < 8) throw new FormatError('truncated', `safetensors file is ${fileSize} bytes, shorter than its 8-byte header length`);
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER_BYTES) {
    throw new FormatError('header-too-large', `safetensors header claims ${hi * 2 ** 32 + lo} bytes (limit ${MAX_HEADER_BYTES})`);
  }
  if (8 + lo > fileSize) throw new FormatError('truncated', `safetensors header runs past the end of the file (${8 + lo} > ${fileSize} bytes)`);
  return lo;
}

/**
 * Parses and validates the header. `bytes` must hold at least the first 8 + N bytes; `fileSize` is the size
 * of the whole file, which the tensor offsets are checked against.
 *
 * Strict like the reference implementation: tensors must tile the data section exactly (no overlaps, no
 * gaps, no trailing bytes), so every accepted file is one the Rust `safetensors` library also accepts.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, fileSize: number = bytes.length): SafetensorsHeader {
  const n = headerLength(bytes, fileSize);
  if (bytes.length < 8 + n) throw new FormatError('truncated', `safetensors header needs ${8 + n} bytes, got ${bytes.length}`);
  const maxTensors = maxTensorCount(fileSize - 8 - n);
  checkShape(bytes.subarray(8, 8 + n), maxTensors);
  let text: string;
  let header: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
    header = JSON.parse(text);
  } catch (e) {
    throw new FormatError('bad-header', `safetensors header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new FormatError('bad-header', 'safetensors header is not a JSON object');
  const dup = firstDuplicateKey(text);
  if (dup !== undefined) throw new FormatError('bad-header', `safetensors header names "${dup}" twice`);

  const count = Object.keys(header).filter((k) => k !== '__metadata__').length;
  if (count > maxTensors) throw tooMany(maxTensors);
  const dataStart = 8 + n;
  const dataLength = fileSize - dataStart;
  const tensors: TensorInfo[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') metadata = checkMetadata(info);
    else tensors.push(checkTensor(name, info, dataLength));
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const t of tensors) {
    if (t.begin < expected) throw new FormatError('bad-offsets', `tensor "${t.name}" [${t.begin}, ${t.end}) overlaps the tensor before it (which ends at ${expected})`);
    if (t.begin > expected) throw new FormatError('bad-offsets', `gap of ${t.begin - expected} bytes before tensor "${t.name}" at ${expected}`);
    expected = t.end;
  }
  if (expected !== dataLength) throw new FormatError('bad-offsets', `tensors cover ${expected} of the ${dataLength} data bytes; the file has ${dataLength - expected} unaccounted bytes`);
  return { headerLength: n, dataStart, dataLength, metadata, tensors, byName: new Map(tensors.map((t) => [t.name, t])) };
}

/** Reads only the first 8 + N bytes of a source. */
export async function readSafetensorsHeader(source: ByteSource): Promise<SafetensorsHeader> {
  const first8 = await readExact(source, 0, Math.min(8, source.size), 'safetensors header length');
  const n = headerLength(first8, source.size);
  return parseSafetensorsHeader(await readExact(source, 0, 8 + n, 'safetensors header'), source.size);
}

function checkMetadata(info: unknown): Record<string, string> {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new FormatError('bad-header', '__metadata__ is not a JSON object');
  for (const [k, v] of Object.entries(info)) {
    if (typeof v !== 'string') throw new FormatError('bad-header', `__metadata__ "${k}" must be a string, got ${describe(v)}`);
  }
  return info as Record<string, string>;
}

function checkTensor(name: string, info: unknown, dataLength: number): TensorInfo {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new FormatError('bad-header', `tensor "${name}" entry is not an object`);
  const { dtype, shape, data_offsets: off } = info as Record<string, unknown>;
  if (typeof dtype !== 'string') throw new FormatError('bad-header', `tensor "${name}" has no dtype string`);
  const width = Object.hasOwn(DTYPE_WIDTH, dtype) ? DTYPE_WIDTH[dtype] : undefined;
  if (width === undefined) throw new FormatError('unknown-dtype', `tensor "${name}" has unknown dtype ${describe(dtype)}`);
  if (!Array.isArray(shape)) throw new FormatError('bad-header', `tensor "${name}" shape is not an array: ${describe(shape)}`);
  let numel = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new FormatError('bad-header', `tensor "${name}" shape ${describe(shape)} has an entry that is not a non-negative integer`);
    numel *= d;
  }
  if (!Number.isSafeInteger(numel * width)) throw new FormatError('bad-offsets', `tensor "${name}" shape ${describe(shape)} is impossibly large`);
  if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new FormatError('bad-header', `tensor "${name}" data_offsets ${describe(off)} is not a pair of non-negative integers`);
  }
  const [begin, end] = off as [number, number];
  if (end < begin || end - begin !== numel * width) {
    throw new FormatError('bad-offsets', `tensor "${name}" offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype}${describe(shape)} needs ${numel * width}`);
  }
  if (end > dataLength) throw new FormatError('bad-offsets', `tensor "${name}" ends at data byte ${end}, past the ${dataLength}-byte data section`);
  return { name, dtype, shape: shape as number[], numel, begin, end };
}

/**
 * One pass over the raw header bytes, before any parsing: refuses more top-level entries than `maxEntries`
 * and nesting deeper than MAX_HEADER_DEPTH, so a hostile header costs a byte loop, not a JSON tree.
 */
function checkShape(json: Uint8Array, maxEntries: number): void {
  let depth = 0;
  let entries = 0;
  let inString = false;
  let empty = true;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      if (depth === 1 && empty) {
        empty = false;
        entries++;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_HEADER_DEPTH) throw new FormatError('bad-header', `safetensors header nests deeper than ${MAX_HEADER_DEPTH} levels`);
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && depth === 1 && ++entries > maxEntries + 1) throw tooMany(maxEntries); // + 1: __metadata__
  }
}

const tooMany = (max: number) =>
  new FormatError(
    'too-large',
    `safetensors header names more than ${max} tensors, the most a file with this much tensor data may hold (${TENSOR_COUNT_FLOOR} + one per ${MIN_BYTES_PER_TENSOR} bytes)`,
  );

/** JSON.parse keeps the last of duplicate keys silently; this scans already-valid JSON for top-level repeats. */
function firstDuplicateKey(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(json.slice(i, j + 1)) as string;
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1 && c === '{';
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return undefined;
}
