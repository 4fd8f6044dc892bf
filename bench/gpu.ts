// Training throughput on WebGPU under Node (Dawn): the Engine trains each preset on the machine's GPU through its
// Vulkan driver (SwiftShader, the CPU, with --software or when no driver answers), one child process per run, so
// every first step is a cold one (device, pipelines and uploads included).
//
//   npm run bench:gpu -- [--presets tiny,small] [--steps 20] [--warmup 3] [--batch 16] [--seq N] [--software]
//                        [--kernels auto|on|off|both] [--profile] [--timeout 600]
//
// Prints JSON lines: first the adapter, then one per run with tokens/s, ms/step, the time to the first step (from
// engine start: device, model, data, shader compilation and the first step's read-back) and the steps timed.
import { runJsonLines } from './jsonLines';
import { scriptFlags } from '../cli/args';
import { installNodeWebGPU } from '../cli/nodeWebgpu';
import { PRESETS, type PresetName } from '../lib/tokenformer/config';

const KERNEL_MODES = ['auto', 'on', 'off'] as const;
type KernelMode = (typeof KERNEL_MODES)[number];

const flags = scriptFlags({
  name: 'bench/gpu',
  summary: 'Training throughput on WebGPU under Node (Dawn), per preset, each run in a fresh process.',
  usage: 'npm run bench:gpu -- [options]',
  flags: {
    presets: { type: 'string', default: 'tiny,small', help: 'comma-separated presets' },
    steps: { type: 'number', default: 20, help: 'timed steps per run (one read-back at their end)' },
    warmup: { type: 'number', default: 3, help: 'steps after the first before timing' },
    batch: { type: 'number', default: 16, help: 'batch size' },
    seq: { type: 'number', help: "context length (default: each preset's)" },
    software: { type: 'boolean', help: "use Chromium's SwiftShader (the CPU) even where a GPU driver exists" },
    kernels: { type: 'string', default: 'auto', choices: [...KERNEL_MODES, 'both'], help: "barrier-free matmul/reductions: auto (software adapters only), on, off, or both (one run each of 'on' and 'off')" },
    profile: { type: 'boolean', help: 'also count dispatches, uploads and read-backs per step, and GPU time per program kind' },
    timeout: { type: 'number', default: 600, help: 'seconds a run may take before it is stopped' },
    child: { type: 'string', help: '(internal) run one preset:kernels in this process' },
  },
});

const software = Boolean(flags.software);
const log = (s: string) => process.stderr.write(`${s}\n`);

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min || v > 100_000) {
    log(`bench/gpu: --${name} must be a whole number from ${min} to 100000, got ${v}`);
    process.exit(2);
  }
  return v;
}

const steps = positiveInt('steps', flags.steps as number);
const warmup = positiveInt('warmup', flags.warmup as number, 0);
const batch = positiveInt('batch', flags.batch as number);
const timeoutS = positiveInt('timeout', flags.timeout as number);

async function adapterInfo() {
  const reason = await installNodeWebGPU({ software });
  if (reason) return { error: reason };
  const gpu = (navigator as unknown as { gpu: GPU }).gpu;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  const info = adapter?.info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined;
  if (!info) return { error: 'no adapter' };
  return { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, isFallbackAdapter: info.isFallbackAdapter ?? false };
}

