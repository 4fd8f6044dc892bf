// `tokenformer train --threads` as a user runs it: the same checkpoint as one thread up to float rounding.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../lib/io';
import { maxAbsDiff } from '../../lib/train/numeric';
import { runCli } from '../testCli';

const dir = mkdtempSync(join(tmpdir(), 'tokenformer-threads-'));

describe('tokenformer train --threads', () => {
  it('trains on two threads to the checkpoint one thread gives (up to float rounding)', async () => {
    const args = ['train', '--preset', 'micro', '--steps', '4', '--batch', '5', '--seq', '32', '--lr', '3e-3', '--warmup', '0'];
    const outs = [];
    for (const threads of ['1', '2']) {
      const out = join(dir, `t${threads}.safetensors`);
      const r = await runCli(...args, '--threads', threads, '--out', out);
      expect(r.stderr).not.toMatch(/error|failed/i);
      expect(r.code).toBe(0);
      expect(r.stderr.includes('2 threads (data parallel)')).toBe(threads === '2');
      outs.push(decodeCheckpoint(new Uint8Array(readFileSync(out))));
    }
    const [one, two] = outs;
    expect([...two.tensors.keys()]).toEqual([...one.tensors.keys()]);
    let max = 0;
    for (const [name, t] of one.tensors) max = Math.max(max, maxAbsDiff(t.data, two.tensors.get(name)!.data));
    // See pool.test.ts for the tolerance; 4 steps stay well inside it.
    expect(max).toBeLessThan(2e-5);
    expect(two.step).toBe(4);
  });

  it('refuses a thread count it cannot read (exit 2)', async () => {
    const r = await runCli('train', '--preset', 'micro', '--steps', '1', '--threads', 'many');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--threads must be auto or an integer from 1 to 64, got many/);
  });
});
