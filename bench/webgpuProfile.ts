// Where a WebGPU train step goes: programs dispatched per step by kind, uploads of CPU data, read-backs, kernels
// forwarded to the CPU, and (with timestamp queries) each kind's GPU time. Wraps the live tfjs-webgpu backend.
import * as tf from '@tensorflow/tfjs-core';

interface Backend {
  runWebGPUProgram(p: { constructor: { name: string } }, ...rest: unknown[]): unknown;
  uploadToGPU(dataId: object): void;
  read(dataId: object): Promise<unknown>;
  shouldExecuteOnCPU(inputs: unknown[], threshold?: number): boolean;
  tensorMap: { get(dataId: object): { resource?: unknown; values?: unknown } | undefined };
  pipelineCache: Record<string, unknown>;
  supportTimestampQuery: boolean;
  activeTimers: { name: string; query: Promise<number> }[] | null;
  programTimersStack: unknown;
}

export interface StepCounts {
  dispatches: number;
  uploads: number;
  reads: number;
  cpuForwarded: number;
  byProgram: Record<string, number>;
}

export interface ProgramTime {
  program: string;
  count: number;
  gpuMs: number;
}

/** Counts what the backend does until `stop()`; the backend runs as before. */
export function countWebGPUWork(): { stop(): StepCounts; pipelines(): number } {
  const be = tf.backend() as unknown as Backend;
  const counts: StepCounts = { dispatches: 0, uploads: 0, reads: 0, cpuForwarded: 0, byProgram: {} };
  const orig = { run: be.runWebGPUProgram, upload: be.uploadToGPU, read: be.read, cpu: be.shouldExecuteOnCPU };
  be.runWebGPUProgram = function (p, ...rest) {
    counts.dispatches++;
    counts.byProgram[p.constructor.name] = (counts.byProgram[p.constructor.name] ?? 0) + 1;
    return orig.run.call(this, p, ...rest);
  };
  be.uploadToGPU = function (dataId) {
    const d = this.tensorMap.get(dataId);
    if (d && d.resource == null && d.values != null) counts.uploads++;
    return orig.upload.call(this, dataId);
  };
  be.read = function (dataId) {
    counts.reads++;
    return orig.read.call(this, dataId);
  };
  be.shouldExecuteOnCPU = function (inputs, threshold) {
    const r = orig.cpu.call(this, inputs, threshold);
    if (r) counts.cpuForwarded++;
    return r;
  };
  return {
    stop() {
      Object.assign(be, { runWebGPUProgram: orig.run, uploadToGPU: orig.upload, read: orig.read, shouldExecuteOnCPU: orig.cpu });
      return counts;
    },
    pipelines: () => Object.keys(be.pipelineCache).length,
  };
}

/**
 * GPU time per program kind over `run` from timestamp queries (tfjs's own profiling path: each program is then
 * submitted alone, so the sum is larger than an unprofiled step). Null when the device has no timestamp queries.
 */
export async function timeWebGPUPrograms(run: () => Promise<unknown>): Promise<ProgramTime[] | null> {
  const be = tf.backend() as unknown as Backend;
  if (!be.supportTimestampQuery) return null;
  const timers: { name: string; query: Promise<number> }[] = [];
  be.activeTimers = timers;
  be.programTimersStack = timers;
  try {
    await run();
  } finally {
    be.activeTimers = null;
    be.programTimersStack = null;
  }
  const ms = await Promise.all(timers.map((t) => t.query));
  const by = new Map<string, ProgramTime>();
  timers.forEach((t, i) => {
    const e = by.get(t.name) ?? { program: t.name, count: 0, gpuMs: 0 };
    e.count++;
    e.gpuMs += ms[i];
    by.set(t.name, e);
  });
  return [...by.values()].map((e) => ({ ...e, gpuMs: Number(e.gpuMs.toFixed(2)) })).sort((a, b) => b.gpuMs - a.gpuMs);
}
