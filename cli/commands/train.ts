// CLI commands that run the model: train (with resume), eval, generate.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { PresetName } from '../../lib/tokenformer/config';
import { PRESETS } from '../../lib/tokenformer/config';
import { type CommandSpec, type ParsedFlags, UsageError } from '../args';
import { progressBar } from '../progress';
import { loadCheckpointFile, loadDataWithProgress, loadTokenizerFile, memoryBudgetFlag, openEngine, readConfigFiles, readDataSpec, threadsFlag, writeOutput } from '../shared';

const backend = { type: 'string', default: 'wasm', choices: ['wasm', 'cpu', 'webgpu'], help: 'tfjs backend (webgpu: through Dawn, the GPU or SwiftShader)' } as const;
/** Text files scored whole with --tokenizer (BPE in JS encodes a few MB/s). */
const MAX_EVAL_FILE_BYTES = 64 * 1024 * 1024;
const data = { type: 'string', default: 'copy', help: 'synthetic task (copy, reverse, sort, modadd, brackets, mix), enwik8, a .zip, or a text file' } as const;

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: 'Train a TokenFormer (or the Transformer baseline) and save a checkpoint.',
  usage: 'tokenformer train [--preset tiny] [--data copy] --steps N [--threads N|auto] [--out model.safetensors] [--checkpoint resume.safetensors]',
  flags: {
    preset: { type: 'string', default: 'tiny', choices: Object.keys(PRESETS), help: 'model size' },
    arch: { type: 'string', default: 'tokenformer', choices: ['tokenformer', 'transformer'], help: 'architecture' },
    norm: { type: 'string', choices: ['l2_norm_gelu', 'gelu_l2_norm', 'softmax'], help: 'Pattention normalisation' },
    checkpoint: { type: 'string', help: 'resume from this checkpoint (its step count continues)' },
    data,
    'max-bytes': { type: 'number', help: 'use only the first N bytes of enwik8' },
    steps: { type: 'number', required: true, help: 'training steps' },
    batch: { type: 'number', default: 16, help: 'batch size' },
    seq: { type: 'number', help: 'context length (default: the model\'s)' },
    lr: { type: 'number', default: 1e-3, help: 'peak learning rate (warmup + cosine)' },
    warmup: { type: 'number', help: 'warmup steps' },
    'eval-every': { type: 'number', default: 0, help: 'validation bits-per-byte every N steps (0: only at the end)' },
    'max-nonfinite': { type: 'number', default: 3, help: 'stop, roll back and exit 3 after N steps in a row with a NaN/Inf loss or gradient norm' },
    seed: { type: 'number', default: 0, help: 'seed for init and batches' },
    out: { type: 'string', help: 'where to save the checkpoint (with optimizer state, for resuming)' },
    backend,
    threads: threadsFlag,
    'memory-budget': memoryBudgetFlag,
  },
};

/** Training diverged: the model was rolled back in memory and nothing was written (exit code 3). */
export class DivergedError extends Error {
  override name = 'DivergedError';
  readonly exitCode = 3;
}

export async function trainCommand(f: ParsedFlags) {
  const maxNonFinite = Number(f['max-nonfinite']);
  if (!Number.isInteger(maxNonFinite) || maxNonFinite < 1) throw new UsageError(`--max-nonfinite must be a positive integer, got ${f['max-nonfinite']}`);
  const engine = await openEngine(f.backend, f['memory-budget'], f.threads);
  if (f.checkpoint) await loadCheckpointFile(engine, String(f.checkpoint));
  else await engine.createModel({ preset: f.preset as PresetName, config: { arch: f.arch as 'tokenformer' | 'transformer', ...(f.norm ? { norm: f.norm as never } : {}) }, seed: Number(f.seed) });
  engine.checkTrain({ steps: Number(f.steps), batchSize: Number(f.batch), seqLen: f.seq as number | undefined }); // before a long data import
  const info = (await engine.modelInfo())!;
  const dataInfo = await loadDataWithProgress(engine, await readDataSpec(String(f.data), { seed: Number(f.seed), maxBytes: f['max-bytes'] as number | undefined }));
  const threads = engine.dataParallel > 1 ? `; ${engine.dataParallel} threads (data parallel)` : '';
  process.stderr.write(`model ${info.config.arch} ${f.preset} ${info.params.toLocaleString()} params, step ${info.step}; data ${dataInfo.name} ${dataInfo.trainBytes.toLocaleString()} train bytes${threads}\n`);
  const steps = Number(f.steps);
  const bar = progressBar('train', steps);
  let stopping = false;
  process.once('SIGINT', () => {
    stopping = true;
    process.stderr.write('\nstopping after this step (Ctrl-C again to abort)...\n');
    void engine.stop();
  });
  let last = info.step;
  const summary = await engine.train(
    { steps, batchSize: Number(f.batch), seqLen: f.seq as number | undefined, lr: Number(f.lr), warmupSteps: f.warmup as number | undefined, evalEvery: Number(f['eval-every']) || steps, seed: Number(f.seed), maxNonFiniteSteps: maxNonFinite },
    (m) => {
      last = m.step;
      bar.update(m.step - info.step, `loss ${m.loss.toFixed(4)} bpb ${m.bpb.toFixed(3)}${m.valBpb !== undefined ? ` val ${m.valBpb.toFixed(3)}` : ''} ${m.tokensPerSec.toFixed(0)} tok/s`);
    },
  );
  bar.finish(`loss ${summary.finalLoss.toFixed(4)}${stopping ? ' (stopped)' : ''}`);
  const d = summary.divergence;
  if (d) {
    const back = d.rolledBackTo === null ? 'no finite state to roll back to' : `rolled back to step ${d.rolledBackTo}`;
    throw new DivergedError(`diverged at step ${d.step}: ${d.reason} (${d.badSteps} non-finite step${d.badSteps === 1 ? '' : 's'} in a row); ${back}; ${f.out ? `${f.out} not written` : 'nothing saved'}`);
  }
  if (summary.skipped) process.stderr.write(`note: skipped ${summary.skipped} step${summary.skipped === 1 ? '' : 's'} with a NaN or infinite loss or gradient norm\n`);
  if (f.out) {
    await writeOutput(String(f.out), await engine.saveCheckpoint({ includeOptimizer: true }));
    process.stderr.write(`saved step ${last} -> ${f.out}\n`);
  }
}

