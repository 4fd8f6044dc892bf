// Node-only file access for the CLI and tests: a ByteSource over a file handle and an atomic, chunked file writer.
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ByteSource } from './byteSource';

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

/** Bytes, text, or chunks (e.g. from `safetensorsChunks`, written one by one without joining them in memory). */
export type FileContent = Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

function chunksOf(data: FileContent): Iterable<Uint8Array> | AsyncIterable<Uint8Array> {
  if (typeof data === 'string') return [new TextEncoder().encode(data)];
  return data instanceof Uint8Array ? [data] : data;
}

/**
 * Writes `data` to `path` so that a reader (or a crash, a full disk, an error mid-way) sees either the old file or
 * the whole new one: it goes to a temp file in the same folder (`.<name>.<pid>.<random>.tmp`), is flushed to disk
 * (fsync), and is renamed over `path`, which is atomic on one file system. On failure the temp file is removed and
 * the old file is untouched. An existing file's permission bits are kept. Returns the bytes written. Temp files of
 * this path left by a process that was killed mid-save (SIGKILL, power loss) are removed first.
 */
export async function writeFileAtomic(path: string, data: FileContent): Promise<number> {
  const dir = dirname(path);
  await removeStaleTemps(dir, basename(path));
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const mode = await stat(path).then(
    (s) => s.mode & 0o777,
    () => 0o666,
  );
  let total = 0;
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      for await (const c of chunksOf(data)) {
        let done = 0;
        while (done < c.length) done += (await handle.write(c, done, c.length - done)).bytesWritten;
        total += c.length;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dir);
  return total;
}

/** Whether process `pid` exists (EPERM: it exists but is not ours). A reused pid reads as alive: its file is kept. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `.<name>.<pid>.<hex>.tmp` files in `dir` whose writing process no longer exists. */
async function removeStaleTemps(dir: string, name: string): Promise<void> {
  const prefix = `.${name}.`;
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(entry.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && !processAlive(pid)) await rm(join(dir, entry), { force: true });
  }
}

/** Makes the rename itself durable; some platforms cannot fsync a folder, and the file is in place either way. */
async function syncDir(dir: string): Promise<void> {
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // best effort
  }
}

/** Writes chunks (e.g. from `safetensorsChunks`) to a file without joining them in memory; atomic, as `writeFileAtomic`. */
export function writeChunksToFile(path: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number> {
  return writeFileAtomic(path, chunks);
}
