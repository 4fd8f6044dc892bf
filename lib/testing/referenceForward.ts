// Test helper: the reference TokenFormer forward (../shared/fixtures/README.md) in plain float64 JavaScript, apart
// from the tfjs model, so tests can check the lab's numbers against the reference formula on their own.
import type { NormActivation } from '../tokenformer/config';

export interface ReferenceModel {
  numLayers: number;
  hiddenSize: number;
  numHeads: number;
  rotaryPct: number;
  rotaryBase?: number;
  layerNormEps?: number;
  norm: NormActivation;
  /** Tensors by reference name ([rows, cols] row-major). */
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  /** n in each Pattention's √n (or n); default: its key count, as the reference always uses. */
  scaleTokens?: (prefix: string) => number | undefined;
}

type Mat = Float64Array[];

// Abramowitz & Stegun 7.1.26 is only 1.5e-7 accurate; this series/continued fraction pair is ~1e-15.
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc by Lentz's continued fraction.
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = ax + an * d;
    d = 1 / d;
    c = ax + an / c;
    f *= c * d;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}
const gelu = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

function mat(t: { shape: number[]; data: Float32Array }): Mat {
  const [r, c] = t.shape;
  return Array.from({ length: r }, (_, i) => Float64Array.from(t.data.subarray(i * c, (i + 1) * c)));
}
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);

function layerNorm(x: Float64Array, eps: number, w?: Float64Array, b?: Float64Array): Float64Array {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * (w ? w[i] : 1) + (b ? b[i] : 0));
}

function pattention(x: Float64Array, K: Mat, V: Mat, norm: NormActivation, n: number): Float64Array {
  const s = K.map((k) => dot(x, k));
  let f: number[];
  if (norm === 'l2_norm_gelu') {
    const l2 = Math.sqrt(s.reduce((a, v) => a + v * v, 0));
    f = s.map((v) => gelu((v / l2) * Math.sqrt(n)));
  } else if (norm === 'gelu_l2_norm') {
    const g = s.map(gelu);
    const l2 = Math.sqrt(g.reduce((a, v) => a + v * v, 0));
    f = g.map((v) => (v / l2) * Math.sqrt(n));
  } else {
    const m = Math.max(...s);
    const e = s.map((v) => Math.exp(v - m));
    const z = e.reduce((a, v) => a + v, 0);
    f = e.map((v) => (v / z) * n);
  }
  const out = new Float64Array(V[0].length);
  f.forEach((w, j) => V[j].forEach((v, c) => (out[c] += w * v)));
  return out;
}

/** Logits [T][V] for one row of ids. */
export function referenceLogits(m: ReferenceModel, ids: number[]): Float64Array[] {
  const get = (name: string) => {
    const t = m.tensors.get(name);
    if (!t) throw new Error(`reference forward: no tensor ${name}`);
    return t;
  };
  const eps = m.layerNormEps ?? 1e-5;
  const base = m.rotaryBase ?? 10000;
  const d = m.hiddenSize;
  const hd = d / m.numHeads;
  const r = Math.floor(hd * m.rotaryPct);
  const E = mat(get('sequential.0.word_embeddings.weight'));
  const T = ids.length;
  let x: Mat = ids.map((id) => Float64Array.from(E[id]));
  const P = (prefix: string, inp: Float64Array) => {
    const K = mat(get(`${prefix}.key_param_tokens`));
    return pattention(inp, K, mat(get(`${prefix}.value_param_tokens`)), m.norm, m.scaleTokens?.(prefix) ?? K.length);
  };
  const rotate = (v: Float64Array, t: number) => {
    const out = Float64Array.from(v);
    const half = r / 2;
    for (let i = 0; i < r; i++) {
      const freq = 1 / base ** ((2 * (i % half)) / r);
      const rot = i < half ? -v[i + half] : v[i - half];
      out[i] = v[i] * Math.cos(t * freq) + rot * Math.sin(t * freq);
    }
    return out;
  };
  for (let l = 0; l < m.numLayers; l++) {
    const pre = `sequential.${l + 2}`;
    const h = x.map((row) => layerNorm(row, eps));
    const q = h.map((row) => P(`${pre}.attention.query`, row));
    const k = h.map((row) => P(`${pre}.attention.key`, row));
    const v = h.map((row) => P(`${pre}.attention.value`, row));
    const ctx: Mat = Array.from({ length: T }, () => new Float64Array(d));
    for (let head = 0; head < m.numHeads; head++) {
      const sl = (row: Float64Array) => row.subarray(head * hd, (head + 1) * hd);
      const qh = q.map((row, t) => rotate(sl(row), t));
      const kh = k.map((row, t) => rotate(sl(row), t));
      for (let t = 0; t < T; t++) {
        const scores = Array.from({ length: t + 1 }, (_, u) => dot(qh[t], kh[u]) / Math.sqrt(hd));
        const mx = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - mx));
        const z = e.reduce((a, b) => a + b, 0);
        e.forEach((w, u) => sl(v[u]).forEach((val, c) => (ctx[t][head * hd + c] += (w / z) * val)));
      }
    }
    x = x.map((row, t) => {
      const o = P(`${pre}.attention.proj`, ctx[t]);
      return row.map((val, c) => val + o[c]);
    });
    x = x.map((row) => {
      const f = P(`${pre}.mlp`, layerNorm(row, eps));
      return row.map((val, c) => val + f[c]);
    });
  }
  const fn = `sequential.${m.numLayers + 3}.norm`;
  const w = Float64Array.from(get(`${fn}.weight`).data);
  const b = Float64Array.from(get(`${fn}.bias`).data);
  return x.map((row) => {
    const hN = layerNorm(row, eps, w, b);
    return Float64Array.from(E.map((e) => dot(hN, e)));
  });
}
