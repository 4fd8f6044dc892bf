// A grown model in the reference trainer: it always normalises by the current token count n, never by a kept
// scale. Where the kept scale can be folded into the value tokens the function survives; where not, the change
// is measured on real logits so the export can say how big it is.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../tokenformer/config';
import { modelFromTensors } from '../tokenformer/model';
import type { GrowthState } from '../tokenformer/types';
import type { NamedTensor } from './safetensors';

export interface ScalePlan {
  /** Tensors to export (value tokens rescaled where the scale was folded). */
  tensors: Map<string, NamedTensor>;
  /** The growth state the reference will compute with: scaleTokens = tokens everywhere. */
  growth: GrowthState;
  /** Pattentions whose kept scale went into their value tokens (exact). */
  folded: string[];
  /** Pattentions whose function changes there: l2_norm_gelu puts √n inside the GELU, where no weight reaches. */
  changed: string[];
}

/**
 * Rewrites the weights for a trainer that uses n = tokens. With scale m kept in the lab:
 * gelu_l2_norm gives GELU(s)/‖GELU(s)‖·√m = (…·√n)·√(m/n), softmax exp(s)/Σ·m = (…·n)·(m/n): a factor on the
 * weights f(XKᵀ) multiplies V by, so V·√(m/n) or V·m/n is exact. l2_norm_gelu is GELU(s/‖s‖·√m): not linear in
 * the factor, so those Pattentions are left as they are and reported.
 */
export function planReferenceScale(config: ModelConfig, growth: GrowthState, tensors: Map<string, NamedTensor>): ScalePlan {
  const out = new Map(tensors);
  const next: GrowthState = {};
  const folded: string[] = [];
  const changed: string[] = [];
  for (const [prefix, st] of Object.entries(growth)) {
    next[prefix] = { tokens: st.tokens, scaleTokens: st.tokens };
    if (st.scaleTokens === st.tokens) continue;
    if (config.norm === 'l2_norm_gelu') {
      changed.push(prefix);
      continue;
    }
    const ratio = st.scaleTokens / st.tokens;
    const factor = config.norm === 'softmax' ? ratio : Math.sqrt(ratio);
    const name = `${prefix}.value_param_tokens`;
    const v = tensors.get(name);
    if (!v) throw new Error(`no tensor "${name}"`);
    const data = new Float32Array(v.data.length);
    for (let i = 0; i < data.length; i++) data[i] = v.data[i] * factor;
    out.set(name, { shape: v.shape, data });
    folded.push(prefix);
  }
  return { tensors: out, growth: next, folded, changed };
}

/** Largest |logit difference| between two weight sets of one architecture on `ids` ([B][T], equal rows). */
export async function maxLogitChange(config: ModelConfig, a: { tensors: Map<string, NamedTensor>; growth: GrowthState }, b: { tensors: Map<string, NamedTensor>; growth: GrowthState }, ids: number[][]): Promise<number> {
  const B = ids.length;
  const T = ids[0]?.length ?? 0;
  if (!B || !T) return 0;
  const ma = modelFromTensors(config, a.tensors, a.growth);
  const mb = modelFromTensors(config, b.tensors, b.growth);
  const x = tf.tensor2d(ids.flat(), [B, T], 'int32'); // [B, T]
  try {
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(ma.logits(x), mb.logits(x))))); // []
    const v = (await diff.data())[0];
    diff.dispose();
    return v;
  } finally {
    x.dispose();
    ma.dispose();
    mb.dispose();
  }
}

/** Probe rows for the measurement: `rows` windows of the data (or of a fixed text), each `seqLen` ids. */
export function probeIds(data: Uint8Array | undefined, seqLen: number, rows = 4): number[][] {
  const text = data && data.length >= seqLen ? data : new TextEncoder().encode('The quick brown fox jumps over the lazy dog. '.repeat(Math.ceil(seqLen / 45) + 1));
  const out: number[][] = [];
  const span = Math.max(1, text.length - seqLen);
  for (let r = 0; r < rows; r++) {
    const start = Math.floor((r * span) / rows);
    out.push(Array.from(text.subarray(start, start + seqLen)));
  }
  return out;
}
