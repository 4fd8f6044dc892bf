// The project checkpoint: one safetensors file, reference tensor names, config/growth/step in __metadata__.
import type { ModelConfig } from '../tokenformer/config';
import type { GrowthState } from '../tokenformer/types';
import type { ByteSource } from './byteSource';
import { decodeMeta, encodeMeta } from './checkpointMetadata';
import { FormatError } from './errors';
import { normaliseKeys } from './keys';
import {
  parseSafetensorsHeader,
  readSafetensors,
  readSafetensorsHeader,
  readTensor,
  safetensorsChunks,
  writeSafetensors,
  type NamedTensor,
  type SafetensorsFile,
  type SafetensorsHeader,
  type TensorInfo,
} from './safetensors';
import type { TensorSink } from './torchBin';
import { checkFinite, inferGrowth, validateTensors, type Layout, type TensorShapes } from './validate';

/** Optimizer moments live beside the weights under this prefix, so a reference export can drop them by name. */
export const OPTIMIZER_PREFIX = '__optimizer__.';
const M_PREFIX = `${OPTIMIZER_PREFIX}exp_avg.`;
const V_PREFIX = `${OPTIMIZER_PREFIX}exp_avg_sq.`;
export const isOptimizerTensor = (name: string) => name.startsWith(OPTIMIZER_PREFIX);

/** AdamW state: first and second moments by parameter name (same length as the parameter). */
export interface OptimizerState {
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export interface CheckpointInput {
  tensors: Map<string, NamedTensor>;
  config: ModelConfig;
  growth: GrowthState;
  step?: number;
  optimizer?: OptimizerState;
  /** Free-form training state (schedule position, data cursor, RNG...), stored as JSON. */
  training?: unknown;
  /** Extra string metadata of the caller's own; must not use the format's keys. */
  metadata?: Record<string, string>;
  /** Expected names/shapes (default: the reference TokenFormer layout; needed to check the transformer baseline). */
  layout?: Layout;
}

export interface DecodedCheckpoint {
  /** Model tensors under reference names (optimizer moments removed). */
  tensors: Map<string, NamedTensor>;
  config?: ModelConfig;
  growth?: GrowthState;
  step?: number;
  optimizer?: OptimizerState;
  training?: unknown;
  /** Metadata keys that are not the format's own. */
  metadata: Record<string, string>;
  warnings: string[];
  format: 'safetensors' | 'torch-zip' | 'torch-legacy';
}

/** A checkpoint whose header (or pickle) is read and checked, its tensor data still in the file. */
export interface CheckpointStream extends Omit<DecodedCheckpoint, 'tensors' | 'optimizer'> {
  /** Reference names and shapes of the model tensors, in the file's order (checked against the config if any). */
  shapes: Map<string, { shape: number[] }>;
  /**
   * Reads the model tensors one at a time, each byte range of the file once, and hands each to `take` under its
   * reference name before reading the next; NaN/Inf found go to `warnings`. Resolves to the optimizer moments
   * when the file holds them. A damaged file can still throw after `take` has seen tensors. Call once.
   */
  read(take: TensorSink): Promise<OptimizerState | undefined>;
}

/** All of a stream's tensors in memory, in the file's order. */
export async function collectCheckpoint(stream: CheckpointStream): Promise<DecodedCheckpoint> {
  const got = new Map<string, NamedTensor>();
  const optimizer = await stream.read((name, t) => void got.set(name, t));
  const { shapes: _s, read: _r, ...rest } = stream;
  const tensors = new Map([...stream.shapes.keys()].filter((n) => got.has(n)).map((n) => [n, got.get(n)!]));
  return { ...rest, tensors, ...(optimizer ? { optimizer } : {}) };
}

export interface DecodeOptions {
  /**
   * Used when the file carries no config (a plain reference checkpoint). A function gets the loaded tensors,
   * e.g. to take the vocabulary size from the embedding.
   */
  config?: ModelConfig | ((tensors: TensorShapes) => ModelConfig);
  /** Check names and shapes against the config (default true; needs a config). */
  validate?: boolean;
  /** Expected names/shapes (default: the reference TokenFormer layout). */
  layout?: Layout;
}

/** All tensors (weights + optimizer moments) and metadata strings of a checkpoint, after checking them. */
function contents(input: CheckpointInput): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  validateTensors(input.tensors, input.config, input.growth, input.layout);
  for (const name of input.tensors.keys()) {
    if (isOptimizerTensor(name)) throw new FormatError('bad-metadata', `model tensor "${name}" uses the reserved ${OPTIMIZER_PREFIX} prefix`);
  }
  const all = new Map(input.tensors);
  const o = input.optimizer;
  if (o) {
    for (const [prefix, moments] of [[M_PREFIX, o.m], [V_PREFIX, o.v]] as const) {
      for (const [name, data] of moments) {
        const p = input.tensors.get(name);
        if (!p) throw new FormatError('missing-tensor', `optimizer moment for "${name}", which is not a model tensor`);
        if (data.length !== p.data.length) throw new FormatError('shape-mismatch', `optimizer moment for "${name}" has ${data.length} values, the parameter ${p.data.length}`);
        all.set(prefix + name, { shape: p.shape, data });
      }
    }
  }
  refuseNonFinite(all);
  const metadata = encodeMeta({ config: input.config, growth: input.growth, step: input.step, optimizerStep: o?.step, training: input.training, extra: input.metadata });
  return { tensors: all, metadata };
}

