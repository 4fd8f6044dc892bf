// CLI commands that run the model: train (with resume), eval, generate.
import { basename } from 'node:path';
import type { PresetName } from '../../lib/tokenformer/config';
import { PRESETS } from '../../lib/tokenformer/config';
import { type CommandSpec, type ParsedFlags, UsageError } from '../args';
import { progressBar } from '../progress';
import { loadCheckpointFile, loadDataWithProgress, memoryBudgetFlag, openEngine, readDataSpec, writeOutput } from '../shared';

const backend = { type: 'string', default: 'wasm', choices: ['wasm', 'cpu'], help: 'tfjs backend' } as const;
const data = { type: 'string', default: 'copy', help: 'synthetic task (copy, reverse, sort, modadd, brackets, mix), enwik8, a .zip, or a text file' } as const;

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: 'Train a TokenFormer (or the Transformer baseline) and save a checkpoint.',
  usage: 'tokenformer train [--preset tiny] [--data copy] --steps N [--out model.safetensors] [--checkpoint resume.safetensors]',
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
    seed: { type: 'number', default: 0, help: 'seed for init and batches' },
    out: { type: 'string', help: 'where to save the checkpoint (with optimizer state, for resuming)' },
    backend,
    'memory-budget': memoryBudgetFlag,
  },
};

export async function trainCommand(f: ParsedFlags) {
  const engine = await openEngine(f.backend, f['memory-budget']);
  if (f.checkpoint) await loadCheckpointFile(engine, String(f.checkpoint));
  else await engine.createModel({ preset: f.preset as PresetName, config: { arch: f.arch as 'tokenformer' | 'transformer', ...(f.norm ? { norm: f.norm as never } : {}) }, seed: Number(f.seed) });
  engine.checkTrain({ steps: Number(f.steps), batchSize: Number(f.batch), seqLen: f.seq as number | undefined }); // before a long data import
  const info = (await engine.modelInfo())!;
  const dataInfo = await loadDataWithProgress(engine, await readDataSpec(String(f.data), { seed: Number(f.seed), maxBytes: f['max-bytes'] as number | undefined }));
  process.stderr.write(`model ${info.config.arch} ${f.preset} ${info.params.toLocaleString()} params, step ${info.step}; data ${dataInfo.name} ${dataInfo.trainBytes.toLocaleString()} train bytes\n`);
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
    { steps, batchSize: Number(f.batch), seqLen: f.seq as number | undefined, lr: Number(f.lr), warmupSteps: f.warmup as number | undefined, evalEvery: Number(f['eval-every']) || steps, seed: Number(f.seed) },
    (m) => {
      last = m.step;
      bar.update(m.step - info.step, `loss ${m.loss.toFixed(4)} bpb ${m.bpb.toFixed(3)}${m.valBpb !== undefined ? ` val ${m.valBpb.toFixed(3)}` : ''} ${m.tokensPerSec.toFixed(0)} tok/s`);
    },
  );
  bar.finish(`loss ${summary.finalLoss.toFixed(4)}${stopping ? ' (stopped)' : ''}`);
  if (f.out) {
    await writeOutput(String(f.out), await engine.saveCheckpoint({ includeOptimizer: true }));
    process.stderr.write(`saved step ${last} -> ${f.out}\n`);
  }
}

export const evalSpec: CommandSpec = {
  name: 'eval',
  summary: 'Mean loss and bits per byte of a checkpoint on a held-out split.',
  usage: 'tokenformer eval --checkpoint F [--data copy] [--split val|test] [--batches 16]',
  flags: {
    checkpoint: { type: 'string', required: true, help: 'model file' },
    config: { type: 'string', help: 'reference config when the file has none' },
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
  await loadDataWithProgress(engine, await readDataSpec(String(f.data), { seed: Number(f.seed), maxBytes: f['max-bytes'] as number | undefined }));
  const r = await engine.evaluate({ split: f.split as 'val' | 'test', batches: Number(f.batches), batchSize: Number(f.batch) });
  process.stdout.write(JSON.stringify({ checkpoint: basename(String(f.checkpoint)), data: f.data, split: f.split, ...r }) + '\n');
}

export const generateSpec: CommandSpec = {
  name: 'generate',
  summary: 'Sample text from a checkpoint.',
  usage: 'tokenformer generate --checkpoint F --prompt TEXT [--tokens 200] [--temperature 0.8] [--top-k 40]',
  flags: {
    checkpoint: { type: 'string', required: true, help: 'model file' },
    config: { type: 'string', help: 'reference config when the file has none' },
    prompt: { type: 'string', default: '', help: 'text to continue' },
    tokens: { type: 'number', default: 200, help: 'bytes to generate' },
    temperature: { type: 'number', default: 0.8, help: '0 = greedy' },
    'top-k': { type: 'number', default: 0, help: 'keep the k most likely bytes (0: all)' },
    seed: { type: 'number', default: 0, help: 'sampling seed' },
    backend,
    'memory-budget': memoryBudgetFlag,
  },
};

export async function generateCommand(f: ParsedFlags) {
  if (!(Number(f.tokens) > 0)) throw new UsageError('--tokens must be positive');
  const engine = await openEngine(f.backend, f['memory-budget']);
  await loadCheckpointFile(engine, String(f.checkpoint), f.config);
  const { text } = await engine.generate({ prompt: String(f.prompt), maxNewTokens: Number(f.tokens), temperature: Number(f.temperature), topK: Number(f['top-k']) || undefined, seed: Number(f.seed) });
  process.stdout.write(String(f.prompt) + text + '\n');
}
