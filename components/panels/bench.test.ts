// The browser benchmark's steady-state rate: warmup steps left out, measured between loss readbacks.
import { describe, expect, it } from 'vitest';
import type { Metrics } from '@/lib/engine/types';
import { steadyRate } from './bench';

const m = (step: number, elapsedMs: number) => ({ step, elapsedMs }) as Metrics;

describe('steadyRate', () => {
  it('uses the first and last readback steps after the warmup', () => {
    // Step 1 took 5 s (compilation); readbacks every 5 steps; steps 5..15 took 100 ms each.
    const metrics = [m(1, 5000), m(3, 5100), m(5, 5400), m(7, 5600), m(10, 5900), m(12, 6100), m(15, 6400)];
    const r = steadyRate(metrics, { startStep: 0, warmupSteps: 3, logEvery: 5, tokensPerStep: 1000 });
    expect(r?.msPerStep).toBeCloseTo(100);
    expect(r?.tokensPerSec).toBeCloseTo(10_000);
  });

  it('falls back to any metrics after the warmup without two readbacks, and to null with one point', () => {
    expect(steadyRate([m(4, 100), m(6, 300)], { startStep: 0, warmupSteps: 3, logEvery: 5, tokensPerStep: 10 })?.msPerStep).toBeCloseTo(100);
    expect(steadyRate([m(1, 9000)], { startStep: 0, warmupSteps: 1, logEvery: 5, tokensPerStep: 10 })).toBeNull();
  });
});
