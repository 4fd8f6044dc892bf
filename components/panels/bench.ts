// A training-speed benchmark on one engine connection: warm up (shader compiles), then time a fixed number of steps.
import type { EngineApi } from '@/lib/engine/api';
import type { BackendInfo, PresetName } from '@/lib/engine/types';

export interface BenchOptions {
  preset: PresetName;
  steps: number;
  batchSize: number;
  seqLen?: number;
  warmupSteps?: number;
}

export interface BenchResult {
  backend: BackendInfo['backend'];
  adapter?: string;
  fallbacks: BackendInfo['fallbacks'];
  preset: PresetName;
  params: number;
  steps: number;
  batchSize: number;
  seqLen: number;
  warmupMs: number;
  msPerStep: number;
  tokensPerSec: number;
  finalLoss: number;
  numTensors: number;
  numBytes: number;
  userAgent: string;
}

const PRESETS: readonly string[] = ['micro', 'tiny', 'small'];
export const isPreset = (s: string | null): s is PresetName => s !== null && PRESETS.includes(s);

export async function runBench(api: EngineApi, info: BackendInfo, o: BenchOptions, onStatus: (s: string) => void = () => undefined): Promise<BenchResult> {
  onStatus('creating model');
  const model = await api.createModel({ preset: o.preset, seed: 1 });
  const seqLen = Math.min(o.seqLen ?? model.config.maxSeqLen, model.config.maxSeqLen);
  onStatus('loading data');
  await api.loadData({ kind: 'synthetic', task: 'mix', seed: 1 });
  const base = { batchSize: o.batchSize, seqLen, lr: 1e-3, evalEvery: 0, logEvery: 1_000_000 };
  onStatus('warming up');
  const w0 = performance.now();
  await api.train({ ...base, steps: Math.max(1, o.warmupSteps ?? 3) }, () => undefined);
  const warmupMs = performance.now() - w0;
  onStatus(`timing ${o.steps} steps`);
  const summary = await api.train({ ...base, steps: o.steps }, () => undefined);
  const mem = await api.memory();
  return {
    backend: info.backend,
    adapter: info.adapter,
    fallbacks: info.fallbacks,
    preset: o.preset,
    params: model.params,
    steps: summary.steps,
    batchSize: o.batchSize,
    seqLen,
    warmupMs: Math.round(warmupMs),
    msPerStep: summary.elapsedMs / Math.max(1, summary.steps),
    tokensPerSec: (summary.steps * o.batchSize * seqLen) / (summary.elapsedMs / 1000),
    finalLoss: summary.finalLoss,
    numTensors: mem.numTensors,
    numBytes: mem.numBytes,
    userAgent: typeof navigator !== 'undefined' ? navigator.userAgent : '',
  };
}
