// The language model behind one interface for both architectures: creation, loading, forward, loss, export.
import * as tf from '@tensorflow/tfjs-core';
import { headDim, rotaryDims, validateConfig, type ModelConfig } from './config';
import { tokenformerBlock, transformerBlock, type BlockContext, type LayerCapture } from './blocks';
import { embed, tiedCrossEntropy, tiedLogits } from './ops/embedding';
import { layerNormAffine } from './ops/layerNorm';
import { rotaryTables } from './ops/rotary';
import { EMBEDDING, finalNormPrefix, initialGrowth, initValues, paramSpecs, PATTENTION_KINDS, pattentionSlots } from './params';
import { readBack } from './readBack';
import { countParams, forwardFlopsPerToken } from './size';
import type { AttentionMaps, GrowthState, PattentionKind } from './types';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export interface LanguageModel {
  readonly config: ModelConfig;
  /** Trainable variables keyed by reference checkpoint name. Growth replaces entries (see growModel). */
  readonly params: Map<string, tf.Variable>;
  /** Token count and normalisation scale of every Pattention, by prefix ({} for the transformer). */
  growth: GrowthState;
  /** ids int32 [B, T] -> logits [B, T, vocab]. */
  logits(ids: tf.Tensor2D): tf.Tensor3D;
  /** Mean next-token cross-entropy over positions 0..T−2 (nats). */
  loss(ids: tf.Tensor2D): tf.Scalar;
  /**
   * One forward pass over one text; every tensor it makes is disposed before it resolves. Async: the read-back
   * must not be synchronous (see readBack).
   */
  attentionMaps(ids: number[]): Promise<AttentionMaps>;
  paramCount(): number;
  /** Forward FLOPs per token (2·MACs, attention included) at context `seqLen`. */
  flopsPerToken(seqLen: number): number;
  /** Float32 copies of every parameter, by reference name, as of the call (later updates do not show). */
  toTensors(): Promise<Map<string, NamedTensor>>;
  dispose(): void;
}

/** A trainable variable holding `t` (the backend's copy: the caller may drop `t.data` after). */
function toVariable(t: NamedTensor): tf.Variable {
  const value = tf.tensor(t.data, t.shape, 'float32');
  const v = tf.variable(value, true);
  // The variable holds its own reference to the data; without this the buffer outlived the variable's dispose.
  value.dispose();
  return v;
}

class Model implements LanguageModel {
  readonly params = new Map<string, tf.Variable>();
  private disposed = false;

  constructor(
    readonly config: ModelConfig,
    public growth: GrowthState,
    values: Map<string, NamedTensor>,
  ) {
    for (const [name, t] of values) this.params.set(name, toVariable(t));
  }

  private param = (name: string): tf.Tensor => {
    const v = this.params.get(name);
    if (!v) throw new Error(`model has no parameter "${name}"`);
    return v;
  };

  /** Final-normed hidden states [B·T, d]. */
  private hidden(ids: tf.Tensor2D, captures?: LayerCapture[]): tf.Tensor2D {
    if (this.disposed) throw new Error('model is disposed');
    const c = this.config;
    const [batch, seqLen] = ids.shape;
    if (ids.dtype !== 'int32') throw new Error(`ids must be int32, got ${ids.dtype}`);
    if (seqLen > c.maxSeqLen) throw new Error(`sequence length ${seqLen} exceeds maxSeqLen ${c.maxSeqLen}`);
    const ctx: BlockContext = {
      config: c,
      growth: this.growth,
      param: this.param,
      shape: { batch, seqLen, numHeads: c.numHeads },
      rotary: rotaryTables(seqLen, headDim(c), rotaryDims(c), c.rotaryBase),
    };
    const block = c.arch === 'tokenformer' ? tokenformerBlock : transformerBlock;
    let x = embed(this.param(EMBEDDING) as tf.Tensor2D, tf.reshape(ids, [batch * seqLen])); // [N, d]
    for (let layer = 0; layer < c.numLayers; layer++) {
      const capture: LayerCapture | undefined = captures ? { pattention: {} } : undefined;
      x = block(x, layer, { ...ctx, capture });
      if (captures && capture) captures.push(capture);
    }
    const norm = finalNormPrefix(c);
    return layerNormAffine(x, this.param(`${norm}.weight`) as tf.Tensor1D, this.param(`${norm}.bias`) as tf.Tensor1D, c.layerNormEps); // [N, d]
  }

