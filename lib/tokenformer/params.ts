// Parameter names (the reference GPT-NeoX checkpoint names), shapes and the seeded reference initialisation.
import type { ModelConfig } from './config';
import { createNormalRng, deriveParamSeed, normalArray } from '../data/rng';
import { PATTENTION_KINDS, type GrowthState, type PattentionKind } from './types';

export type InitKind = 'embedding' | 'key' | 'value' | 'ones' | 'zeros' | 'linear' | 'linearOut';

export interface ParamSpec {
  name: string;
  shape: number[];
  init: InitKind;
}

export interface PattentionSlot {
  /** Reference prefix, e.g. `sequential.2.attention.query` or `sequential.2.mlp`; the key of the growth state. */
  prefix: string;
  layer: number;
  kind: PattentionKind;
  dIn: number;
  dOut: number;
}

export { PATTENTION_KINDS };

export const EMBEDDING = 'sequential.0.word_embeddings.weight';
export const layerPrefix = (layer: number) => `sequential.${layer + 2}`;
export const finalNormPrefix = (c: ModelConfig) => `sequential.${c.numLayers + 3}.norm`;
export const pattentionPrefix = (layer: number, kind: PattentionKind) =>
  kind === 'ffn' ? `${layerPrefix(layer)}.mlp` : `${layerPrefix(layer)}.attention.${kind}`;

/** Every Pattention of a TokenFormer config, in layer order. */
export function pattentionSlots(c: ModelConfig): PattentionSlot[] {
  const slots: PattentionSlot[] = [];
  for (let layer = 0; layer < c.numLayers; layer++) {
    for (const kind of PATTENTION_KINDS) slots.push({ prefix: pattentionPrefix(layer, kind), layer, kind, dIn: c.hiddenSize, dOut: c.hiddenSize });
  }
  return slots;
}

export function configTokens(c: Pick<ModelConfig, 'qkvTokens' | 'projTokens' | 'ffnTokens'>, kind: PattentionKind): number {
  return kind === 'proj' ? c.projTokens : kind === 'ffn' ? c.ffnTokens : c.qkvTokens;
}

/** Growth state of a fresh model: each Pattention at its configured count, normalised by that count. */
export function initialGrowth(c: ModelConfig): GrowthState {
  if (c.arch !== 'tokenformer') return {};
  const g: GrowthState = {};
  for (const s of pattentionSlots(c)) {
    const n = configTokens(c, s.kind);
    g[s.prefix] = { tokens: n, scaleTokens: n };
  }
  return g;
}

function sharedSpecs(c: ModelConfig): { head: ParamSpec[]; tail: ParamSpec[] } {
  const norm = finalNormPrefix(c);
  return {
    head: [{ name: EMBEDDING, shape: [c.vocabSize, c.hiddenSize], init: 'embedding' }],
    tail: [
      { name: `${norm}.weight`, shape: [c.hiddenSize], init: 'ones' },
      { name: `${norm}.bias`, shape: [c.hiddenSize], init: 'zeros' },
    ],
  };
}

/** Every parameter of the model, in checkpoint order; token counts come from `growth`. */
export function paramSpecs(c: ModelConfig, growth: GrowthState = initialGrowth(c)): ParamSpec[] {
  const { head, tail } = sharedSpecs(c);
  const body: ParamSpec[] = [];
  if (c.arch === 'tokenformer') {
    for (const s of pattentionSlots(c)) {
      const state = growth[s.prefix];
      if (!state) throw new Error(`growth state lacks Pattention "${s.prefix}"`);
      body.push({ name: `${s.prefix}.key_param_tokens`, shape: [state.tokens, s.dIn], init: 'key' });
      body.push({ name: `${s.prefix}.value_param_tokens`, shape: [state.tokens, s.dOut], init: 'value' });
    }
  } else {
    const d = c.hiddenSize;
    const h = ffnHidden(c);
    for (let layer = 0; layer < c.numLayers; layer++) {
      const p = layerPrefix(layer);
      for (const kind of ['query', 'key', 'value', 'proj'] as const) {
        body.push({ name: `${p}.attention.${kind}.weight`, shape: [d, d], init: kind === 'proj' ? 'linearOut' : 'linear' });
        body.push({ name: `${p}.attention.${kind}.bias`, shape: [d], init: 'zeros' });
      }
      body.push({ name: `${p}.mlp.dense_h_to_4h.weight`, shape: [h, d], init: 'linear' });
      body.push({ name: `${p}.mlp.dense_h_to_4h.bias`, shape: [h], init: 'zeros' });
      body.push({ name: `${p}.mlp.dense_4h_to_h.weight`, shape: [d, h], init: 'linearOut' });
      body.push({ name: `${p}.mlp.dense_4h_to_h.bias`, shape: [d], init: 'zeros' });
    }
  }
  return [...head, ...body, ...tail];
}

export const ffnHidden = (c: ModelConfig) => c.ffnHidden ?? 4 * c.hiddenSize;

/**
 * Standard deviations of the reference init (GPT-NeoX): `init_method` normal(0, init_method_std) for embeddings,
 * key tokens and input projections; `wang_init` normal(0, 2/(L·√d)) for value tokens and output projections.
 */
export function initStd(c: ModelConfig, kind: InitKind): number {
  switch (kind) {
    case 'embedding':
    case 'key':
    case 'linear':
      return c.initStd;
    case 'value':
    case 'linearOut':
      return 2 / (c.numLayers * Math.sqrt(c.hiddenSize));
    case 'ones':
    case 'zeros':
      return 0;
  }
}

/** Initial values of one parameter; each name draws from its own seeded stream, so order does not matter. */
export function initValues(c: ModelConfig, spec: ParamSpec, seed: number, rows = spec.shape[0], label = spec.name): Float32Array {
  const count = rows * spec.shape.slice(1).reduce((a, b) => a * b, 1);
  if (spec.init === 'ones') return new Float32Array(count).fill(1);
  if (spec.init === 'zeros') return new Float32Array(count);
  return normalArray(createNormalRng(deriveParamSeed(seed, label)), count, initStd(c, spec.init));
}
