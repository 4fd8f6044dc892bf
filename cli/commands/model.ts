// CLI commands on checkpoints: logits (reference parity), grow, convert.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { readBytes } from '../../lib/data/node/files';
import { encodeCheckpoint, loadAnyCheckpoint, stripForReference, writeSafetensors } from '../../lib/io';
import type { GrowMode, GrowTarget } from '../../lib/tokenformer/types';
import { modelLayout } from '../../lib/engine/glue';
import { UsageError, type CommandSpec, type ParsedFlags } from '../args';
import { loadCheckpointFile, loadTokenizerFile, memoryBudgetFlag, openEngine, readConfigFiles, writeOutput } from '../shared';

const common = {
  checkpoint: { type: 'string', required: true, help: 'model file: .safetensors (ours or reference) or PyTorch .bin/.pt' },
  config: { type: 'string', help: 'reference config (.json or .yml; several joined by commas) when the file has none' },
  backend: { type: 'string', default: 'wasm', choices: ['wasm', 'cpu', 'webgpu'], help: 'tfjs backend (webgpu: through Dawn, the GPU or SwiftShader)' },
} as const;

export const logitsSpec: CommandSpec = {
  name: 'logits',
  summary: 'Compute logits and the mean next-token loss for token ids (for parity checks against the reference).',
  usage: 'tokenformer logits --checkpoint F [--config C] [--tokenizer tokenizer.json] (--text TEXT | --ids IDS.json) [--norm N] --out O.json',
  flags: {
    ...common,
    ids: { type: 'string', help: 'JSON file holding [[id, ...], ...] (equal-length rows)' },
    text: { type: 'string', help: 'text to tokenize (with --tokenizer, or as bytes) instead of --ids' },
    tokenizer: { type: 'string', help: 'tokenizer.json (GPT-NeoX-20B\'s for the published models; default: bytes)' },
    norm: { type: 'string', choices: ['l2_norm_gelu', 'gelu_l2_norm', 'softmax'], help: 'override the Pattention normalisation' },
    out: { type: 'string', required: true, help: 'output JSON: {"ids": [B][T], "logits": [B][T][V], "loss": number}' },
    'memory-budget': memoryBudgetFlag,
  },
};

/** Full logits as JSON take ~20 bytes a number: past this many numbers the file is no use (and Node's strings end). */
const MAX_LOGIT_NUMBERS = 25_000_000;

export async function logitsCommand(f: ParsedFlags) {
  if ((f.ids === undefined) === (f.text === undefined)) throw new UsageError('pass exactly one of --text and --ids');
  let ids: unknown;
  if (f.ids !== undefined) {
    try {
      ids = JSON.parse(await readFile(String(f.ids), 'utf8'));
    } catch (e) {
      throw new UsageError(`cannot read --ids ${f.ids}: ${(e as Error).message}`);
    }
    if (!Array.isArray(ids) || !ids.every((r) => Array.isArray(r) && r.every((x) => typeof x === 'number'))) throw new UsageError('--ids must hold a JSON array of arrays of numbers');
  }
  const engine = await openEngine(f.backend, f['memory-budget']);
  const reference = await readConfigFiles(f.config);
  await loadCheckpointFile(engine, String(f.checkpoint), f.config, f.norm);
  if (typeof f.tokenizer === 'string') await loadTokenizerFile(engine, f.tokenizer, reference);
  if (f.text !== undefined) ids = [(await engine.tokenize(String(f.text))).ids];
  const rows = ids as number[][];
  const V = (await engine.modelInfo())!.config.vocabSize;
  const numbers = rows.length * (rows[0]?.length ?? 0) * V;
  if (numbers > MAX_LOGIT_NUMBERS) throw new UsageError(`${rows.length} x ${rows[0].length} tokens x ${V} logits is ${numbers.toLocaleString('en-US')} numbers, more than ${MAX_LOGIT_NUMBERS.toLocaleString('en-US')} fit in a JSON file: pass fewer tokens`);
  const { logits, shape, loss } = await engine.logits(rows);
  const [B, T] = shape;
  await writeOutput(String(f.out), logitsJson(rows, logits, shape, loss));
  process.stderr.write(`logits [${B}, ${T}, ${V}] loss ${loss.toFixed(6)} -> ${f.out}\n`);
}

/** The output file, one logits row at a time (one string of ~120 MB for 128 GPT-NeoX tokens would be near Node's limit). */
function logitsJson(ids: number[][], logits: Float32Array, [B, T, V]: [number, number, number], loss: number): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode(`{"ids":${JSON.stringify(ids)},"logits":[`)];
  for (let b = 0; b < B; b++) {
    parts.push(enc.encode(b ? ',[' : '['));
    for (let t = 0; t < T; t++) parts.push(enc.encode((t ? ',' : '') + JSON.stringify(Array.from(logits.subarray((b * T + t) * V, (b * T + t + 1) * V)))));
    parts.push(enc.encode(']'));
  }
  parts.push(enc.encode(`],"loss":${Number.isFinite(loss) ? loss : null}}`));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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

