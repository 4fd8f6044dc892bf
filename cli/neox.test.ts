// export-neox / import-neox as a user runs them: a grown run exports with its growth history and prints the logit
// change the reference formula gives; the folder imports back.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../lib/io';
import { probeIds } from '../lib/io/neoxGrowth';
import { useBackend } from '../lib/testing/backend';
import { referenceLogits } from '../lib/testing/referenceForward';
import { preset } from '../lib/tokenformer/config';
import { growModel } from '../lib/tokenformer/growth';
import { createModel } from '../lib/tokenformer/model';
import type { GrowthState } from '../lib/tokenformer/types';
import { runCli as cli } from './testCli';

const dir = mkdtempSync(join(tmpdir(), 'tokenformer-neox-'));

const config = preset('micro');
let tensors: Map<string, { shape: number[]; data: Float32Array }>;
let growth: GrowthState;
beforeAll(async () => {
  await useBackend('cpu');
  const model = createModel(config, { seed: 11 });
  growModel(model, { add: 6, target: 'all', mode: 'preserve', seed: 2 });
  tensors = await model.toTensors();
  growth = structuredClone(model.growth);
  writeFileSync(join(dir, 'grown.safetensors'), encodeCheckpoint({ tensors, config, growth, step: 40 }));
  writeFileSync(join(dir, 'notes.txt'), 'TokenFormer treats model parameters as tokens. '.repeat(200));
  model.dispose();
});

describe('tokenformer export-neox / import-neox', () => {
  it('a grown run: growth history exported, the printed logit change is the reference formula\'s, and it imports back', async () => {
    const out = join(dir, 'run');
    const r = await cli('export-neox', '--checkpoint', join(dir, 'grown.safetensors'), '--out', out, '--steps', '300', '--backend', 'cpu');
    expect(r.stderr).not.toMatch(/tokenformer export-neox:/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/growth: qkv 24->30, proj 20->26, ffn 48->54 tokens/);
    const printed = Number(/max \|logit change\| lab -> reference on the probe: (\S+)/.exec(r.stderr)![1]);
    // The same probe the command uses (no --data: a fixed text, 4 rows of 64), through the independent forward.
    let expected = 0;
    for (const row of probeIds(undefined, 64)) {
      const lab = referenceLogits({ ...config, tensors, scaleTokens: (p) => growth[p].scaleTokens }, row);
      const ref = referenceLogits({ ...config, tensors }, row);
      lab.forEach((v, t) => v.forEach((x, i) => (expected = Math.max(expected, Math.abs(x - ref[t][i])))));
    }
    expect(expected).toBeGreaterThan(1e-3);
    expect(Math.abs(printed - expected)).toBeLessThan(1e-4 + 1e-3 * expected);
    const history = JSON.parse(readFileSync(join(out, 'growth.json'), 'utf8'));
    expect(history.lab['sequential.2.attention.query']).toEqual({ tokens: 30, scaleTokens: 24 });
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toMatch(/python deepy\.py train\.py run\/config\.yml/);
    expect(readFileSync(join(out, 'config.yml'), 'utf8')).toMatch(/"qkv_slot_num": 30,/);

    const back = join(dir, 'back.safetensors');
    const i = await cli('import-neox', '--checkpoint', join(out, 'checkpoints'), '--out', back);
    expect(i.code).toBe(0);
    const ck = decodeCheckpoint(new Uint8Array(readFileSync(back)));
    expect(ck.step).toBe(40);
    expect(ck.growth!['sequential.2.attention.query']).toEqual({ tokens: 30, scaleTokens: 30 });
    expect(Math.max(...ck.tensors.get('sequential.2.mlp.value_param_tokens')!.data.map((v, k) => Math.abs(v - tensors.get('sequential.2.mlp.value_param_tokens')!.data[k])))).toBe(0);
  }, 120_000);

  it('exports data as an mmap dataset and refuses to overwrite a folder', async () => {
    const out = join(dir, 'withdata');
    const r = await cli('export-neox', '--checkpoint', join(dir, 'grown.safetensors'), '--data', join(dir, 'notes.txt'), '--out', out, '--tokenizer', 'char');
    expect(r.code).toBe(0);
    expect(existsSync(join(out, 'data', 'notes_text_document.idx'))).toBe(true);
    expect(readFileSync(join(out, 'data', 'notes_text_document.bin')).length).toBe(2 * 9400);
    const again = await cli('export-neox', '--checkpoint', join(dir, 'grown.safetensors'), '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already has files/);
  }, 120_000);
});
