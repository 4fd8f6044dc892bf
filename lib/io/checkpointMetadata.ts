// The checkpoint's `__metadata__` strings: config, growth, step and training state, as JSON, with checked decoding.
import { z } from 'zod';
import { ConfigError, toReferenceConfig, validateConfig, type ModelConfig } from '../tokenformer/config';
import type { GrowthState } from '../tokenformer/types';
import { modelConfigFromReference } from './configReader';
import { describe, FormatError } from './errors';
import type { TensorShapes } from './validate';

export const CHECKPOINT_FORMAT = 'tokenformer-lab/1';
/** Metadata keys this project writes; anything else is kept as the caller's own. */
export const META = { format: 'format', config: 'config', growth: 'growth', step: 'step', optimizerStep: 'optimizer_step', training: 'training' } as const;
const RESERVED = new Set<string>(Object.values(META));

// Loose: fields added to ModelConfig later survive a round trip through older readers.
const modelConfigSchema = z.looseObject({
  arch: z.enum(['tokenformer', 'transformer']),
  numLayers: z.number(),
  hiddenSize: z.number(),
  numHeads: z.number(),
  qkvTokens: z.number(),
  projTokens: z.number(),
  ffnTokens: z.number(),
  vocabSize: z.number(),
  rotaryPct: z.number(),
  rotaryBase: z.number(),
  layerNormEps: z.number(),
  maxSeqLen: z.number(),
  norm: z.enum(['l2_norm_gelu', 'gelu_l2_norm', 'softmax']),
  ffnHidden: z.number().optional(),
  initStd: z.number(),
});
const growthSchema = z.record(z.string(), z.object({ tokens: z.number().int().positive(), scaleTokens: z.number().positive() }));

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
  const growth = growthSchema.safeParse(m.growth);
  if (!growth.success) throw new FormatError('bad-metadata', `growth state is malformed: ${growth.error.issues[0]?.message}`);
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
  if (meta[META.growth] !== undefined) {
    const g = growthSchema.safeParse(json(meta[META.growth], 'growth'));
    if (!g.success) throw new FormatError('bad-metadata', `metadata "growth" is malformed: ${g.error.issues[0]?.message}`);
    out.growth = g.data;
  }
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
  const parsed = modelConfigSchema.safeParse(lab.model);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FormatError('bad-metadata', `metadata config.tokenformer_lab.model.${issue?.path.join('.')}: ${issue?.message}`);
  }
  try {
    return validateConfig(parsed.data as ModelConfig);
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
