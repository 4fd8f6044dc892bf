// Random-access byte sources, so large checkpoints are read piece by piece instead of all at once.
import { FormatError } from './errors';

/** A file-like thing of known size that can hand out any byte range. */
export interface ByteSource {
  readonly size: number;
  /** Must resolve to exactly `length` bytes; callers check the range first (see `readExact`). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A source over bytes already in memory; `read` returns views, not copies. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)),
  };
}

/** A source over a browser `Blob`/`File` (also the Node global `Blob`): only the asked-for slice is loaded. */
export function blobSource(blob: Blob): ByteSource {
  return {
    size: blob.size,
    read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
  };
}

export function isByteSource(x: unknown): x is ByteSource {
  return typeof x === 'object' && x !== null && typeof (x as ByteSource).read === 'function' && typeof (x as ByteSource).size === 'number';
}

export function toByteSource(input: Uint8Array | ByteSource): ByteSource {
  return input instanceof Uint8Array ? bytesSource(input) : input;
}

/**
 * Reads a range after checking it lies inside the source, so a hostile length never reaches an allocation;
 * `what` names the structure for the error message.
 */
export async function readExact(source: ByteSource, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > source.size) {
    throw new FormatError('truncated', `${what}: bytes [${offset}, ${offset + length}) lie outside the ${source.size}-byte file`);
  }
  const out = await source.read(offset, length);
  if (out.length !== length) throw new FormatError('truncated', `${what}: asked for ${length} bytes at ${offset}, got ${out.length}`);
  return out;
}