export const evalSpec: CommandSpec = {
  name: 'eval',
  summary: 'Mean loss and bits per byte of a checkpoint on a held-out split.',
  usage: 'tokenformer eval --checkpoint F [--config C] [--tokenizer tokenizer.json] [--data copy|FILE] [--split val|test] [--batches 16]',
  flags: {
    checkpoint: { type: 'string', required: true, help: 'model file' },
    config: { type: 'string', help: 'reference config when the file has none' },
    tokenizer: { type: 'string', help: 'tokenizer.json: score the whole --data text file with it (loss, perplexity, bits per byte)' },
    'max-tokens': { type: 'number', default: 65536, help: 'with --tokenizer: score at most this many tokens of the file' },
    window: { type: 'number', default: 256, help: 'with --tokenizer: context window in tokens (at most the model\'s)' },
    data,
    'max-bytes': { type: 'number', help: 'use only the first N bytes of enwik8' },
    split: { type: 'string', default: 'val', choices: ['val', 'test'], help: 'which split' },
    batches: { type: 'number', default: 16, help: 'batches to evaluate' },
    batch: { type: 'number', default: 8, help: 'batch size' },
    seed: { type: 'number', default: 0, help: 'seed of a synthetic corpus' },
    backend,
    'memory-budget': memoryBudgetFlag,
  },
};

export async function evalCommand(f: ParsedFlags) {
  const engine = await openEngine(f.backend, f['memory-budget']);
  await loadCheckpointFile(engine, String(f.checkpoint), f.config);
  if (typeof f.tokenizer === 'string') {
    await loadTokenizerFile(engine, f.tokenizer, await readConfigFiles(f.config));
    const path = String(f.data);
    const info = await stat(path).catch(() => {
      throw new UsageError(`with --tokenizer, --data must be a text file (cannot read ${path})`);
    });
    if (info.size > MAX_EVAL_FILE_BYTES) throw new UsageError(`--data ${path} is ${info.size.toLocaleString('en-US')} bytes; scoring reads at most ${MAX_EVAL_FILE_BYTES / 2 ** 20} MiB (use --max-tokens on a cut file)`);
    const maxTokens = Number(f['max-tokens']);
    const r = await engine.textLoss(await readFile(path, 'utf8'), { maxTokens, window: Number(f.window) });
    if (r.tokens + 1 >= maxTokens) process.stderr.write(`note: scored the first ${maxTokens} tokens of ${path}\n`);
    process.stdout.write(JSON.stringify({ checkpoint: basename(String(f.checkpoint)), data: path, tokenizer: basename(f.tokenizer), loss: r.loss, perplexity: r.perplexity, bpb: r.bpb, tokens: r.tokens, bytes: r.bytes }) + '\n');
    return;
  }
  await loadDataWithProgress(engine, await readDataSpec(String(f.data), { seed: Number(f.seed), maxBytes: f['max-bytes'] as number | undefined }));
  const r = await engine.evaluate({ split: f.split as 'val' | 'test', batches: Number(f.batches), batchSize: Number(f.batch) });
  process.stdout.write(JSON.stringify({ checkpoint: basename(String(f.checkpoint)), data: f.data, split: f.split, ...r, perplexity: Math.exp(r.loss) }) + '\n');
}

export const generateSpec: CommandSpec = {
  name: 'generate',
  summary: 'Sample text from a checkpoint.',
  usage: 'tokenformer generate --checkpoint F [--config C] [--tokenizer tokenizer.json] --prompt TEXT [--max-new 200] [--temperature 0.8] [--top-k 40]',
  flags: {
    checkpoint: { type: 'string', required: true, help: 'model file' },
    config: { type: 'string', help: 'reference config when the file has none' },
    prompt: { type: 'string', default: '', help: 'text to continue' },
    tokenizer: { type: 'string', help: 'tokenizer.json (default: bytes)' },
    'max-new': { type: 'number', help: 'new tokens to generate (default 200)' },
    tokens: { type: 'number', help: 'the same as --max-new (older name)' },
    temperature: { type: 'number', default: 0.8, help: '0 = greedy' },
    'top-k': { type: 'number', default: 0, help: 'keep the k most likely bytes (0: all)' },
    seed: { type: 'number', default: 0, help: 'sampling seed' },
    backend,
    'memory-budget': memoryBudgetFlag,
  },
};

export async function generateCommand(f: ParsedFlags) {
  const maxNew = Number(f['max-new'] ?? f.tokens ?? 200);
  if (!Number.isInteger(maxNew) || maxNew < 1 || maxNew > 100_000) throw new UsageError('--max-new must be an integer in [1, 100000]');
  const engine = await openEngine(f.backend, f['memory-budget']);
  await loadCheckpointFile(engine, String(f.checkpoint), f.config);
  if (typeof f.tokenizer === 'string') await loadTokenizerFile(engine, f.tokenizer, await readConfigFiles(f.config));
  const { text } = await engine.generate({ prompt: String(f.prompt), maxNewTokens: maxNew, temperature: Number(f.temperature), topK: Number(f['top-k']) || undefined, seed: Number(f.seed) });
  process.stdout.write(String(f.prompt) + text + '\n');
}