/** One run in this process: prints its JSON line. */
async function runOne(preset: PresetName, kernels: KernelMode) {
  const t0 = performance.now();
  const reason = await installNodeWebGPU({ software });
  if (reason) throw new Error(reason);
  // tfjs-webgpu registers its backend at import only where navigator.gpu exists, so the engine is imported after.
  await import('@tensorflow/tfjs-backend-webgpu');
  const { Engine } = await import('../lib/engine/engine');
  const { setBarrierFreeKernels, isSoftwareAdapter } = await import('../lib/tokenformer/kernels/webgpu/barrierFree');
  const { countWebGPUWork, timeWebGPUPrograms } = await import('./webgpuProfile');
  const tf = await import('@tensorflow/tfjs-core');
  setBarrierFreeKernels(kernels);
  const engine = new Engine();
  const tEngine = performance.now();
  const info = await engine.init({ backend: 'webgpu' });
  if (info.backend !== 'webgpu') throw new Error(`WebGPU did not start: ${info.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
  const seq = (flags.seq as number | undefined) ?? PRESETS[preset].maxSeqLen;
  const model = await engine.createModel({ preset, seed: 0, config: { maxSeqLen: Math.max(seq, PRESETS[preset].maxSeqLen) } });
  await engine.loadData({ kind: 'synthetic', task: 'copy' });
  const opts = { batchSize: batch, seqLen: seq, lr: 1e-3, minLr: 1e-3, warmupSteps: 0, evalEvery: 0 };
  let loss = NaN;
  const onMetrics = (m: { loss: number }) => (loss = m.loss);
  await engine.train({ ...opts, steps: 1, logEvery: 1 }, onMetrics);
  const firstStepMs = performance.now() - tEngine;
  if (warmup) await engine.train({ ...opts, steps: warmup, logEvery: warmup }, onMetrics);
  const tensorsBefore = (await engine.memory()).numTensors;
  const t1 = performance.now();
  await engine.train({ ...opts, steps, logEvery: steps }, onMetrics);
  const ms = (performance.now() - t1) / steps;
  const leakedTensors = (await engine.memory()).numTensors - tensorsBefore;
  let profile: object | undefined;
  if (flags.profile) {
    const n = 2;
    const counter = countWebGPUWork();
    await engine.train({ ...opts, steps: n, logEvery: n }, onMetrics);
    const c = counter.stop();
    const per = (v: number) => Number((v / n).toFixed(1));
    const programs = await timeWebGPUPrograms(() => engine.train({ ...opts, steps: 1, logEvery: 1 }, onMetrics));
    profile = {
      dispatchesPerStep: per(c.dispatches),
      uploadsPerStep: per(c.uploads),
      readsPerStep: per(c.reads),
      cpuForwardedPerStep: per(c.cpuForwarded),
      pipelines: counter.pipelines(),
      byProgram: Object.fromEntries(Object.entries(c.byProgram).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, per(v)])),
      gpuMsByProgram: programs,
    };
  }
  const barrierFree = kernels === 'on' || (kernels === 'auto' && isSoftwareAdapter(tf.backend() as never));
  await engine.dispose();
  return {
    bench: 'gpu',
    preset,
    params: model.params,
    batch,
    seq,
    kernels,
    barrierFree,
    adapter: info.adapter,
    tokensPerSec: Math.round((batch * seq) / (ms / 1000)),
    msPerStep: Number(ms.toFixed(2)),
    firstStepMs: Math.round(firstStepMs),
    processToFirstStepMs: Math.round(firstStepMs + (tEngine - t0)),
    steps,
    warmup,
    finalLoss: Number(loss.toFixed(4)),
    leakedTensors,
    ...(profile ? { profile } : {}),
  };
}

/** Runs `preset:kernels` in a child process (same Node, same loader flags) and returns its JSON line. */
async function runChild(preset: string, kernels: KernelMode): Promise<Record<string, unknown>> {
  const args = [...process.execArgv, process.argv[1], ...process.argv.slice(2).filter((a) => !a.startsWith('--child')), '--child', `${preset}:${kernels}`];
  const r = await runJsonLines(process.execPath, args, { timeoutS });
  const line = r.lines.at(-1);
  if (line) return line;
  return { bench: 'gpu', preset, kernels, error: r.timedOut ? `stopped after ${timeoutS} s` : r.error ?? `exited with ${r.code ?? r.signal} and no result` };
}

if (flags.child) {
  const [preset, kernels] = String(flags.child).split(':') as [PresetName, KernelMode];
  try {
    if (!(preset in PRESETS) || !KERNEL_MODES.includes(kernels)) throw new Error(`bad --child ${flags.child}`);
    console.log(JSON.stringify(await runOne(preset, kernels)));
    process.exit(0);
  } catch (e) {
    console.log(JSON.stringify({ bench: 'gpu', preset, kernels, error: (e as Error).message || String(e) }));
    process.exit(1);
  }
} else {
  const presets = String(flags.presets).split(',').filter(Boolean);
  const bad = presets.find((p) => !(p in PRESETS));
  if (bad) {
    log(`bench/gpu: unknown preset "${bad}" (${Object.keys(PRESETS).join(', ')})`);
    process.exit(2);
  }
  const modes: KernelMode[] = flags.kernels === 'both' ? ['on', 'off'] : [flags.kernels as KernelMode];
  const adapter = await adapterInfo();
  console.log(JSON.stringify({ bench: 'gpu', node: process.version, software, adapter }));
  let failed = 'error' in adapter;
  for (const preset of failed ? [] : presets) {
    for (const kernels of modes) {
      log(`bench/gpu: ${preset}, kernels ${kernels} ...`);
      const r = await runChild(preset, kernels);
      if (r.error) failed = true;
      else log(`  ${preset}: ${r.tokensPerSec} tokens/s, ${r.msPerStep} ms/step, first step ${r.firstStepMs} ms, loss ${r.finalLoss}`);
      console.log(JSON.stringify(r));
    }
  }
  process.exit(failed ? 1 : 0);
}
