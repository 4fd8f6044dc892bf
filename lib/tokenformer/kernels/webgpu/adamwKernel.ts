// WGSL AdamW update for webgpu: new p, m and v from one elementwise program each (a program has one output), with
// the step count `t` and the `ok` flag read on the device, so nothing is read back. With ok ≠ 1 every output is its
// input, bit for bit (a select: NaN in a rejected gradient cannot leak).
// It imports the kernel's name and attributes from lib/train, the one place this folder reaches above tokenformer.
import * as tf from '@tensorflow/tfjs-core';
import { ADAMW_UPDATE, type AdamWAttrs } from '../../../train/adamwKernel';
import { checkDtypes, elementwiseWorkgroups, ELEMENTWISE_WG, runProgram, webgpu } from './program';

type Info = tf.TensorInfo;

/**
 * The bias corrections 1 − βᵗ as −expm1(t·ln β) in float32: a Taylor series where |x| < ½ (exp(x) − 1 would
 * cancel for the small x of β2 = 0.999 at early steps), so they stay within a few ulp of the JS kernel's float64.
 */
const body = (out: 'p' | 'm' | 'v') => `
  fn expm1(x : f32) -> f32 {
    if (abs(x) >= 0.5) { return exp(x) - 1.0; }
    var s = 1.0 / 3628800.0;
    s = s * x + 1.0 / 362880.0;
    s = s * x + 1.0 / 40320.0;
    s = s * x + 1.0 / 5040.0;
    s = s * x + 1.0 / 720.0;
    s = s * x + 1.0 / 120.0;
    s = s * x + 1.0 / 24.0;
    s = s * x + 1.0 / 6.0;
    s = s * x + 0.5;
    s = s * x + 1.0;
    return s * x;
  }
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    let keep = okFlag[0] != 1;
    let gi = grad[index] * gradScale[0];
    ${out === 'v' ? '' : 'let mi = uniforms.beta1 * mom1[index] + uniforms.a1 * gi;'}
    ${out === 'm' ? '' : 'let vi = uniforms.beta2 * mom2[index] + uniforms.a2 * gi * gi;'}
    ${
      out === 'm'
        ? 'result[index] = select(mi, mom1[index], keep);'
        : out === 'v'
          ? 'result[index] = select(vi, mom2[index], keep);'
          : `let t = f32(stepCount[0]);
    let c1 = -expm1(t * uniforms.lnBeta1);
    let c2 = sqrt(-expm1(t * uniforms.lnBeta2));
    let stepSize = uniforms.lr * c2 / c1;
    let epsHat = uniforms.eps * c2;
    result[index] = select(param[index] * uniforms.decay - stepSize * mi / (sqrt(vi) + epsHat), param[index], keep);`
    }
  }`;

// a1, a2 = 1 − β1, 1 − β2 and the logs come rounded from float64, not computed in float32.
/** ln β, with β = 0 as a large finite negative number (βᵗ = 0 for every t ≥ 1, without an infinity on the device). */
const lnBeta = (b: number) => (b > 0 ? Math.log(b) : -1e30);

const UNIFORMS = 'size : i32, beta1 : f32, beta2 : f32, a1 : f32, a2 : f32, lnBeta1 : f32, lnBeta2 : f32, lr : f32, eps : f32, decay : f32,';

tf.registerKernel({
  kernelName: ADAMW_UPDATE,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { p, g, m, v, scale, t, ok } = inputs as Record<'p' | 'g' | 'm' | 'v' | 'scale' | 't' | 'ok', Info>;
    for (const [name, x] of Object.entries({ p, g, m, v, scale, t, ok })) if (!x) throw new Error(`${ADAMW_UPDATE}: missing input "${name}"`);
    checkDtypes(ADAMW_UPDATE, { p, g, m, v, scale, t, ok }, ['t', 'ok']);
    for (const x of [g, m, v]) if (!tf.util.arraysEqual(x.shape, p.shape)) throw new Error(`${ADAMW_UPDATE}: shapes [${x.shape}] and [${p.shape}] differ`);
    for (const x of [scale, t, ok]) if (tf.util.sizeFromShape(x.shape) !== 1) throw new Error(`${ADAMW_UPDATE}: scale, t and ok must be scalars, got [${x.shape}]`);
    const a = attrs as unknown as AdamWAttrs;
    for (const k of ['beta1', 'beta2', 'lr', 'eps', 'decay'] as const) if (!Number.isFinite(a[k])) throw new Error(`${ADAMW_UPDATE}: attribute ${k} is ${a[k]}`);
    if (!(a.beta1 >= 0 && a.beta1 < 1 && a.beta2 >= 0 && a.beta2 < 1)) throw new Error(`${ADAMW_UPDATE}: betas ${a.beta1}, ${a.beta2} are not in [0, 1)`);
    const size = tf.util.sizeFromShape(p.shape);
    const uniforms = [
      { type: 'int32' as const, data: [size] },
      ...[a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, lnBeta(a.beta1), lnBeta(a.beta2), a.lr, a.eps, a.decay].map((x) => ({ type: 'float32' as const, data: [x] })),
    ];
    const be = webgpu(backend);
    // Each program binds only what its WGSL reads (the pipeline's 'auto' layout drops unused bindings).
    const all: Record<string, Info> = { param: p, grad: g, mom1: m, mom2: v, gradScale: scale, stepCount: t, okFlag: ok };
    const used = { p: Object.keys(all), m: ['grad', 'mom1', 'gradScale', 'okFlag'], v: ['grad', 'mom2', 'gradScale', 'okFlag'] };
    return (['p', 'm', 'v'] as const).map((out) =>
      runProgram(
        be,
        { key: `tfAdamW_${out}`, inputs: used[out], outputShape: p.shape, workgroups: elementwiseWorkgroups(size), workgroupSize: ELEMENTWISE_WG, uniforms: UNIFORMS, body: body(out) },
        used[out].map((k) => all[k]),
        uniforms,
      ),
    );
  },
});
