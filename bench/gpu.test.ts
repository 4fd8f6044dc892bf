import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SWIFTSHADER_ICD } from '../cli/nodeWebgpu';

const run = promisify(execFile);

async function bench(...args: string[]): Promise<{ code: number; lines: Record<string, unknown>[]; stderr: string }> {
  let r: { stdout: string; stderr: string; code?: number };
  try {
    r = await run(process.execPath, ['--import', 'tsx', 'bench/gpu.ts', ...args], { cwd: process.cwd(), maxBuffer: 16 << 20 });
  } catch (e) {
    r = e as { stdout: string; stderr: string; code: number };
  }
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code: r.code ?? 0, lines, stderr: r.stderr };
}

describe('npm run bench:gpu', () => {
  it('refuses bad flags before starting anything', async () => {
    const r = await bench('--presets', 'huge');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown preset "huge"');
    expect((await bench('--steps', '0')).code).toBe(2);
  });

  // A real run on SwiftShader (the CPU): the smallest preset and step counts, so it stays a test and not a benchmark.
  it.runIf(existsSync(SWIFTSHADER_ICD))(
    'trains through the Engine on WebGPU and prints the adapter, then one line per run',
    async () => {
      const r = await bench('--software', '--presets', 'micro', '--steps', '1', '--warmup', '0', '--batch', '2', '--profile');
      expect(r.code, r.stderr).toBe(0);
      const [adapter, result] = r.lines;
      expect(adapter).toMatchObject({ bench: 'gpu', software: true, adapter: { architecture: 'swiftshader', isFallbackAdapter: true } });
      expect(result).toMatchObject({ bench: 'gpu', preset: 'micro', batch: 2, seq: 64, steps: 1, kernels: 'auto', barrierFree: true, leakedTensors: 0 });
      expect(result.tokensPerSec as number).toBeGreaterThan(0);
      expect(result.firstStepMs as number).toBeGreaterThan(0);
      expect(Number.isFinite(result.finalLoss)).toBe(true);
      const profile = result.profile as { dispatchesPerStep: number; readsPerStep: number; byProgram: Record<string, number> };
      expect(profile.dispatchesPerStep).toBeGreaterThan(100);
      // One read-back per logEvery steps, none inside a step.
      expect(profile.readsPerStep).toBeLessThanOrEqual(1);
      expect(profile.byProgram.LabMatMulProgram).toBeGreaterThan(0);
    },
    240_000,
  );
});
