// Fused row-wise Pattention normalisations and GELU on plain Float32Arrays (the math behind the cpu/wasm kernels).
import type { NormActivation } from '../config';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erf(x) as Eigen's float32 rational approximation (odd degree-13 over even degree-8 on [-4, 4], ±1 beyond):
 * within 3e-7 of the exact function, with no exp, so a JS loop over it is ~4x faster than wasm's Erf kernel.
 */
export function erf(x: number): number {
  const v = x < -4 ? -4 : x > 4 ? 4 : x;
  const x2 = v * v;
  let p = P0;
  p = p * x2 + P1;
  p = p * x2 + P2;
  p = p * x2 + P3;
  p = p * x2 + P4;
  p = p * x2 + P5;
  p = p * x2 + P6;
  let q = Q0;
  q = q * x2 + Q1;
  q = q * x2 + Q2;
  q = q * x2 + Q3;
  q = q * x2 + Q4;
  return (v * p) / q;
}

/** erf's numerator (in v·p(v²)) and denominator (q(v²)) coefficients, highest power first: shared with the WGSL. */
export const ERF_P = [-2.72614225801306e-10, 2.77068142495902e-8, -2.10102402082508e-6, -5.69250639462346e-5, -7.34990630326855e-4, -2.95459980854025e-3, -1.60960333262415e-2] as const;
export const ERF_Q = [-1.45660718464996e-5, -2.13374055278905e-4, -1.68282697438203e-3, -7.37332916720468e-3, -1.42647390514189e-2] as const;
const [P0, P1, P2, P3, P4, P5, P6] = ERF_P;
const [Q0, Q1, Q2, Q3, Q4] = ERF_Q;

const POW2_BIAS = 1100;
const POW2 = new Float64Array(2 * POW2_BIAS);
for (let k = 0; k < POW2.length; k++) POW2[k] = 2 ** (k - POW2_BIAS);

/**
 * eˣ to ~6e-9 relative (below float32 rounding), ~2.5x faster than Math.exp in V8: 2^round(y) from a table
 * times a degree-7 Taylor polynomial of 2^r on |r| ≤ ½, with y = x·log2(e) clamped to ±1000.
 */
export function exp(x: number): number {
  let y = x * Math.LOG2E;
  if (y < -1000) y = -1000;
  else if (y > 1000) y = 1000;
  const k = Math.floor(y + 0.5);
  const r = (y - k) * Math.LN2;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040)))))));
  return p * POW2[k + POW2_BIAS];
}

/** Exact-form GELU, u·Φ(u). */
export function gelu(u: number): number {
  return 0.5 * u * (1 + erf(u * SQRT1_2));
}

/** d GELU / du = Φ(u) + u·φ(u). */
export function geluGrad(u: number): number {
  return 0.5 * (1 + erf(u * SQRT1_2)) + u * INV_SQRT_2PI * exp(-0.5 * u * u);
}

/**
 * f(S) row by row. `s` is [rows, n] row-major; `scaleTokens` is the n of √n (or n for softmax), which growth may
 * keep below the row length. When `grad` is given (training), the GELU forms also store there the per-element
 * factor the backward pass needs, computed here while Φ is at hand: gelu'(u) for l2_norm_gelu, gelu'(s)·√n/‖g‖ for
 * gelu_l2_norm (softmax needs none). This moves the backward's erf and exp into the forward's single erf pass.
 */
export function normForward(s: Float32Array, out: Float32Array, rows: number, n: number, norm: NormActivation, scaleTokens: number, grad?: Float32Array): void {
  if (norm === 'l2_norm_gelu') l2NormGeluForward(s, out, grad, rows, n, Math.sqrt(scaleTokens));
  else if (norm === 'gelu_l2_norm') geluL2NormForward(s, out, grad, rows, n, Math.sqrt(scaleTokens));
  else softmaxForward(s, out, rows, n, scaleTokens);
}

function l2NormGeluForward(s: Float32Array, out: Float32Array, grad: Float32Array | undefined, rows: number, n: number, sqrtM: number): void {
  for (let r = 0, o = 0; r < rows; r++, o += n) {
    let ss = 0;
    for (let j = 0; j < n; j++) ss += s[o + j] * s[o + j];
    const a = sqrtM / Math.sqrt(ss);
    if (grad) {
      for (let j = 0; j < n; j++) {
        const u = a * s[o + j];
        const cdf = 0.5 * (1 + erf(u * SQRT1_2));
        out[o + j] = u * cdf;
        grad[o + j] = cdf + u * INV_SQRT_2PI * exp(-0.5 * u * u);
      }
    } else {
      for (let j = 0; j < n; j++) out[o + j] = gelu(a * s[o + j]);
    }
  }
}

