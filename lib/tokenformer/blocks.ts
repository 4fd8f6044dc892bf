// One transformer block of each architecture (pre-norm), reading its parameters by reference name.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from './config';
import { causalAttentionProbs, causalSelfAttention, type AttentionShape } from './ops/causalAttention';
import { gelu } from './ops/gelu';
import { layerNorm } from './ops/layerNorm';
import { linear } from './ops/linear';
import { pattention, pattentionWeights } from './ops/pattention';
import { residualAdd } from './ops/residual';
import type { RotaryTables } from './ops/rotary';
import { layerPrefix, pattentionPrefix } from './params';
import type { GrowthState, PattentionKind } from './types';

export type ParamLookup = (name: string) => tf.Tensor;

/** Per-layer intermediates kept for attention maps (only when asked for: they cost an extra product each). */
export interface LayerCapture {
  pattention: Partial<Record<PattentionKind, tf.Tensor2D>>;
  /** [B, H, T, T] */
  heads?: tf.Tensor4D;
}

export interface BlockContext {
  config: ModelConfig;
  growth: GrowthState;
  param: ParamLookup;
  shape: AttentionShape;
  rotary: RotaryTables;
  capture?: LayerCapture;
}

/** TokenFormer block: x += P_proj(attn(P_q, P_k, P_v of LN(x))); x += P_ffn(LN(x)). x [N, d] -> [N, d]. */
export function tokenformerBlock(x: tf.Tensor2D, layer: number, ctx: BlockContext): tf.Tensor2D {
  const { config: c, growth, param, capture } = ctx;
  const patt = (h: tf.Tensor2D, kind: PattentionKind) => {
    const prefix = pattentionPrefix(layer, kind);
    const keys = param(`${prefix}.key_param_tokens`) as tf.Tensor2D;
    const opts = { norm: c.norm, scaleTokens: growth[prefix].scaleTokens };
    if (capture) capture.pattention[kind] = pattentionWeights(h, keys, opts); // [N, n]
    return pattention(h, keys, param(`${prefix}.value_param_tokens`) as tf.Tensor2D, opts); // [N, d]
  };
  const h = layerNorm(x, c.layerNormEps); // [N, d]
  const q = patt(h, 'query'); // [N, d]
  const k = patt(h, 'key'); // [N, d]
  const v = patt(h, 'value'); // [N, d]
  if (capture) capture.heads = causalAttentionProbs(q, k, ctx.shape, ctx.rotary); // [B, H, T, T]
  const attn = causalSelfAttention(q, k, v, ctx.shape, ctx.rotary); // [N, d]
  const x1 = residualAdd(x, patt(attn, 'proj')); // [N, d]
  return residualAdd(x1, patt(layerNorm(x1, c.layerNormEps), 'ffn')); // [N, d]
}

/** Plain Transformer block with the same layout: linear q, k, v, proj and a GELU MLP. x [N, d] -> [N, d]. */
export function transformerBlock(x: tf.Tensor2D, layer: number, ctx: BlockContext): tf.Tensor2D {
  const { config: c, param, capture } = ctx;
  const p = layerPrefix(layer);
  const lin = (h: tf.Tensor2D, name: string) => linear(h, param(`${p}.${name}.weight`) as tf.Tensor2D, param(`${p}.${name}.bias`) as tf.Tensor1D);
  const h = layerNorm(x, c.layerNormEps); // [N, d]
  const q = lin(h, 'attention.query'); // [N, d]
  const k = lin(h, 'attention.key'); // [N, d]
  const v = lin(h, 'attention.value'); // [N, d]
  if (capture) capture.heads = causalAttentionProbs(q, k, ctx.shape, ctx.rotary); // [B, H, T, T]
  const attn = causalSelfAttention(q, k, v, ctx.shape, ctx.rotary); // [N, d]
  const x1 = residualAdd(x, lin(attn, 'attention.proj')); // [N, d]
  const m = gelu(lin(layerNorm(x1, c.layerNormEps), 'mlp.dense_h_to_4h')); // [N, ffnHidden]
  return residualAdd(x1, lin(m, 'mlp.dense_4h_to_h')); // [N, d]
}
