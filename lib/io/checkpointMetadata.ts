// The checkpoint's `__metadata__` strings: config, growth, step and training state, as JSON, with checked decoding.
import { CONFIG_LIMITS, ConfigError, MAX_PATTENTION_TOKENS, showValue, toReferenceConfig, validateConfig, type ModelConfig } from '../tokenformer/config';
import type { GrowthState } from '../tokenformer/types';
import { modelConfigFromReference } from './configReader';
import { describe, FormatError } from './errors';
import type { TensorShapes } from './validate';

export const CHECKPOINT_FORMAT = 'tokenformer-lab/1';
/** Metadata keys this project writes; anything else is kept as the caller's own. */
export const META = { format: 'format', config: 'config', growth: 'growth', step: 'step', optimizerStep: 'optimizer_step', training: 'training' } as const;
const RESERVED = new Set<string>(Object.values(META));

/** Pattentions per layer: the most growth entries a config can name is this times its layers. */
const PATTENTIONS_PER_LAYER = 5;

/**
 * Checks a growth state read from (or about to be written to) a file: at most one entry per Pattention a config
 * can have, token counts within MAX_PATTENTION_TOKENS, 1 ≤ scaleTokens ≤ tokens. Names are matched against the
 * config when the model is built (assertGrowthState).
 */
function checkGrowth(value: unknown, what: string, config?: ModelConfig): GrowthState {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FormatError('bad-metadata', `${what} is not a JSON object`);
  const entries = Object.entries(value);
  const most = config ? (config.arch === 'tokenformer' ? config.numLayers * PATTENTIONS_PER_LAYER : 0) : CONFIG_LIMITS.numLayers * PATTENTIONS_PER_LAYER;
  if (entries.length > most) throw new FormatError('bad-metadata', `${what} names ${entries.length} Pattentions; the model has at most ${most}`);
  const out: GrowthState = {};
  for (const [name, s] of entries) {
    const { tokens, scaleTokens } = (typeof s === 'object' && s !== null ? s : {}) as { tokens?: unknown; scaleTokens?: unknown };
    if (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens < 1 || tokens > MAX_PATTENTION_TOKENS) {
      throw new FormatError('bad-metadata', `${what} ${showValue(name)}: tokens must be an integer from 1 to ${MAX_PATTENTION_TOKENS.toLocaleString('en-US')}, got ${showValue(tokens)}`);
    }
    if (typeof scaleTokens !== 'number' || !(scaleTokens >= 1 && scaleTokens <= tokens)) {
      throw new FormatError('bad-metadata', `${what} ${showValue(name)}: scaleTokens must be a number from 1 to its ${tokens} tokens, got ${showValue(scaleTokens)}`);
    }
    out[name] = { tokens, scaleTokens };
  }
  return out;
}

export interface CheckpointMeta {
  config: ModelConfig;
  growth: GrowthState;
  step?: number;
  optimizerStep?: number;
  training?: unknown;
  extra?: Record<string, string>;
}

/** Writes the metadata strings. `config` is the reference config plus our exact ModelConfig under `tokenformer_lab`. */
export function encodeMeta(m: CheckpointMeta): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(m.extra ?? {})) {
    if (RESERVED.has(k)) throw new FormatError('bad-metadata', `metadata key "${k}" is reserved for the checkpoint format`);
    out[k] = v;
  }
  checkGrowth(m.growth, 'growth state', m.config);
  out[META.format] = CHECKPOINT_FORMAT;
  out[META.config] = JSON.stringify({ ...toReferenceConfig(m.config), tokenformer_lab: { version: 1, arch: m.config.arch, model: m.config } });
  out[META.growth] = JSON.stringify(m.growth);
  if (m.step !== undefined) out[META.step] = String(checkStep(m.step, 'step'));
  if (m.optimizerStep !== undefined) out[META.optimizerStep] = String(checkStep(m.optimizerStep, 'optimizer step'));
  if (m.training !== undefined) out[META.training] = JSON.stringify(m.training);
  return out;
}

export interface DecodedMeta {
  config?: ModelConfig;
  growth?: GrowthState;
  step?: number;
  optimizerStep?: number;
  training?: unknown;
  /** Keys that are not ours, passed through. */
  extra: Record<string, string>;
}

/**
 * Reads the metadata strings. Files written by others (no `config`) decode to an empty result; our own keys
 * that are present but malformed throw FormatError('bad-metadata') rather than being silently dropped.
 */
export function decodeMeta(meta: Record<string, string>, tensors: TensorShapes): DecodedMeta {
  const out: DecodedMeta = { extra: Object.fromEntries(Object.entries(meta).filter(([k]) => !RESERVED.has(k))) };
  if (meta[META.config] !== undefined) out.config = decodeConfig(meta[META.config], tensors);
  if (meta[META.growth] !== undefined) out.growth = checkGrowth(json(meta[META.growth], 'growth'), 'metadata "growth"', out.config);
  if (meta[META.step] !== undefined) out.step = parseStep(meta[META.step], 'step');
  if (meta[META.optimizerStep] !== undefined) out.optimizerStep = parseStep(meta[META.optimizerStep], 'optimizer_step');
  if (meta[META.training] !== undefined) out.training = json(meta[META.training], 'training');
  return out;
}

function decodeConfig(text: string, tensors: TensorShapes): ModelConfig {
  const ref = json(text, 'config');
  if (typeof ref !== 'object' || ref === null || Array.isArray(ref)) throw new FormatError('bad-metadata', 'metadata "config" is not a JSON object');
  const lab = (ref as { tokenformer_lab?: { model?: unknown } }).tokenformer_lab;
  if (lab?.model === undefined) {
    try {
      return modelConfigFromReference(ref as Record<string, unknown>, tensors);
    } catch (e) {
      if (e instanceof ConfigError) throw new FormatError('bad-metadata', `metadata config is invalid: ${e.message}`);
      throw e;
    }
  }
  // validateConfig checks every field's type and bounds; unknown fields (added by later versions) pass through.
  try {
    return validateConfig(lab.model as ModelConfig, (k) => `config.tokenformer_lab.model.${k}`);
  } catch (e) {
    if (e instanceof ConfigError) throw new FormatError('bad-metadata', `metadata config is invalid: ${e.message}`);
    throw e;
  }
}

function json(text: string, key: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new FormatError('bad-metadata', `metadata "${key}" is not valid JSON: ${describe(text)}`);
  }
}

function checkStep(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new FormatError('bad-metadata', `${what} must be a non-negative integer, got ${n}`);
  return n;
}

function parseStep(s: string, key: string): number {
  if (!/^\d{1,15}$/.test(s)) throw new FormatError('bad-metadata', `metadata "${key}" is not a step number: ${describe(s)}`);
  return Number(s);
}
