// Memory over a long run with growth (issue 9, target 6: flat over 1,000 steps), through the Engine.
//
//   npx tsx bench/memory.ts [--backend wasm] [--preset micro] [--steps 1000] [--grow-every 250] [--add 8]
//       [--batch 16] [--seq 64] [--sample-every 10]
//
// One train call of `steps` steps with a growth of `add` tokens per Pattention every `grow-every` steps. At every
// read-back (each `sample-every` steps) it samples tf.memory() (tensors, bytes), the process RSS and, on wasm, the
// size of the wasm heap. Prints one JSON line: the first and last samples, the slopes between growths (tensor
// bytes and count must not move there), the tensor bytes each added parameter brought against what it explains,
// the RSS slope over the second half of the run and the heap's after the last growth. `leak` flags anything beyond.
import * as tf from '@tensorflow/tfjs-core';
import { scriptFlags } from '../cli/args';
import { Engine } from '../lib/engine/engine';
import { PRESETS, preset, type PresetName } from '../lib/tokenformer/config';

const flags = scriptFlags({
  name: 'bench/memory',
  summary: 'Tensor, RSS and wasm-heap memory over a long training run with growth.',
  usage: 'npx tsx bench/memory.ts [options]',
  flags: {
    backend: { type: 'string', default: 'wasm', choices: ['wasm', 'cpu'], help: 'Node backend' },
    preset: { type: 'string', default: 'micro', choices: Object.keys(PRESETS), help: 'model preset' },
    steps: { type: 'number', default: 1000, help: 'training steps' },
    'grow-every': { type: 'number', default: 250, help: 'steps between growths (0: none)' },
    add: { type: 'number', default: 8, help: 'tokens added to every Pattention per growth' },
    batch: { type: 'number', default: 16, help: 'batch size' },
    seq: { type: 'number', default: 64, help: 'sequence length' },
    'sample-every': { type: 'number', default: 10, help: 'steps between samples (read-backs)' },
  },
});
const backend = flags.backend as 'wasm' | 'cpu';
const presetName = flags.preset as PresetName;
const steps = flags.steps as number;
const growEvery = flags['grow-every'] as number;
const add = flags.add as number;
const sampleEvery = Math.max(1, flags['sample-every'] as number);

/**
 * Tensor bytes per parameter while training: the value, AdamW's two moments, and the divergence guard's rollback
 * copy of all three (lib/train/snapshot.ts), float32 each.
 */
const BYTES_PER_PARAM = 4 * 3 * 2;

interface Sample {
  step: number;
  params: number;
  numTensors: number;
  numBytes: number;
  rss: number;
  wasmHeap: number | null;
}

/** The wasm backend's linear memory (it only grows), or null on other backends. */
function wasmHeapBytes(): number | null {
  const be = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return be.wasm?.HEAPU8?.buffer.byteLength ?? null;
}

/** Least-squares slope of y over x (0 for fewer than two points). */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx ? sxy / sxx : 0;
}

const engine = new Engine();
await engine.init({ backend });
await engine.loadData({ kind: 'synthetic', task: 'mix' });
const config = preset(presetName, { maxSeqLen: Math.max(flags.seq as number, preset(presetName).maxSeqLen) });
await engine.createModel({ config, seed: 0, name: 'bench memory' });
const growAt = growEvery > 0 ? Array.from({ length: Math.floor((steps - 1) / growEvery) }, (_, i) => ({ step: (i + 1) * growEvery, grow: { add, target: 'all' as const } })) : [];
const samples: Sample[] = [];
const t0 = performance.now();
process.stderr.write(`[memory] ${backend} ${presetName}: ${steps} steps, growth +${add} at steps ${growAt.map((g) => g.step).join(', ') || 'none'}\n`);
await engine.train({ steps, batchSize: flags.batch as number, seqLen: flags.seq as number, lr: 1e-3, evalEvery: 0, logEvery: sampleEvery, growAt }, (m) => {
  // Metrics come at read-backs, at most every 100 ms: each is sampled with the state right after its step.
  samples.push({ step: m.step, params: m.params, numTensors: m.numTensors, numBytes: m.numBytes, rss: process.memoryUsage().rss, wasmHeap: wasmHeapBytes() });
  if (m.step % 100 === 0) process.stderr.write(`[memory] step ${m.step}: ${m.numTensors} tensors, ${(m.numBytes / 2 ** 20).toFixed(2)} MiB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`);
});
const seconds = (performance.now() - t0) / 1000;
await engine.dispose();

