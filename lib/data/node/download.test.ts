// The enwik8 downloader against a local HTTP server (success, cache re-verification, checksum and HTTP failures,
// stalls and timeouts, resume with Range, servers that ignore it) and a rejecting fetch (offline); the file readers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { zipSync } from 'fflate';
import { createRng } from '../rng';
import type { Progress } from '../types';
import { defaultCacheDir, downloadEnwik8, type Enwik8Expectation } from './download';
import { loadEnwik8Cached, readCorpusFile } from './files';
import { errorOf } from '../testUtils';

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
/** Every request the server saw, for asserting what the client asked for. */
const log: { url: string; range?: string; encoding?: string; sent: number }[] = [];

/** Serves `body` whole, or the asked-for tail as a 206 when `ranges` and the request has `Range: bytes=N-`. */
function serve(req: IncomingMessage, res: ServerResponse, body: Uint8Array, ranges: boolean, rec: (typeof log)[number]) {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const accept = ranges ? { 'accept-ranges': 'bytes' } : {};
  if (ranges && m) {
    const from = Number(m[1]);
    if (from >= body.length) return res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
    res.writeHead(206, { ...accept, 'content-length': body.length - from, 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` });
    rec.sent = body.length - from;
    return res.end(body.subarray(from));
  }
  res.writeHead(200, { ...accept, 'content-length': body.length });
  rec.sent = body.length;
  // Two writes so the client sees more than one chunk.
  res.write(body.subarray(0, 1000));
  res.end(body.subarray(1000));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-data-'));
  server = createServer((req, res) => {
    hits++;
    const rec = { url: req.url ?? '', range: req.headers.range, encoding: req.headers['accept-encoding'], sent: 0 };
    log.push(rec);
    const path = req.url?.replace(/\?.*$/, '');
    if (path === '/enwik8.zip') {
      serve(req, res, zip, true, rec);
    } else if (path === '/norange.zip') {
      serve(req, res, zip, false, rec);
    } else if (path === '/badrange.zip') {
      // Answers any range with the wrong one.
      res.writeHead(206, { 'content-length': 10, 'content-range': `bytes 0-9/${zip.length}` }).end(zip.subarray(0, 10));
    } else if (path === '/stall' || path === '/stall-ranges') {
      // Sends the first 1000 bytes, then nothing, holding the connection open.
      res.writeHead(200, { 'content-length': zip.length, ...(path === '/stall-ranges' ? { 'accept-ranges': 'bytes' } : {}) });
      res.write(zip.subarray(0, 1000));
    } else if (path === '/hang') {
      // Never answers at all.
    } else if (path === '/broken') {
      res.writeHead(200, { 'content-length': zip.length });
      res.write(zip.subarray(0, 1000), () => res.destroy());
    } else if (path === '/wrong.zip') {
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
  server.closeAllConnections(); // the stalled and hanging answers
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const fast = { stallTimeoutMs: 300, connectTimeoutMs: 300 };

describe('downloadEnwik8', () => {
  it('downloads, verifies, renames into the cache, then re-verifies and reuses it without fetching', async () => {
    const cacheDir = join(dir, 'ok');
    const progress: Progress[] = [];
    const first = await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation, onProgress: (p) => progress.push(p) });
    expect(first).toEqual({ path: join(cacheDir, 'enwik8.zip'), fromCache: false, bytes: zip.length });
    expect(await readdir(cacheDir)).toEqual(['enwik8.zip']); // no temp file left behind
    const downloads = progress.filter((p) => p.phase === 'download');
    expect(downloads.at(-1)).toEqual({ phase: 'download', done: zip.length, total: zip.length });
    expect(progress.some((p) => p.phase === 'verify')).toBe(true);
    expect(log.at(-1)?.encoding).toBe('identity'); // byte ranges count the file's bytes

    const before = hits;
    const again: Progress[] = [];
    const second = await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation, onProgress: (p) => again.push(p) });
    expect(second.fromCache).toBe(true);
    expect(hits).toBe(before);
    expect(again.some((p) => p.phase === 'verify')).toBe(true); // the cached copy was checked, not trusted

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
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('gives up on a server that never answers after the connect timeout', async () => {
    const cacheDir = join(dir, 'hang');
    const t0 = Date.now();
    const e = await errorOf(downloadEnwik8({ cacheDir, url: `${base}/hang`, expect: expectation, ...fast }));
    expect(Date.now() - t0).toBeLessThan(5000); // not the 30 s default
    expect(e.code).toBe('offline');
    expect(e.message).toMatch(/could not reach .*\/hang \(no answer within 0\.3 s\)/);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('rejects a file with the wrong checksum and leaves nothing in the cache', async () => {
    const cacheDir = join(dir, 'wrong');
    const e = await errorOf(downloadEnwik8({ cacheDir, url: `${base}/wrong.zip`, expect: { ...expectation, zipBytes: null } }));
    expect(e.code).toBe('checksum-mismatch');
    expect(e.message).toMatch(/MD5 [0-9a-f]{32}; expected 25800 bytes with MD5/);
    expect(await readdir(cacheDir)).toEqual([]);
    // With the real expectation the announced size alone gives it away, before a byte is written.
    expect((await errorOf(downloadEnwik8({ cacheDir, url: `${base}/norange.zip` }))).message).toMatch(/announces 17\d{3} bytes, expected 36445475: not the file/);
    expect(await readdir(cacheDir)).toEqual([]);
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
    expect(e.message).toMatch(/stopped after \d+ bytes/);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('times out a download that stalls mid-body and leaves no file when the server cannot resume', async () => {
    const cacheDir = join(dir, 'stall');
    const t0 = Date.now();
    const e = await errorOf(downloadEnwik8({ cacheDir, url: `${base}/stall`, expect: expectation, ...fast }));
    expect(Date.now() - t0).toBeLessThan(5000); // not the 30 s default
    expect(e.code).toBe('download-failed');
    expect(e.message).toMatch(/stopped after 1000 bytes: no data for 0\.3 s \(stalled\)$/);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('keeps a stalled download as enwik8.zip.part when the server takes ranges, and the next run resumes it with Range', async () => {
    const cacheDir = join(dir, 'resume');
    const e = await errorOf(downloadEnwik8({ cacheDir, url: `${base}/stall-ranges`, expect: expectation, ...fast }));
    expect(e.message).toContain(`1000 bytes are kept in ${join(cacheDir, 'enwik8.zip.part')}: run again to resume`);
    expect(await readdir(cacheDir)).toEqual(['enwik8.zip.part']);

    const messages: string[] = [];
    const r = await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation, onMessage: (m) => messages.push(m) });
    expect(r).toEqual({ path: join(cacheDir, 'enwik8.zip'), fromCache: false, bytes: zip.length });
    expect(log.at(-1)).toMatchObject({ range: 'bytes=1000-', sent: zip.length - 1000 });
    expect(messages).toEqual([expect.stringMatching(/resuming the download of .* from byte 1000/)]);
    expect(new Uint8Array(await readFile(r.path))).toEqual(zip);
    expect(await readdir(cacheDir)).toEqual(['enwik8.zip']);
  });

  it('keeps the bytes when the caller aborts, and resumes from them', async () => {
    const cacheDir = join(dir, 'abort');
    const ac = new AbortController();
    const e = await errorOf(
      downloadEnwik8({
        cacheDir,
        url: `${base}/stall-ranges`,
        expect: expectation,
        signal: ac.signal,
        onProgress: (p) => p.done >= 1000 && ac.abort(),
      }),
    );
    expect(e.message).toMatch(/stopped after 1000 bytes: interrupted; 1000 bytes are kept/);
    expect(await readdir(cacheDir)).toEqual(['enwik8.zip.part']);
    await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation });
    expect(log.at(-1)?.range).toBe('bytes=1000-');
    expect(await readdir(cacheDir)).toEqual(['enwik8.zip']);
  });

  it('restarts from zero when the server ignores the Range request', async () => {
    const cacheDir = join(dir, 'ignore-range');
    await mkdir(cacheDir);
    await writeFile(join(cacheDir, 'enwik8.zip.part'), zip.subarray(0, 5000));
    const messages: string[] = [];
    const r = await downloadEnwik8({ cacheDir, url: `${base}/norange.zip`, expect: expectation, onMessage: (m) => messages.push(m) });
    expect(log.at(-1)).toMatchObject({ range: 'bytes=5000-', sent: zip.length });
    expect(messages.at(-1)).toMatch(/does not support resuming \(HTTP 200 to a Range request\); downloading from the start/);
    expect(new Uint8Array(await readFile(r.path))).toEqual(zip);
    expect(await readdir(cacheDir)).toEqual(['enwik8.zip']);
  });

  it('restarts from zero when the server answers another range, or refuses the range (416)', async () => {
    const cacheDir = join(dir, 'bad-range');
    await mkdir(cacheDir);
    await writeFile(join(cacheDir, 'enwik8.zip.part'), zip.subarray(0, 5000));
    const messages: string[] = [];
    // The restart gets the wrong range again: 10 bytes, then the body ends short.
    const e = await errorOf(downloadEnwik8({ cacheDir, url: `${base}/badrange.zip`, expect: expectation, onMessage: (m) => messages.push(m) }));
    expect(messages.at(-1)).toMatch(/answered the resume request with range "bytes 0-9\/\d+", not bytes 5000-; downloading from the start/);
    expect(e.message).toMatch(/HTTP 206/);
    expect(await readdir(cacheDir)).toEqual([]);

    // A .part as long as the file: nothing left to fetch, so it is not resumed at all.
    await writeFile(join(cacheDir, 'enwik8.zip.part'), zip);
    await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation });
    expect(log.at(-1)?.range).toBeUndefined();
    // A .part the server finds too long (416) when the size is not known up front.
    await rm(join(cacheDir, 'enwik8.zip'));
    await writeFile(join(cacheDir, 'enwik8.zip.part'), new Uint8Array(zip.length + 10));
    messages.length = 0;
    await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: { ...expectation, zipBytes: null }, onMessage: (m) => messages.push(m) });
    expect(messages.at(-1)).toContain(`refused to resume from byte ${zip.length + 10} (HTTP 416)`);
    expect(await readdir(cacheDir)).toEqual(['enwik8.zip']);
  });

  it('downloads again from the start when a resumed file fails verification', async () => {
    const cacheDir = join(dir, 'bad-part');
    await mkdir(cacheDir);
    await writeFile(join(cacheDir, 'enwik8.zip.part'), new Uint8Array(5000).fill(7)); // bytes of some other file
    const messages: string[] = [];
    const r = await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation, onMessage: (m) => messages.push(m) });
    expect(messages.at(-1)).toMatch(/the resumed download failed verification \(.*\); downloading it again from the start/);
    expect(log.at(-1)?.range).toBeUndefined();
    expect(new Uint8Array(await readFile(r.path))).toEqual(zip);
    expect(await readdir(cacheDir)).toEqual(['enwik8.zip']);
  });

  it('deletes a damaged cached file (right size, wrong bytes) and downloads it again', async () => {
    const cacheDir = join(dir, 'corrupt');
    await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation });
    const bad = zip.slice();
    bad[zip.length >> 1] ^= 0xff;
    await writeFile(join(cacheDir, 'enwik8.zip'), bad);
    const messages: string[] = [];
    const again = await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation, onMessage: (m) => messages.push(m) });
    expect(again.fromCache).toBe(false);
    expect(messages).toEqual([expect.stringMatching(/^the cached .*enwik8\.zip is damaged \(.+\); deleting it and downloading it again$/)]);
    expect(new Uint8Array(await readFile(again.path))).toEqual(zip);
  });

  it('replaces a cached file of the wrong size', async () => {
    const cacheDir = join(dir, 'stale');
    await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation });
    await writeFile(join(cacheDir, 'enwik8.zip'), 'half a download');
    const again = await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation });
    expect(again.fromCache).toBe(false);
  });

  it('runs two downloads into one folder at once without clashing, one of them resuming the .part', async () => {
    const cacheDir = join(dir, 'parallel');
    await mkdir(cacheDir);
    await writeFile(join(cacheDir, 'enwik8.zip.part'), zip.subarray(0, 3000));
    const n = log.length;
    const [a, b] = await Promise.all([0, 1].map(() => downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation })));
    expect([a.fromCache, b.fromCache]).toEqual([false, false]);
    expect(log.slice(n).map((l) => l.range ?? null).sort()).toEqual(['bytes=3000-', null]);
    expect(new Uint8Array(await readFile(a.path))).toEqual(zip);
    expect(await readdir(cacheDir)).toEqual(['enwik8.zip']);
  });

  it('adopts the temp file of a run that was killed as the .part to resume', async () => {
    const cacheDir = join(dir, 'killed');
    await mkdir(cacheDir);
    // 2^22 + 1 is past Linux's largest pid, so no process has it.
    await writeFile(join(cacheDir, 'enwik8.zip.4194305.0a1b2c3d.part'), zip.subarray(0, 2000));
    await writeFile(join(cacheDir, 'enwik8.zip.4194305.ffffffff.part'), zip.subarray(0, 100));
    await downloadEnwik8({ cacheDir, url: `${base}/enwik8.zip`, expect: expectation });
    expect(log.at(-1)?.range).toMatch(/^bytes=(2000|100)-$/);
    expect(await readdir(cacheDir)).toEqual(['enwik8.zip']);
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