  logits(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [batch, seqLen] = ids.shape;
      return tf.reshape(tiedLogits(this.hidden(ids), this.param(EMBEDDING) as tf.Tensor2D), [batch, seqLen, this.config.vocabSize]); // [B, T, V]
    });
  }

  loss(ids: tf.Tensor2D): tf.Scalar {
    const [batch, seqLen] = ids.shape;
    if (seqLen < 2) throw new Error(`loss needs at least 2 positions, got ${seqLen}`);
    return tf.tidy(() => {
      // Position t predicts ids[t+1]; the last position has no target (−1 gives a zero one-hot row).
      const targets = tf.concat([tf.slice(ids, [0, 1], [batch, seqLen - 1]), tf.fill([batch, 1], -1, 'int32')], 1); // [B, T]
      return tiedCrossEntropy(this.hidden(ids), this.param(EMBEDDING) as tf.Tensor2D, tf.reshape(targets, [batch * seqLen]), batch * (seqLen - 1));
    });
  }

  async attentionMaps(ids: number[]): Promise<AttentionMaps> {
    const c = this.config;
    const seqLen = ids.length;
    const captures: LayerCapture[] = [];
    // The forward pass runs synchronously (tensors kept out of the tidy), the read-back after it.
    tf.tidy(() => {
      const h = this.hidden(tf.tensor2d(ids, [1, seqLen], 'int32'), captures);
      h.dispose();
      for (const cap of captures) {
        for (const w of Object.values(cap.pattention)) tf.keep(w);
        tf.keep(cap.heads!);
      }
    });
    const kept = captures.flatMap((cap) => [...Object.values(cap.pattention), cap.heads!]);
    try {
      const layers: AttentionMaps['layers'] = [];
      for (const cap of captures) {
        const pattention = {} as AttentionMaps['layers'][number]['pattention'];
        for (const kind of PATTENTION_KINDS) {
          const w = cap.pattention[kind];
          // The transformer has no Pattention: n = 0 and no weights.
          pattention[kind as PattentionKind] = w ? { n: w.shape[1], weights: await readBack(w) } : { n: 0, weights: new Float32Array(0) };
        }
        layers.push({ pattention, heads: await readBack(cap.heads!) });
      }
      if (layers.length !== c.numLayers) throw new Error(`captured ${layers.length} layers, expected ${c.numLayers}`);
      return { ids: [...ids], layers };
    } finally {
      tf.dispose(kept);
    }
  }

  paramCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  flopsPerToken(seqLen: number): number {
    return forwardFlopsPerToken(this.config, this.growth, seqLen);
  }

  async toTensors(): Promise<Map<string, NamedTensor>> {
    // Clones share the current buffers, and an update (assign) gives a variable a new one: a consistent snapshot
    // even if training steps run while the read-back waits.
    const snapshot = [...this.params].map(([name, v]) => [name, tf.clone(v)] as const);
    try {
      const out = new Map<string, NamedTensor>();
      for (const [name, t] of snapshot) out.set(name, { shape: [...t.shape], data: await readBack(t) });
      return out;
    } finally {
      tf.dispose(snapshot.map(([, t]) => t));
    }
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.disposed = true;
  }
}

/** A freshly initialised model (reference init, seeded: same seed, same weights on every backend). */
export function createModel(config: ModelConfig, opts: { seed?: number } = {}): LanguageModel {
  const c = validateConfig(config);
  const seed = opts.seed ?? 0;
  const growth = initialGrowth(c);
  const values = new Map<string, NamedTensor>();
  for (const spec of paramSpecs(c, growth)) values.set(spec.name, { shape: spec.shape, data: initValues(c, spec, seed) });
  return new Model(c, growth, values);
}

/**
 * A model from named tensors (a checkpoint). Names and shapes must be exactly those of `config` (token counts from
 * `growth` when given, else from the tensors' own shapes, normalised by that count).
 */
