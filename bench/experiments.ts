// The measurements behind notebooks 3 and 4 (grow-while-training, incremental-scaling), in Node on wasm.
//
//   npx tsx bench/experiments.ts [--only growth|scaling] [--preset micro] [--task mix] [--batch 16] [--seq 64]
//       [--lr 0.003] [--base-steps 400] [--after-steps 150] [--factor 1.5] [--norms l2_norm_gelu,gelu_l2_norm,softmax]
//       [--scratch-steps 800] [--small-steps 400] [--grown-steps 600] [--eval-every 25] [--eval-batches 8] [--seed 0]
//
// Prints one JSON line per result. Growth: for each norm, one model is trained, checkpointed with its optimizer, and
// for each mode reloaded, grown (every Pattention, ×factor tokens) and measured on the same held-out batches right
// before and after growth, then trained on for a while next to an ungrown control. Scaling: a large TokenFormer
// trained from scratch, a small one (half the tokens) trained then grown ×2 and continued, and a plain Transformer
// with the large model's parameter count; for each, the training FLOPs at which its validation bits per byte first
// reaches the from-scratch model's final value.
import * as tf from '@tensorflow/tfjs-core';
import { scriptFlags } from '../cli/args';
import { Engine } from '../lib/engine/engine';
import { createLab } from '../lib/engine/lab';
import type { EvalPoint, RunRecord } from '../lib/engine/types';
import { preset, type ModelConfig, type NormActivation, type PresetName } from '../lib/tokenformer/config';
import { matchedTransformer } from '../lib/tokenformer/size';
import { maxAbsDiff } from '../lib/train/numeric';
import type { GrowMode } from '../lib/tokenformer/types';

const n = (d: number, help: string) => ({ type: 'number' as const, default: d, help });
const flags = scriptFlags({
  name: 'bench/experiments',
  summary: 'The measurements behind the grow-while-training and incremental-scaling notebooks, in Node on wasm.',
  usage: 'npx tsx bench/experiments.ts [options]',
  flags: {
    only: { type: 'string', default: 'all', choices: ['all', 'growth', 'scaling'], help: 'which experiment' },
    preset: { type: 'string', default: 'micro', help: 'model preset' },
    task: { type: 'string', default: 'mix', help: 'synthetic task' },
    batch: n(16, 'batch size'),
    seq: n(64, 'sequence length'),
    lr: n(3e-3, 'peak learning rate'),
    seed: n(0, 'model seed'),
    'eval-batches': n(8, 'held-out batches per evaluation'),
    'eval-every': n(25, 'steps between evaluations'),
    norms: { type: 'string', default: 'l2_norm_gelu,gelu_l2_norm,softmax', help: 'growth: Pattention norms to compare' },
    'base-steps': n(400, 'growth: steps before growing'),
    'after-steps': n(150, 'growth: steps after growing'),
    factor: n(1.5, 'growth: token multiplier'),
    'scratch-steps': n(800, 'scaling: steps of the large model from scratch'),
    'small-steps': n(400, 'scaling: steps of the small model before growing'),
    'grown-steps': n(600, 'scaling: steps after growing'),
  },
});
const arg = (name: string) => String(flags[name]);
const num = (name: string) => flags[name] as number;

const only = arg('only');
const presetName = arg('preset') as PresetName;
const task = arg('task');
const batchSize = num('batch');
const seqLen = num('seq');
const lr = num('lr');
const seed = num('seed');
const evalBatches = num('eval-batches');
const evalEvery = num('eval-every');
const round = (x: number, d = 4) => Number(x.toFixed(d));
const print = (o: Record<string, unknown>) => console.log(JSON.stringify(o));

tf.env().set('PROD', true);
const engine = new Engine();
const info = await engine.init({ backend: 'wasm' });
const lab = createLab({ api: engine, info });
const t0 = performance.now();
// No train seed: the batch order follows the step count, as in the notebook (a continuation does not replay the first batches).
const train = (steps: number) => lab.train({ steps, batchSize, seqLen, lr, logEvery: 1 }).done;
const heldOut = () => lab.evaluate({ batches: evalBatches, batchSize: 8, seqLen });

/** The first val text of the task as ids, for a max |Δlogit| on one fixed batch. */
const probeIds = async (): Promise<number[][]> => {
  const text = (await lab.data(task)).sample;
  const ids = Array.from(new TextEncoder().encode(text)).slice(0, seqLen);
  return [ids];
};

