// CLI commands on checkpoints: logits (reference parity), grow, convert.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { readBytes } from '../../lib/data/node/files';
import { encodeCheckpoint, loadAnyCheckpoint, stripForReference, writeSafetensors } from '../../lib/io';
import type { GrowMode, GrowTarget } from '../../lib/tokenformer/types';
import { modelLayout } from '../../lib/engine/glue';
import { UsageError, type CommandSpec, type ParsedFlags } from '../args';
import { loadCheckpointFile, memoryBudgetFlag, openEngine, readConfigFiles, writeOutput } from '../shared';

const common = {
  checkpoint: { type: 'string', required: true, help: 'model file: .safetensors (ours or reference) or PyTorch .bin/.pt' },
  config: { type: 'string', help: 'reference config (.json or .yml; several joined by commas) when the file has none' },
  backend: { type: 'string', default: 'wasm', choices: ['wasm', 'cpu'], help: 'tfjs backend' },
} as const;

export const logitsSpec: CommandSpec = {
  name: 'logits',
  summary: 'Compute logits and the mean next-token loss for token ids (for parity checks against the reference).',
  usage: 'tokenformer logits --checkpoint F [--config C] --ids IDS.json [--norm N] --out O.json',
  flags: {
    ...common,
    ids: { type: 'string', required: true, help: 'JSON file holding [[id, ...], ...] (equal-length rows)' },
    norm: { type: 'string', choices: ['l2_norm_gelu', 'gelu_l2_norm', 'softmax'], help: 'override the Pattention normalisation' },
    out: { type: 'string', required: true, help: 'output JSON: {"logits": [B][T][V], "loss": number}' },
    'memory-budget': memoryBudgetFlag,
  },
};

export async function logitsCommand(f: ParsedFlags) {
  let ids: unknown;
  try {
    ids = JSON.parse(await readFile(String(f.ids), 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read --ids ${f.ids}: ${(e as Error).message}`);
  }
  if (!Array.isArray(ids) || !ids.every((r) => Array.isArray(r) && r.every((x) => typeof x === 'number'))) throw new UsageError('--ids must hold a JSON array of arrays of numbers');
  const engine = await openEngine(f.backend, f['memory-budget']);
  await loadCheckpointFile(engine, String(f.checkpoint), f.config, f.norm);
  const { logits, shape, loss } = await engine.logits(ids as number[][]);
  const [B, T, V] = shape;
  const nested = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => Array.from(logits.subarray((b * T + t) * V, (b * T + t + 1) * V))));
  await writeOutput(String(f.out), JSON.stringify({ logits: nested, loss }));
  process.stderr.write(`logits [${B}, ${T}, ${V}] loss ${loss.toFixed(6)} -> ${f.out}\n`);
}

export const growSpec: CommandSpec = {
  name: 'grow',
  summary: 'Append parameter tokens to a checkpoint\'s Pattention layers and save the grown model.',
  usage: 'tokenformer grow --checkpoint F [--config C] --add N [--target all|qkv|proj|ffn] [--mode preserve|zero|official] --out F2.safetensors',
  flags: {
    ...common,
    add: { type: 'number', required: true, help: 'tokens to append to each chosen Pattention' },
    target: { type: 'string', default: 'all', choices: ['all', 'qkv', 'q', 'k', 'v', 'proj', 'ffn'], help: 'which Pattentions grow' },
    layers: { type: 'string', help: 'comma-separated layer indices (default: all layers)' },
    mode: { type: 'string', default: 'preserve', choices: ['preserve', 'zero', 'official'], help: 'initialisation of the new tokens' },
    seed: { type: 'number', default: 0, help: 'seed for the new tokens\' init' },
    out: { type: 'string', required: true, help: 'output checkpoint (.safetensors)' },
    'memory-budget': memoryBudgetFlag,
  },
};

export async function growCommand(f: ParsedFlags) {
  const engine = await openEngine(f.backend, f['memory-budget']);
  const before = await loadCheckpointFile(engine, String(f.checkpoint), f.config);
  const layers = typeof f.layers === 'string' ? f.layers.split(',').map(Number) : undefined;
  const event = await engine.grow({ add: Number(f.add), target: f.target as GrowTarget, mode: f.mode as GrowMode, layers, seed: Number(f.seed) });
  await writeOutput(String(f.out), await engine.saveCheckpoint());
  const n = Object.keys(event.changes).length;
  process.stderr.write(`grew ${n} Pattentions by ${f.add} tokens (${f.mode}); params ${before.params} -> ${event.paramsAfter} -> ${f.out}\n`);
}

export const convertSpec: CommandSpec = {
  name: 'convert',
  summary: 'Convert between PyTorch .bin, reference safetensors and the project checkpoint.',
  usage: 'tokenformer convert --in F (.bin|.pt|.safetensors) [--config C] --out G.safetensors [--reference]',
  flags: {
    in: { type: 'string', required: true, help: 'input checkpoint' },
    config: common.config,
    out: { type: 'string', required: true, help: 'output .safetensors' },
    reference: { type: 'boolean', help: 'write plain reference tensors (no optimizer state, no training metadata)' },
  },
};

export async function convertCommand(f: ParsedFlags) {
  const path = String(f.in);
  const refConfig = await readConfigFiles(f.config);
  const ck = await loadAnyCheckpoint(await readBytes(path), basename(path), { referenceConfig: refConfig, layout: modelLayout });
  let out: Uint8Array;
  if (ck.config) {
    out = encodeCheckpoint({ tensors: ck.tensors, config: ck.config, growth: ck.growth ?? {}, step: ck.step, optimizer: f.reference ? undefined : ck.optimizer, layout: modelLayout });
    if (f.reference) out = stripForReference(out);
  } else {
    if (!f.reference) throw new UsageError(`${path} carries no config: pass --config (reference .json/.yml) to write a project checkpoint, or --reference for bare tensors`);
    out = writeSafetensors(ck.tensors, {});
  }
  await writeOutput(String(f.out), out);
  process.stderr.write(`${ck.format} -> safetensors (${ck.tensors.size} tensors${ck.config ? ', with config' : ''}) -> ${f.out}\n`);
  for (const w of ck.warnings) process.stderr.write(`warning: ${w}\n`);
}

