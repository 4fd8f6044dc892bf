// Reference config files (JSON, GPT-NeoX's Python-dict-style YAML) -> one merged record -> ModelConfig.
import { parseDocument } from 'yaml';
import { fromReferenceConfig, type ModelConfig } from '../tokenformer/config';
import { FormatError } from './errors';
import type { TensorShapes } from './validate';

/** Config files are small; anything bigger is a wrong file, not a config. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const EMBEDDING = 'sequential.0.word_embeddings.weight';

// GPT-NeoX configs are read by PyYAML but written like Python dicts: `True`/`False` are already booleans in
// YAML 1.2's core schema; `None` is not, so it gets its own implicit tag (plain scalars only, not "None").
const pythonNone = {
  tag: 'tag:yaml.org,2002:null',
  default: true,
  test: /^None$/,
  resolve: () => null,
};

/**
 * Parses one config file into a plain record with dashes in keys turned to underscores (as NeoX does).
 * `filename` picks the parser (`.json` strict JSON, anything else YAML, which also accepts JSON) and names
 * the file in errors. Throws FormatError('bad-config').
 */
export function readReferenceConfig(text: string, filename: string): Record<string, unknown> {
  if (text.length > MAX_CONFIG_BYTES) throw new FormatError('bad-config', `${filename}: ${text.length} characters is too large for a config file`);
  let value: unknown;
  try {
    if (/\.json$/i.test(filename)) value = JSON.parse(text);
    else {
      const doc = parseDocument(text, { customTags: [pythonNone], uniqueKeys: true, prettyErrors: false });
      // Warnings (unknown tags such as !!python/object, ambiguous anchors) mean the file is not the plain
      // settings dict NeoX writes; refusing is clearer than guessing.
      const problem = doc.errors[0] ?? doc.warnings[0];
      if (problem) throw problem;
      value = doc.toJS({ maxAliasCount: 100 });
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new FormatError('bad-config', `${filename}: not valid ${/\.json$/i.test(filename) ? 'JSON' : 'YAML'}: ${msg}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Map) {
    throw new FormatError('bad-config', `${filename}: expected a mapping of settings at the top level`);
  }
  // fromEntries defines own properties, so a "__proto__" key stays a plain (ignored) setting.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/-/g, '_'), v]));
}

/** Merges several configs, later files winning key by key (NeoX splits model/training/eval settings). */
export function mergeReferenceConfigs(records: Record<string, unknown>[]): Record<string, unknown> {
  return Object.fromEntries(records.flatMap((r) => Object.entries(r)));
}

/**
 * Builds the ModelConfig. With tensors, the vocabulary size comes from the embedding's rows: NeoX pads
 * the tokenizer's vocabulary (`make_vocab_size_divisible_by`), so the weights, not the config, decide it.
 * Throws ConfigError (from fromReferenceConfig) for missing or invalid settings.
 */
export function modelConfigFromReference(record: Record<string, unknown>, tensors?: TensorShapes): ModelConfig {
  const emb = tensors?.get(EMBEDDING);
  const rows = emb && emb.shape.length === 2 ? emb.shape[0] : undefined;
  const ref = rows !== undefined ? { ...record, vocab_size: rows, padded_vocab_size: rows } : record;
  return fromReferenceConfig(ref, rows);
}

/** The whole path: files (in merge order) -> ModelConfig. */
export function readModelConfig(files: { text: string; filename: string }[], tensors?: TensorShapes): ModelConfig {
  if (!files.length) throw new FormatError('bad-config', 'no config files given');
  return modelConfigFromReference(mergeReferenceConfigs(files.map((f) => readReferenceConfig(f.text, f.filename))), tensors);
}
