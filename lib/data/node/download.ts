// Node only: downloads enwik8.zip into a cache folder (streamed to a temp file, verified, renamed into
// place atomically) and reuses it on later runs; offline machines get a message saying what to do instead.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ENWIK8_BYTES, ENWIK8_MD5, ENWIK8_URL, ENWIK8_ZIP_BYTES } from '../enwik8';
import { DataError } from '../errors';
import type { ProgressCallback } from '../types';
import { listZipEntries, streamZipEntry } from '../../zip';

/** TOKENFORMER_CACHE, else $XDG_CACHE_HOME/tokenformer-lab, else ~/.cache/tokenformer-lab. */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.TOKENFORMER_CACHE) return env.TOKENFORMER_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tokenformer-lab');
}

/** What a good download looks like. Defaults are the real enwik8.zip; tests inject their own. */
export interface Enwik8Expectation {
  /** Exact size of the zip, or null to skip that check. */
  zipBytes: number | null;
  /** Name of the entry to verify. */
  entry: string;
  /** Exact uncompressed size of the entry. */
  entryBytes: number;
  /** MD5 (hex) of the uncompressed entry. */
  entryMd5: string;
}

export const ENWIK8_EXPECTATION: Enwik8Expectation = {
  zipBytes: ENWIK8_ZIP_BYTES,
  entry: 'enwik8',
  entryBytes: ENWIK8_BYTES,
  entryMd5: ENWIK8_MD5,
};

export interface DownloadEnwik8Options {
  cacheDir?: string;
  onProgress?: ProgressCallback;
  /** Injected for tests; defaults to the global fetch. */
  fetchImpl?: typeof fetch;
  url?: string;
  expect?: Partial<Enwik8Expectation>;
  signal?: AbortSignal;
}

export interface DownloadResult {
  /** The verified zip in the cache folder; read it and pass the bytes to loadEnwik8. */
  path: string;
  /** True when no download happened because a good copy was already cached. */
  fromCache: boolean;
  bytes: number;
}

const ZIP_NAME = 'enwik8.zip';

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

/** Checks the entry inside the zip: size and MD5 of the uncompressed bytes, hashed as they inflate (no 100 MB buffer). */
async function verify(zipPath: string, want: Enwik8Expectation, onProgress?: ProgressCallback): Promise<void> {
  const buf = await readFile(zipPath);
  const zip = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  if (want.zipBytes !== null && zip.length !== want.zipBytes) {
    throw new DataError('checksum-mismatch', `downloaded ${zip.length} bytes, expected ${want.zipBytes}: not the enwik8.zip we know`);
  }
  const entry = (await listZipEntries(zip)).find((e) => e.name === want.entry);
  if (!entry) throw new DataError('checksum-mismatch', `the downloaded zip has no "${want.entry}" entry`);
  const md5 = createHash('md5');
  const { bytes } = await streamZipEntry(zip, entry, (c) => md5.update(c), {
    onProgress: onProgress && ((p) => onProgress({ phase: 'verify', done: p.done, total: p.total })),
  });
  const digest = md5.digest('hex');
  if (bytes !== want.entryBytes || digest !== want.entryMd5) {
    throw new DataError(
      'checksum-mismatch',
      `"${want.entry}" in the download is ${bytes} bytes with MD5 ${digest}; expected ${want.entryBytes} bytes with MD5 ${want.entryMd5}`,
    );
  }
}

/**
 * Makes sure `<cacheDir>/enwik8.zip` exists and is the real thing, downloading it if needed.
 * A cached file is trusted when its size matches (it was verified before it was renamed into place).
 */
export async function downloadEnwik8(opts: DownloadEnwik8Options = {}): Promise<DownloadResult> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const want: Enwik8Expectation = { ...ENWIK8_EXPECTATION, ...opts.expect };
  const url = opts.url ?? ENWIK8_URL;
  const fetchImpl = opts.fetchImpl ?? globalThis.fetch;
  const finalPath = join(cacheDir, ZIP_NAME);

  const cached = await sizeOf(finalPath);
  if (cached !== null && (want.zipBytes === null || cached === want.zipBytes)) {
    return { path: finalPath, fromCache: true, bytes: cached };
  }

  await mkdir(cacheDir, { recursive: true });
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: opts.signal });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new DataError(
      'offline',
      `could not reach ${url} (${why}); this machine looks offline. Download enwik8.zip elsewhere and copy it to ` +
        `${finalPath}, or set TOKENFORMER_CACHE to a folder that has it.`,
      { cause: e },
    );
  }
  if (!response.ok || !response.body) {
    throw new DataError('download-failed', `${url} answered HTTP ${response.status} ${response.statusText}`.trim());
  }

  // A unique temp name in the same folder: rename() is then atomic, and parallel downloads cannot clash.
  const tmpPath = join(cacheDir, `${ZIP_NAME}.${process.pid}.${Date.now()}.part`);
  const header = Number(response.headers.get('content-length'));
  const total = Number.isFinite(header) && header > 0 ? header : want.zipBytes;
  try {
    const file = await open(tmpPath, 'w');
    let done = 0;
    try {
      const reader = response.body.getReader();
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) break;
        done += value.length;
        // Stop early rather than fill the disk when the server sends something else entirely.
        if (want.zipBytes !== null && done > want.zipBytes) {
          await reader.cancel();
          throw new DataError('checksum-mismatch', `download exceeded the expected ${want.zipBytes} bytes: not the enwik8.zip we know`);
        }
        await file.write(value);
        opts.onProgress?.({ phase: 'download', done, total });
      }
    } catch (e) {
      if (e instanceof DataError) throw e;
      throw new DataError('download-failed', `download of ${url} broke off after ${done} bytes (${(e as Error).message})`, { cause: e });
    } finally {
      await file.close();
    }
    await verify(tmpPath, want, opts.onProgress);
    await rename(tmpPath, finalPath);
    return { path: finalPath, fromCache: false, bytes: done };
  } finally {
    await rm(tmpPath, { force: true });
  }
}
