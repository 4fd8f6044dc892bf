// `npm run bench`: every Node benchmark in one run, as JSON lines (one object per line, `bench` naming the part),
// then a summary line with the Node ÷ PyTorch throughput of the same training step. Progress goes to stderr.
//
//   npx tsx bench/all.ts [--parts engine,torch,growth,memory,realModel] [--engine-args "--backends wasm"] ...
//
// Each part is its own script, run in a child process (its flags: `npx tsx bench/<part>.ts --help`); extra flags
// reach it through --<part>-args. A part that fails prints {"bench":part,"error":...} (or a line of its own with
// `error`) and the run exits 1 at the end; a missing torch is no failure (bench/torch.ts prints a `skipped` line).
import { availableParallelism, loadavg } from 'node:os';
import { scriptFlags } from '../cli/args';
import { runJsonLines, type JsonLine } from './jsonLines';

const PARTS = { engine: 'bench/engine.ts', torch: 'bench/torch.ts', growth: 'bench/growth.ts', memory: 'bench/memory.ts', realModel: 'bench/realModel.ts' } as const;
type Part = keyof typeof PARTS;

const argsFlag = (part: string) => ({ type: 'string' as const, default: '', help: `extra flags for bench/${part}.ts, space-separated` });
const flags = scriptFlags({
  name: 'bench/all',
  summary: 'Every Node benchmark in one run, with the PyTorch comparison, as JSON lines.',
  usage: 'npx tsx bench/all.ts [options]',
  flags: {
    parts: { type: 'string', default: Object.keys(PARTS).join(','), help: 'comma-separated parts to run, in this order' },
    'engine-args': argsFlag('engine'),
    'torch-args': argsFlag('torch'),
    'growth-args': argsFlag('growth'),
    'memory-args': argsFlag('memory'),
    'real-model-args': argsFlag('realModel'),
  },
});

type Line = JsonLine;
const print = (o: Line) => process.stdout.write(JSON.stringify(o) + '\n');
const extraArgs = (part: Part) => String(flags[part === 'realModel' ? 'real-model-args' : `${part}-args`]).split(/\s+/).filter(Boolean);

/** Runs one part, printing its JSON lines as they come (tagged with the part when they do not name one). */
async function runPart(part: Part): Promise<{ lines: Line[]; error?: string }> {
  const tagged: Line[] = [];
  const r = await runJsonLines(process.execPath, ['--import', 'tsx', PARTS[part], ...extraArgs(part)], {
    onLine: (o) => {
      const t = 'bench' in o ? o : { bench: part, ...o };
      tagged.push(t);
      print(t);
    },
  });
  return { lines: tagged, error: r.error ?? (r.code === 0 ? undefined : `bench/${part}.ts exited with ${r.code ?? r.signal}`) };
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Node tokens/s ÷ torch tokens/s for every Node TokenFormer line and every torch thread setting. */
function compare(engine: Line[], torch: Line[]): Line[] {
  const out: Line[] = [];
  for (const e of engine) {
    if (e.arch !== 'tokenformer' || num(e.tokensPerSec) === undefined) continue;
    for (const t of torch) {
      const tt = num(t.tokensPerSec);
      if (tt === undefined) continue;
      out.push({
        node: { backend: e.backend, ...(e.threads !== undefined ? { threads: e.threads } : {}), tokensPerSec: e.tokensPerSec },
        torch: { threads: t.threads, threadSetting: t.threadSetting, tokensPerSec: tt },
        ratio: Number(((e.tokensPerSec as number) / tt).toFixed(3)),
        bestRatio: num(e.bestTokensPerSec) && num(t.bestTokensPerSec) ? Number(((e.bestTokensPerSec as number) / (t.bestTokensPerSec as number)).toFixed(3)) : null,
      });
    }
  }
  return out;
}

async function main() {
  const parts = String(flags.parts).split(',').filter(Boolean);
  for (const p of parts) if (!Object.hasOwn(PARTS, p)) throw new Error(`unknown part "${p}" (expected ${Object.keys(PARTS).join(', ')})`);
  const loadBefore = loadavg();
  const t0 = performance.now();
  const results = new Map<Part, Line[]>();
  const errors: string[] = [];
  for (const part of parts as Part[]) {
    process.stderr.write(`[bench] ${part}\n`);
    const r = await runPart(part);
    results.set(part, r.lines);
    // A part may report a failed case as a line and still exit 0 (realModel, per backend).
    for (const l of r.lines) if (typeof l.error === 'string') errors.push(`${part}${l.backend ? ` (${String(l.backend)})` : ''}: ${l.error}`);
    if (r.error) {
      errors.push(r.error);
      print({ bench: part, error: r.error });
    }
  }
  const torch = results.get('torch') ?? [];
  const growth = (results.get('growth') ?? []).filter((l) => l.bench === 'growth');
  const memory = (results.get('memory') ?? []).filter((l) => l.bench === 'memory');
  const comparisons = compare((results.get('engine') ?? []).filter((l) => l.bench === 'engine'), torch.filter((l) => l.bench === 'torch'));
  const skipped = torch.find((l) => l.skipped);
  print({
    bench: 'summary',
    cores: availableParallelism(),
    loadBefore: loadBefore.map((x) => Number(x.toFixed(2))),
    loadAfter: loadavg().map((x) => Number(x.toFixed(2))),
    seconds: Math.round((performance.now() - t0) / 1000),
    nodeOverTorch: comparisons,
    ...(skipped ? { torchSkipped: skipped.skipped } : {}),
    torchParity: torch.filter((l) => l.bench === 'torch-parity').map((l) => ({ fixture: l.fixture, ok: l.ok })),
    growthOverStep: growth.map((g) => ({ backend: g.backend, growMs: g.growMs, stepMs: g.stepMs, ratio: g.ratio })),
    memoryLeak: memory.map((m) => ({ backend: m.backend, preset: m.preset, steps: m.steps, leak: m.leak, flags: m.flags })),
    errors,
  });
  if (errors.length) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`bench/all: ${(e as Error).message}\n`);
  process.exit(1);
});
