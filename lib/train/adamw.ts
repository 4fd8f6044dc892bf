// AdamW (decoupled weight decay) whose moment buffers follow the model's parameters through growth.
import * as tf from '@tensorflow/tfjs-core';
import { hasKernel, runKernel } from '../tokenformer/kernels/jsKernel';
import { readBack } from '../tokenformer/readBack';
import { ADAMW_UPDATE } from './adamwKernel';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /**
   * Which parameters decay. Default: matrices only (embedding, key/value parameter tokens, linear weights);
   * norm weights and biases (rank 1) do not, as in GPT-NeoX and nanoGPT.
   */
  decays?: (name: string, shape: readonly number[]) => boolean;
}

interface Moments {
  m: tf.Variable;
  v: tf.Variable;
}

/** Device-side copies of the optimizer's state (for rolling back a diverged run), from `capture()`. */
export interface AdamWCapture {
  /** Completed steps, int32 scalar. */
  t: tf.Tensor;
  moments: Map<string, { m: tf.Tensor; v: tf.Tensor }>;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  weightDecay: number;
  private readonly decays: (name: string, shape: readonly number[]) => boolean;
  private readonly moments = new Map<string, Moments>();
  /**
   * Completed steps, int32 scalar on the device: a step skipped on the device (`ok` false) leaves it as it was
   * without a read-back, so bias correction continues exactly. Growth keeps it. Read it with `steps()`.
   */
  private t: tf.Variable = tf.tidy(() => tf.variable(tf.scalar(0, 'int32'), false));

