// What a growth costs next to a training step (issue 9, target 6: less than one step), through the Engine.
//
//   npx tsx bench/growth.ts [--backends wasm] [--preset tiny] [--batch 16] [--seq 128] [--add 64] [--steps 4]
//
// Per backend, one JSON line: the steady step time before growth (median of `steps` steps); a growth of `add`
// tokens per Pattention scheduled between two steps of a running train call, timed from the metrics of the step
// before it to the growth event; the step after it next to the grown model's median step; and the same growth
// while idle, timed around engine.grow. ratio = growth time / step time.
import { scriptFlags } from '../cli/args';
import { Engine } from '../lib/engine/engine';
import type { Metrics } from '../lib/engine/types';
import { preset, PRESETS, type PresetName } from '../lib/tokenformer/config';

const flags = scriptFlags({
  name: 'bench/growth',
  summary: 'Time of a growth between two training steps against the time of one step, per Node backend.',
  usage: 'npx tsx bench/growth.ts [options]',
  flags: {
    backends: { type: 'string', default: 'wasm', help: 'comma-separated Node backends' },
    preset: { type: 'string', default: 'tiny', choices: Object.keys(PRESETS), help: 'model preset' },
    batch: { type: 'number', default: 16, help: 'batch size' },
    seq: { type: 'number', default: 128, help: 'sequence length' },
    add: { type: 'number', default: 64, help: 'tokens added to every Pattention per growth' },
    steps: { type: 'number', default: 4, help: 'timed steps on either side of the growth' },
  },
});
const presetName = flags.preset as PresetName;
const batch = flags.batch as number;
const seq = flags.seq as number;
const add = flags.add as number;
const steps = Math.max(2, flags.steps as number);
const round = (x: number, d = 1) => Number(x.toFixed(d));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Each step's time from a train call's metrics (logEvery 1: one metrics message per step, see bench/engine.ts). */
function stepTimes(seen: Metrics[]): { step: number; ms: number; growth: boolean }[] {
  return seen.slice(1).map((m, i) => ({ step: m.step, ms: m.elapsedMs - seen[i].elapsedMs, growth: !!m.growth }));
}

for (const backend of (flags.backends as string).split(',')) {
  const engine = new Engine();
  await engine.init({ backend: backend as 'wasm' | 'cpu' });
  await engine.loadData({ kind: 'synthetic', task: 'copy' });
  const config = preset(presetName, { maxSeqLen: Math.max(seq, preset(presetName).maxSeqLen) });
  const info = await engine.createModel({ config, seed: 0, name: 'bench growth' });
  const opts = { batchSize: batch, seqLen: seq, lr: 1e-3, minLr: 1e-3, warmupSteps: 0, evalEvery: 0, logEvery: 1 };
  process.stderr.write(`[growth] ${backend}: warming up\n`);
  await engine.train({ ...opts, steps: 2 }, () => {});

  // Mid-run: the growth lands between step `at` and the next one of the same train call. Its own time runs from the
  // metrics of step `at` (sent once that step's update is applied) to the growth event (published as soon as the
  // model and optimizer are grown), both delivered synchronously.
  const seen: Metrics[] = [];
  const seenAt = new Map<number, number>();
  let grownAt = NaN;
  const sub = await engine.subscribe((u) => {
    if (u.growth) grownAt = performance.now();
  });
  const at = (await engine.modelInfo())!.step + steps + 1;
  process.stderr.write(`[growth] ${backend}: ${2 * steps + 1} steps with a growth of +${add} per Pattention after step ${at}\n`);
  await engine.train({ ...opts, steps: 2 * steps + 1, growAt: [{ step: at, grow: { add, target: 'all' } }] }, (m) => {
    seenAt.set(m.step, performance.now());
    seen.push(m);
  });
  await engine.unsubscribe(sub.id);
  const directMs = grownAt - (seenAt.get(at) ?? NaN);
  const times = stepTimes(seen);
  const g = times.findIndex((t) => t.growth);
  if (g < 0) throw new Error('the growth did not happen during the run');
  const before = median(times.slice(0, g).map((t) => t.ms));
  const after = median(times.slice(g + 1).map((t) => t.ms));
  const growthStep = times[g].ms;

  // Idle: engine.grow alone (the checks, the grown variables and moments, the swap).
  const paramsMid = (await engine.modelInfo())!.params;
  const t0 = performance.now();
  const idle = await engine.grow({ add, target: 'all' });
  const idleMs = performance.now() - t0;
  const seenIdle: Metrics[] = [];
  await engine.train({ ...opts, steps: steps + 1 }, (m) => seenIdle.push(m));
  const afterIdle = median(stepTimes(seenIdle).map((t) => t.ms));
  process.stderr.write(`[growth] step ms: ${times.map((t) => `${t.step}${t.growth ? '*' : ''} ${t.ms.toFixed(0)}`).join(', ')}; after idle growth: ${stepTimes(seenIdle).map((t) => t.ms.toFixed(0)).join(', ')}\n`);

  console.log(
    JSON.stringify({
      bench: 'growth',
      backend,
      preset: presetName,
      batch,
      seq,
      addPerPattention: add,
      paramsBefore: info.params,
      paramsAfterMidRun: paramsMid,
      paramsAfterIdle: idle.paramsAfter,
      stepMs: round(before),
      growMs: round(directMs),
      ratio: round(directMs / before, 3),
      // The step that follows a growth, against the grown model's median step (first use of the new shapes).
      firstGrownStepMs: round(growthStep),
      grownStepMs: round(after),
      idle: { growMs: round(idleMs), ratio: round(idleMs / before, 3), grownStepMs: round(afterIdle) },
      belowOneStep: directMs < before && idleMs < before,
    }),
  );
  await engine.dispose();
}