async function growthExperiment() {
  const norms = arg('norms').split(',') as NormActivation[];
  const baseSteps = num('base-steps');
  const afterSteps = num('after-steps');
  const factor = num('factor');
  for (const norm of norms) {
    const model = await lab.model({ preset: presetName, config: { norm }, seed, name: `base ${norm}` });
    await lab.data(task);
    const ids = await probeIds();
    await train(baseSteps);
    const checkpoint = await lab.checkpointBytes(true);
    const trained = await heldOut();
    print({ experiment: 'growth-base', norm, preset: presetName, task, params: model.params, steps: baseSteps, valLoss: round(trained.loss), valBpb: round(trained.bpb) });
    for (const mode of ['none', 'preserve', 'zero', 'official'] as const) {
      await engine.loadCheckpoint(checkpoint, 'base.safetensors', { name: `${norm} ${mode}` });
      const before = await heldOut();
      const logitsBefore = (await engine.logits(ids)).logits;
      const event = mode === 'none' ? null : await lab.grow({ factor, target: 'all', mode: mode as GrowMode, seed: 1 });
      const after = await heldOut();
      const logitsAfter = (await engine.logits(ids)).logits;
      await train(afterSteps);
      const later = await heldOut();
      print({
        experiment: 'growth',
        norm,
        mode,
        appliedMode: event?.mode ?? 'none',
        paramsBefore: event?.paramsBefore ?? model.params,
        paramsAfter: event?.paramsAfter ?? model.params,
        valLossBefore: round(before.loss, 6),
        valLossAfter: round(after.loss, 6),
        lossJump: round(after.loss - before.loss, 6),
        maxAbsLogitChange: Number(maxAbsDiff(logitsBefore, logitsAfter).toExponential(3)),
        [`valLossAfter${afterSteps}MoreSteps`]: round(later.loss),
        elapsedS: round((performance.now() - t0) / 1000, 1),
      });
    }
  }
}

interface Curve {
  name: string;
  params: number;
  /** The run's record (lib/engine/run.ts): its evaluations and points, growth included. */
  run: RunRecord;
}

/** First cumulative FLOPs at which an evaluation reached `target` bits per byte (null: never). */
function flopsToReach(evals: readonly EvalPoint[], target: number): number | null {
  const hit = evals.find((e) => e.bpb <= target);
  return hit ? hit.flops : null;
}

async function scalingExperiment() {
  const scratchSteps = num('scratch-steps');
  const smallSteps = num('small-steps');
  const grownSteps = num('grown-steps');
  const large = preset(presetName);
  const half = (n: number) => Math.max(1, Math.round(n / 2));
  const small: Partial<ModelConfig> = { qkvTokens: half(large.qkvTokens), projTokens: half(large.projTokens), ffnTokens: half(large.ffnTokens) };
  const opts = { evalEvery, evalBatches };
  const curves: Curve[] = [];
  let growAtFlops = 0;
  const run = async (name: string, config: Partial<ModelConfig>, phases: { steps: number; growBefore?: boolean }[]) => {
    const m = await lab.model({ preset: presetName, config, seed, name });
    await lab.data(task);
    for (const p of phases) {
      if (p.growBefore) {
        growAtFlops = (await lab.run())?.points.at(-1)?.flops ?? 0;
        await lab.grow({ factor: 2, target: 'all', mode: 'preserve' });
      }
      await lab.train({ steps: p.steps, batchSize, seqLen, lr, seed, logEvery: 5, ...opts }).done;
    }
    const info = await lab.info();
    const record = (await lab.run())!;
    curves.push({ name, params: info!.params, run: record });
    const last = record.points.at(-1)!;
    print({ experiment: 'scaling-run', name, paramsStart: m.params, paramsEnd: info!.params, steps: last.step, flops: last.flops, finalValBpb: round(record.evals.at(-1)?.bpb ?? NaN), elapsedS: round((performance.now() - t0) / 1000, 1) });
  };
  await run('tokenformer large, from scratch', {}, [{ steps: scratchSteps }]);
  await run('tokenformer small → grown ×2', small, [{ steps: smallSteps }, { steps: grownSteps, growBefore: true }]);
  const tfm = matchedTransformer(large);
  await run(`transformer (ffnHidden ${tfm.ffnHidden}), from scratch`, { arch: 'transformer', ffnHidden: tfm.ffnHidden }, [{ steps: scratchSteps }]);

  const scratch = curves[0];
  const target = scratch.run.evals.at(-1)!.bpb;
  const scratchFlops = flopsToReach(scratch.run.evals, target)!;
  for (const c of curves) {
    const reach = flopsToReach(c.run.evals, target);
    const last = c.run.points.at(-1)!;
    const grownRun = c === curves[1];
    print({
      experiment: 'scaling',
      name: c.name,
      params: c.params,
      targetValBpb: round(target),
      finalValBpb: round(c.run.evals.at(-1)?.bpb ?? NaN),
      flopsToTarget: reach,
      relativeToScratch: reach === null ? null : round(reach / scratchFlops, 3),
      ...(grownRun ? { flopsBeforeGrowth: growAtFlops, flopsAfterGrowthToTarget: reach === null ? null : reach - growAtFlops } : {}),
      totalFlops: last.flops,
    });
  }
}

if (only === 'all' || only === 'growth') await growthExperiment();
if (only === 'all' || only === 'scaling') await scalingExperiment();
print({ done: true, backend: info.backend, elapsedS: round((performance.now() - t0) / 1000, 1) });
await engine.dispose();
