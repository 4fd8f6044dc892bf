// Training-step throughput of the tiny TokenFormer and a parameter-matched Transformer on each Node backend,
// trained through the Engine (the code path of the app's worker and the CLI).
//
//   npx tsx bench/engine.ts [--backends wasm,cpu] [--threads auto] [--steps 10] [--cpu-steps 1] [--batch 16] [--seq 128] [--preset tiny]
//
// Prints one JSON line per (backend, arch, threads): tokens/s, ms/step, the model's training GFLOP/s (3·forward
// FLOPs per token), the same backend's raw 512³ matmul GFLOP/s measured in this run (one thread), and their ratio.
// With --threads N > 1 (data parallel over worker threads) each model is timed at threads=1 and at N, in one run;
// cpuMsPerStep (all threads' CPU time) next to msPerStep tells a loaded machine from overhead of the threads;
// threadCpuMsPerStep (Linux) gives the main thread's and each replica's: on free cores a step takes about the largest.
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { scriptFlags } from '../cli/args';
import { resolveThreads, workerShardRunner } from '../cli/replicas/pool';
import { Engine } from '../lib/engine/engine';
import type { Metrics } from '../lib/engine/types';
import { preset, PRESETS, type ModelConfig, type PresetName } from '../lib/tokenformer/config';
import { forwardFlopsPerToken, matchedTransformer } from '../lib/tokenformer/size';

const flags = scriptFlags({
  name: 'bench/engine',
  summary: 'Training-step throughput through the Engine, per Node backend and architecture.',
  usage: 'npx tsx bench/engine.ts [options]',
  flags: {
    backends: { type: 'string', default: 'wasm,cpu', help: 'comma-separated Node backends' },
    steps: { type: 'number', default: 10, help: 'timed steps per model (wasm)' },
    'cpu-steps': { type: 'number', default: 1, help: 'timed steps per model on cpu' },
    batch: { type: 'number', default: 16, help: 'batch size' },
    seq: { type: 'number', default: 128, help: 'sequence length' },
    preset: { type: 'string', default: 'tiny', choices: Object.keys(PRESETS), help: 'model preset' },
    threads: { type: 'string', default: 'auto', help: 'data-parallel threads (auto: this machine\'s cores); a threads=1 line is printed too' },
  },
});
const backends = (flags.backends as string).split(',') as ('wasm' | 'cpu')[];
const steps = flags.steps as number;
const cpuSteps = flags['cpu-steps'] as number;
const batch = flags.batch as number;
const seq = flags.seq as number;
const presetName = flags.preset as PresetName;
const threadCounts = [...new Set([1, resolveThreads(flags.threads)])];

/** Raw float32 matmul throughput of the active backend, GFLOP/s (512×512 by 512×512): the yardstick. */
function matmulGflops(reps: number): number {
  const a = tf.randomNormal([512, 512], 0, 1, 'float32', 1);
  const b = tf.randomNormal([512, 512], 0, 1, 'float32', 2);
  tf.matMul(a, b).dispose();
  tf.matMul(a, b).dataSync();
  const t0 = performance.now();
  let last: tf.Tensor | null = null;
  for (let i = 0; i < reps; i++) {
    last?.dispose();
    last = tf.matMul(a, b);
  }
  last!.dataSync();
  const ms = (performance.now() - t0) / reps;
  tf.dispose([a, b, last!]);
  return (2 * 512 ** 3) / ms / 1e6;
}

/**
 * CPU ms of each thread of this process by thread id, from /proc (Linux; empty elsewhere). Per thread, because
 * Linux's autogroup scheduling gives each session one share of a busy machine however many threads it runs: there
 * the threads' wall-clock gain hides, but each thread's CPU time per step still shows the critical path.
 */
function threadCpuMs(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) * 10); // utime + stime, in 10 ms clock ticks
    }
  } catch {
    // not Linux, or a thread ended while being read
  }
  return out;
}

/**
 * ms per training step over `n` steps of `engine.train` after `warmup` steps, the way the app and the CLI train
 * (batcher, schedule, divergence guard included). Metrics come every step (logEvery 1): cpu and wasm run kernels
 * synchronously, so the gap between two steps' metrics is that step's time, and the fastest is kept too, as a
 * figure less moved by other work on a shared machine.
 */