// Segments between growths: a growth scheduled at step s happens after step s's metrics, before step s + 1.
const bounds = [0, ...growAt.map((g) => g.step), Infinity];
// After step 1 AdamW has just made its moments, which the guard's rollback copy (taken before that step) lacks:
// the state is complete from the next sample on.
const settled = samples.filter((s) => s.step > 1);
const segments = bounds.slice(1).map((end, i) => settled.filter((s) => s.step > bounds[i] && s.step <= end));
let tensorDrift = 0;
let byteDrift = 0;
for (const seg of segments) {
  if (seg.length < 2) continue;
  tensorDrift = Math.max(tensorDrift, Math.abs(seg.at(-1)!.numTensors - seg[0].numTensors));
  byteDrift = Math.max(byteDrift, Math.abs(seg.at(-1)!.numBytes - seg[0].numBytes));
}
if (!settled.length) throw new Error('too few samples: run more steps than --sample-every');
const first = settled[0];
const last = samples.at(-1)!;
const addedParams = last.params - first.params;
const addedBytes = last.numBytes - first.numBytes;
const unexplained = addedBytes - addedParams * BYTES_PER_PARAM;
const secondHalf = samples.filter((s) => s.step > steps / 2);
const rssSlope = slope(secondHalf.map((s) => [s.step, s.rss]));
// A growth may enlarge the heap (the grown step needs larger buffers); after the last one it must stay put.
const lastSegment = segments.at(-1) ?? [];
const heapSlope = last.wasmHeap === null ? null : slope(lastSegment.map((s) => [s.step, s.wasmHeap!]));
const flagsOut: string[] = [];
if (tensorDrift) flagsOut.push(`tensor count moved by ${tensorDrift} between two growths`);
if (byteDrift) flagsOut.push(`tensor bytes moved by ${byteDrift} between two growths`);
if (unexplained !== 0) flagsOut.push(`${unexplained} tensor bytes beyond ${BYTES_PER_PARAM} per added parameter`);
// RSS is noisy (the JS heap breathes, the samples themselves grow): only a climb past 32 MiB over the half counts.
const RSS_CLIMB_LIMIT = 32 * 2 ** 20;
if (rssSlope * (steps / 2) > RSS_CLIMB_LIMIT) flagsOut.push(`RSS climbs ${(rssSlope / 1024).toFixed(0)} KiB per step over the second half`);
if (heapSlope !== null && heapSlope > 0) flagsOut.push(`wasm heap grows ${(heapSlope / 1024).toFixed(1)} KiB per step after the last growth`);
console.log(
  JSON.stringify({
    bench: 'memory',
    backend,
    preset: presetName,
    steps: last.step,
    seconds: Number(seconds.toFixed(1)),
    growths: growAt.length,
    addPerPattention: add,
    samples: samples.length,
    first,
    last,
    addedParams,
    addedTensorBytes: addedBytes,
    bytesPerAddedParam: addedParams ? Number((addedBytes / addedParams).toFixed(2)) : null,
    expectedBytesPerParam: BYTES_PER_PARAM,
    maxTensorDriftBetweenGrowths: tensorDrift,
    maxByteDriftBetweenGrowths: byteDrift,
    rssBytesPerStepSecondHalf: Math.round(rssSlope),
    wasmHeapBytesPerStepAfterLastGrowth: heapSlope === null ? null : Math.round(heapSlope),
    leak: flagsOut.length > 0,
    flags: flagsOut,
  }),
);
