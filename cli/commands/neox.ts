// CLI commands for scaling out: export-neox (a folder the official GPT-NeoX-based trainer runs) and import-neox
// (its DeepSpeed checkpoints back to a lab checkpoint).
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { readBytes } from '../../lib/data/node/files';
import { loadCorpus } from '../../lib/data';
import { modelLayout } from '../../lib/engine/glue';
import { encodeCheckpoint, loadAnyCheckpoint } from '../../lib/io';
import { exportNeox } from '../../lib/io/neoxExport';
import { maxLogitChange, probeIds } from '../../lib/io/neoxGrowth';
import { importNeox, zipFileSet, type NeoxFileSet } from '../../lib/io/neoxImport';
import { openFileSource } from '../../lib/io/nodeFile';
import { UsageError, type CommandSpec, type ParsedFlags } from '../args';
import { openEngine, readConfigFiles, readDataSpec, writeOutput } from '../shared';

export const exportNeoxSpec: CommandSpec = {
  name: 'export-neox',
  summary: 'Write a folder the official TokenFormer trainer (GPT-NeoX + DeepSpeed) runs as it is: config, checkpoint, data, launch README.',
  usage: 'tokenformer export-neox --checkpoint F.safetensors [--data D] [--steps N] --out DIR',
  flags: {
    checkpoint: { type: 'string', required: true, help: 'the lab model (.safetensors, or a reference .bin/.pt with --config)' },
    config: { type: 'string', help: 'reference config when the checkpoint carries none' },
    data: { type: 'string', help: 'training data to export as the mmap dataset: text file, enwik8 .zip, or a synthetic task' },
    'max-bytes': { type: 'number', help: 'use only the first N bytes of enwik8' },
    out: { type: 'string', required: true, help: 'the folder to write (must be empty or new)' },
    steps: { type: 'number', default: 1000, help: 'train_iters on the cluster' },
    tokenizer: { type: 'string', choices: ['byte', 'char', 'bpe'], help: 'byte (exact, default for byte models), char (CharLevelTokenizer, vocab padded to 512), bpe (GPT-NeoX-20B)' },
    start: { type: 'string', default: 'finetune', choices: ['finetune', 'partial-init'], help: 'how the trainer takes the weights: load + finetune, or pretrain_partial_init (restart-safe)' },
    lr: { type: 'number', default: 1e-3, help: 'peak learning rate (the lab default)' },
    'min-lr': { type: 'number', help: 'final learning rate (default lr/10, as in the lab)' },
    warmup: { type: 'number', help: 'warmup steps (default min(100, steps/10), as in the lab)' },
    batch: { type: 'number', default: 16, help: 'micro batch per GPU' },
    seq: { type: 'number', help: 'context length (default: the model\'s)' },
    'weight-decay': { type: 'number', default: 0.1, help: 'AdamW weight decay' },
    precision: { type: 'string', default: 'fp16', choices: ['fp16', 'bf16'], help: 'training precision (flash-attn needs fp16 or bf16)' },
    'save-every': { type: 'number', help: 'checkpoint_factor (default min(1000, steps))' },
    root: { type: 'string', help: 'where the folder sits relative to the TokenFormer checkout (default: its name)' },
    force: { type: 'boolean', help: 'write into a folder that already has files' },
    backend: { type: 'string', default: 'wasm', choices: ['wasm', 'cpu'], help: 'tfjs backend for the growth measurement' },
  },
};

export async function exportNeoxCommand(f: ParsedFlags) {
  const path = String(f.checkpoint);
  const out = String(f.out);
  await ensureEmpty(out, Boolean(f.force));
  const ck = await loadAnyCheckpoint(await readBytes(path), basename(path), { referenceConfig: await readConfigFiles(f.config), layout: modelLayout });
  if (!ck.config || !ck.growth) throw new UsageError(`${path} carries no model config: pass --config`);
  const config = ck.config;
  const steps = positiveInt(f.steps, 'steps');
  const lr = Number(f.lr);
  const corpus = f.data ? await loadCorpus(await readDataSpec(String(f.data), { maxBytes: f['max-bytes'] as number | undefined })) : undefined;
  let engineReady = false;
  const result = await exportNeox({
    tensors: ck.tensors,
    config,
    growth: ck.growth,
    step: ck.step ?? 0,
    corpus,
    tokenizer: f.tokenizer as 'byte' | 'char' | 'bpe' | undefined,
    start: f.start as 'finetune' | 'partial-init',
    root: typeof f.root === 'string' ? f.root : basename(resolve(out)),
    training: {
      steps,
      lr,
      minLr: f['min-lr'] !== undefined ? Number(f['min-lr']) : lr / 10,
      warmupSteps: f.warmup !== undefined ? Number(f.warmup) : Math.min(100, Math.ceil(steps / 10)),
      batchSize: positiveInt(f.batch, 'batch'),
      seqLen: f.seq !== undefined ? positiveInt(f.seq, 'seq') : config.maxSeqLen,
      weightDecay: Number(f['weight-decay']),
      gradClip: 1,
      beta1: 0.9,
      beta2: 0.95,
      eps: 1e-8,
      precision: f.precision as 'fp16' | 'bf16',
      checkpointEvery: f['save-every'] !== undefined ? positiveInt(f['save-every'], 'save-every') : Math.min(1000, steps),
    },
    measure: async (plan) => {
      if (!engineReady) await openEngine(f.backend);
      engineReady = true;
      const ids = probeIds(corpus?.val.length ? corpus.val : corpus?.train, Math.min(64, config.maxSeqLen));
      return maxLogitChange(config, { tensors: ck.tensors, growth: ck.growth! }, { tensors: plan.tensors, growth: plan.growth }, ids);
    },
  });
  for (const [rel, data] of result.files) await writeOutput(join(out, rel), data);
  for (const line of result.summary) process.stderr.write(`${line}\n`);
  process.stderr.write(`wrote ${result.files.size} files -> ${out} (see ${join(out, 'README.md')})\n`);
}

