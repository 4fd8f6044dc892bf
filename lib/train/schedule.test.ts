// Warmup + cosine learning-rate schedule.
import { expect, test } from 'vitest';
import { learningRate } from './schedule';

test('warms up linearly, decays by cosine to the floor', () => {
  const s = { lr: 1e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 110 };
  expect(learningRate(s, 0)).toBeCloseTo(1e-4, 12);
  expect(learningRate(s, 9)).toBeCloseTo(1e-3, 12);
  expect(learningRate(s, 10)).toBeCloseTo(1e-3, 12);
  expect(learningRate(s, 60)).toBeCloseTo(5.5e-4, 12); // halfway: mean of peak and floor
  expect(learningRate(s, 110)).toBeCloseTo(1e-4, 12);
  expect(learningRate(s, 500)).toBeCloseTo(1e-4, 12);
  for (let i = 11; i < 110; i++) expect(learningRate(s, i)).toBeLessThan(learningRate(s, i - 1));
  expect(learningRate({ lr: 1, warmupSteps: 0, totalSteps: 10 }, 10)).toBeCloseTo(0.1, 12);
});
