// Dispatches and time per TokenFormer train step on webgpu under Node (Dawn; SwiftShader unless --gpu), with the
// fused WGSL kernels on and off (setCustomKernelsEnabled), per preset.
//
//   npx tsx bench/webgpuKernels.ts [--presets micro,tiny] [--batch 8] [--seq 64] [--steps 3] [--gpu] [--profile]
//
// Prints one JSON line per (preset, kernels): GPU dispatches per step (tfjs programs run), kernel calls per step,
// the mean and fastest ms per step after a warm-up step (shader compilation), and the last loss. Steps with the
// kernels on and off alternate on one model (a shared machine's load drifts). --profile adds
// the device time per kernel name of one more step (timestamp queries), largest first.
import * as tf from '@tensorflow/tfjs-core';
import { scriptFlags } from '../cli/args';
import { preset, PRESETS, type PresetName } from '../lib/tokenformer/config';
import { setCustomKernelsEnabled } from '../lib/tokenformer/kernels/jsKernel';
import { createModel } from '../lib/tokenformer/model';
import { AdamW } from '../lib/train/adamw';
import { trainStep } from '../lib/train/trainStep';
import { useWebGPU } from '../lib/testing/webgpu';

const flags = scriptFlags({
  name: 'bench/webgpuKernels',
  summary: 'Dispatches and ms per train step on webgpu, fused WGSL kernels on and off.',
  usage: 'npx tsx bench/webgpuKernels.ts [options]',
  flags: {
    presets: { type: 'string', default: 'micro,tiny', help: 'comma-separated model presets' },
    batch: { type: 'number', default: 8, help: 'batch size' },
    seq: { type: 'number', default: 64, help: 'sequence length' },
    steps: { type: 'number', default: 3, help: 'timed steps per configuration (after one warm-up step)' },
    gpu: { type: 'boolean', default: false, help: 'use the machine’s Vulkan driver instead of SwiftShader' },
    profile: { type: 'boolean', default: false, help: 'add device ms per kernel name for one step' },
  },
});
const presets = (flags.presets as string).split(',') as PresetName[];
for (const p of presets) if (!(p in PRESETS)) throw new Error(`unknown preset "${p}" (expected one of ${Object.keys(PRESETS).join(', ')})`);
const batch = flags.batch as number;
const seq = flags.seq as number;
const steps = flags.steps as number;

await useWebGPU({ software: !flags.gpu });
const backend = tf.backend() as unknown as { runWebGPUProgram: (...a: unknown[]) => unknown };
const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
let dispatches = 0;
let kernels = 0;
const runProgram = backend.runWebGPUProgram;
backend.runWebGPUProgram = function (this: unknown, ...a: unknown[]) {
  dispatches++;
  return runProgram.apply(this, a);
};
const runKernel = engine.runKernel;
engine.runKernel = function (this: unknown, ...a: unknown[]) {
  kernels++;
  return runKernel.apply(this, a);
};

/** Fixed token ids [batch, seq] (the step's cost does not depend on their values). */
const batchIds = () => tf.tensor2d(Int32Array.from({ length: batch * seq }, (_, i) => (i * 7919 + 13) % 256), [batch, seq], 'int32');

/** Device ms per kernel name over one step, largest first (0 where the adapter has no timestamp queries). */
async function profileStep(step: () => tf.Scalar): Promise<Record<string, number>> {
  const info = await tf.profile(async () => {
    const l = step();
    await l.data();
    return l;
  });
  tf.dispose(info.result as tf.Tensor);
  const ms = new Map<string, number>();
  for (const k of info.kernels) ms.set(k.name, (ms.get(k.name) ?? 0) + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0));
  return Object.fromEntries([...ms].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Number(v.toFixed(1))]));
}

/** One train step with the custom kernels on or off: its ms (GPU work included), dispatches, kernel calls, loss. */
async function timedStep(model: ReturnType<typeof createModel>, opt: AdamW, fused: boolean) {
  setCustomKernelsEnabled(fused);
  const ids = batchIds();
  [dispatches, kernels] = [0, 0];
  const t0 = performance.now();
  const l = trainStep(model, opt, ids, 1e-3);
  const loss = (await l.data())[0]; // waits for the step's GPU work
  const ms = performance.now() - t0;
  tf.dispose([l, ids]);
  return { ms, dispatches, kernels, loss };
}

// Steps with the kernels on and off alternate on one model, so a load that drifts (a shared machine) hits both alike.
for (const name of presets) {
  const model = createModel(preset(name, { maxSeqLen: Math.max(seq, preset(name).maxSeqLen) }), { seed: 0 });
  const opt = new AdamW(model.params);
  const configs = [true, false].map((fused) => ({ fused, times: [] as number[], last: { ms: 0, dispatches: 0, kernels: 0, loss: NaN } }));
  for (const c of configs) await timedStep(model, opt, c.fused); // shader compilation
  for (let s = 0; s < steps; s++) {
    for (const c of configs) {
      c.last = await timedStep(model, opt, c.fused);
      c.times.push(c.last.ms);
    }
  }
  for (const c of configs) {
    setCustomKernelsEnabled(c.fused);
    const profileIds = batchIds();
    const profile = flags.profile ? await profileStep(() => trainStep(model, opt, profileIds, 1e-3)) : undefined;
    profileIds.dispose();
    const mean = c.times.reduce((a, b) => a + b, 0) / c.times.length;
    const best = Math.min(...c.times);
    console.log(
      JSON.stringify({
        backend: 'webgpu',
        adapter: flags.gpu ? 'vulkan' : 'swiftshader',
        preset: name,
        customKernels: c.fused,
        batch,
        seq,
        steps,
        dispatchesPerStep: c.last.dispatches,
        kernelCallsPerStep: c.last.kernels,
        msPerStep: Number(mean.toFixed(1)),
        bestMsPerStep: Number(best.toFixed(1)),
        msSteps: c.times.map((t) => Math.round(t)),
        tokensPerSec: Math.round((batch * seq) / (best / 1000)),
        loss: Number(c.last.loss.toFixed(4)),
        ...(profile ? { deviceMsByKernel: profile } : {}),
      }),
    );
  }
  opt.dispose();
  model.dispose();
}
setCustomKernelsEnabled(true);
