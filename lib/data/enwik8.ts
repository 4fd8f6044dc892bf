// enwik8 as a Corpus: from enwik8.zip (inflated in chunks, with progress) or the raw file, checked to be the
// real 100,000,000 bytes and split 90M/5M/5M as in every published bits-per-byte number.
import { DataError, assertInt } from './errors';
import { splitCorpus } from './split';
import type { Corpus, ProgressCallback } from './types';
import { firstLocalEntry, isZip, listZipEntries, readZipEntry, ZipError, type ZipEntry } from '../zip';

export const ENWIK8_URL = 'http://mattmahoney.net/dc/enwik8.zip';
export const ENWIK8_BYTES = 100_000_000;
/** Size of enwik8.zip as served by mattmahoney.net. */
export const ENWIK8_ZIP_BYTES = 36_445_475;
/** Checksums of the unzipped file, as published in Mahoney's enwik8/enwik9 readme. */
export const ENWIK8_MD5 = 'a1fa5ffddb56f4953e226637dabbb36a';
export const ENWIK8_SHA1 = '57b8363b814821dc9d47aa4d41f58733519076b2';
export const ENWIK8_ENTRY = 'enwik8';
/** [train, val, test] byte counts of the standard split: bytes [0, 90M), [90M, 95M), [95M, 100M). */
export const ENWIK8_SPLIT = [90_000_000, 5_000_000, 5_000_000] as const;
const FRACTIONS = [0.9, 0.05, 0.05] as const;
/** Below this a "partial" enwik8 has too little val/test text to say anything (5% of 20 kB = 1 kB). */
const MIN_PARTIAL_BYTES = 20_000;

export interface Enwik8Options {
  /**
   * Accept a file that is not the full 100,000,000 bytes (a truncated raw file, a zip cut off mid-download,
   * an entry of another size) and split what there is 90/5/5 proportionally. For quick experiments only:
   * the numbers are then not comparable with published enwik8 results.
   */
  partial?: boolean;
  /** Use only the first `maxBytes` bytes (split 90/5/5 proportionally); stops inflating early, saving time and memory. */
  maxBytes?: number;
  onProgress?: ProgressCallback;
  /** Corpus name; defaults to 'enwik8', or 'enwik8[:N]' when not the full file. */
  name?: string;
}

/** Matches `enwik8` also inside a folder, for zips made by hand ('data/enwik8'). */
function findEntry(entries: ZipEntry[]): ZipEntry | undefined {
  return entries.find((e) => e.name === ENWIK8_ENTRY || e.name.endsWith(`/${ENWIK8_ENTRY}`));
}

function sizeError(got: number, what: string): DataError {
  return new DataError(
    'bad-size',
    `${what} has ${got.toLocaleString('en-US')} bytes, but enwik8 is exactly ${ENWIK8_BYTES.toLocaleString('en-US')}. ` +
      'Re-download it, or pass partial: true to use a truncated file (split 90/5/5 proportionally).',
  );
}

async function unzipEnwik8(zip: Uint8Array, opts: Enwik8Options): Promise<Uint8Array> {
  let entry: ZipEntry | undefined;
  let cutOff = false;
  try {
    const entries = await listZipEntries(zip);
    entry = findEntry(entries);
    if (!entry) {
      const names = entries.slice(0, 10).map((e) => `"${e.name.slice(0, 100)}"`).join(', ') || 'none';
      throw new DataError('missing-entry', `the zip has no "${ENWIK8_ENTRY}" entry (entries: ${names}${entries.length > 10 ? ', ...' : ''}); is this enwik8.zip?`);
    }
  } catch (e) {
    // No central directory: a download that stopped early. With `partial`, read what the local header gives.
    const local = opts.partial && e instanceof ZipError ? await firstLocalEntry(zip) : null;
    if (!local) throw zipError(e);
    if (!findEntry([local])) {
      throw new DataError('missing-entry', `the truncated zip starts with "${local.name.slice(0, 100)}", not "${ENWIK8_ENTRY}"`);
    }
    entry = local;
    cutOff = true;
  }
  if (entry.size !== null && entry.size !== ENWIK8_BYTES && !opts.partial) throw sizeError(entry.size, `"${entry.name}" in the zip`);
  // Never more than enwik8 itself: a zip that declares or inflates to more is refused as it streams.
  const onProgress = opts.onProgress;
  try {
    return await readZipEntry(zip, entry, {
      maxBytes: opts.maxBytes,
      limit: opts.partial ? undefined : ENWIK8_BYTES,
      allowTruncated: cutOff,
      onProgress: onProgress && ((p) => onProgress({ phase: 'unzip', done: p.done, total: p.total })),
    });
  } catch (e) {
    throw zipError(e);
  }
}

/** The zip reader's errors as lib/data's own. */
function zipError(e: unknown): unknown {
  return e instanceof ZipError ? new DataError('bad-zip', `corrupt or hostile zip: ${e.message}`, { cause: e }) : e;
}

/**
 * Reads enwik8 from the bytes of `enwik8.zip` or of the unzipped file (told apart by the zip signature).
 * Without `partial` or `maxBytes` the result is the standard 90M/5M/5M split; the splits are views into one buffer.
 */
export async function loadEnwik8(bytes: Uint8Array, opts: Enwik8Options = {}): Promise<Corpus> {
  if (opts.maxBytes !== undefined) assertInt('maxBytes', opts.maxBytes, MIN_PARTIAL_BYTES);
  let data: Uint8Array;
  if (isZip(bytes)) {
    data = await unzipEnwik8(bytes, opts);
  } else {
    if (bytes.length !== ENWIK8_BYTES && !opts.partial) throw sizeError(bytes.length, 'the file');
    data = opts.maxBytes !== undefined ? bytes.subarray(0, opts.maxBytes) : bytes;
    opts.onProgress?.({ phase: 'unzip', done: data.length, total: data.length });
  }
  if (data.length < MIN_PARTIAL_BYTES) {
    throw new DataError('too-small', `enwik8 data has only ${data.length} bytes; need at least ${MIN_PARTIAL_BYTES} for a useful split`);
  }
  const whole = data.length === ENWIK8_BYTES;
  const name = opts.name ?? (whole ? 'enwik8' : `enwik8[:${data.length}]`);
  // The proportional split of 1e8 bytes is exactly the standard one (asserted in the tests), so one path serves both.
  return splitCorpus(name, data, FRACTIONS);
}
