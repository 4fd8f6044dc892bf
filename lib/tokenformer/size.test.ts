// Parameter and FLOP counts, and sizing the baseline to a parameter budget.
import { expect, test } from 'vitest';
import { preset } from './config';
import { countParams, forwardFlopsPerToken, matchedTokenformer, matchedTransformer } from './size';
import { initialGrowth } from './params';

test('tiny TokenFormer: counts by hand', () => {
  const c = preset('tiny');
  // per layer: q, k, v, proj 2·128·128 each, ffn 2·512·128; plus embedding and the final norm
  expect(countParams(c)).toBe(4 * (4 * 2 * 128 * 128 + 2 * 512 * 128) + 256 * 128 + 2 * 128);
  // 2·(projection MACs + attention 2·T·d per layer + tied head d·V)
  const macs = 4 * (4 * 2 * 128 * 128 + 2 * 512 * 128) + 4 * 2 * 128 * 128 + 128 * 256;
  expect(forwardFlopsPerToken(c, initialGrowth(c), 128)).toBe(2 * macs);
});

test('matched baselines land within one unit of width of the budget', () => {
  for (const name of ['micro', 'tiny', 'small'] as const) {
    const tf = preset(name);
    const target = countParams(tf);
    const tr = matchedTransformer(tf);
    expect(tr.arch).toBe('transformer');
    // one MLP unit is worth 2d + 1 parameters per layer
    expect(Math.abs(countParams(tr) - target)).toBeLessThanOrEqual((tr.numLayers * (2 * tr.hiddenSize + 1)) / 2);
    const back = matchedTokenformer(tr, target);
    expect(back.arch).toBe('tokenformer');
    expect(Math.abs(countParams(back) - target)).toBeLessThanOrEqual(back.numLayers * back.hiddenSize);
  }
  const wide = matchedTransformer(preset('tiny'), 2_000_000);
  expect(Math.abs(countParams(wide) - 2_000_000)).toBeLessThan(600);
});

test('transformer FLOPs count q, k, v, proj and the MLP', () => {
  const c = { ...preset('tiny'), arch: 'transformer' as const, ffnHidden: 300 };
  const macs = 4 * (4 * 128 * 128 + 2 * 128 * 300) + 4 * 2 * 64 * 128 + 128 * 256;
  expect(forwardFlopsPerToken(c, {}, 64)).toBe(2 * macs);
});
