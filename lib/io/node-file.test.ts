// Node file access: a checkpoint written chunk by chunk reads back through a file-handle ByteSource.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFileSource, writeChunksToFile } from './node-file';
import { readSafetensors, readSafetensorsFrom, safetensorsChunks } from './safetensors';
import { readTorchBin } from './torch-bin';

const dir = mkdtempSync(join(tmpdir(), 'lib-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('node-file', () => {
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
});
