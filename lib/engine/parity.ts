// Reference-fixture parity on the engine's own backend: logits, loss and gradient norms against
// ../shared/fixtures/reference-small, then a few AdamW steps compared with the same steps on cpu. The engine runs it
// (Engine.parity), so /parity checks the backend inside the worker, the one users train on, and Node checks the same
// code in-process.
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, type NamedTensor } from '../io/safetensors';
import { fromReferenceConfig, NORM_ACTIVATIONS, type ModelConfig, type NormActivation } from '../tokenformer/config';
import { fusedProgramRuns } from '../tokenformer/kernels/webgpu/program';
import { modelFromTensors } from '../tokenformer/model';
import { AdamW } from '../train/adamw';
import { maxAbsDiff } from '../train/numeric';
import { trainStep } from '../train/trainStep';
import type { BackendInfo } from './types';

interface NormExpectation {
  /** [B, T, vocab] */
  logits: number[][][];
  loss: number;
  grad_norms: Record<string, number>;
}

/** The fixture's three files as served (config.json, expected.json parsed; model.safetensors as bytes). */
export interface ParityFiles {
  config: Record<string, unknown>;
  expected: { ids: number[][]; by_norm: Record<NormActivation, NormExpectation> };
  model: Uint8Array;
}

interface ParityFixture {
  config: ModelConfig;
  tensors: Map<string, NamedTensor>;
  ids: number[][];
  byNorm: Record<NormActivation, NormExpectation>;
}

export interface NormParity {
  norm: NormActivation;
  /** max |logits − reference| */
  logitsMaxAbsDiff: number;
  /** Non-finite entries among the logits, loss and gradient norms. */
  nonFinite: number;
  loss: number;
  lossRelErr: number;
  /** Largest relative error of a gradient norm, and whose. */
  gradNormMaxRelErr: number;
  gradNormWorst: string;
  /** Loss before each training step on this backend (step 0 = the fixture's loss). */
  trainLosses: number[];
  /** The same steps on the cpu backend. */
  cpuTrainLosses: number[];
  /** max over steps of |loss − cpu loss| / cpu loss */
  trainMaxRelDiff: number;
  msPerStep: number;
}

export interface ParityOptions {
  trainSteps?: number;
  lr?: number;
  norms?: readonly NormActivation[];
}

export interface ParityReport extends BackendInfo {
  results: NormParity[];
  /** Errors the WebGPU device reported without throwing (e.g. an invalid pipeline), in order: the first few. */
  gpuErrors: string[];
  /** All of them, including those past the first few kept in `gpuErrors`. */
  gpuErrorCount: number;
  /** Runs of each fused WGSL program during the check, by key (empty off webgpu or on the composed fallback). */
  fusedKernelRuns: Record<string, number>;
}

const countNonFinite = (xs: ArrayLike<number>) => Array.prototype.filter.call(xs, (x: number) => !Number.isFinite(x)).length;

/** Loss before each of `steps` AdamW steps on the fixture batch, reading every loss back (so nothing is deferred). */
async function trainLosses(fx: ParityFixture, norm: NormActivation, steps: number, lr: number): Promise<{ losses: number[]; msPerStep: number }> {
  const model = modelFromTensors({ ...fx.config, norm }, fx.tensors);
  const opt = new AdamW(model.params);
  const losses: number[] = [];
  let ms = 0;
  try {
    for (let s = 0; s < steps; s++) {
      const ids = tf.tensor2d(fx.ids, undefined, 'int32'); // [B, T]
      const t0 = performance.now();
      const loss = trainStep(model, opt, ids, lr);
      losses.push((await loss.data())[0]);
      // The first step compiles shaders; time the rest.
      if (s > 0) ms += performance.now() - t0;
      tf.dispose([loss, ids]);
    }
  } finally {
    opt.dispose();
    model.dispose();
  }
  return { losses, msPerStep: steps > 1 ? ms / (steps - 1) : NaN };
}

