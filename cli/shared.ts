// Helpers the CLI commands share: an in-process engine, reading checkpoints/configs/data from disk, writing files.
import { readFile, mkdir, stat } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import { basename, dirname, extname } from 'node:path';
import { SYNTHETIC_TASKS, padVocab, type SyntheticTask } from '../lib/data';
import { readBytes } from '../lib/data/node/files';
import { defaultCacheDir } from '../lib/data/node/download';
import { Engine } from '../lib/engine/engine';
import { DEFAULT_SHARE, formatBytes, MIN_BUDGET_BYTES, parseBytes, type MemoryBudget } from '../lib/engine/budget';
import { isBackendName } from '../lib/engine/backend';
import { installNodeWebGPU } from './nodeWebgpu';
import { resolveThreads, workerShardRunner } from './replicas/pool';
import type { DataSpec } from '../lib/engine/types';
import { mergeReferenceConfigs, readReferenceConfig } from '../lib/io';
import { openFileSource, writeFileAtomic } from '../lib/io/nodeFile';
import { NORM_ACTIVATIONS, type NormActivation } from '../lib/tokenformer/config';
import { UsageError } from './args';
import { progressBar } from './progress';

/** The flag every command that builds or grows a model takes. */
export const memoryBudgetFlag = { type: 'string', help: "memory a model and its training may take, e.g. 2GB or 512MB (default: half of this machine's)" } as const;

/** Of what is free right now, the most a default budget takes (other programs keep running). */
const FREE_SHARE = 0.8;

/**
 * The budget from `--memory-budget`, else half of this machine's memory (or of its cgroup limit, when lower), and
 * no more than 80% of what is free now. Read before anything else, so a bad value fails at once.
 */
export function cliMemoryBudget(flag: unknown): MemoryBudget {
  const raise = 'raise it with --memory-budget';
  if (flag !== undefined) return { bytes: parseBytes(flag, '--memory-budget'), source: `--memory-budget ${String(flag).trim()}`, raise };
  const limit = process.constrainedMemory?.() ?? 0;
  const total = limit > 0 && limit < totalmem() ? limit : totalmem();
  const free = freemem();
  const bytes = Math.max(MIN_BUDGET_BYTES, Math.min(total * DEFAULT_SHARE, free * FREE_SHARE));
  const source = total * DEFAULT_SHARE <= free * FREE_SHARE ? `half of this machine's ${formatBytes(total)}` : `80% of the ${formatBytes(free)} free now`;
  return { bytes, source, raise };
}

/** The flag of commands that train: data-parallel threads (cli/replicas). */
export const threadsFlag = { type: 'string', default: '1', help: 'threads a training step is split over (data parallel, one wasm instance each): a count or auto (this machine\'s cores); results match 1 up to float rounding' } as const;

