// Reference-fixture parity in the browser, on whichever tfjs backend is active: logits, loss and gradient norms
// against ../shared/fixtures/reference-small (served at /fixtures/reference-small/ by scripts/copy-wasm.mjs),
// then a few AdamW steps compared with the same steps on the cpu backend. Drives /parity and e2e/webgpu-parity.
import * as tf from '@tensorflow/tfjs-core';
import { BASE_PATH } from '@/lib/engine/basePath';
import { readSafetensors, type NamedTensor } from '@/lib/io/safetensors';
import { fromReferenceConfig, NORM_ACTIVATIONS, type ModelConfig, type NormActivation } from '@/lib/tokenformer/config';
import { modelFromTensors } from '@/lib/tokenformer/model';
import { AdamW } from '@/lib/train/adamw';
import { maxAbsDiff } from '@/lib/train/numeric';
import { trainStep } from '@/lib/train/train_step';

export const FIXTURE_URL = `${BASE_PATH}/fixtures/reference-small/`;

interface NormExpectation {
  logits: number[][][];
  loss: number;
  grad_norms: Record<string, number>;
}

export interface ParityFixture {
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

/** The fixture from `base`, or null when it is not served (the build copies it only where ../shared/fixtures exists). */
export async function loadParityFixture(base = FIXTURE_URL): Promise<ParityFixture | null> {
  const get = async (name: string) => {
    const res = await fetch(base + name);
    return res.ok ? res : null;
  };
  const [cfg, expected, model] = await Promise.all([get('config.json'), get('expected.json'), get('model.safetensors')]);
  if (!cfg || !expected || !model) return null;
  const exp = (await expected.json()) as { ids: number[][]; by_norm: Record<NormActivation, NormExpectation> };
  return {
    config: fromReferenceConfig((await cfg.json()) as Record<string, unknown>),
    tensors: readSafetensors(new Uint8Array(await model.arrayBuffer())).tensors,
    ids: exp.ids,
    byNorm: exp.by_norm,
  };
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
      const ids = tf.tensor2d(fx.ids, undefined, 'int32');
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

/**
 * Parity of every norm on the active backend, then the same training steps on cpu for comparison (the active
 * backend is restored afterwards). Uses only public tfjs-core calls, so it runs wherever the engine runs.
 */
export async function runParity(fx: ParityFixture, opts: ParityOptions = {}): Promise<NormParity[]> {
  const steps = opts.trainSteps ?? 5;
  const lr = opts.lr ?? 1e-2;
  const backend = tf.getBackend();
  const out: NormParity[] = [];
  for (const norm of opts.norms ?? NORM_ACTIVATIONS) {
    const want = fx.byNorm[norm];
    const model = modelFromTensors({ ...fx.config, norm }, fx.tensors);
    const ids = tf.tensor2d(fx.ids, undefined, 'int32');
    const logits = model.logits(ids);
    const logitData = await logits.data();
    const names = [...model.params.keys()];
    const { value, grads } = tf.variableGrads(() => model.loss(ids), names.map((n) => model.params.get(n)!));
    const loss = (await value.data())[0];
    let gradNormMaxRelErr = 0;
    let gradNormWorst = '';
    const norms: number[] = [];
    for (const n of names) {
      const g = tf.norm(grads[model.params.get(n)!.name]);
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
