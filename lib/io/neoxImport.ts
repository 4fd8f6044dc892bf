// Reads a DeepSpeed checkpoint folder written by the official TokenFormer trainer (or by our export): picks the
// tag (`latest`, else the highest global_stepN), reads `mp_rank_00_model_states.pt` or the per-layer files,
// finds the config beside it, and drops the vocabulary padding the tokenizer never produces.
import { modelConfigFromReference, mergeReferenceConfigs, readReferenceConfig } from './configReader';
import type { ByteSource } from './byteSource';
import { assemble, type DecodedCheckpoint } from './checkpoint';
import { FormatError } from './errors';
import { mergePipelineLayers, normaliseKeys } from './keys';
import { MODEL_STATES, trimVocabulary } from './neoxCheckpoint';
import type { NamedTensor } from './safetensors';
import { readTorchBin } from './torchBin';
import { EMBEDDING } from '../tokenformer/params';
import { readZipDirectory, readZipEntry } from '../zip';

/** A folder (or zip) as relative paths and a way to read each. */
export interface NeoxFileSet {
  paths: string[];
  read(path: string): Promise<Uint8Array | ByteSource>;
}

export interface NeoxImportOptions {
  /** A reference config record (GPT-NeoX names); default: the config files saved beside the checkpoint. */
  referenceConfig?: Record<string, unknown>;
  /** Checkpoint tag (`global_step500`); default: `latest`, else the highest step. */
  tag?: string;
  /** Embedding rows to keep: a number, 'keep' (all, padding included), or default: 256 for byte-level tokenizers. */
  vocab?: number | 'keep';
}

export interface NeoxImport extends DecodedCheckpoint {
  tag: string;
  /** `sequential`: one mp_rank_00 file (pipe_parallel_size <= 1); `pipeline`: one file per layer. */
  layout: 'sequential' | 'pipeline';
  /** What the import decided (tag, config source, vocabulary), for the user. */
  notes: string[];
}

const STATE_FILE = /(?:^|\/)(mp_rank_00_model_states\.pt|layer_\d+-model_\d+-model_states\.pt)$/;
const CONFIG_FILE = /\.(ya?ml|json)$/i;
const BYTE_TOKENIZERS = ['charleveltokenizer'];
const MAX_STATE_FILES = 10000;

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const baseOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
const stepOf = (dir: string) => {
  const m = /global_step(\d+)$/.exec(baseOf(dir));
  return m ? Number(m[1]) : -1;
};