async function timeTraining(engine: Engine, config: ModelConfig, warmup: number, n: number, replicas: number) {
  const info = await engine.createModel({ config, seed: 0, name: `bench ${config.arch}` });
  const opts = { batchSize: batch, seqLen: seq, lr: 1e-3, minLr: 1e-3, warmupSteps: 0, evalEvery: 0, logEvery: 1 };
  await engine.train({ ...opts, steps: warmup }, () => {});
  const tensorsBefore = (await engine.memory()).numTensors;
  const seen: Metrics[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const threads0 = threadCpuMs();
  await engine.train({ ...opts, steps: n }, (m) => seen.push(m));
  const ms = (performance.now() - t0) / n;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / n;
  // The main thread first, then the replicas: the busiest `replicas` others (V8's and libuv's helpers use far less).
  const perThread = [...threadCpuMs()].map(([tid, t]) => [tid, (t - (threads0.get(tid) ?? 0)) / n] as const);
  const main = perThread.filter(([tid]) => tid === String(process.pid)).map(([, t]) => t);
  const threadMs = [...main, ...perThread.filter(([tid, t]) => tid !== String(process.pid) && t > 0).map(([, t]) => t).sort((a, b) => b - a).slice(0, replicas)];
  let best = seen.length ? seen[0].elapsedMs : ms;
  for (let i = 1; i < seen.length; i++) best = Math.min(best, seen[i].elapsedMs - seen[i - 1].elapsedMs);
  const leaked = (await engine.memory()).numTensors - tensorsBefore;
  return { params: info.params, flopsPerToken: forwardFlopsPerToken(info.config, info.growth, seq), ms, best, cpuMs, threadMs, finalLoss: seen.at(-1)?.loss ?? NaN, leaked };
}

for (const backend of backends) {
  for (const threads of threadCounts) {
    const engine = new Engine({ dataParallel: threads, shardRunner: workerShardRunner });
    await engine.init({ backend });
    await engine.loadData({ kind: 'synthetic', task: 'copy' });
    const n = backend === 'cpu' ? cpuSteps : steps;
    const rawGflops = matmulGflops(backend === 'cpu' ? 2 : 20);
    const tokenformer = preset(presetName, { maxSeqLen: Math.max(seq, preset(presetName).maxSeqLen) });
    for (const config of [tokenformer, matchedTransformer(tokenformer)]) {
      const r = await timeTraining(engine, config, backend === 'cpu' ? 1 : 3, n, threads - 1);
      const tokensPerSec = (batch * seq) / (r.ms / 1000);
      const modelGflops = (3 * r.flopsPerToken * tokensPerSec) / 1e9;
      console.log(
        JSON.stringify({
          backend,
          arch: config.arch,
          preset: presetName,
          threads,
          params: r.params,
          ...(config.arch === 'transformer' ? { ffnHidden: config.ffnHidden } : {}),
          batch,
          seq,
          steps: n,
          tokensPerSec: Math.round(tokensPerSec),
          msPerStep: Number(r.ms.toFixed(1)),
          bestMsPerStep: Number(r.best.toFixed(1)),
          bestTokensPerSec: Math.round((batch * seq) / (r.best / 1000)),
          // CPU time of all threads per step: beside msPerStep it shows what the threads cost, whatever the load.
          cpuMsPerStep: Number(r.cpuMs.toFixed(1)),
          threadCpuMsPerStep: r.threadMs.map((t) => Math.round(t)),
          modelGflops: Number(modelGflops.toFixed(2)),
          matmulGflops: Number(rawGflops.toFixed(2)),
          ratio: Number((modelGflops / rawGflops).toFixed(3)),
          finalLoss: Number(r.finalLoss.toFixed(4)),
          leakedTensors: r.leaked,
          // Runnable threads on this machine (1-minute average): other work on the cores skews every figure above.
          load1: Number(loadavg()[0].toFixed(2)),
        }),
      );
    }
    await engine.dispose();
  }
}