/**
 * Never writes NaN or Inf: such a file would replace a good checkpoint with one that cannot train. Names the
 * first bad tensor (weights first, then optimizer moments) and its first bad value.
 */
function refuseNonFinite(tensors: Map<string, NamedTensor>): void {
  for (const [name, t] of tensors) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      // v - v is 0 for every finite v, NaN for NaN and ±Inf.
      if (v - v !== 0) throw new FormatError('non-finite', `refusing to save: tensor "${name}" holds ${v} at index ${i} of ${d.length} (non-finite values are never written)`);
    }
  }
}

/** One buffer; fine up to a few hundred MB. For bigger models use `encodeCheckpointChunks`. */
export function encodeCheckpoint(input: CheckpointInput): Uint8Array {
  const c = contents(input);
  return writeSafetensors(c.tensors, c.metadata);
}

/** The same bytes as `encodeCheckpoint`, as header + one chunk per tensor (views, not copies). */
export function encodeCheckpointChunks(input: CheckpointInput): Generator<Uint8Array> {
  const c = contents(input);
  return safetensorsChunks(c.tensors, c.metadata);
}

/** Decodes a checkpoint held in memory. */
export function decodeCheckpoint(bytes: Uint8Array, options: DecodeOptions = {}): DecodedCheckpoint {
  const header = parseSafetensorsHeader(bytes);
  checkHeaderLayout(header, options);
  return finish(readSafetensors(bytes, { unsupported: 'skip' }, header), options);
}

/** Decodes a checkpoint from a random-access source (a File, a file handle), one tensor at a time. */
export async function decodeCheckpointFrom(source: ByteSource, options: DecodeOptions = {}): Promise<DecodedCheckpoint> {
  return collectCheckpoint(await openCheckpointFrom(source, options));
}

/** Reads and checks a safetensors checkpoint's header; its tensors are read one by one when the stream is read. */
export async function openCheckpointFrom(source: ByteSource, options: DecodeOptions = {}): Promise<CheckpointStream> {
  const header = await readSafetensorsHeader(source);
  checkHeaderLayout(header, options);
  const warnings: string[] = [];
  const model = new Map<string, TensorInfo>();
  const moments: TensorInfo[] = [];
  for (const t of header.tensors) {
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') warnings.push(`tensor "${t.name}" left out: not a float32/float16/bfloat16 tensor`);
    else if (isOptimizerTensor(t.name)) moments.push(t);
    else model.set(t.name, t);
  }
  const normal = normaliseKeys(model);
  warnings.push(...normal.warnings);
  const shapes = new Map([...normal.tensors].map(([n, t]) => [n, { shape: [...t.shape] }]));
  const meta = decodeMeta(header.metadata, shapes);
  const { config, growth } = settle(shapes, meta.config, meta.growth, options, warnings);
  let used = false;
  const read = async (take: TensorSink): Promise<OptimizerState | undefined> => {
    if (used) throw new Error('a checkpoint stream is read once');
    used = true;
    for (const [name, info] of normal.tensors) {
      const t = await readTensor(source, header, info.name);
      warnings.push(...checkFinite(new Map([[name, t]])));
      await take(name, t);
    }
    if (!moments.length) return undefined;
    const m = new Map<string, NamedTensor>();
    for (const t of moments) m.set(t.name, await readTensor(source, header, t.name));
    return readMoments(m, shapes, meta.optimizerStep ?? meta.step ?? 0);
  };
  return { format: 'safetensors', config, growth, step: meta.step, training: meta.training, metadata: meta.extra, warnings, shapes, read };
}

/**
 * The layout check of `assemble`, from the header alone: when a config is known (the file's, or the caller's),
 * a tensor the model lacks, a missing one or a wrong shape is refused before any tensor data is read.
 */
