// Fused AdamW update in JS for cpu and wasm: one pass per parameter instead of ~12 elementwise ops.
import { registerJsKernel } from '../tokenformer/kernels/jsKernel';

export const ADAMW_UPDATE = 'TokenformerAdamWUpdate';

export interface AdamWCoefficients {
  beta1: number;
  beta2: number;
  /** lr·√(1−β2ᵗ)/(1−β1ᵗ): both bias corrections folded in. */
  stepSize: number;
  /** eps·√(1−β2ᵗ) */
  epsHat: number;
  /** 1 − lr·weightDecay, or 1 for parameters without decay. */
  decay: number;
}

/** p, m, v updated in place from gradient g scaled by `gradScale` (global-norm clipping). */
export function adamwUpdate(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, gradScale: number, c: AdamWCoefficients): void {
  const { beta1, beta2, stepSize, epsHat, decay } = c;
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] * gradScale;
    const mi = beta1 * m[i] + a1 * gi;
    const vi = beta2 * v[i] + a2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * decay - (stepSize * mi) / (Math.sqrt(vi) + epsHat);
  }
}

/** The kernel's attributes: the coefficients follow from these and the step count, which lives on the device. */
export interface AdamWAttrs {
  beta1: number;
  beta2: number;
  lr: number;
  eps: number;
  /** 1 − lr·weightDecay, or 1 for parameters without decay. */
  decay: number;
}

/** Bias-corrected coefficients for step `t` (1-based), in float64. */
export function adamwCoefficients(a: AdamWAttrs, t: number): AdamWCoefficients {
  const c2 = Math.sqrt(1 - a.beta2 ** t);
  return { beta1: a.beta1, beta2: a.beta2, stepSize: (a.lr * c2) / (1 - a.beta1 ** t), epsHat: a.eps * c2, decay: a.decay };
}

registerJsKernel({
  name: ADAMW_UPDATE,
  inputNames: ['p', 'g', 'm', 'v', 'scale'],
  // t: the step count after this step; ok: 1 to update, 0 to pass p, m and v through bit for bit.
  int32Inputs: ['t', 'ok'],
  outputShapes: ([p]) => [p.shape, p.shape, p.shape],
  run: ([p, g, m, v, scale], [pOut, mOut, vOut], _shapes, attrs, [t, ok]) => {
    pOut.set(p);
    mOut.set(m);
    vOut.set(v);
    if (ok[0] !== 1) return;
    adamwUpdate(pOut, g, mOut, vOut, scale[0], adamwCoefficients(attrs as unknown as AdamWAttrs, t[0]));
  },
});