  /** `params` is the model's live map, so replacements made by growth are seen here. */
  constructor(
    private readonly params: Map<string, tf.Variable>,
    opts: AdamWOptions = {},
  ) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.95;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.1;
    this.decays = opts.decays ?? ((_name, shape) => shape.length >= 2);
  }

  /** Completed (not skipped) steps; reads the device counter back. */
  async steps(): Promise<number> {
    return (await this.t.data())[0];
  }

  /**
   * One update from gradients keyed by parameter name (missing names are left alone), each multiplied by
   * `gradScale` (a scalar tensor, e.g. the global-norm clip factor; default 1) without reading it back.
   * `ok` (a bool scalar tensor, default true) decides on the device whether the update happens: when false,
   * every parameter, moment and the step count keep their exact bits (e.g. a step whose loss or gradient norm
   * is not finite), and nothing is read back to decide.
   */
  step(grads: Map<string, tf.Tensor>, lr: number, gradScale?: tf.Scalar, ok?: tf.Scalar): void {
    for (const [name, g] of grads) {
      const p = this.params.get(name);
      if (!p) throw new Error(`AdamW: no parameter "${name}"`);
      if (!tf.util.arraysEqual(p.shape, g.shape)) throw new Error(`AdamW: gradient of "${name}" has shape [${g.shape}], parameter [${p.shape}]`);
    }
    const { beta1: b1, beta2: b2, eps } = this;
    const fused = hasKernel(ADAMW_UPDATE);
    const ctl = tf.tidy(() => {
      const okI = ok ? tf.cast(ok, 'int32') : tf.scalar(1, 'int32'); // 0 or 1
      const t = tf.add(this.t, okI) as tf.Scalar; // the step count after this step
      if (fused) return { t, okI, stepSize: undefined, epsHat: undefined };
      // lr folded with both bias corrections: p -= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + eps·√(1−β2ᵗ)), t on the device.
      const tf32 = tf.cast(t, 'float32');
      const c2 = tf.sqrt(tf.sub(1, tf.pow(tf.scalar(b2), tf32)));
      const stepSize = tf.div(tf.mul(c2, lr), tf.sub(1, tf.pow(tf.scalar(b1), tf32))) as tf.Scalar;
      const epsHat = tf.mul(c2, eps) as tf.Scalar;
      return { t, okI, stepSize, epsHat };
    });
    const keep = ok ? tf.cast(ok, 'bool') : undefined;
    for (const [name, g] of grads) {
      const p = this.params.get(name)!;
      const mom = this.momentsOf(name, p);
      const decay = this.decays(name, p.shape) ? 1 - lr * this.weightDecay : 1;
      tf.tidy(() => {
        const scale = gradScale ?? tf.scalar(1);
        if (fused) {
          // Coefficients in float64 inside the kernel, from the device step count (cpu/wasm read it in place).
          const [np, nm, nv] = runKernel<tf.Tensor[]>(ADAMW_UPDATE, { p, g, m: mom.m, v: mom.v, scale, t: ctl.t, ok: ctl.okI }, { beta1: b1, beta2: b2, lr, eps, decay });
          p.assign(np);
          mom.m.assign(nm);
          mom.v.assign(nv);
          return;
        }
        const gs = tf.mul(g, scale);
        const m = tf.add(tf.mul(mom.m, b1), tf.mul(gs, 1 - b1));
        const v = tf.add(tf.mul(mom.v, b2), tf.mul(tf.square(gs), 1 - b2));
        const update = tf.div(m, tf.add(tf.sqrt(v), ctl.epsHat!));
        const base = decay === 1 ? p : tf.mul(p, decay);
        const np = tf.sub(base, tf.mul(update, ctl.stepSize!));
        // A select, not a multiply by 0/1: NaN in the rejected branch must not leak into the kept one.
        const c = keep ? tf.broadcastTo(keep, p.shape) : undefined; // one condition for p, m and v
        p.assign(c ? tf.where(c, np, p) : np);
        mom.m.assign(c ? tf.where(c, m, mom.m) : m);
        mom.v.assign(c ? tf.where(c, v, mom.v) : v);
      });
    }
    this.t.assign(ctl.t);
    tf.dispose([ctl.t, ctl.okI, ...(ctl.stepSize ? [ctl.stepSize, ctl.epsHat!] : []), ...(keep ? [keep] : [])]);
  }

  /**
   * Follows a parameter that growth replaced by `newVar` (same trailing dims, more rows): its moments gain zero
   * rows, so old rows continue exactly and new rows start fresh.
   */
  extend(name: string, newVar: tf.Variable): void {
    this.stageExtend(name, newVar).commit();
  }

  /**
   * extend in two phases, for transactional growth: builds the grown moments beside the current ones (this may
   * throw, leaving the optimizer unchanged); `commit` swaps them in without allocating, `abort` frees them.
   */
  stageExtend(name: string, newVar: tf.Variable): { commit(): void; abort(): void } {
    const mom = this.moments.get(name);
    if (!mom) return { commit() {}, abort() {} }; // never stepped: moments are created at the new shape on first use
    const old = mom.m.shape;
    if (newVar.shape.length !== old.length || newVar.shape[0] < old[0] || !tf.util.arraysEqual(newVar.shape.slice(1), old.slice(1))) {
      throw new Error(`AdamW.extend("${name}"): cannot extend moments [${old}] to [${newVar.shape}]`);
    }
    const pad = (x: tf.Variable) =>
      tf.tidy(() => tf.variable(tf.concat([x, tf.zeros([newVar.shape[0] - old[0], ...old.slice(1)])], 0), false));
    const m = pad(mom.m);
    let v: tf.Variable;
    try {
      v = pad(mom.v);
    } catch (e) {
      m.dispose();
      throw e;
    }
    return {
      commit: () => {
        mom.m.dispose();
        mom.v.dispose();
        this.moments.set(name, { m, v });
      },
      abort: () => tf.dispose([m, v]),
    };
  }

  /**
   * Restores moments saved by `state()` (e.g. from a checkpoint) so training resumes exactly: the step count
   * continues and each parameter's moments must match its current shape.
   */
  restore(step: number, m: Map<string, Float32Array>, v: Map<string, Float32Array>): void {
    for (const [name, mData] of m) {
      const p = this.params.get(name);
      const vData = v.get(name);
      if (!p || !vData) throw new Error(`AdamW.restore: moments for "${name}" do not match a parameter of the model`);
      if (mData.length !== p.size || vData.length !== p.size) throw new Error(`AdamW.restore: moments of "${name}" have ${mData.length} values, the parameter has ${p.size}`);
    }
    for (const { m: om, v: ov } of this.moments.values()) tf.dispose([om, ov]);
    this.moments.clear();
    for (const [name, mData] of m) {
      const shape = this.params.get(name)!.shape;
      // In a tidy: the variable keeps the data, the initial tensor would otherwise stay counted (and held) forever.
      this.moments.set(name, tf.tidy(() => ({ m: tf.variable(tf.tensor(mData, shape), false), v: tf.variable(tf.tensor(v.get(name)!, shape), false) })));
    }
    this.setSteps(step);
  }

  /**
   * The step count and moments as device tensors, without a copy or a read-back: they share the current buffers,
   * which later steps replace rather than overwrite. The caller owns (and disposes) the capture.
   */
  capture(): AdamWCapture {
    const moments = new Map<string, { m: tf.Tensor; v: tf.Tensor }>();
    for (const [name, { m, v }] of this.moments) moments.set(name, { m: tf.clone(m), v: tf.clone(v) });
    return { t: tf.clone(this.t), moments };
  }

  /**
   * Returns to a capture taken at the current shapes (growth in between makes it unusable): moments created
   * since are dropped, as they were never there. The capture stays the caller's.
   */
  reset(c: AdamWCapture): void {
    for (const [name, { m }] of c.moments) {
      const p = this.params.get(name);
      if (!p || !tf.util.arraysEqual(p.shape, m.shape)) throw new Error(`AdamW.reset: the capture's moments of "${name}" do not match the model (grown since?)`);
    }
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
    for (const [name, { m, v }] of c.moments) this.moments.set(name, { m: tf.variable(m, false), v: tf.variable(v, false) });
    this.t.assign(c.t);
  }

  private setSteps(step: number) {
    if (!Number.isInteger(step) || step < 0 || step > 2 ** 31 - 1) throw new Error(`AdamW: step count ${step} is not a non-negative int32`);
    tf.tidy(() => this.t.assign(tf.scalar(step, 'int32')));
  }

  /**
   * Moment buffers as plain data (for checkpoints and tests), as of the call: clones keep the current buffers
   * (a step assigns new ones) while the read-back, asynchronous on every backend (see readBack), waits.
   */
  async state(): Promise<{ step: number; moments: Map<string, { shape: number[]; m: Float32Array; v: Float32Array }> }> {
    const t = tf.clone(this.t);
    const snapshot = [...this.moments].map(([name, { m, v }]) => ({ name, m: tf.clone(m), v: tf.clone(v) }));
    try {
      const step = (await t.data())[0];
      const moments = new Map<string, { shape: number[]; m: Float32Array; v: Float32Array }>();
      for (const { name, m, v } of snapshot) moments.set(name, { shape: [...m.shape], m: await readBack(m), v: await readBack(v) });
      return { step, moments };
    } finally {
      tf.dispose([t, ...snapshot.flatMap(({ m, v }) => [m, v])]);
    }
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
    this.t.dispose();
  }

  private momentsOf(name: string, p: tf.Variable): Moments {
    let mom = this.moments.get(name);
    if (!mom) {
      mom = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(p), false), v: tf.variable(tf.zerosLike(p), false) }));
      this.moments.set(name, mom);
    }
    if (!tf.util.arraysEqual(mom.m.shape, p.shape)) throw new Error(`AdamW: moments of "${name}" are [${mom.m.shape}] but the parameter is [${p.shape}] (call extend after growth)`);
    return mom;
  }
}
