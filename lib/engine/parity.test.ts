// Engine.parity in Node: the check /parity runs in the browser's engine worker, here in-process on wasm, against
// the reference fixture (../shared/fixtures/reference-small), with the tolerances e2e/webgpu-parity.spec.ts uses.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../testing/fixtures';
import { Engine } from './engine';
import type { ParityFiles } from './parity';

const dir = `${FIXTURES_DIR}reference-small/`;
const files = (): ParityFiles => ({
  config: JSON.parse(readFileSync(`${dir}config.json`, 'utf8')),
  expected: JSON.parse(readFileSync(`${dir}expected.json`, 'utf8')),
  model: new Uint8Array(readFileSync(`${dir}model.safetensors`)),
});

describe('Engine.parity', () => {
  it('matches the reference on the engine backend and trains like cpu, leaving the engine model and backend alone', async () => {
    const engine = new Engine();
    await engine.init({ backend: 'wasm' });
    const before = await engine.createModel({ preset: 'micro' });
    const tensors = (await engine.memory()).numTensors;
    const report = await engine.parity(files(), { trainSteps: 3 });
    expect(report.backend).toBe('wasm');
    expect(report.gpuErrors).toEqual([]);
    expect(report.results.map((r) => r.norm)).toEqual(['l2_norm_gelu', 'gelu_l2_norm', 'softmax']);
    for (const r of report.results) {
      expect(r.nonFinite).toBe(0);
      expect(r.logitsMaxAbsDiff).toBeLessThan(1e-4);
      expect(r.lossRelErr).toBeLessThan(1e-5);
      expect(r.gradNormMaxRelErr).toBeLessThan(1e-3);
      expect(r.trainLosses).toHaveLength(3);
      expect(r.trainLosses[2]).toBeLessThan(r.trainLosses[0]);
      expect(r.trainMaxRelDiff).toBeLessThan(1e-3);
    }
    // Its own models are disposed and the wasm backend is back in place for the engine's model.
    expect((await engine.memory()).numTensors).toBe(tensors);
    expect((await engine.logits([[1, 2, 3]])).shape).toEqual([1, 3, before.config.vocabSize]);
    await engine.dispose();
  }, 120_000);
});
