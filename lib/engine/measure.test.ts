import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../testing/backend';
import { selectBackend } from './backend';
import { pickFastest, timeActiveBackend } from './measure';

describe('pickFastest', () => {
  it('takes the lowest step time and ignores backends without one', () => {
    expect(
      pickFastest([
        { backend: 'webgpu', firstMs: 900, stepMs: 120, software: true },
        { backend: 'webgl', reason: 'WebGL needs a browser' },
        { backend: 'wasm', firstMs: 40, stepMs: 9 },
      ]),
    ).toBe('wasm');
    expect(pickFastest([{ backend: 'webgpu', firstMs: 300, stepMs: 2 }, { backend: 'wasm', firstMs: 40, stepMs: 9 }])).toBe('webgpu');
  });

  it('has no choice when nothing was timed', () => {
    expect(pickFastest([{ backend: 'webgpu', reason: 'too slow: the first step took over 4.0 s' }])).toBeNull();
    expect(pickFastest([])).toBeNull();
  });
});

describe('timeActiveBackend', () => {
  it('times the Pattention step on the active backend without leaking tensors', async () => {
    await useBackend('wasm');
    await timeActiveBackend('wasm', { steps: 1 }); // warm-up: kernels and the wasm module
    const before = tf.memory().numTensors;
    const t = await timeActiveBackend('wasm', { steps: 3 });
    expect(t.reason).toBeUndefined();
    expect(t.stepMs).toBeGreaterThan(0);
    expect(t.firstMs).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives up on a backend whose first step exceeds the limit, with the reason', async () => {
    await useBackend('cpu');
    const t = await timeActiveBackend('cpu', { firstStepLimitMs: 1 });
    expect(t.stepMs).toBeUndefined();
    expect(t.reason).toMatch(/^too slow: the first step took over 0\.0 s/);
  });
});

describe('selectBackend with measurement', () => {
  it('picks the faster of the timed backends and reports every timing', async () => {
    // cpu is tens of times slower than wasm at these matmuls: the measurement must see it.
    const info = await selectBackend({ measure: true, candidates: ['cpu', 'wasm'] });
    expect(info.choice).toBe('measured');
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const byName = Object.fromEntries(info.timings!.map((t) => [t.backend, t]));
    expect(byName.wasm.stepMs!).toBeLessThan(byName.cpu.stepMs!);
    // Listed in the backend order (webgpu, webgl, wasm, cpu), not the order they were timed in.
    expect(info.timings!.map((t) => t.backend)).toEqual(['wasm', 'cpu']);
  });

  it('records why a backend has no timing and still chooses among the rest', async () => {
    // In Node neither GPU backend can start.
    const info = await selectBackend({ measure: { steps: 1 } });
    expect(info.backend).toBe('wasm');
    const gpu = info.timings!.filter((t) => t.backend === 'webgpu' || t.backend === 'webgl');
    expect(gpu.map((t) => t.backend)).toEqual(['webgpu', 'webgl']);
    for (const t of gpu) expect(t.reason).toMatch(/navigator\.gpu|needs a browser/);
  });

  it('uses a remembered choice without timing when it starts, and measures when it does not', async () => {
    const remembered = await selectBackend({ measure: true, prefer: 'cpu' });
    expect(remembered).toMatchObject({ backend: 'cpu', choice: 'remembered' });
    expect(remembered.timings).toBeUndefined();
    const stale = await selectBackend({ measure: { steps: 1 }, prefer: 'webgl' });
    expect(stale.choice).toBe('measured');
    expect(stale.backend).toBe('wasm');
  });

  it('a forced backend is not measured', async () => {
    const info = await selectBackend({ backend: 'cpu', measure: true });
    expect(info).toMatchObject({ backend: 'cpu', choice: 'forced' });
    expect(info.timings).toBeUndefined();
  });
});
