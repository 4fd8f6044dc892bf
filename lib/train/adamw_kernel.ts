// Fused AdamW update in JS for cpu and wasm: one pass per parameter instead of ~12 elementwise ops.
import { registerJsKernel } from '../tokenformer/kernels/js_kernel';

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

registerJsKernel({
  name: ADAMW_UPDATE,
  inputNames: ['p', 'g', 'm', 'v', 'scale'],
  outputShapes: ([p]) => [p.shape, p.shape, p.shape],
  run: ([p, g, m, v, scale], [pOut, mOut, vOut], _shapes, attrs) => {
    pOut.set(p);
    mOut.set(m);
    vOut.set(v);
    adamwUpdate(pOut, g, mOut, vOut, scale[0], attrs as unknown as AdamWCoefficients);
  },
});