function geluL2NormForward(s: Float32Array, out: Float32Array, grad: Float32Array | undefined, rows: number, n: number, sqrtM: number): void {
  for (let r = 0, o = 0; r < rows; r++, o += n) {
    let gg = 0;
    for (let j = 0; j < n; j++) {
      const sj = s[o + j];
      const cdf = 0.5 * (1 + erf(sj * SQRT1_2));
      const g = sj * cdf;
      out[o + j] = g;
      gg += g * g;
      if (grad) grad[o + j] = cdf + sj * INV_SQRT_2PI * exp(-0.5 * sj * sj);
    }
    const a = sqrtM / Math.sqrt(gg);
    for (let j = 0; j < n; j++) out[o + j] *= a;
    if (grad) for (let j = 0; j < n; j++) grad[o + j] *= a;
  }
}

function softmaxForward(s: Float32Array, out: Float32Array, rows: number, n: number, m: number): void {
  for (let r = 0, o = 0; r < rows; r++, o += n) {
    // exp(s) / Σ exp(s) · n, shifted by the row max (the same value, without overflow).
    let mx = -Infinity;
    for (let j = 0; j < n; j++) if (s[o + j] > mx) mx = s[o + j];
    let z = 0;
    for (let j = 0; j < n; j++) {
      const e = exp(s[o + j] - mx);
      out[o + j] = e;
      z += e;
    }
    const a = m / z;
    for (let j = 0; j < n; j++) out[o + j] *= a;
  }
}

/** dS from dF for f(S), given the forward's `s`, output `f` and (GELU forms) its `grad` factor. */
export function normBackward(
  s: Float32Array,
  f: Float32Array,
  grad: Float32Array | null,
  df: Float32Array,
  ds: Float32Array,
  rows: number,
  n: number,
  norm: NormActivation,
  scaleTokens: number,
): void {
  if (norm !== 'softmax' && !grad) throw new Error(`${norm} backward needs the gradient factor from a training forward pass`);
  if (norm === 'l2_norm_gelu') {
    // u = a·s with a = √m/‖s‖; du = dF·gelu'(u); ds = a·(du − s·(s·du)/‖s‖²).
    const sqrtM = Math.sqrt(scaleTokens);
    for (let r = 0, o = 0; r < rows; r++, o += n) {
      let ss = 0;
      for (let j = 0; j < n; j++) ss += s[o + j] * s[o + j];
      const a = sqrtM / Math.sqrt(ss);
      let dot = 0;
      for (let j = 0; j < n; j++) {
        const du = df[o + j] * grad![o + j];
        ds[o + j] = du;
        dot += s[o + j] * du;
      }
      const c = dot / ss;
      for (let j = 0; j < n; j++) ds[o + j] = a * (ds[o + j] - s[o + j] * c);
    }
  } else if (norm === 'gelu_l2_norm') {
    // f = √m·g/‖g‖, so dg = (√m/‖g‖)·(dF − f·(f·dF)/m) and ds = dg·gelu'(s); grad holds gelu'(s)·√m/‖g‖.
    for (let r = 0, o = 0; r < rows; r++, o += n) {
      let fd = 0;
      for (let j = 0; j < n; j++) fd += f[o + j] * df[o + j];
      const c = fd / scaleTokens;
      for (let j = 0; j < n; j++) ds[o + j] = grad![o + j] * (df[o + j] - f[o + j] * c);
    }
  } else {
    // f = m·softmax(s); ds = f·(dF − Σ f·dF / m).
    for (let r = 0, o = 0; r < rows; r++, o += n) {
      let fd = 0;
      for (let j = 0; j < n; j++) fd += f[o + j] * df[o + j];
      const c = fd / scaleTokens;
      for (let j = 0; j < n; j++) ds[o + j] = f[o + j] * (df[o + j] - c);
    }
  }
}

export function geluForward(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) out[i] = gelu(x[i]);
}

export function geluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < x.length; i++) dx[i] = dy[i] * geluGrad(x[i]);
}
