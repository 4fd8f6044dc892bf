// The enwik8 downloader against a local HTTP server (success, cache reuse, checksum and HTTP failures) and
// a rejecting fetch (offline); the file readers on temp files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { zipSync } from 'fflate';
import { createRng } from '../rng';
import type { Progress } from '../types';
import { defaultCacheDir, downloadEnwik8, type Enwik8Expectation } from './download';
import { loadEnwik8Cached, readCorpusFile } from './files';
import { errorOf } from '../test-utils';

// 25,800 bytes of random letters: it compresses only to ~60%, so the zip is big enough to arrive in pieces.
const rng = createRng(0);
const entry = Uint8Array.from({ length: 25_800 }, () => 97 + rng.int(26));
const zip = zipSync({ enwik8: entry });
const expectation: Enwik8Expectation = {
  zipBytes: zip.length,
  entry: 'enwik8',
  entryBytes: entry.length,
  entryMd5: createHash('md5').update(entry).digest('hex'),
};

let server: Server;
let base: string;
let hits = 0;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-data-'));
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/enwik8.zip') {
      res.writeHead(200, { 'content-length': zip.length });
      // Two writes so the client sees more than one chunk.
      res.write(zip.subarray(0, 1000));
      res.end(zip.subarray(1000));
    } else if (req.url === '/broken') {
      res.writeHead(200, { 'content-length': zip.length });
      res.write(zip.subarray(0, 1000), () => res.destroy());
    } else if (req.url === '/wrong.zip') {
      const other = zipSync({ enwik8: entry.map((b) => (b === 0x65 ? 0x45 : b)) });
      res.writeHead(200).end(other);
    } else {
      res.writeHead(404, 'Not Found').end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('downloadEnwik8', () => {
  it('downloads, verifies, renames into the cache, then reuses it without fetching', async () => {
    const cacheDir = join(dir, 'ok');
    const progress: Progress[] = [];
    const first = await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation, onProgress: (p) => progress.push(p) });
    expect(first).toEqual({ path: join(cacheDir, 'enwik8.zip'), fromCache: false, bytes: zip.length });
    expect(await readdir(cacheDir)).toEqual(['enwik8.zip']); // no temp file left behind
    const downloads = progress.filter((p) => p.phase === 'download');
    expect(downloads.at(-1)).toEqual({ phase: 'download', done: zip.length, total: zip.length });
    expect(progress.some((p) => p.phase === 'verify')).toBe(true);

    const before = hits;
    const second = await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation });
    expect(second.fromCache).toBe(true);
    expect(hits).toBe(before);

    const corpus = await loadEnwik8Cached({ cacheDir, expect: expectation, partial: true });
    expect(corpus.train.length + corpus.val.length + corpus.test.length).toBe(entry.length);
  });

  it('fails with offline (and says what to do) when fetch cannot connect', async () => {
    const fetchImpl = (async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND mattmahoney.net'), { code: 'ENOTFOUND' }) });
    }) as typeof fetch;
    const cacheDir = join(dir, 'offline');
    const e = await errorOf(downloadEnwik8({ cacheDir, fetchImpl }));
    expect(e.code).toBe('offline');
    expect(e.message).toContain('http://mattmahoney.net/dc/enwik8.zip (ENOTFOUND)');
    expect(e.message).toContain(join(cacheDir, 'enwik8.zip'));
    expect(e.message).toContain('TOKENFORMER_CACHE');
  });

  it('rejects a file with the wrong checksum and leaves nothing in the cache', async () => {
    const cacheDir = join(dir, 'wrong');
    const e = await errorOf(downloadEnwik8({ cacheDir, url: `${base}/wrong.zip`, expect: { ...expectation, zipBytes: null } }));
    expect(e.code).toBe('checksum-mismatch');
    expect(e.message).toMatch(/MD5 [0-9a-f]{32}; expected 25800 bytes with MD5/);
    expect(await readdir(cacheDir)).toEqual([]);
    // With the real expectation the size alone gives it away, before any unzipping.
    expect((await errorOf(downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip` }))).message).toMatch(/expected 36445475/);
  });

  it('reports HTTP errors as download-failed', async () => {
    const e = await errorOf(downloadEnwik8({ cacheDir: join(dir, 'http'), url: `${base}/missing`, expect: expectation }));
    expect(e.code).toBe('download-failed');
    expect(e.message).toMatch(/HTTP 404 Not Found/);
  });

  it('reports a connection that breaks off mid-download as download-failed, leaving no temp file', async () => {
    const cacheDir = join(dir, 'broken');
    const e = await errorOf(downloadEnwik8({ cacheDir, url: `${base}/broken`, expect: expectation }));
    expect(e.code).toBe('download-failed');
    expect(e.message).toMatch(/broke off after \d+ bytes/);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('replaces a cached file of the wrong size', async () => {
    const cacheDir = join(dir, 'stale');
    await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation });
    await writeFile(join(cacheDir, 'enwik8.zip'), 'half a download');
    const again = await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation });
    expect(again.fromCache).toBe(false);
  });
});

describe('defaultCacheDir', () => {
  it('prefers TOKENFORMER_CACHE, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultCacheDir({ TOKENFORMER_CACHE: '/x', XDG_CACHE_HOME: '/y' })).toBe('/x');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/y' })).toBe('/y/tokenformer-lab');
    expect(defaultCacheDir({})).toMatch(/\.cache[/\\]tokenformer-lab$/);
  });
});

describe('readCorpusFile', () => {
  it('reads text files and enwik8 zips from disk', async () => {
    const textPath = join(dir, 'poem.txt');
    await writeFile(textPath, 'a line of verse\n'.repeat(100));
    const text = await readCorpusFile(textPath);
    expect(text.name).toBe('poem.txt');
    expect(text.train.length).toBe(1440);
    expect(Object.getPrototypeOf(text.train)).toBe(Uint8Array.prototype);

    const zipPath = join(dir, 'small.zip');
    await writeFile(zipPath, zip);
    const enwik8 = await readCorpusFile(zipPath, { partial: true });
    expect(enwik8.name).toBe('enwik8[:25800]');
    expect((await errorOf(readCorpusFile(zipPath))).code).toBe('bad-size');
  });
});
