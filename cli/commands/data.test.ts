// `tokenformer data enwik8` as a user runs it (a child process) against a local server that stalls mid-body:
// Ctrl-C and the stall timeout both stop it with a one-line message and leave only a resumable .part, or nothing.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENWIK8_ZIP_BYTES } from '../../lib/data/enwik8';

let server: Server;
let base: string;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-cli-data-'));
  // Announces the real enwik8.zip size, sends 4 KiB, then nothing.
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-length': ENWIK8_ZIP_BYTES, ...(req.url === '/ranges' ? { 'accept-ranges': 'bytes' } : {}) });
    res.write(new Uint8Array(4096));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI; `onStderr` sees the text so far and may signal the child. */
function cli(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: process.cwd() });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, child);
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('tokenformer data enwik8', () => {
  it('stops cleanly on Ctrl-C and leaves no file when the server cannot resume', async () => {
    const cacheDir = join(dir, 'sigint');
    let sent = false;
    const r = await cli(['data', 'enwik8', '--cache-dir', cacheDir, '--url', `${base}/plain`], (text, child) => {
      // The first progress line means bytes are on disk.
      if (!sent && text.includes('download [')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tokenformer data: download of .*\/plain stopped after 4096 bytes: interrupted\n$/);
    expect(await readdir(cacheDir)).toEqual([]);
  }, 60_000);

  it('gives up after --stall-timeout and keeps a resumable .part', async () => {
    const cacheDir = join(dir, 'stall');
    const r = await cli(['data', 'enwik8', '--cache-dir', cacheDir, '--url', `${base}/ranges`, '--stall-timeout', '0.5']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stopped after 4096 bytes: no data for 0\.5 s \(stalled\); 4096 bytes are kept in .*enwik8\.zip\.part: run again to resume\n$/);
    expect(await readdir(cacheDir)).toEqual(['enwik8.zip.part']);
    expect((await stat(join(cacheDir, 'enwik8.zip.part'))).size).toBe(4096);
    expect((await cli(['data', 'enwik8', '--stall-timeout', '0'])).stderr).toMatch(/--stall-timeout must be a number of seconds > 0, got 0/);
  }, 60_000);
});
