// Loading a published-size TokenFormer: a 150M-shaped pytorch_model.bin (official key names, float32, GPT-NeoX
// vocabulary padded to 50,304) is generated here, then each backend loads it in a fresh Node process that reports its
// peak memory while loading against the file size (target <= 2.5x), the load time, and the forward time for 128
// tokens; the peak of the whole run (the forward included) is reported beside it.
//
//   npx tsx bench/realModel.ts [--backends wasm,cpu] [--tokens 128] [--layers 12] [--keep FILE]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { scriptFlags } from '../cli/args';
import { createNormalRng } from '../lib/data/rng';

const flags = scriptFlags({
  name: 'bench/realModel',
  summary: 'Peak memory, load and forward time of a 150M-shaped pytorch_model.bin, per Node backend.',
  usage: 'npx tsx bench/realModel.ts [options]',
  flags: {
    backends: { type: 'string', default: 'wasm,cpu', help: 'comma-separated Node backends' },
    tokens: { type: 'number', default: 128, help: 'tokens in the timed forward pass' },
    layers: { type: 'number', default: 12, help: 'layers of the generated model' },
    keep: { type: 'string', default: '', help: 'checkpoint file to reuse (written there if missing)' },
    child: { type: 'string', default: '', help: 'internal: measure this file in this process' },
    backend: { type: 'string', default: 'wasm', choices: ['wasm', 'cpu'], help: 'internal: the child process backend' },
  },
});
const arg = (name: string) => String(flags[name]);

// TokenFormer-150M as its eval config states it (see ../shared/reference/tokenformer-zoo.md).
const SHAPE = { num_layers: Number(arg('layers')), hidden_size: 768, num_attention_heads: 12, qkv_slot_num: 768, proj_slot_num: 768, ffn_slot_num: 3072, seq_length: 2048, max_position_embeddings: 2048, rotary_pct: 0.25, norm_activation_type: 'l2_norm_gelu' };
const VOCAB = 50304;

async function child(file: string, backend: string, tokens: number) {
  const { Engine } = await import('../lib/engine/engine');
  const { openFileSource } = await import('../lib/io/nodeFile');
  const { cliMemoryBudget } = await import('../cli/shared');
  // The CLI's budget (half of this machine's memory): the engine's 2 GB fallback refuses a 150M model for training.
  const engine = new Engine({ memoryBudget: cliMemoryBudget(undefined) });
  await engine.init({ backend: backend as 'wasm' | 'cpu' });
  const t0 = performance.now();
  // Read from disk tensor by tensor, as the CLI does: the file is never in memory whole.
  const source = await openFileSource(file);
  const info = await engine.loadCheckpoint(source, basename(file), { referenceConfig: SHAPE });
  await source.close();
  const loadMs = performance.now() - t0;
  // The high-water mark so far is the load's (the engine's init before it is small and counted too).
  const loadPeak = process.resourceUsage().maxRSS * 1024;
  const rssAfterLoad = process.memoryUsage().rss;
  const rng = createNormalRng(1);
  const ids = [Array.from({ length: tokens }, () => Math.floor(rng.next() * 50277))];
  const t1 = performance.now();
  const out = await engine.logits(ids);
  const forwardMs = performance.now() - t1;
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ params: info.params, loadMs, forwardMs, logits: out.shape, loadPeak, peakBytes: peak, rssAfterLoad, rssAfterForward: process.memoryUsage().rss }) + '\n');
}

function writeCheckpoint(path: string) {
  // Imported lazily so child processes do not pay for it.
  return import('../lib/io/torchWriter').then(({ TorchOrderedDict, TorchTensorOut, writeTorchZip }) => {
    const L = SHAPE.num_layers;
    const H = SHAPE.hidden_size;
    const entries = new Map<string, InstanceType<typeof TorchTensorOut>>();
    const rng = createNormalRng(0);
    const t = (shape: number[], scale = 0.02) => {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < data.length; i++) data[i] = (rng.next() - 0.5) * scale;
      return new TorchTensorOut({ shape, data });
    };
    entries.set('sequential.0.word_embeddings.weight', t([VOCAB, H]));
    for (let i = 0; i < L; i++) {
      for (const [part, n] of [['attention.query', 768], ['attention.key', 768], ['attention.value', 768], ['attention.proj', 768], ['mlp', 3072]] as const) {
        entries.set(`sequential.${i + 2}.${part}.key_param_tokens`, t([n, H]));
        entries.set(`sequential.${i + 2}.${part}.value_param_tokens`, t([n, H]));
      }
    }
    entries.set(`sequential.${L + 3}.norm.weight`, t([H], 0));
    entries.set(`sequential.${L + 3}.norm.bias`, t([H], 0));
    writeFileSync(path, writeTorchZip(new TorchOrderedDict(entries as never)));
  });
}

async function main() {
  const childFile = arg('child');
  const tokens = Number(arg('tokens'));
  if (childFile) return child(childFile, arg('backend'), tokens);
  const keep = arg('keep');
  const dir = mkdtempSync(join(tmpdir(), 'tokenformer-bench-'));
  const file = keep || join(dir, 'pytorch_model.bin');
  if (!existsSync(file)) {
    const t0 = performance.now();
    await writeCheckpoint(file);
    process.stderr.write(`wrote ${file} (${statSync(file).size.toLocaleString('en-US')} bytes) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const size = statSync(file).size;
  for (const backend of arg('backends').split(',')) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/realModel.ts', '--child', file, '--backend', backend, '--tokens', String(tokens), '--layers', String(SHAPE.num_layers)], { encoding: 'utf8', maxBuffer: 16 << 20 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      // The message, not the last frame of its stack.
      const message = (r.stderr || '').split('\n').filter((l) => l.trim() && !/^\s+at /.test(l)).pop();
      process.stdout.write(JSON.stringify({ bench: 'realModel', backend, error: message ?? `exit ${r.status ?? r.signal}` }) + '\n');
      continue;
    }
    const m = JSON.parse(line);
    process.stdout.write(JSON.stringify({ bench: 'realModel', shape: `${SHAPE.num_layers}x${SHAPE.hidden_size}, vocab ${VOCAB}`, backend, fileBytes: size, params: m.params, loadMs: Math.round(m.loadMs), forwardMs: Math.round(m.forwardMs), tokens, loadPeakBytes: m.loadPeak, loadPeakOverFile: +(m.loadPeak / size).toFixed(2), target: 2.5, rssAfterLoad: m.rssAfterLoad, runPeakBytes: m.peakBytes, runPeakOverFile: +(m.peakBytes / size).toFixed(2), rssAfterForward: m.rssAfterForward }) + '\n');
  }
  if (!keep) rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