export const importNeoxSpec: CommandSpec = {
  name: 'import-neox',
  summary: 'Read a DeepSpeed checkpoint of the official TokenFormer trainer (or of export-neox) into a lab checkpoint.',
  usage: 'tokenformer import-neox --checkpoint DIR/checkpoints[/global_stepN] (or a .zip) [--config DIR/config.yml] --out F2.safetensors',
  flags: {
    checkpoint: { type: 'string', required: true, help: 'a checkpoints folder, one global_stepN folder, or a zip of either' },
    config: { type: 'string', help: 'the training config (default: global_stepN/configs/ or a config.yml up the tree)' },
    tag: { type: 'string', help: 'which global_stepN (default: latest)' },
    vocab: { type: 'string', help: 'embedding rows to keep: a number or "keep" (default: 256 for byte tokenizers, else all)' },
    out: { type: 'string', required: true, help: 'output .safetensors' },
  },
};

export async function importNeoxCommand(f: ParsedFlags) {
  const src = String(f.checkpoint);
  const vocab = f.vocab === undefined ? undefined : f.vocab === 'keep' ? 'keep' : positiveInt(Number(f.vocab), 'vocab');
  const info = await stat(src).catch(() => {
    throw new UsageError(`cannot read ${src}`);
  });
  const closers: (() => Promise<void>)[] = [];
  try {
    let set: NeoxFileSet;
    if (info.isDirectory()) set = await directoryFileSet(src);
    else {
      const source = await openFileSource(src);
      closers.push(source.close);
      set = /\.zip$/i.test(src) ? await zipFileSet(source) : { paths: [basename(src)], read: async () => source };
    }
    const ck = await importNeox(set, { referenceConfig: await readConfigFiles(f.config), tag: f.tag as string | undefined, vocab });
    const bytes = encodeCheckpoint({ tensors: ck.tensors, config: ck.config!, growth: ck.growth!, step: ck.step, layout: modelLayout });
    await writeOutput(String(f.out), bytes);
    for (const n of ck.notes) process.stderr.write(`${n}\n`);
    for (const w of ck.warnings) process.stderr.write(`warning: ${w}\n`);
    const c = ck.config!;
    process.stderr.write(`${c.numLayers} layers, hidden ${c.hiddenSize}, vocab ${c.vocabSize}, step ${ck.step} -> ${f.out}\n`);
  } finally {
    for (const close of closers) await close();
  }
}

const MAX_FILES = 20000;

/** Every file under `root` (a few levels deep), by path relative to it. */
async function directoryFileSet(root: string): Promise<NeoxFileSet> {
  const paths: string[] = [];
  const walk = async (dir: string, depth: number) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && depth < 4) await walk(p, depth + 1);
      else if (e.isFile()) paths.push(relative(root, p).split(/[\\/]/).join('/'));
      if (paths.length > MAX_FILES) throw new UsageError(`${root} holds more than ${MAX_FILES} files: point at the checkpoints folder`);
    }
  };
  await walk(root, 0);
  // The folder itself may be a global_stepN: keep its name so the tag (and step) are known.
  const tag = /^global_step\d+$/.test(basename(resolve(root))) ? basename(resolve(root)) : '';
  return {
    paths: paths.map((p) => (tag ? `${tag}/${p}` : p)),
    read: async (p) => {
      const source = await openFileSource(join(root, tag ? p.slice(tag.length + 1) : p));
      try {
        return await source.read(0, source.size);
      } finally {
        await source.close();
      }
    },
  };
}

async function ensureEmpty(dir: string, force: boolean) {
  const entries = await readdir(dir).catch(() => []);
  if (entries.length && !force) throw new UsageError(`${dir} already has files: choose a new folder or pass --force`);
  await mkdir(dir, { recursive: true });
}

function positiveInt(v: unknown, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got ${String(v)}`);
  return n;
}
