// The PyTorch side of `npm run bench`, driven from Node: finds a Python with torch, proves its TokenFormer
// (bench/torchTokenformer.py) is this project's model, then times the same training step there.
//
//   npx tsx bench/torch.ts [--preset tiny] [--steps 10] [--batch 16] [--seq 128] [--threads default,cores] [--python PATH]
//
// Parity first, twice: on the reference fixture (../shared/fixtures/reference-small, all three norms, logits, loss
// and gradient norms) when it is there, and always on the preset's own shape: this engine (wasm) writes a model
// of its own init and the logits it computes for it, and torch must reproduce them. Without a Python that imports
// torch it prints one line {"bench":"torch","skipped":...} and exits 0; a parity failure exits 1.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scriptFlags } from '../cli/args';
import { runJsonLines } from './jsonLines';
import { createNormalRng } from '../lib/data/rng';
import { Engine } from '../lib/engine/engine';
import { preset, PRESETS, type ModelConfig, type PresetName } from '../lib/tokenformer/config';

const flags = scriptFlags({
  name: 'bench/torch',
  summary: 'PyTorch CPU training-step throughput of the same TokenFormer, after a parity check.',
  usage: 'npx tsx bench/torch.ts [options]',
  flags: {
    preset: { type: 'string', default: 'tiny', choices: Object.keys(PRESETS), help: 'model preset' },
    steps: { type: 'number', default: 10, help: 'timed steps per thread setting' },
    batch: { type: 'number', default: 16, help: 'batch size' },
    seq: { type: 'number', default: 128, help: 'sequence length' },
    threads: { type: 'string', default: 'default,cores', help: "torch thread settings: 'default', 'cores' or numbers" },
    python: { type: 'string', default: '', help: 'python interpreter (default: $TORCH_PYTHON, else /usr/bin/python3, else python3)' },
    fixture: { type: 'string', default: '../shared/fixtures/reference-small', help: 'reference fixture folder (skipped when absent)' },
  },
});
const presetName = flags.preset as PresetName;
const seq = flags.seq as number;
const print = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');

// OpenBLAS tuning variables set for other programs would also steer torch's BLAS: the comparison runs on its defaults.
const childEnv = { ...process.env };
delete childEnv.OPENBLAS_CORETYPE;
delete childEnv.OPENBLAS_L2_SIZE;

/** The first interpreter that imports torch, or why none does. `python3` on PATH may be a shim without torch. */
function findPython(): { python: string } | { skipped: string } {
  // One asked for by name is the only one tried.
  const chosen = (flags.python as string) || process.env.TORCH_PYTHON;
  const candidates = chosen ? [chosen] : ['/usr/bin/python3', 'python3'];
  const tried: string[] = [];
  for (const python of [...new Set(candidates)]) {
    const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', env: childEnv, timeout: 60_000 });
    if (r.status === 0) return { python };
    tried.push(`${python}: ${r.error ? (r.error as NodeJS.ErrnoException).code : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)}`);
  }
  return { skipped: `no python with torch (${tried.join('; ')})` };
}

/** The engine's own model of this preset and the logits it computes: the parity case every checkout has. */
async function writeOwnModelCase(config: ModelConfig, dir: string): Promise<void> {
  const engine = new Engine();
  await engine.init({ backend: 'wasm' });
  await engine.createModel({ config, seed: 0, name: 'torch parity' });
  const rng = createNormalRng(7);
  const T = Math.min(32, config.maxSeqLen);
  const ids = [0, 1].map(() => Array.from({ length: T }, () => Math.floor(rng.next() * config.vocabSize)));
  const out = await engine.logits(ids);
  writeFileSync(join(dir, 'model.safetensors'), await engine.saveCheckpoint());
  await engine.dispose();
  const V = config.vocabSize;
  const logits = ids.map((_, b) => Array.from({ length: T }, (_, t) => Array.from(out.logits.subarray((b * T + t) * V, (b * T + t + 1) * V))));
  const reference = {
    num_layers: config.numLayers,
    hidden_size: config.hiddenSize,
    num_attention_heads: config.numHeads,
    qkv_slot_num: config.qkvTokens,
    proj_slot_num: config.projTokens,
    ffn_slot_num: config.ffnTokens,
    vocab_size: config.vocabSize,
    rotary_pct: config.rotaryPct,
    rotary_emb_base: config.rotaryBase,
    layernorm_epsilon: config.layerNormEps,
  };
  writeFileSync(join(dir, 'expected.json'), JSON.stringify({ config: reference, ids, by_norm: { [config.norm]: { logits, loss: out.loss } } }));
}

async function main() {
  const found = findPython();
  if ('skipped' in found) {
    print({ bench: 'torch', skipped: found.skipped });
    return;
  }
  const config = preset(presetName, { maxSeqLen: Math.max(seq, preset(presetName).maxSeqLen) });
  const dir = mkdtempSync(join(tmpdir(), 'tokenformer-torch-'));
  try {
    process.stderr.write(`[torch] ${found.python}: writing this engine's ${presetName} model and logits for the parity check\n`);
    await writeOwnModelCase(config, dir);
    const fixture = flags.fixture as string;
    const fixtures = [...(fixture && existsSync(join(fixture, 'expected.json')) ? [fixture] : []), dir];
    if (fixture && fixtures.length === 1) process.stderr.write(`[torch] no fixture at ${fixture}: parity on this engine's own model only\n`);
    const args = ['bench/torchTokenformer.py', '--config', JSON.stringify(config), '--preset', presetName, '--steps', String(flags.steps), '--batch', String(flags.batch), '--seq', String(seq), '--threads', flags.threads as string];
    for (const f of fixtures) args.push('--fixture', f);
    const r = await runJsonLines(found.python, args, {
      env: childEnv,
      onLine: (o) => {
        // The own-model case is named by its shape, not its temporary folder.
        if (o.bench === 'torch-parity' && o.fixture === dir.split('/').pop()) o.fixture = `this engine's ${presetName} (wasm, seed 0)`;
        print(o);
      },
    });
    if (r.code !== 0) throw new Error(`${found.python} bench/torchTokenformer.py ${r.error ? `did not start: ${r.error}` : `exited with ${r.code ?? r.signal}`}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench/torch: ${(e as Error).message}\n`);
  process.exit(1);
});
