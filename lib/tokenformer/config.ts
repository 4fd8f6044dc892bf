// The one typed model config, its presets, and the mapping from the reference (GPT-NeoX) config names.

export type NormActivation = 'l2_norm_gelu' | 'gelu_l2_norm' | 'softmax';
export const NORM_ACTIVATIONS: readonly NormActivation[] = ['l2_norm_gelu', 'gelu_l2_norm', 'softmax'];

/** `tokenformer`: every projection is a Pattention. `transformer`: the plain baseline (linear layers, GELU MLP). */
export type Arch = 'tokenformer' | 'transformer';

export interface ModelConfig {
  arch: Arch;
  numLayers: number;
  hiddenSize: number;
  numHeads: number;
  /** Parameter tokens of each query/key/value Pattention. */
  qkvTokens: number;
  /** Parameter tokens of the attention output projection Pattention. */
  projTokens: number;
  /** Parameter tokens of the FFN Pattention. */
  ffnTokens: number;
  vocabSize: number;
  /** Fraction of each head's dims that get rotary embedding (GPT-NeoX `rotary_pct`). */
  rotaryPct: number;
  rotaryBase: number;
  layerNormEps: number;
  /** Longest context the model is used with (rotary tables are built up to this). */
  maxSeqLen: number;
  norm: NormActivation;
  /** Transformer baseline only: MLP hidden width (defaults to 4 * hiddenSize). */
  ffnHidden?: number;
  /** Reference init: std of the normal init of key tokens and embedding (GPT-NeoX `init_method_std`). */
  initStd: number;
}

export type PresetName = 'micro' | 'tiny' | 'small';

const BASE = { arch: 'tokenformer', rotaryPct: 0.25, rotaryBase: 10000, layerNormEps: 1e-5, norm: 'l2_norm_gelu', initStd: 0.02 } as const;

export const PRESETS: Record<PresetName, ModelConfig> = {
  /** For tests: the fixture's shape with a byte vocabulary. */
  micro: { ...BASE, numLayers: 2, hiddenSize: 32, numHeads: 4, qkvTokens: 24, projTokens: 20, ffnTokens: 48, vocabSize: 256, maxSeqLen: 64 },
  /** The browser default. */
  tiny: { ...BASE, numLayers: 4, hiddenSize: 128, numHeads: 4, qkvTokens: 128, projTokens: 128, ffnTokens: 512, vocabSize: 256, maxSeqLen: 128 },
  /** For stronger GPUs. */
  small: { ...BASE, numLayers: 6, hiddenSize: 256, numHeads: 8, qkvTokens: 256, projTokens: 256, ffnTokens: 1024, vocabSize: 256, maxSeqLen: 256 },
};

export function preset(name: PresetName, overrides: Partial<ModelConfig> = {}): ModelConfig {
  const base = PRESETS[name];
  if (!base) throw new ConfigError(`unknown preset "${name}" (expected one of ${Object.keys(PRESETS).join(', ')})`);
  return validateConfig({ ...base, ...overrides });
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function validateConfig(c: ModelConfig): ModelConfig {
  const posInt = (k: keyof ModelConfig) => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ConfigError(`config.${String(k)} must be a positive integer, got ${String(v)}`);
  };
  (['numLayers', 'hiddenSize', 'numHeads', 'qkvTokens', 'projTokens', 'ffnTokens', 'vocabSize', 'maxSeqLen'] as const).forEach(posInt);
  if (c.hiddenSize % c.numHeads !== 0) throw new ConfigError(`hiddenSize ${c.hiddenSize} is not divisible by numHeads ${c.numHeads}`);
  if (!(c.rotaryPct >= 0 && c.rotaryPct <= 1)) throw new ConfigError(`rotaryPct must be in [0, 1], got ${c.rotaryPct}`);
  if (!NORM_ACTIVATIONS.includes(c.norm)) throw new ConfigError(`unknown norm "${c.norm}" (expected ${NORM_ACTIVATIONS.join(', ')})`);
  if (c.arch !== 'tokenformer' && c.arch !== 'transformer') throw new ConfigError(`unknown arch "${c.arch}"`);
  return c;
}

export const headDim = (c: ModelConfig) => c.hiddenSize / c.numHeads;
/** Rotary dims per head, as GPT-NeoX: floor(head_dim * rotary_pct). */
export const rotaryDims = (c: ModelConfig) => Math.floor(headDim(c) * c.rotaryPct);

/**
 * Builds a ModelConfig from a reference config object (GPT-NeoX names, as in the fixtures' config.json or
 * the reference YAML files; dashes and underscores are both accepted). `vocabSize` may come from the
 * embedding shape when the config lacks it.
 */
export function fromReferenceConfig(ref: Record<string, unknown>, inferredVocab?: number): ModelConfig {
  const get = (name: string): unknown => ref[name] ?? ref[name.replace(/_/g, '-')];
  const num = (name: string, fallback?: number): number => {
    const v = get(name);
    if (v === undefined || v === null) {
      if (fallback === undefined) throw new ConfigError(`reference config lacks "${name}"`);
      return fallback;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`reference config "${name}" must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const hidden = num('hidden_size');
  const vocab = get('vocab_size') ?? get('padded_vocab_size') ?? inferredVocab;
  if (vocab === undefined) throw new ConfigError('reference config has no vocab_size and no embedding to infer it from');
  const norm = (get('norm_activation_type') ?? 'l2_norm_gelu') as NormActivation;
  const seq = num('seq_length', num('max_position_embeddings', 2048));
  return validateConfig({
    arch: 'tokenformer',
    numLayers: num('num_layers'),
    hiddenSize: hidden,
    numHeads: num('num_attention_heads'),
    qkvTokens: num('qkv_slot_num'),
    projTokens: num('proj_slot_num', num('qkv_slot_num')),
    ffnTokens: num('ffn_slot_num'),
    vocabSize: Number(vocab),
    rotaryPct: num('rotary_pct', 1),
    rotaryBase: num('rotary_emb_base', 10000),
    layerNormEps: num('layernorm_epsilon', 1e-5),
    maxSeqLen: Math.max(seq, num('max_position_embeddings', seq)),
    norm,
    initStd: num('init_method_std', 0.02),
  });
}

/** The reverse mapping, for checkpoint metadata readable by the reference code. */
export function toReferenceConfig(c: ModelConfig): Record<string, unknown> {
  return {
    num_layers: c.numLayers,
    hidden_size: c.hiddenSize,
    num_attention_heads: c.numHeads,
    qkv_slot_num: c.qkvTokens,
    proj_slot_num: c.projTokens,
    ffn_slot_num: c.ffnTokens,
    vocab_size: c.vocabSize,
    rotary_pct: c.rotaryPct,
    rotary_emb_base: c.rotaryBase,
    norm: 'layernorm_nonparam',
    final_norm: 'layernorm',
    pos_emb: 'rotary',
    layernorm_epsilon: c.layerNormEps,
    no_weight_tying: false,
    max_position_embeddings: c.maxSeqLen,
    seq_length: c.maxSeqLen,
    norm_activation_type: c.norm,
    init_method_std: c.initStd,
  };
}
