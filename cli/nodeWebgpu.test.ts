import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installNodeWebGPU, SWIFTSHADER_ICD } from './nodeWebgpu';
import { maxAbsLogits, runCli } from './testCli';

const REF = '../shared/fixtures/reference-small';

// Needs Chromium's SwiftShader (installed by .ci/run) or a Vulkan driver; says why when it has neither.
describe.runIf(existsSync(SWIFTSHADER_ICD))('WebGPU under Node (Dawn)', () => {
  it('runs tfjs-webgpu kernels and agrees with the cpu backend', async () => {
    expect(await installNodeWebGPU({ software: true })).toBeNull();
    await import('@tensorflow/tfjs-backend-webgpu');
    const a = [...Array(64 * 48)].map((_, i) => Math.sin(i));
    const b = [...Array(48 * 32)].map((_, i) => Math.cos(i * 0.7));
    await tf.setBackend('cpu');
    const want = tf.matMul(tf.tensor2d(a, [64, 48]), tf.tensor2d(b, [48, 32])).dataSync();
    expect(await tf.setBackend('webgpu')).toBe(true);
    const got = await tf.matMul(tf.tensor2d(a, [64, 48]), tf.tensor2d(b, [48, 32])).data();
    let max = 0;
    for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i] - got[i]));
    expect(max).toBeLessThan(1e-4);
    expect(tf.getBackend()).toBe('webgpu');
    await tf.setBackend('cpu');
  }, 60_000);

  it('the CLI computes the reference logits on --backend webgpu', async () => {
    const expected = JSON.parse(readFileSync(join(REF, 'expected.json'), 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'cli-webgpu-'));
    try {
      writeFileSync(join(dir, 'ids.json'), JSON.stringify(expected.ids));
      const out = join(dir, 'logits.json');
      const r = await runCli('logits', '--checkpoint', join(REF, 'model.safetensors'), '--config', join(REF, 'config.json'), '--ids', join(dir, 'ids.json'), '--backend', 'webgpu', '--out', out);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/note: using/); // no fallback to wasm
      const got = JSON.parse(readFileSync(out, 'utf8'));
      expect(maxAbsLogits(got.logits, expected.by_norm.l2_norm_gelu.logits)).toBeLessThan(1e-4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