export async function openEngine(backend: unknown = 'wasm', memoryBudget?: unknown, threadsSpec?: unknown): Promise<Engine> {
  let threads: number;
  try {
    threads = resolveThreads(threadsSpec ?? 1);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (backend !== undefined && !isBackendName(backend)) throw new UsageError(`unknown backend "${String(backend)}" (wasm, cpu or webgpu in Node)`);
  if (backend === 'webgpu') {
    const reason = await installNodeWebGPU();
    if (reason) process.stderr.write(`note: WebGPU unavailable: ${reason}\n`);
  }
  const engine = new Engine({ memoryBudget: cliMemoryBudget(memoryBudget), dataParallel: threads, shardRunner: workerShardRunner });
  const info = await engine.init({ backend });
  if (info.backend !== backend) process.stderr.write(`note: using ${info.backend} (${info.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')})\n`);
  return engine;
}

export async function readConfigFiles(spec: unknown): Promise<Record<string, unknown> | undefined> {
  if (typeof spec !== 'string') return undefined;
  const files = spec.split(',').filter(Boolean);
  const records = await Promise.all(files.map(async (f) => readReferenceConfig(await readFile(f, 'utf8'), basename(f))));
  return mergeReferenceConfigs(records);
}

export function normOverride(norm: unknown): { norm?: NormActivation } {
  if (norm === undefined) return {};
  if (!NORM_ACTIVATIONS.includes(norm as NormActivation)) throw new UsageError(`--norm must be one of ${NORM_ACTIVATIONS.join(', ')}`);
  return { norm: norm as NormActivation };
}

/** Loads a checkpoint file (.safetensors, .bin, .pt) into the engine, read from disk one tensor at a time. */
export async function loadCheckpointFile(engine: Engine, path: string, configSpec?: unknown, norm?: unknown) {
  const referenceConfig = await readConfigFiles(configSpec);
  const overrides = normOverride(norm);
  const source = await openFileSource(path);
  try {
    return await engine.loadCheckpoint(source, basename(path), { referenceConfig, overrides });
  } finally {
    await source.close();
  }
}

/** Largest tokenizer.json read from disk (the reader checks again; this stops a wrong path early). */
const MAX_TOKENIZER_FILE = 32 * 1024 * 1024;

/**
 * Gives the engine the tokenizer.json at `path` (GPT-NeoX-20B's for the published models). With the model's
 * config record, says when the padding rule (`make_vocab_size_divisible_by`, default 128) would give another width
 * than the embedding has: the weights decide, so it is a note, not an error.
 */
export async function loadTokenizerFile(engine: Engine, path: string, reference?: Record<string, unknown>) {
  const info = await stat(path).catch(() => {
    throw new UsageError(`cannot read --tokenizer ${path}`);
  });
  if (!info.isFile() || info.size > MAX_TOKENIZER_FILE) throw new UsageError(`--tokenizer ${path} is not a tokenizer.json (${info.size.toLocaleString('en-US')} bytes)`);
  const tok = await engine.setTokenizer({ json: await readFile(path, 'utf8'), name: basename(path) });
  const rows = (await engine.modelInfo())?.config.vocabSize;
  const div = Number(reference?.make_vocab_size_divisible_by ?? 128) * Number(reference?.model_parallel_size ?? 1);
  if (rows !== undefined && Number.isInteger(div) && div > 0 && padVocab(tok.vocabSize, div) !== rows) {
    process.stderr.write(`note: ${basename(path)} has ${tok.vocabSize} ids, padded to ${padVocab(tok.vocabSize, div)}, but the model has ${rows} embedding rows\n`);
  }
  return tok;
}

/** Writes an output file atomically: a crash or error mid-save leaves the previous file as it was. */
export async function writeOutput(path: string, data: Uint8Array | string) {
  await mkdir(dirname(path) || '.', { recursive: true });
  await writeFileAtomic(path, data);
}

/**
 * Data spec from the command line: a synthetic task name (`copy`, `synthetic:sort`), `enwik8` (the cached
 * download), a `.zip` or a file named enwik8 (enwik8 import), or any other file (text, split 90/5/5).
 */
export async function readDataSpec(spec: string, opts: { seed?: number; maxBytes?: number } = {}): Promise<DataSpec> {
  const task = spec.replace(/^synthetic:/, '');
  if ((SYNTHETIC_TASKS as readonly string[]).includes(task)) return { kind: 'synthetic', task: task as SyntheticTask, seed: opts.seed ?? 0 };
  if (spec === 'enwik8') {
    const path = `${defaultCacheDir()}/enwik8.zip`;
    const bytes = await readBytes(path).catch(() => {
      throw new UsageError(`enwik8 is not in the cache (${path}): run \`npm run -s tokenformer -- data enwik8\` first, or pass --data path/to/enwik8.zip`);
    });
    return { kind: 'enwik8', name: 'enwik8', bytes, maxBytes: opts.maxBytes };
  }
  const bytes = await readBytes(spec).catch((e: Error) => {
    throw new UsageError(`cannot read data file ${spec}: ${e.message} (or use a synthetic task: ${SYNTHETIC_TASKS.join(', ')})`);
  });
  const name = basename(spec);
  if (extname(spec) === '.zip' || name.startsWith('enwik8')) return { kind: 'enwik8', name, bytes, maxBytes: opts.maxBytes, partial: opts.maxBytes !== undefined };
  return { kind: 'text', name, bytes };
}

/** Data loading with a progress bar for the long imports (enwik8). */
export async function loadDataWithProgress(engine: Engine, spec: DataSpec) {
  let bar: ReturnType<typeof progressBar> | null = null;
  const info = await engine.loadData(spec, (p) => {
    if (!p.total) return;
    bar ??= progressBar(p.label, p.total);
    bar.update(p.done);
  });
  (bar as ReturnType<typeof progressBar> | null)?.finish();
  return info;
}