export async function importNeox(set: NeoxFileSet, opts: NeoxImportOptions = {}): Promise<NeoxImport> {
  const paths = set.paths.map((p) => p.replace(/\\/g, '/').replace(/^\.\//, ''));
  const byPath = new Map(paths.map((p, i) => [p, set.paths[i]]));
  const read = (p: string) => set.read(byPath.get(p) ?? p);
  const notes: string[] = [];
  const groups = new Map<string, string[]>();
  for (const p of paths) {
    if (!STATE_FILE.test(p)) continue;
    const d = dirOf(p);
    groups.set(d, [...(groups.get(d) ?? []), p]);
  }
  if (groups.size === 0) throw new FormatError('missing-tensor', 'no DeepSpeed checkpoint here: expected global_stepN/mp_rank_00_model_states.pt or layer_XX-model_00-model_states.pt files');
  if ([...groups.values()].reduce((a, g) => a + g.length, 0) > MAX_STATE_FILES) throw new FormatError('unsupported', `more than ${MAX_STATE_FILES} checkpoint files`);
  const dir = await chooseTag(groups, paths, read, opts.tag, notes);
  const tag = baseOf(dir) || 'global_step0';

  const files = groups.get(dir)!;
  const layers = files.filter((f) => baseOf(f).startsWith('layer_'));
  let tensors: Map<string, NamedTensor>;
  const warnings: string[] = [];
  let layout: NeoxImport['layout'];
  if (layers.length) {
    layout = 'pipeline';
    const loaded = [];
    for (const f of layers.sort()) {
      const bin = await readTorchBin(await read(f));
      warnings.push(...bin.warnings.filter((w) => !/non-tensor entr/.test(w)));
      loaded.push({ filename: baseOf(f), tensors: bin.tensors });
    }
    const merged = mergePipelineLayers(loaded);
    tensors = merged.tensors;
    warnings.push(...merged.warnings);
  } else {
    layout = 'sequential';
    // The model-states file pickles DeepSpeed's config object, numpy RNG state and more: those stay inert.
    const bin = await readTorchBin(await read(join(dir, MODEL_STATES)), { entry: 'module', allowUnknownGlobals: true });
    const normal = normaliseKeys(bin.tensors);
    tensors = normal.tensors;
    warnings.push(...normal.warnings);
  }
  notes.push(`read ${layout === 'pipeline' ? `${layers.length} layer files` : MODEL_STATES} of ${tag}`);

  const record = opts.referenceConfig ?? (await findConfig(dir, paths, read, notes));
  const rows = tensors.get(EMBEDDING)?.shape[0];
  if (rows === undefined) throw new FormatError('missing-tensor', `the checkpoint has no ${EMBEDDING}`);
  const tokenizer = String(record.tokenizer_type ?? '').toLowerCase();
  const keep = opts.vocab === 'keep' ? rows : typeof opts.vocab === 'number' ? opts.vocab : BYTE_TOKENIZERS.includes(tokenizer) ? Math.min(256, rows) : rows;
  if (!Number.isInteger(keep) || keep < 1 || keep > rows) throw new FormatError('unsupported', `cannot keep ${keep} of the ${rows} vocabulary rows`);
  if (keep < rows) {
    tensors = trimVocabulary(tensors, keep);
    notes.push(`vocabulary: kept the first ${keep} of ${rows} embedding rows (the rest is padding the ${record.tokenizer_type ?? 'tokenizer'} never produces)`);
  }
  const full = { ...inferSlots(record, tensors), ...withoutVocab(record) };
  const config = modelConfigFromReference(full, tensors);
  const decoded = assemble(tensors, config, undefined, {}, warnings, 'torch-zip');
  decoded.step = Math.max(0, stepOf(dir));
  return { ...decoded, tag, layout, notes };
}

async function chooseTag(groups: Map<string, string[]>, paths: string[], read: (p: string) => Promise<Uint8Array | ByteSource>, tag: string | undefined, notes: string[]): Promise<string> {
  const dirs = [...groups.keys()];
  if (tag !== undefined) {
    const d = dirs.find((x) => baseOf(x) === tag);
    if (d === undefined) throw new FormatError('missing-tensor', `no checkpoint tagged ${tag} (found ${dirs.map(baseOf).join(', ')})`);
    return d;
  }
  if (dirs.length === 1) return dirs[0];
  for (const p of paths.filter((x) => baseOf(x) === 'latest')) {
    const text = new TextDecoder().decode(await bytesOf(await read(p), 256)).trim();
    const d = join(dirOf(p), text);
    if (groups.has(d)) {
      notes.push(`"latest" names ${text}`);
      return d;
    }
  }
  const best = dirs.reduce((a, b) => (stepOf(b) > stepOf(a) ? b : a));
  notes.push(`no "latest" file: took the highest step, ${baseOf(best)}`);
  return best;
}

/** Config files the reference saved with the checkpoint (global_stepN/configs/), else a config.yml up the tree. */
async function findConfig(dir: string, paths: string[], read: (p: string) => Promise<Uint8Array | ByteSource>, notes: string[]): Promise<Record<string, unknown>> {
  const saved = paths.filter((p) => dirOf(p) === join(dir, 'configs') && CONFIG_FILE.test(p)).sort();
  let chosen = saved;
  if (!chosen.length) {
    for (let d = dirOf(dir); ; d = dirOf(d)) {
      const c = paths.find((p) => p === join(d, 'config.yml') || p === join(d, 'config.yaml'));
      if (c) {
        chosen = [c];
        break;
      }
      if (!d) break;
    }
  }
  if (!chosen.length) throw new FormatError('bad-config', 'no config found beside the checkpoint (global_stepN/configs/ or config.yml): pass the training config');
  const records = [];
  for (const p of chosen) records.push(readReferenceConfig(new TextDecoder().decode(await bytesOf(await read(p), 4 << 20)), baseOf(p)));
  notes.push(`config from ${chosen.join(', ')}`);
  return mergeReferenceConfigs(records);
}

async function bytesOf(x: Uint8Array | ByteSource, max: number): Promise<Uint8Array> {
  if (x instanceof Uint8Array) return x.subarray(0, max);
  return x.read(0, Math.min(max, x.size));
}

/** Slot counts read off the tensors when the config lacks them (layer 0 is `sequential.2`). */
function inferSlots(record: Record<string, unknown>, tensors: Map<string, NamedTensor>): Record<string, unknown> {
  const rows = (n: string) => tensors.get(`sequential.2.${n}.key_param_tokens`)?.shape[0];
  return { qkv_slot_num: record.qkv_slot_num ?? rows('attention.query'), proj_slot_num: record.proj_slot_num ?? rows('attention.proj'), ffn_slot_num: record.ffn_slot_num ?? rows('mlp') };
}

/** The vocabulary comes from the (trimmed) embedding, never from a config that counts the padding differently. */
function withoutVocab(record: Record<string, unknown>): Record<string, unknown> {
  const { vocab_size: _v, padded_vocab_size: _p, ...rest } = record;
  return rest;
}

/** A zip (of a checkpoints folder or of one global_stepN folder) as a file set; entries are read when asked. */
export async function zipFileSet(source: ByteSource): Promise<NeoxFileSet> {
  const entries = await readZipDirectory(source);
  const names = [...entries.keys()].filter((n) => !n.endsWith('/'));
  return { paths: names, read: async (p) => readZipEntry(source, entries.get(p)!) };
}
