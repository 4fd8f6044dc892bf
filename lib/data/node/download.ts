// Node only: downloads enwik8.zip into a cache folder (streamed to a temp file, resumable, verified, renamed into
// place atomically) and reuses it on later runs once its checksum holds; offline machines are told what to do instead.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ENWIK8_BYTES, ENWIK8_MD5, ENWIK8_URL, ENWIK8_ZIP_BYTES } from '../enwik8';
import { DataError } from '../errors';
import type { ProgressCallback } from '../types';
import { listZipEntries, streamZipEntry, ZipError } from '../../zip';
import { DownloadInterrupted, fetchToFile } from './fetchToFile';
import { processAlive } from '../../io/nodeFile';

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
  /** One line for the user each time: a damaged cache deleted, a download resumed or restarted. */
  onMessage?: (line: string) => void;
  /** Injected for tests; defaults to the global fetch. */
  fetchImpl?: typeof fetch;
  url?: string;
  expect?: Partial<Enwik8Expectation>;
  /** Aborting it stops the download; the bytes so far are kept for a resume when the server allows one. */
  signal?: AbortSignal;
  /** Give up when the server has not answered within this many ms (default 30 s). */
  connectTimeoutMs?: number;
  /** Give up when no bytes arrive for this many ms (default 30 s). */
  stallTimeoutMs?: number;
}

