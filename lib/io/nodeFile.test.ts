// Node file access: a checkpoint written chunk by chunk reads back through a file-handle ByteSource; saves are atomic.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFileSource, writeChunksToFile, writeFileAtomic } from './nodeFile';
import { readSafetensors, readSafetensorsFrom, safetensorsChunks } from './safetensors';
import { readTorchBin } from './torchBin';

const dir = mkdtempSync(join(tmpdir(), 'lib-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nodeFile', () => {
  it('writes chunks to disk and reads tensors back through a file handle', async () => {
    const tensors = new Map([
      ['a', { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
      ['b', { shape: [1], data: new Float32Array([-7]) }],
    ]);
    const path = join(dir, 'x.safetensors');
    const written = await writeChunksToFile(path, safetensorsChunks(tensors, { k: 'v' }));
    expect(written).toBe(readFileSync(path).length);
    const src = await openFileSource(path);
    try {
      const r = await readSafetensorsFrom(src);
      expect(r.tensors).toEqual(tensors);
      expect(r.metadata).toEqual({ k: 'v' });
      expect(readSafetensors(new Uint8Array(readFileSync(path))).tensors).toEqual(tensors);
    } finally {
      await src.close();
    }
  });

  it('reads the reference model.bin from disk', async () => {
    const src = await openFileSource('/work/shared/fixtures/reference-small/model.bin');
    try {
      expect((await readTorchBin(src)).tensors.size).toBe(23);
    } finally {
      await src.close();
    }
  });

  describe('writeFileAtomic', () => {
    it('keeps the previous file whole, and leaves no temp file, when the write fails midway', async () => {
      const sub = join(dir, 'atomic');
      const path = join(sub, 'model.safetensors');
      mkdirSync(sub);
      writeFileSync(path, 'the good checkpoint');
      async function* failing() {
        yield new Uint8Array(1 << 20).fill(1); // a first megabyte reaches the disk
        throw new Error('disk went away');
      }
      await expect(writeFileAtomic(path, failing())).rejects.toThrow('disk went away');
      expect(readFileSync(path, 'utf8')).toBe('the good checkpoint');
      expect(readdirSync(sub)).toEqual(['model.safetensors']);
      // The chunked writer is the same atomic path.
      await expect(writeChunksToFile(path, failing())).rejects.toThrow('disk went away');
      expect(readFileSync(path, 'utf8')).toBe('the good checkpoint');
      expect(readdirSync(sub)).toEqual(['model.safetensors']);
    });

    it('replaces the file with bytes or text, keeping its permission bits', async () => {
      const path = join(dir, 'out.json');
      expect(await writeFileAtomic(path, '{"a":1}')).toBe(7);
      chmodSync(path, 0o600);
      expect(await writeFileAtomic(path, new Uint8Array([123, 125]))).toBe(2);
      expect(readFileSync(path, 'utf8')).toBe('{}');
      expect(statSync(path).mode & 0o777).toBe(0o600);
    });

    it('lets concurrent saves of one path each land whole', async () => {
      const path = join(dir, 'race.bin');
      const a = new Uint8Array(300_000).fill(0xaa);
      const b = new Uint8Array(200_000).fill(0xbb);
      await Promise.all([writeFileAtomic(path, [a.subarray(0, 1000), a.subarray(1000)]), writeFileAtomic(path, [b.subarray(0, 5), b.subarray(5)])]);
      const got = new Uint8Array(readFileSync(path));
      expect(got.length === a.length ? got.every((x) => x === 0xaa) : got.length === b.length && got.every((x) => x === 0xbb)).toBe(true);
    });

    it('removes the temp file a killed save left behind, and only that one', async () => {
      const sub = join(dir, 'killed');
      mkdirSync(sub);
      const path = join(sub, 'model.safetensors');
      // A process that has exited: its pid names the temp file a SIGKILL mid-save would leave.
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      const deadPid = Number(dead.stdout);
      expect(deadPid).toBeGreaterThan(0);
      const stale = `.model.safetensors.${deadPid}.deadbeef.tmp`;
      const ours = `.model.safetensors.${process.pid}.cafebabe.tmp`; // a save still running in this process
      const otherFile = `.other.bin.${deadPid}.deadbeef.tmp`; // another path's: not this save's business
      for (const f of [stale, ours, otherFile]) writeFileSync(join(sub, f), 'partial');
      await writeFileAtomic(path, 'whole');
      expect(readdirSync(sub).sort()).toEqual([ours, otherFile, 'model.safetensors'].sort());
      expect(readFileSync(path, 'utf8')).toBe('whole');
    });

    it('fails without creating anything when the folder does not exist', async () => {
      await expect(writeFileAtomic(join(dir, 'nope', 'x.bin'), 'x')).rejects.toThrow(/ENOENT/);
    });
  });
});
