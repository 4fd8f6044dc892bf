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

/**
 * The largest value each size may take. Generous (a 7B-class shape passes) because they only stop nonsense and
 * overflow early, before any loop or allocation; whether a model fits is the memory budget's call (see budget).
 */
export const CONFIG_LIMITS = {
  numLayers: 256,
  hiddenSize: 16_384,
  numHeads: 256,
  qkvTokens: 1 << 20,
  projTokens: 1 << 20,
  ffnTokens: 1 << 20,
  vocabSize: 1 << 20,
  maxSeqLen: 1 << 17,
  ffnHidden: 1 << 18,
} as const;
/** Parameter tokens one Pattention may hold, growth included. */
export const MAX_PATTENTION_TOKENS = 1 << 20;

/** Accepted ranges of the real-valued settings: [min, max], with `open` when min itself is excluded. */
export const NUMERIC_LIMITS = {
  rotaryPct: { min: 0, max: 1, open: false },
  rotaryBase: { min: 0, max: 1e12, open: true },
  // Below ~1e-30 ε vanishes next to float32 variances and a constant input divides 0 by 0.
  layerNormEps: { min: 1e-30, max: 1, open: false },
  initStd: { min: 0, max: 1, open: true },
} as const;

/**
 * A value as an error message should show it: numbers as JavaScript writes them (NaN, Infinity, 300000000), never
 * JSON's "null" for a non-finite number; strings quoted; anything long cut short.
 */
export function showValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === undefined || v === null) return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

type SizeKey = keyof typeof CONFIG_LIMITS;

/** How a message names a setting: `config.numLayers` by default, the reference name for reference configs. */
export type SettingLabel = (key: keyof ModelConfig) => string;
const ownLabel: SettingLabel = (k) => `config.${k}`;

function checkSize(c: ModelConfig, k: SizeKey, label: SettingLabel): void {
  const v: unknown = c[k];
  const max = CONFIG_LIMITS[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new ConfigError(`${label(k)} must be a positive integer, got ${showValue(v)}`);
  if (v > max) throw new ConfigError(`${label(k)} = ${v} is larger than this lab accepts (at most ${max.toLocaleString('en-US')})`);
}

function checkReal(c: ModelConfig, k: keyof typeof NUMERIC_LIMITS, label: SettingLabel): void {
  const v: unknown = c[k];
  const { min, max, open } = NUMERIC_LIMITS[k];
  const range = `${open ? '(' : '['}${min}, ${max}]`;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${label(k)} must be a finite number in ${range}, got ${showValue(v)}`);
  if (v > max || v < min || (open && v === min)) throw new ConfigError(`${label(k)} must be in ${range}, got ${showValue(v)}`);
}

/**
 * Checks every field (type, bounds, consistency) before anything is sized from it, and returns `c`; throws
 * ConfigError naming the first problem.
 */
export function validateConfig(c: ModelConfig, label: SettingLabel = ownLabel): ModelConfig {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new ConfigError(`a model config must be an object, got ${showValue(c)}`);
  if (c.arch !== 'tokenformer' && c.arch !== 'transformer') throw new ConfigError(`unknown arch ${showValue(c.arch)} (expected tokenformer or transformer)`);
  (['numLayers', 'hiddenSize', 'numHeads', 'qkvTokens', 'projTokens', 'ffnTokens', 'vocabSize', 'maxSeqLen'] as const).forEach((k) => checkSize(c, k, label));
  if (c.ffnHidden !== undefined) checkSize(c, 'ffnHidden', label);
  if (c.hiddenSize % c.numHeads !== 0) throw new ConfigError(`${label('hiddenSize')} ${c.hiddenSize} is not divisible by ${label('numHeads')} ${c.numHeads}`);
  (['rotaryPct', 'rotaryBase', 'layerNormEps', 'initStd'] as const).forEach((k) => checkReal(c, k, label));
  // Rotary turns dims in pairs; an odd count would fail only at the first forward pass.
  const r = rotaryDims(c);
  if (r % 2 !== 0) throw new ConfigError(`rotary dims floor(head dim ${headDim(c)} × ${label('rotaryPct')} ${c.rotaryPct}) = ${r} must be even`);
  if (!NORM_ACTIVATIONS.includes(c.norm)) throw new ConfigError(`unknown ${label('norm')} ${showValue(c.norm)} (expected ${NORM_ACTIVATIONS.join(', ')})`);
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
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`reference config "${name}" must be a finite number, got ${showValue(v)}`);
    return v;
  };
  const hidden = num('hidden_size');
  const vocabKey = ['vocab_size', 'padded_vocab_size'].find((k) => get(k) !== undefined && get(k) !== null);
  const vocab = vocabKey ? num(vocabKey) : inferredVocab;
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
    vocabSize: vocab,
    rotaryPct: num('rotary_pct', 1),
    rotaryBase: num('rotary_emb_base', 10000),
    layerNormEps: num('layernorm_epsilon', 1e-5),
    maxSeqLen: Math.max(seq, num('max_position_embeddings', seq)),
    norm,
    initStd: num('init_method_std', 0.02),
  }, (k) => `reference config "${REFERENCE_NAMES[k]}"`);
}

/** The reference setting each field is read from, for messages. */
const REFERENCE_NAMES: Record<keyof ModelConfig, string> = {
  arch: 'arch',
  numLayers: 'num_layers',
  hiddenSize: 'hidden_size',
  numHeads: 'num_attention_heads',
  qkvTokens: 'qkv_slot_num',
  projTokens: 'proj_slot_num',
  ffnTokens: 'ffn_slot_num',
  vocabSize: 'vocab_size',
  rotaryPct: 'rotary_pct',
  rotaryBase: 'rotary_emb_base',
  layerNormEps: 'layernorm_epsilon',
  maxSeqLen: 'seq_length',
  norm: 'norm_activation_type',
  ffnHidden: 'ffn_hidden',
  initStd: 'init_method_std',
};

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