export interface DownloadResult {
  /** The verified zip in the cache folder; read it and pass the bytes to loadEnwik8. */
  path: string;
  /** True when no download happened because a good copy was already cached. */
  fromCache: boolean;
  bytes: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

const ZIP_NAME = 'enwik8.zip';
/** The partial download a later run resumes from. Each run works on its own copy (see `claimPart`). */
const PART_NAME = `${ZIP_NAME}.part`;

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

/**
 * Checks a zip on disk: its size first (a wrong-sized file is never read), then size and MD5 of the entry,
 * hashed as it inflates (no 100 MB buffer). Inflating stops one byte past the expected size.
 */
async function verify(zipPath: string, want: Enwik8Expectation, onProgress?: ProgressCallback): Promise<void> {
  const size = await sizeOf(zipPath);
  if (want.zipBytes !== null && size !== want.zipBytes) {
    throw new DataError('checksum-mismatch', `the file has ${size} bytes, expected ${want.zipBytes}: not the enwik8.zip we know`);
  }
  const buf = await readFile(zipPath);
  const zip = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  const md5 = createHash('md5');
  let bytes: number;
  try {
    const entry = (await listZipEntries(zip)).find((e) => e.name === want.entry);
    if (!entry) throw new DataError('checksum-mismatch', `the zip has no "${want.entry}" entry`);
    ({ bytes } = await streamZipEntry(zip, entry, (c) => md5.update(c), {
      maxBytes: want.entryBytes + 1,
      onProgress: onProgress && ((p) => onProgress({ phase: 'verify', done: p.done, total: p.total })),
    }));
  } catch (e) {
    // A damaged zip is a file that fails verification like any other: the callers delete it and download again.
    if (e instanceof ZipError) throw new DataError('checksum-mismatch', `not the enwik8.zip we know: ${e.message}`);
    throw e;
  }
  const digest = md5.digest('hex');
  if (bytes !== want.entryBytes || digest !== want.entryMd5) {
    throw new DataError(
      'checksum-mismatch',
      `"${want.entry}" in the zip is ${bytes} bytes with MD5 ${digest}; expected ${want.entryBytes} bytes with MD5 ${want.entryMd5}`,
    );
  }
}

/**
 * Takes over the shared partial download by renaming it to this run's own name. rename() is atomic, so of two
 * runs at once only one gets it (the other starts from zero): they never write the same file. Returns its size.
 */
async function claimPart(partPath: string, ownPath: string): Promise<number> {
  try {
    await rename(partPath, ownPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  return (await sizeOf(ownPath)) ?? 0;
}

/**
 * A run killed outright (SIGKILL, power loss) cannot clean up its own temp file. The next run adopts such a file as
 * the partial download when there is none, and deletes the others; files of runs still alive are left alone.
 */
async function sweepDeadRuns(cacheDir: string, partPath: string): Promise<void> {
  const own = /^enwik8\.zip\.(\d+)\.[0-9a-f]+\.part$/;
  for (const name of await readdir(cacheDir)) {
    const m = own.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    const path = join(cacheDir, name);
    if ((await sizeOf(partPath)) === null) await rename(path, partPath).catch(() => rm(path, { force: true }));
    else await rm(path, { force: true });
  }
}

/**
 * Makes sure `<cacheDir>/enwik8.zip` exists and is the real thing, downloading it if needed.
 * A cached file is trusted only after its checksum is verified again; a damaged one is deleted and downloaded anew.
 * A download that stops (stall, lost connection, abort) leaves `enwik8.zip.part` when the server takes Range
 * requests, and the next call resumes from it; otherwise it leaves nothing.
 */
export async function downloadEnwik8(opts: DownloadEnwik8Options = {}): Promise<DownloadResult> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const want: Enwik8Expectation = { ...ENWIK8_EXPECTATION, ...opts.expect };
  const url = opts.url ?? ENWIK8_URL;
  const say = opts.onMessage ?? (() => {});
  const finalPath = join(cacheDir, ZIP_NAME);

  const cached = await sizeOf(finalPath);
  if (cached !== null) {
    try {
      await verify(finalPath, want, opts.onProgress);
      return { path: finalPath, fromCache: true, bytes: cached };
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      say(`the cached ${finalPath} is damaged (${e.message}); deleting it and downloading it again`);
      await rm(finalPath, { force: true });
    }
  }

  await mkdir(cacheDir, { recursive: true });
  const partPath = join(cacheDir, PART_NAME);
  // This run's own temp file in the same folder: rename() into place is then atomic.
  const ownPath = join(cacheDir, `${ZIP_NAME}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
  await sweepDeadRuns(cacheDir, partPath);
  let have = await claimPart(partPath, ownPath);
  if (have > 0 && want.zipBytes !== null && have >= want.zipBytes) have = 0; // nothing left to fetch: a bad file
  if (have > 0) say(`resuming the download of ${url} from byte ${have}`);
  try {
    for (;;) {
      const got = await fetchToFile({
        url,
        path: ownPath,
        resumeFrom: have,
        expectedBytes: want.zipBytes,
        fetchImpl: opts.fetchImpl ?? globalThis.fetch,
        connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        stallTimeoutMs: opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
        signal: opts.signal,
        onProgress: opts.onProgress && ((done, total) => opts.onProgress!({ phase: 'download', done, total })),
        onMessage: say,
        offlineHint: `Download enwik8.zip elsewhere and copy it to ${finalPath}, or set TOKENFORMER_CACHE to a folder that has it.`,
      });
      try {
        await verify(ownPath, want, opts.onProgress);
      } catch (e) {
        // The kept bytes may come from another version of the file: one fresh download before giving up.
        if (got.resumedFrom > 0 && e instanceof DataError) {
          say(`the resumed download failed verification (${e.message}); downloading it again from the start`);
          have = 0;
          continue;
        }
        throw e;
      }
      await rename(ownPath, finalPath);
      return { path: finalPath, fromCache: false, bytes: got.bytes };
    }
  } catch (e) {
    if (e instanceof DownloadInterrupted && e.resumable && e.bytes > 0 && (await rename(ownPath, partPath).then(() => true, () => false))) {
      throw new DownloadInterrupted(e.code as 'offline' | 'download-failed', `${e.message}; ${e.bytes} bytes are kept in ${partPath}: run again to resume`, e.bytes, true, { cause: e });
    }
    throw e;
  } finally {
    await rm(ownPath, { force: true });
  }
}
