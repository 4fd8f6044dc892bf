// Model surgery: append parameter tokens to chosen Pattentions (progressive scaling), with asserted invariants.
import * as tf from '@tensorflow/tfjs-core';
import { MAX_PATTENTION_TOKENS, showValue, type ModelConfig } from './config';
import { assertGrowthState, type LanguageModel } from './model';
import { initValues, pattentionSlots, type PattentionSlot } from './params';
import { PATTENTION_KINDS, type GrowMode, type GrowOptions, type GrowTarget, type GrowthEvent, type GrowthState, type PattentionKind } from './types';

/** A change prepared beside the model: `commit` makes it take effect (and must not fail), `abort` frees it. */
export interface StagedChange {
  commit(): void;
  abort(): void;
}

export interface GrowHooks {
  /**
   * Called for each parameter to replace, after its grown variable is built and before anything is swapped (e.g. to
   * build grown optimizer moments). May throw: the growth is then abandoned with the model unchanged.
   */
  stageParam?(name: string, oldVar: tf.Variable, newVar: tf.Variable, addedRows: number): StagedChange | void;
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
const MODES: readonly GrowMode[] = ['preserve', 'zero', 'official'];

/** A checked growth request: what grows by how much, and the growth state after it. No tensors involved. */
export interface GrowthPlan {
  /** The mode applied (`preserve` becomes `zero` for softmax, see growModel). */
  mode: GrowMode;
  slots: PattentionSlot[];
  /** Pattention prefix -> [tokens before, after], in slot order. */
  changes: Record<string, [number, number]>;
  /** The growth state once grown. */
  growth: GrowthState;
  seed: number;
}

/** The Pattentions a growth request touches, in layer order. */
export function selectPattentions(model: Pick<LanguageModel, 'config'>, opts: GrowOptions): PattentionSlot[] {
  const c = model.config;
  const target = opts.target ?? 'all';
  const kinds = Object.hasOwn(TARGET_KINDS, target) ? TARGET_KINDS[target] : undefined;
  if (!kinds) throw new Error(`unknown growth target ${showValue(target)} (expected ${Object.keys(TARGET_KINDS).join(', ')})`);
  let layers: Set<number> | undefined;
  if (opts.layers !== undefined) {
    if (!Array.isArray(opts.layers)) throw new Error(`growth layers must be a list of layer indices, got ${showValue(opts.layers)}`);
    layers = new Set();
    for (const l of opts.layers) {
      if (!Number.isInteger(l) || l < 0 || l >= c.numLayers) throw new Error(`growth layer ${showValue(l)} is outside 0..${c.numLayers - 1}`);
      layers.add(l);
    }
  }
  return pattentionSlots(c).filter((s) => kinds.includes(s.kind) && (!layers || layers.has(s.layer)));
}

function tokensToAdd(current: number, opts: GrowOptions): number {
  if (opts.add !== undefined && opts.factor !== undefined) throw new Error('give growth "add" or "factor", not both');
  if (opts.factor !== undefined && (typeof opts.factor !== 'number' || !Number.isFinite(opts.factor))) throw new Error(`growth factor must be a finite number, got ${showValue(opts.factor)}`);
  const add = opts.add ?? (opts.factor !== undefined ? Math.round(current * opts.factor) - current : undefined);
  if (add === undefined) throw new Error('growth needs "add" or "factor"');
  if (typeof add !== 'number' || !Number.isInteger(add) || add < 1) throw new Error(`growth must add at least one token per Pattention, got ${showValue(add)} (from ${current})`);
  return add;
}

/**
 * Checks a growth request against a config and its growth state (target, layers, mode, seed, counts and the
 * per-Pattention limit) and returns the plan, touching no tensor: callers size the grown model from it (the
 * memory budget) before any allocation.
 */
export function planGrowth(c: ModelConfig, growth: GrowthState, opts: GrowOptions): GrowthPlan {
  if (typeof opts !== 'object' || opts === null) throw new Error(`growth options must be an object, got ${showValue(opts)}`);
  if (c.arch !== 'tokenformer') throw new Error(`only a tokenformer can grow (this model is a ${c.arch})`);
  const requested: GrowMode = opts.mode ?? 'preserve';
  if (!MODES.includes(requested)) throw new Error(`unknown growth mode ${showValue(requested)} (expected ${MODES.join(', ')})`);
  const mode: GrowMode = requested === 'preserve' && c.norm === 'softmax' ? 'zero' : requested;
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new Error(`growth seed must be an integer, got ${showValue(seed)}`);
  const slots = selectPattentions({ config: c }, opts);
  if (slots.length === 0) throw new Error('growth selects no Pattention');
  const next = structuredClone(growth);
  const changes: Record<string, [number, number]> = {};
  for (const slot of slots) {
    const state = growth[slot.prefix];
    if (!state) throw new Error(`growth state lacks Pattention "${slot.prefix}"`);
    const before = state.tokens;
    const after = before + tokensToAdd(before, opts);
    if (after > MAX_PATTENTION_TOKENS) throw new Error(`growing "${slot.prefix}" to ${after} tokens passes the limit of ${MAX_PATTENTION_TOKENS.toLocaleString('en-US')} per Pattention`);
    next[slot.prefix] = { tokens: after, scaleTokens: mode === 'preserve' ? state.scaleTokens : after };
    changes[slot.prefix] = [before, after];
  }
  return { mode, slots, changes, growth: next, seed };
}

/**
 * Appends tokens to the chosen Pattentions of a TokenFormer, as one transaction: the request is checked first
 * (planGrowth), every grown variable (and, through `hooks.stageParam`, every grown optimizer moment) is built
 * beside the old ones, and only then are they swapped in. A failure before the swap (a bad request, a hook, an
 * allocation) leaves the model exactly as it was and frees what was built. Modes:
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
  const plan = planGrowth(c, model.growth, opts);
  const { mode, seed } = plan;
  const replacements: { name: string; part: 'key' | 'value'; oldVar: tf.Variable; before: number; add: number }[] = [];
  for (const slot of plan.slots) {
    const [before, after] = plan.changes[slot.prefix];
    for (const part of ['key', 'value'] as const) {
      const name = `${slot.prefix}.${part}_param_tokens`;
      const oldVar = model.params.get(name);
      if (!oldVar) throw new Error(`model has no parameter "${name}"`);
      if (oldVar.shape[0] !== before) throw new Error(`"${name}" has ${oldVar.shape[0]} rows but the growth state says ${before}`);
      replacements.push({ name, part, oldVar, before, add: after - before });
    }
  }

  const staged: { name: string; oldVar: tf.Variable; newVar: tf.Variable; change?: StagedChange }[] = [];
  try {
    for (const { name, part, oldVar, before, add } of replacements) {
      const width = oldVar.shape[1] as number;
      const random = mode === 'official' || (mode === 'preserve' && part === 'value');
      const rows = random
        ? initValues(c, { name, shape: [add, width], init: part }, seed, add, `${name}@grow${before}`)
        : new Float32Array(add * width);
      const newVar = tf.tidy(() => tf.variable(tf.concat([oldVar, tf.tensor2d(rows, [add, width])], 0), true)); // [before + add, width]
      const entry: (typeof staged)[number] = { name, oldVar, newVar };
      staged.push(entry);
      entry.change = hooks.stageParam?.(name, oldVar, newVar, add) ?? undefined;
    }
  } catch (e) {
    for (const s of staged) {
      s.change?.abort();
      s.newVar.dispose();
    }
    throw e;
  }

  // Commit: from here on nothing allocates or checks input, so nothing can leave the model half grown.
  const paramsBefore = model.paramCount();
  for (const s of staged) {
    model.params.set(s.name, s.newVar);
    s.change?.commit();
    s.oldVar.dispose();
  }
  model.growth = plan.growth;
  assertGrown(model);
  return { step: hooks.step ?? 0, mode, changes: plan.changes, paramsBefore, paramsAfter: model.paramCount() };
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
