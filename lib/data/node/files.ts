// Node only: corpora from paths on disk (for the CLI and benchmarks), including enwik8 from the cache.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { textCorpus, type TextCorpusOptions } from '../corpus';
import { loadEnwik8, type Enwik8Options } from '../enwik8';
import type { Corpus } from '../types';
import { isZip } from '../../zip';
import { downloadEnwik8, type DownloadEnwik8Options } from './download';

/** The file's bytes as a plain Uint8Array (a Buffer's subarray() would keep returning Buffers). */
export async function readBytes(path: string): Promise<Uint8Array> {
  const buf = await readFile(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

export interface CorpusFileOptions extends TextCorpusOptions, Enwik8Options {
  /** Default: 'enwik8' for any zip or a file named enwik8*, 'text' otherwise. */
  kind?: 'enwik8' | 'text';
}

/** A corpus from a file: enwik8 (zip or raw) or any text file. */
export async function readCorpusFile(path: string, opts: CorpusFileOptions = {}): Promise<Corpus> {
  const bytes = await readBytes(path);
  const kind = opts.kind ?? (isZip(bytes) || basename(path).startsWith('enwik8') ? 'enwik8' : 'text');
  if (kind === 'enwik8') return loadEnwik8(bytes, opts);
  return textCorpus(opts.name ?? basename(path), bytes, opts);
}

/** enwik8 from the cache folder, downloading it the first time. */
export async function loadEnwik8Cached(opts: DownloadEnwik8Options & Enwik8Options = {}): Promise<Corpus> {
  const { path } = await downloadEnwik8(opts);
  return loadEnwik8(await readBytes(path), opts);
}
