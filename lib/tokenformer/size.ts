// Parameter and FLOP counts from a config and growth state, and baseline sizing to match a parameter budget.
import { validateConfig, type ModelConfig } from './config';
import { ffnHidden, initialGrowth, paramSpecs, pattentionSlots } from './params';
import type { GrowthState } from './types';

export function countParams(c: ModelConfig, growth: GrowthState = initialGrowth(c)): number {
  return paramSpecs(c, growth).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Forward FLOPs per token (2·multiply-accumulates) at context `seqLen`: every projection, the attention scores
 * and weighted sum against all `seqLen` positions (what the masked kernels compute), and the tied output head.
 * Norms, softmaxes and other elementwise work are left out, as in the usual 2·N + attention estimate.
 */
export function forwardFlopsPerToken(c: ModelConfig, growth: GrowthState, seqLen: number): number {
  const d = c.hiddenSize;
  let macs = c.numLayers * 2 * seqLen * d + d * c.vocabSize;
  if (c.arch === 'tokenformer') {
    for (const s of pattentionSlots(c)) macs += growth[s.prefix].tokens * (s.dIn + s.dOut);
  } else {
    macs += c.numLayers * (4 * d * d + 2 * d * ffnHidden(c));
  }
  return 2 * macs;
}

/**
 * The plain Transformer with the same width, depth, heads and vocabulary whose MLP width brings its parameter
 * count nearest `targetParams` (default: the TokenFormer `c` itself).
 */
export function matchedTransformer(c: ModelConfig, targetParams = countParams({ ...c, arch: 'tokenformer' })): ModelConfig {
  const base = validateConfig({ ...c, arch: 'transformer', ffnHidden: 1 });
  // Params are affine in the MLP width h: each unit adds 2d weights and one bias per layer.
  const perUnit = c.numLayers * (2 * c.hiddenSize + 1);
  const h = Math.max(1, Math.round((targetParams - countParams(base) + perUnit) / perUnit));
  return { ...base, ffnHidden: h };
}

/**
 * The TokenFormer with the same width, depth, heads, vocabulary and qkv/proj tokens whose FFN token count brings
 * its parameter count nearest `targetParams` (default: the plain Transformer `c` itself).
 */
export function matchedTokenformer(c: ModelConfig, targetParams = countParams({ ...c, arch: 'transformer' })): ModelConfig {
  const base = validateConfig({ ...c, arch: 'tokenformer', ffnTokens: 1 });
  const perToken = c.numLayers * 2 * c.hiddenSize;
  const n = Math.max(1, Math.round((targetParams - countParams(base) + perToken) / perToken));
  const { ffnHidden: _drop, ...rest } = base;
  return { ...rest, ffnTokens: n };
}