export function modelFromTensors(config: ModelConfig, tensors: Map<string, NamedTensor>, growth?: GrowthState): LanguageModel {
  const c = validateConfig(config);
  const g = growth ? structuredClone(growth) : growthFromShapes(c, tensors);
  const specs = checkShapes(c, tensors, g);
  for (const spec of specs) {
    const t = tensors.get(spec.name)!;
    if (t.data.length !== spec.shape.reduce((a, b) => a * b, 1)) throw new Error(`tensor "${spec.name}" has ${t.data.length} values for shape [${t.shape}]`);
  }
  return new Model(c, g, new Map(specs.map((s) => [s.name, tensors.get(s.name)!])));
}

/**
 * `modelFromTensors` for weights that arrive one at a time (a checkpoint read from disk): names and shapes are
 * checked first, then `read` hands over each tensor, which becomes a variable at once, so its float32 copy can
 * go before the next is read. If anything fails, the variables made so far are disposed.
 */
export async function modelFromTensorStream(
  config: ModelConfig,
  shapes: ReadonlyMap<string, { readonly shape: readonly number[] }>,
  growth: GrowthState | undefined,
  read: (take: (name: string, t: NamedTensor) => void) => Promise<unknown>,
): Promise<LanguageModel> {
  const c = validateConfig(config);
  const g = growth ? structuredClone(growth) : growthFromShapes(c, shapes);
  const specs = new Map(checkShapes(c, shapes, g).map((s) => [s.name, s]));
  const model = new Model(c, g, new Map());
  try {
    await read((name, t) => {
      const spec = specs.get(name);
      if (!spec) throw new Error(`unexpected tensor "${name}" for a ${c.arch} with ${c.numLayers} layers`);
      if (model.params.has(name)) throw new Error(`tensor "${name}" given twice`);
      if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i]) || t.data.length !== spec.shape.reduce((a, b) => a * b, 1)) {
        throw new Error(`tensor "${name}" has shape [${t.shape}] and ${t.data.length} values, expected [${spec.shape}]`);
      }
      model.params.set(name, toVariable(t));
    });
    const missing = [...specs.keys()].find((n) => !model.params.has(n));
    if (missing) throw new Error(`missing tensor "${missing}"`);
    // The parameter order of a model built in one go, whatever order the file had.
    const vars = new Map(model.params);
    model.params.clear();
    for (const name of specs.keys()) model.params.set(name, vars.get(name)!);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** Checks names and shapes against the config; returns the parameter specs in model order. */
function checkShapes(c: ModelConfig, tensors: ReadonlyMap<string, { readonly shape: readonly number[] }>, g: GrowthState) {
  const specs = paramSpecs(c, g);
  const expected = new Set(specs.map((s) => s.name));
  for (const name of tensors.keys()) if (!expected.has(name)) throw new Error(`unexpected tensor "${name}" for a ${c.arch} with ${c.numLayers} layers`);
  for (const spec of specs) {
    const t = tensors.get(spec.name);
    if (!t) throw new Error(`missing tensor "${spec.name}"`);
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new Error(`tensor "${spec.name}" has shape [${t.shape}], expected [${spec.shape}]`);
    }
  }
  assertGrowthState(c, g);
  return specs;
}

function growthFromShapes(c: ModelConfig, tensors: ReadonlyMap<string, { readonly shape: readonly number[] }>): GrowthState {
  if (c.arch !== 'tokenformer') return {};
  const g = initialGrowth(c);
  for (const s of pattentionSlots(c)) {
    const keys = tensors.get(`${s.prefix}.key_param_tokens`);
    if (keys) g[s.prefix] = { tokens: keys.shape[0], scaleTokens: keys.shape[0] };
  }
  return g;
}

/** Throws unless `g` names exactly the config's Pattentions with 1 ≤ scaleTokens and integer counts. */
export function assertGrowthState(c: ModelConfig, g: GrowthState): void {
  const slots = c.arch === 'tokenformer' ? pattentionSlots(c).map((s) => s.prefix) : [];
  const names = Object.keys(g);
  for (const n of names) if (!slots.includes(n)) throw new Error(`growth state names unknown Pattention "${n}"`);
  for (const p of slots) {
    const s = g[p];
    if (!s) throw new Error(`growth state lacks Pattention "${p}"`);
    if (!Number.isInteger(s.tokens) || s.tokens < 1) throw new Error(`growth state "${p}": tokens must be a positive integer, got ${s.tokens}`);
    if (!(s.scaleTokens >= 1)) throw new Error(`growth state "${p}": scaleTokens must be ≥ 1, got ${s.scaleTokens}`);
  }
}

export { countParams };
