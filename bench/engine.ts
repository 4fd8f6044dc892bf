// Training-step throughput of the tiny TokenFormer and a parameter-matched Transformer on each Node backend.
//
//   npx tsx bench/engine.ts [--backends wasm,cpu] [--steps 10] [--cpu-steps 1] [--batch 16] [--seq 128] [--preset tiny]
//
// Prints one JSON line per (backend, arch): tokens/s, ms/step, the model's training GFLOP/s (3·forward FLOPs per
// token), the same backend's raw 512³ matmul GFLOP/s measured in this run, and their ratio.
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type NodeBackend } from '../lib/testing/backend';
import { preset, type ModelConfig, type PresetName } from '../lib/tokenformer/config';
import { createModel } from '../lib/tokenformer/model';
import { createNormalRng } from '../lib/data/rng';
import { matchedTransformer } from '../lib/tokenformer/size';
import { AdamW } from '../lib/train/adamw';
import { trainStep } from '../lib/train/train_step';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const backends = arg('backends', 'wasm,cpu').split(',') as NodeBackend[];
const steps = Number(arg('steps', '10'));
const cpuSteps = Number(arg('cpu-steps', '1'));
const batch = Number(arg('batch', '16'));
const seq = Number(arg('seq', '128'));
const presetName = arg('preset', 'tiny') as PresetName;

/** Raw float32 matmul throughput of the active backend, GFLOP/s (512×512 by 512×512). */
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

function randomBatch(seed: number, vocab: number): tf.Tensor2D {
  const rng = createNormalRng(seed);
  return tf.tensor2d(Int32Array.from({ length: batch * seq }, () => Math.floor(rng.next() * vocab)), [batch, seq], 'int32');
}

/**
 * ms per training step over `n` timed steps after `warmup` steps; the loss is read back once at the end. cpu and
 * wasm run kernels synchronously, so each call's wall time is its step time: the fastest step is kept too, as a
 * figure less moved by other work on a shared machine.
 */
function timeTraining(config: ModelConfig, warmup: number, n: number) {
  const model = createModel(config, { seed: 0 });
  const opt = new AdamW(model.params);
  const batches = [0, 1, 2].map((s) => randomBatch(s, config.vocabSize));
  for (let i = 0; i < warmup; i++) trainStep(model, opt, batches[i % 3], 1e-3).dataSync();
  const tensorsBefore = tf.memory().numTensors;
  const t0 = performance.now();
  let loss: tf.Scalar | null = null;
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    loss?.dispose();
    const s0 = performance.now();
    loss = trainStep(model, opt, batches[i % 3], 1e-3);
    best = Math.min(best, performance.now() - s0);
  }
  const finalLoss = loss!.dataSync()[0];
  const ms = (performance.now() - t0) / n;
  loss!.dispose();
  const leaked = tf.memory().numTensors - tensorsBefore;
  const result = { params: model.paramCount(), flopsPerToken: model.flopsPerToken(seq), ms, best, finalLoss, leaked };
  opt.dispose();
  model.dispose();
  tf.dispose(batches);
  return result;
}

for (const backend of backends) {
  await useBackend(backend);
  const n = backend === 'cpu' ? cpuSteps : steps;
  const rawGflops = matmulGflops(backend === 'cpu' ? 2 : 20);
  const tokenformer = preset(presetName, { maxSeqLen: Math.max(seq, preset(presetName).maxSeqLen) });
  for (const config of [tokenformer, matchedTransformer(tokenformer)]) {
    const r = timeTraining(config, backend === 'cpu' ? 1 : 3, n);
    const tokensPerSec = (batch * seq) / (r.ms / 1000);
    const modelGflops = (3 * r.flopsPerToken * tokensPerSec) / 1e9;
    console.log(
      JSON.stringify({
        backend,
        arch: config.arch,
        preset: presetName,
        params: r.params,
        ...(config.arch === 'transformer' ? { ffnHidden: config.ffnHidden } : {}),
        batch,
        seq,
        steps: n,
        tokensPerSec: Math.round(tokensPerSec),
        msPerStep: Number(r.ms.toFixed(1)),
        bestMsPerStep: Number(r.best.toFixed(1)),
        bestTokensPerSec: Math.round((batch * seq) / (r.best / 1000)),
        modelGflops: Number(modelGflops.toFixed(2)),
        matmulGflops: Number(rawGflops.toFixed(2)),
        ratio: Number((modelGflops / rawGflops).toFixed(3)),
        finalLoss: Number(r.finalLoss.toFixed(4)),
        leakedTensors: r.leaked,
      }),
    );
  }
}
