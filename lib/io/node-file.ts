// Node-only file access for the CLI and tests: a ByteSource over a file handle and a chunked file writer.
import { open, type FileHandle } from 'node:fs/promises';
import type { ByteSource } from './byte-source';

/** A ByteSource over an open file handle; reads loop until the range is filled. */
export function fileHandleSource(handle: FileHandle, size: number): ByteSource {
  return {
    size,
    async read(offset, length) {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) break; // file shrank under us: readExact reports the short read
        done += bytesRead;
      }
      return done === length ? out : out.subarray(0, done);
    },
  };
}

/** Opens a file for random access; call `close` when done. */
export async function openFileSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    return { ...fileHandleSource(handle, size), close: () => handle.close() };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Writes chunks (e.g. from `safetensorsChunks`) to a file without joining them in memory. */
export async function writeChunksToFile(path: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number> {
  const handle = await open(path, 'w');
  let total = 0;
  try {
    for await (const c of chunks) {
      let done = 0;
      while (done < c.length) done += (await handle.write(c, done, c.length - done)).bytesWritten;
      total += c.length;
    }
  } finally {
    await handle.close();
  }
  return total;
}