/** Parity of every norm on the active backend, then the same training steps on cpu (the backend is restored after). */
async function runParity(fx: ParityFixture, opts: ParityOptions): Promise<NormParity[]> {
  const steps = opts.trainSteps ?? 5;
  const lr = opts.lr ?? 1e-2;
  const backend = tf.getBackend();
  const out: NormParity[] = [];
  for (const norm of opts.norms ?? NORM_ACTIVATIONS) {
    const want = fx.byNorm[norm];
    const model = modelFromTensors({ ...fx.config, norm }, fx.tensors);
    const ids = tf.tensor2d(fx.ids, undefined, 'int32'); // [B, T]
    const logits = tf.tidy(() => model.logits(ids)); // [B, T, V]
    const logitData = await logits.data();
    const names = [...model.params.keys()];
    const { value, grads } = tf.variableGrads(() => model.loss(ids), names.map((n) => model.params.get(n)!));
    const loss = (await value.data())[0];
    let gradNormMaxRelErr = 0;
    let gradNormWorst = '';
    const norms: number[] = [];
    for (const n of names) {
      const g = tf.norm(grads[model.params.get(n)!.name]); // []
      const v = (await g.data())[0];
      g.dispose();
      norms.push(v);
      const ref = want.grad_norms[n];
      const rel = ref === undefined ? Infinity : Math.abs(v - ref) / ref;
      if (!(rel <= gradNormMaxRelErr)) {
        gradNormMaxRelErr = Number.isNaN(rel) ? Infinity : rel;
        gradNormWorst = n;
      }
    }
    tf.dispose([value, ...Object.values(grads), ids, logits]);
    model.dispose();
    const trained = await trainLosses(fx, norm, steps, lr);
    out.push({
      norm,
      logitsMaxAbsDiff: maxAbsDiff(logitData, want.logits.flat(2)),
      nonFinite: countNonFinite(logitData) + countNonFinite([loss, ...norms]),
      loss,
      lossRelErr: Math.abs(loss - want.loss) / want.loss,
      gradNormMaxRelErr,
      gradNormWorst,
      trainLosses: trained.losses,
      cpuTrainLosses: [],
      trainMaxRelDiff: NaN,
      msPerStep: trained.msPerStep,
    });
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not start');
  try {
    for (const r of out) {
      r.cpuTrainLosses = (await trainLosses(fx, r.norm, steps, lr)).losses;
      const diffs = r.trainLosses.map((l, i) => Math.abs(l - r.cpuTrainLosses[i]) / Math.abs(r.cpuTrainLosses[i]));
      r.trainMaxRelDiff = diffs.some((d) => !Number.isFinite(d)) ? Infinity : Math.max(...diffs);
    }
  } finally {
    await tf.setBackend(backend);
  }
  return out;
}

type GpuDevice = EventTarget & { lost?: Promise<unknown> };

/**
 * The parity report on the engine's backend (`info`), with the WebGPU device's uncaptured errors, which otherwise
 * are only a console line. Builds its own models from the fixture and disposes them; the engine's model is untouched.
 */
export async function checkParity(info: BackendInfo, files: ParityFiles, opts: ParityOptions = {}): Promise<ParityReport> {
  const fx: ParityFixture = {
    config: fromReferenceConfig(files.config),
    tensors: readSafetensors(files.model).tensors,
    ids: files.expected.ids,
    byNorm: files.expected.by_norm,
  };
  const gpuErrors: string[] = [];
  let gpuErrorCount = 0;
  // tfjs-backend-webgpu keeps its GPUDevice as `device`.
  const device = (tf.backend() as unknown as { device?: GpuDevice }).device;
  const onError = (e: Event) => {
    // The first few say what went wrong; one invalid pipeline can repeat on every step.
    if (gpuErrorCount++ < 8) gpuErrors.push(String((e as Event & { error?: { message?: string } }).error?.message ?? e.type));
  };
  device?.addEventListener?.('uncapturederror', onError);
  try {
    const before = fusedProgramRuns();
    const results = await runParity(fx, opts);
    const fusedKernelRuns = Object.fromEntries(Object.entries(fusedProgramRuns()).map(([k, n]) => [k, n - (before[k] ?? 0)]).filter(([, n]) => (n as number) > 0));
    return { ...info, results, gpuErrors, gpuErrorCount, fusedKernelRuns };
  } finally {
    device?.removeEventListener?.('uncapturederror', onError);
  }
}
