// Checks a reference-named state dict against a ModelConfig and growth state, and scans for NaN/Inf.
import type { ModelConfig } from '../tokenformer/config';
import { initialGrowth, paramSpecs, pattentionSlots } from '../tokenformer/params';
import type { GrowthState } from '../tokenformer/types';
import { describe, FormatError } from './errors';
import type { NamedTensor } from './safetensors';

/** Names and shapes only: enough to check a file's layout before any tensor data is read. */
export type TensorShapes = ReadonlyMap<string, { readonly shape: readonly number[] }>;

/**
 * Reference tensor names and shapes of a model, from the model's own parameter list (lib/tokenformer/params, the
 * one layout source); Pattention token counts come from `growth` where it names one, else from the config.
 */
export function expectedShapes(c: ModelConfig, growth: GrowthState = {}): Map<string, number[]> {
  return new Map(paramSpecs(c, { ...initialGrowth(c), ...growth }).map((s) => [s.name, [...s.shape]]));
}

/** Buffers the reference model keeps in its state dict that carry no weights (rebuilt from the config). */
const IGNORED_BUFFER = /\.rotary_emb\.inv_freq$|\.attention\.(?:bias|masked_bias)$/;

/** Names and shapes a model needs; lets the model code supply its own (e.g. the transformer baseline's). */
export type Layout = (c: ModelConfig, growth: GrowthState) => Map<string, number[]>;

/**
 * Throws FormatError('missing-tensor' | 'shape-mismatch' | 'unexpected-tensor') naming the tensor (the first
 * problem decides the code; the message lists up to five): the names must be exactly the model's, apart from
 * buffers the reference keeps that carry no weights. Needs only shapes, so loaders call it on a file's header
 * before reading any tensor. Without a `layout`, the `transformer` baseline (its own names) is not checked.
 */
export function validateTensors(tensors: TensorShapes, c: ModelConfig, growth: GrowthState = {}, layout?: Layout): string[] {
  if (!layout && c.arch !== 'tokenformer') return [`tensor names of the ${c.arch} baseline are not checked (no layout given)`];
  const expected = layout ? layout(c, growth) : expectedShapes(c, growth);
  const problems: { code: 'missing-tensor' | 'shape-mismatch' | 'unexpected-tensor'; msg: string }[] = [];
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) problems.push({ code: 'missing-tensor', msg: `missing tensor "${name}" (expected shape [${shape}])` });
    else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      problems.push({ code: 'shape-mismatch', msg: `tensor "${name}" has shape [${t.shape}], expected [${shape}]` });
    }
  }
  for (const name of tensors.keys()) {
    if (problems.length > 5) break;
    if (!expected.has(name) && !IGNORED_BUFFER.test(name)) {
      problems.push({ code: 'unexpected-tensor', msg: `unexpected tensor ${describe(name)}: not part of a ${c.arch} with ${c.numLayers} layers` });
    }
  }
  if (problems.length) {
    const more = problems.length > 5 ? ' (and more)' : '';
    throw new FormatError(problems[0].code, problems.slice(0, 5).map((p) => p.msg).join('; ') + more);
  }
  return [];
}

/**
 * Growth state read off the tensor shapes, for files without `growth` metadata (e.g. reference checkpoints
 * after incremental scaling). The reference recomputes the normalisation from n, so scaleTokens = tokens.
 */
export function inferGrowth(tensors: TensorShapes, c: ModelConfig): GrowthState {
  const g: GrowthState = {};
  if (c.arch !== 'tokenformer') return g;
  for (const p of pattentionSlots(c)) {
    const k = tensors.get(`${p.prefix}.key_param_tokens`);
    if (k && k.shape.length === 2) g[p.prefix] = { tokens: k.shape[0], scaleTokens: k.shape[0] };
  }
  return g;
}

/** One warning per tensor holding NaN or ±Inf (the engine refuses to train on them). */
export function checkFinite(tensors: Map<string, NamedTensor>): string[] {
  const warnings: string[] = [];
  for (const [name, t] of tensors) {
    let nan = 0;
    let inf = 0;
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v - v !== 0) {
        if (v !== v) nan++;
        else inf++;
      }
    }
    if (nan || inf) warnings.push(`tensor "${name}" has ${nan} NaN and ${inf} infinite values out of ${d.length}`);
  }
  return warnings;
}