function checkHeaderLayout(header: SafetensorsHeader, options: DecodeOptions): void {
  const model = new Map<string, { shape: number[] }>();
  const moments: { name: string; shape: number[] }[] = [];
  for (const t of header.tensors) {
    if (isOptimizerTensor(t.name)) moments.push(t);
    else if (t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16') model.set(t.name, t); // others are skipped
  }
  const shapes = normaliseKeys(model).tensors;
  const meta = decodeMeta(header.metadata, shapes);
  checkLayout(shapes, meta.config, meta.growth, options);
  for (const m of moments) {
    const param = m.name.startsWith(M_PREFIX) ? m.name.slice(M_PREFIX.length) : m.name.startsWith(V_PREFIX) ? m.name.slice(V_PREFIX.length) : undefined;
    if (param === undefined) throw new FormatError('bad-metadata', `unknown optimizer tensor "${m.name}"`);
    const p = shapes.get(param);
    if (!p) throw new FormatError('missing-tensor', `optimizer tensor "${m.name}" has no model tensor "${param}"`);
    if (p.shape.length !== m.shape.length || p.shape.some((d, i) => d !== m.shape[i])) {
      throw new FormatError('shape-mismatch', `optimizer tensor "${m.name}" has shape [${m.shape}], the parameter [${p.shape}]`);
    }
  }
}

/** Names and shapes against the config (the file's, else the caller's); nothing to check without one. */
export function checkLayout(shapes: TensorShapes, fileConfig: ModelConfig | undefined, fileGrowth: GrowthState | undefined, options: DecodeOptions): void {
  if (options.validate === false) return;
  const config = fileConfig ?? (typeof options.config === 'function' ? options.config(shapes) : options.config);
  if (config) validateTensors(shapes, config, fileGrowth ?? inferGrowth(shapes, config), options.layout);
}

function finish(file: SafetensorsFile, options: DecodeOptions): DecodedCheckpoint {
  const warnings = (file.skipped ?? []).map((n) => `tensor "${n}" left out: not a float32/float16/bfloat16 tensor`);
  const model = new Map<string, NamedTensor>();
  const moments = new Map<string, NamedTensor>();
  for (const [n, t] of file.tensors) (isOptimizerTensor(n) ? moments : model).set(n, t);
  const normal = normaliseKeys(model);
  warnings.push(...normal.warnings);
  const meta = decodeMeta(file.metadata, normal.tensors);
  const decoded = assemble(normal.tensors, meta.config, meta.growth, options, warnings, 'safetensors');
  decoded.step = meta.step;
  decoded.training = meta.training;
  decoded.metadata = meta.extra;
  if (moments.size) decoded.optimizer = readMoments(moments, normal.tensors, meta.optimizerStep ?? meta.step ?? 0);
  return decoded;
}

/**
 * Shared tail of every loader: picks the config (the file's, else the caller's), growth (the file's, else
 * read off the shapes), validates, and scans for NaN/Inf.
 */
export function assemble(
  tensors: Map<string, NamedTensor>,
  fileConfig: ModelConfig | undefined,
  fileGrowth: GrowthState | undefined,
  options: DecodeOptions,
  warnings: string[],
  format: DecodedCheckpoint['format'],
): DecodedCheckpoint {
  const { config, growth } = settle(tensors, fileConfig, fileGrowth, options, warnings);
  warnings.push(...checkFinite(tensors));
  return { tensors, config, growth, warnings, metadata: {}, format };
}

/** `assemble` before any tensor data is read: config, growth and the layout check, from names and shapes. */
export function settle(
  shapes: TensorShapes,
  fileConfig: ModelConfig | undefined,
  fileGrowth: GrowthState | undefined,
  options: DecodeOptions,
  warnings: string[],
): { config?: ModelConfig; growth?: GrowthState } {
  const config = fileConfig ?? (typeof options.config === 'function' ? options.config(shapes) : options.config);
  let growth = fileGrowth;
  if (!config) warnings.push('the file carries no model config: pass one (e.g. from the reference config file) to use it');
  else {
    growth ??= inferGrowth(shapes, config);
    if (options.validate !== false) warnings.push(...validateTensors(shapes, config, growth, options.layout));
  }
  return { config, growth };
}

function readMoments(moments: Map<string, NamedTensor>, model: TensorShapes, step: number): OptimizerState {
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [name, t] of moments) {
    const [target, param] = name.startsWith(M_PREFIX) ? [m, name.slice(M_PREFIX.length)] : name.startsWith(V_PREFIX) ? [v, name.slice(V_PREFIX.length)] : [undefined, name];
    if (!target) throw new FormatError('bad-metadata', `unknown optimizer tensor "${name}"`);
    const p = model.get(param);
    if (!p) throw new FormatError('missing-tensor', `optimizer tensor "${name}" has no model tensor "${param}"`);
    if (p.shape.reduce((a, b) => a * b, 1) !== t.data.length) throw new FormatError('shape-mismatch', `optimizer tensor "${name}" has shape [${t.shape}], the parameter [${p.shape}]`);
    target.set(param, t.data);
  }
  return { step, m, v };
}

/**
 * A copy for the reference code: optimizer moments and training state removed; weights, config, growth and
 * step kept (metadata strings are ignored by reference loaders).
 */
export function stripForReference(bytes: Uint8Array): Uint8Array {
  const file = readSafetensors(bytes, { names: (n) => !isOptimizerTensor(n) });
  const { optimizer_step: _o, training: _t, ...metadata } = file.metadata;
  return writeSafetensors(file.tensors, metadata);
}
