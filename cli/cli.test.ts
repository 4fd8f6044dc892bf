// The CLI as a user runs it (a child process): reference parity, growth, conversion, training with resume, errors.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../lib/io';
import { FIXTURES_DIR } from '../lib/testing/fixtures';
import { maxAbsLogits as maxAbs, runCli as cli } from './testCli';

const REF = `${FIXTURES_DIR}reference-small/`;
const dir = mkdtempSync(join(tmpdir(), 'tokenformer-cli-'));
const expected = JSON.parse(readFileSync(`${REF}expected.json`, 'utf8'));
const idsFile = join(dir, 'ids.json');
writeFileSync(idsFile, JSON.stringify(expected.ids));

async function logits(checkpoint: string, extra: string[] = []) {
  const out = join(dir, `logits-${Math.random().toString(36).slice(2)}.json`);
  const r = await cli('logits', '--checkpoint', checkpoint, '--ids', idsFile, '--out', out, ...extra);
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  return JSON.parse(readFileSync(out, 'utf8')) as { logits: number[][][]; loss: number };
}

describe('tokenformer CLI', () => {
  it.each(['l2_norm_gelu', 'gelu_l2_norm', 'softmax'])('logits match the reference (%s) from model.bin and model.safetensors', async (norm) => {
    const ref = expected.by_norm[norm];
    for (const file of ['model.bin', 'model.safetensors']) {
      const o = await logits(`${REF}${file}`, ['--config', `${REF}config.json`, '--norm', norm]);
      expect(maxAbs(o.logits, ref.logits)).toBeLessThan(1e-4);
      expect(Math.abs(o.loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
    }
  });

  it('grows a checkpoint: preserve keeps the logits, zero moves them as the reference says', async () => {
    const base = join(dir, 'base.safetensors');
    expect((await cli('convert', '--in', `${REF}model.bin`, '--config', `${REF}config.json`, '--out', base)).code).toBe(0);
    const before = await logits(base);
    const preserved = join(dir, 'preserve.safetensors');
    const g = await cli('grow', '--checkpoint', base, '--add', '8', '--out', preserved);
    expect(g.code).toBe(0);
    expect(g.stderr).toMatch(/grew 10 Pattentions by 8 tokens \(preserve\)/);
    expect(maxAbs((await logits(preserved)).logits, before.logits)).toBeLessThan(1e-6);
    const zero = join(dir, 'zero.safetensors');
    expect((await cli('grow', '--checkpoint', base, '--add', '8', '--mode', 'zero', '--out', zero)).code).toBe(0);
    const change = maxAbs((await logits(zero)).logits, before.logits);
    const ref = expected.by_norm.l2_norm_gelu.grown_zero_8_max_abs_logit_change;
    expect(Math.abs(change - ref)).toBeLessThan(1e-4 + 1e-3 * ref);
    const ck = decodeCheckpoint(new Uint8Array(readFileSync(preserved)));
    expect(ck.growth!['sequential.2.mlp']).toEqual({ tokens: 56, scaleTokens: 48 });
  });

  it('converts to a bare reference safetensors file and reads it back with a config', async () => {
    const bare = join(dir, 'bare.safetensors');
    expect((await cli('convert', '--in', `${REF}model.bin`, '--out', bare, '--reference')).code).toBe(0);
    const o = await logits(bare, ['--config', `${REF}config.json`]);
    expect(maxAbs(o.logits, expected.by_norm.l2_norm_gelu.logits)).toBeLessThan(1e-4);
    const r = await cli('logits', '--checkpoint', bare, '--ids', idsFile, '--out', join(dir, 'x.json'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/carries no model config/);
  });

  it('trains, saves, resumes with the step count continuing, evaluates and generates', async () => {
    const ck = join(dir, 'train.safetensors');
    const a = await cli('train', '--preset', 'micro', '--data', 'copy', '--steps', '6', '--batch', '4', '--seq', '32', '--out', ck);
    expect(a.code).toBe(0);
    expect(a.stderr).toMatch(/train \[#+\] 100% 6\/6/);
    expect(decodeCheckpoint(new Uint8Array(readFileSync(ck))).step).toBe(6);
    const b = await cli('train', '--checkpoint', ck, '--data', 'copy', '--steps', '3', '--batch', '4', '--seq', '32', '--out', ck);
    expect(b.code).toBe(0);
    const resumed = decodeCheckpoint(new Uint8Array(readFileSync(ck)));
    expect(resumed.step).toBe(9);
    expect(resumed.optimizer?.step).toBe(9);
    const e = await cli('eval', '--checkpoint', ck, '--data', 'copy', '--batches', '2', '--batch', '2');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).bpb).toBeGreaterThan(0);
    const g = await cli('generate', '--checkpoint', ck, '--prompt', 'copy: ab|', '--tokens', '4', '--temperature', '0');
    expect(g.code).toBe(0);
    expect(Buffer.byteLength(g.stdout.trimEnd())).toBeGreaterThanOrEqual('copy: ab|'.length);
  });

  it('a diverging run (--lr 1e30) exits 3 with the step and the reason on one line, and leaves --out as it was', async () => {
    const ck = join(dir, 'good.safetensors');
    expect((await cli('train', '--preset', 'micro', '--data', 'copy', '--steps', '2', '--batch', '2', '--seq', '16', '--out', ck)).code).toBe(0);
    const good = readFileSync(ck);
    const r = await cli('train', '--checkpoint', ck, '--data', 'copy', '--steps', '8', '--batch', '2', '--seq', '16', '--lr', '1e30', '--out', ck);
    expect(r.code).toBe(3);
    // Steps from 4 on are NaN; the read-back at step 5 saw two of them, the one before the evaluation at step 8
    // (evalEvery = steps) five in a row, which stops the run there.
    const line = r.stderr.trimEnd().split('\n').at(-1);
    expect(line).toBe(`tokenformer train: diverged at step 4: loss is NaN (5 non-finite steps in a row); rolled back to step 2; ${ck} not written`);
    expect(readFileSync(ck).equals(good)).toBe(true);
    expect((await cli('train', '--preset', 'micro', '--steps', '1', '--max-nonfinite', '0')).code).toBe(2);
  });

  it('fails with clear messages on bad input', async () => {
    const missing = await cli('logits', '--checkpoint', join(dir, 'nope.bin'), '--ids', idsFile, '--out', join(dir, 'o.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.bin/);
    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, readFileSync(`${REF}model.safetensors`).subarray(0, 2000));
    const t = await cli('logits', '--checkpoint', truncated, '--config', `${REF}config.json`, '--ids', idsFile, '--out', join(dir, 'o.json'));
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/truncated\.safetensors/);
    const unknown = await cli('grow', '--checkpoint', 'x', '--add', '1', '--out', 'y', '--colour', 'red');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option --colour/);
    const badData = await cli('train', '--preset', 'micro', '--data', join(dir, 'missing.txt'), '--steps', '1');
    expect(badData.code).toBe(2);
    expect(badData.stderr).toMatch(/cannot read data file/);
  });

  it('prints help for every command', async () => {
    for (const c of ['train', 'eval', 'generate', 'logits', 'grow', 'convert', 'data']) {
      const r = await cli(c, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/usage: tokenformer/);
    }
  });
});
