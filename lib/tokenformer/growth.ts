// Model surgery: append parameter tokens to chosen Pattentions (progressive scaling), with asserted invariants.
import * as tf from '@tensorflow/tfjs-core';
import { assertGrowthState, type LanguageModel } from './model';
import { initValues, pattentionSlots, type PattentionSlot } from './params';
import { PATTENTION_KINDS, type GrowMode, type GrowOptions, type GrowTarget, type GrowthEvent, type PattentionKind } from './types';

export interface GrowHooks {
  /** Called for each replaced variable before the old one is disposed (e.g. to extend optimizer state). */
  onParamReplaced?(name: string, oldVar: tf.Variable, newVar: tf.Variable, addedRows: number): void;
  /** Training step recorded in the event (the model does not know it). */
  step?: number;
}

const TARGET_KINDS: Record<GrowTarget, readonly PattentionKind[]> = {
  all: PATTENTION_KINDS,
  qkv: ['query', 'key', 'value'],
  q: ['query'],
  k: ['key'],
  v: ['value'],
  proj: ['proj'],
  ffn: ['ffn'],
};

/** The Pattentions a growth request touches, in layer order. */
export function selectPattentions(model: LanguageModel, opts: GrowOptions): PattentionSlot[] {
  const c = model.config;
  const target = opts.target ?? 'all';
  const kinds = TARGET_KINDS[target];
  if (!kinds) throw new Error(`unknown growth target "${target}" (expected ${Object.keys(TARGET_KINDS).join(', ')})`);
  for (const l of opts.layers ?? []) {
    if (!Number.isInteger(l) || l < 0 || l >= c.numLayers) throw new Error(`growth layer ${l} is outside 0..${c.numLayers - 1}`);
  }
  return pattentionSlots(c).filter((s) => kinds.includes(s.kind) && (!opts.layers || opts.layers.includes(s.layer)));
}

function tokensToAdd(current: number, opts: GrowOptions): number {
  if (opts.add !== undefined && opts.factor !== undefined) throw new Error('give growth "add" or "factor", not both');
  const add = opts.add ?? (opts.factor !== undefined ? Math.round(current * opts.factor) - current : undefined);
  if (add === undefined) throw new Error('growth needs "add" or "factor"');
  if (!Number.isInteger(add) || add < 1) throw new Error(`growth must add at least one token per Pattention, got ${add} (from ${current})`);
  return add;
}

/**
 * Appends tokens to the chosen Pattentions of a TokenFormer. Modes:
 * - `preserve`: new keys zero, new values from the value init, scaleTokens kept. The new scores are 0, which the
 *   l2 norms ignore and GELU maps to 0, so the function is unchanged while the new keys still get gradients
 *   (through GELU'(0) = ½ and the non-zero values). Softmax cannot be preserved by any keys (exp(score) > 0 always
 *   joins the denominator), so there `preserve` applies `zero`, the smallest change measured on the fixture
 *   (random values, or a kept scale, move the logits more), and the event reports mode `zero`.
 * - `zero`: new keys and values zero, scaleTokens = the new count (the reference's recomputed √n or n).
 * - `official`: new keys and values drawn from the init distributions, scaleTokens = the new count.
 */
export function growModel(model: LanguageModel, opts: GrowOptions, hooks: GrowHooks = {}): GrowthEvent {
  const c = model.config;
  if (c.arch !== 'tokenformer') throw new Error(`only a tokenformer can grow (this model is a ${c.arch})`);
  const requested: GrowMode = opts.mode ?? 'preserve';
  if (!['preserve', 'zero', 'official'].includes(requested)) throw new Error(`unknown growth mode "${requested}"`);
  const mode: GrowMode = requested === 'preserve' && c.norm === 'softmax' ? 'zero' : requested;
  const slots = selectPattentions(model, opts);
  if (slots.length === 0) throw new Error('growth selects no Pattention');
  const seed = opts.seed ?? 0;
  const paramsBefore = model.paramCount();
  const changes: Record<string, [number, number]> = {};
  const growth = structuredClone(model.growth);

  for (const slot of slots) {
    const state = growth[slot.prefix];
    const before = state.tokens;
    const add = tokensToAdd(before, opts);
    for (const part of ['key', 'value'] as const) {
      const name = `${slot.prefix}.${part}_param_tokens`;
      const oldVar = model.params.get(name);
      if (!oldVar) throw new Error(`model has no parameter "${name}"`);
      if (oldVar.shape[0] !== before) throw new Error(`"${name}" has ${oldVar.shape[0]} rows but the growth state says ${before}`);
      const width = oldVar.shape[1] as number;
      const random = mode === 'official' || (mode === 'preserve' && part === 'value');
      const rows = random
        ? initValues(c, { name, shape: [add, width], init: part }, seed, add, `${name}@grow${before}`)
        : new Float32Array(add * width);
      const newVar = tf.tidy(() => tf.variable(tf.concat([oldVar, tf.tensor2d(rows, [add, width])], 0), true)); // [before + add, width]
      hooks.onParamReplaced?.(name, oldVar, newVar, add);
      model.params.set(name, newVar);
      oldVar.dispose();
    }
    growth[slot.prefix] = { tokens: before + add, scaleTokens: mode === 'preserve' ? state.scaleTokens : before + add };
    changes[slot.prefix] = [before, before + add];
  }
  model.growth = growth;
  assertGrown(model);
  return { step: hooks.step ?? 0, mode, changes, paramsBefore, paramsAfter: model.paramCount() };
}

/** Shapes agree with the growth state, which names every Pattention with scaleTokens ≤ tokens. */
export function assertGrown(model: LanguageModel): void {
  const c = model.config;
  assertGrowthState(c, model.growth);
  for (const s of pattentionSlots(c)) {
    const st = model.growth[s.prefix];
    const k = model.params.get(`${s.prefix}.key_param_tokens`);
    const v = model.params.get(`${s.prefix}.value_param_tokens`);
    if (!k || !v) throw new Error(`model lacks the tokens of "${s.prefix}"`);
    if (k.shape[0] !== st.tokens || v.shape[0] !== st.tokens) throw new Error(`"${s.prefix}" has ${k.shape[0]} keys and ${v.shape[0]} values but ${st.tokens} tokens in its growth state`);
    if (k.shape[1] !== s.dIn || v.shape[1] !== s.dOut) throw new Error(`"${s.prefix}" token widths [${k.shape[1]}, ${v.shape[1]}] are not [${s.dIn}, ${s.dOut}]`);
    if (st.scaleTokens > st.tokens) throw new Error(`"${s.prefix}" normalises by ${st.scaleTokens} tokens but has only ${st.tokens}`);
  }
}
