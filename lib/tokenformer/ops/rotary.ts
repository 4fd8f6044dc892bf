// GPT-NeoX partial rotary embedding as tables: x·C + rotate_half(x)·S, with rotate_half as a fixed [hd, hd] matrix.
import * as tf from '@tensorflow/tfjs-core';
import { mm } from './matmul';

export interface RotaryTables {
  /** [T, hd]: cos of the angles on the first r dims, 1 beyond (those dims pass through). */
  cos: tf.Tensor2D;
  /** [T, hd]: sin on the first r dims, 0 beyond. */
  sin: tf.Tensor2D;
  /** [hd, hd]: x·rot = cat(−x2, x1, 0…), GPT-NeoX `rotate_half` on the rotary dims. */
  rot: tf.Tensor2D;
  /** [hd, hd] transpose of `rot`, for the backward pass. */
  rotT: tf.Tensor2D;
  rotaryDims: number;
}

/** Angles as the reference: inv_freq_i = 1/base^(2i/r), freqs = t·inv_freq, emb = cat(freqs, freqs). */
export function rotaryAngles(seqLen: number, rotaryDims: number, base: number): Float64Array {
  const half = rotaryDims / 2;
  const out = new Float64Array(seqLen * rotaryDims);
  for (let t = 0; t < seqLen; t++) {
    for (let i = 0; i < half; i++) {
      const a = t / base ** ((2 * i) / rotaryDims);
      out[t * rotaryDims + i] = a;
      out[t * rotaryDims + half + i] = a;
    }
  }
  return out;
}

interface TableData {
  cos: Float32Array;
  sin: Float32Array;
  rot: Float32Array;
  rotT: Float32Array;
}

// Plain arrays only: tensors are made per call in the caller's scope, so nothing lives on a backend between
// calls (no cache to free, nothing stranded when the backend changes).
const cache = new Map<string, TableData>();

function tableData(seqLen: number, headDim: number, rotaryDims: number, base: number): TableData {
  const key = `${seqLen}:${headDim}:${rotaryDims}:${base}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const angles = rotaryAngles(seqLen, rotaryDims, base);
  const cos = new Float32Array(seqLen * headDim).fill(1);
  const sin = new Float32Array(seqLen * headDim);
  for (let t = 0; t < seqLen; t++) {
    for (let j = 0; j < rotaryDims; j++) {
      cos[t * headDim + j] = Math.cos(angles[t * rotaryDims + j]);
      sin[t * headDim + j] = Math.sin(angles[t * rotaryDims + j]);
    }
  }
  const half = rotaryDims / 2;
  const rot = new Float32Array(headDim * headDim);
  const rotT = new Float32Array(headDim * headDim);
  for (let j = 0; j < half; j++) {
    rot[(j + half) * headDim + j] = -1; // out_j = −x_{j+r/2}
    rot[j * headDim + j + half] = 1; // out_{j+r/2} = x_j
    rotT[j * headDim + j + half] = -1;
    rotT[(j + half) * headDim + j] = 1;
  }
  const data = { cos, sin, rot, rotT };
  cache.set(key, data);
  return data;
}

/** Tables for `seqLen` positions as new tensors in the current scope (the arrays behind them are cached). */
export function rotaryTables(seqLen: number, headDim: number, rotaryDims: number, base: number): RotaryTables {
  if (rotaryDims % 2 !== 0) throw new Error(`rotary dims must be even, got ${rotaryDims}`);
  const d = tableData(seqLen, headDim, rotaryDims, base);
  return {
    cos: tf.tensor2d(d.cos, [seqLen, headDim]),
    sin: tf.tensor2d(d.sin, [seqLen, headDim]),
    rot: tf.tensor2d(d.rot, [headDim, headDim]),
    rotT: tf.tensor2d(d.rotT, [headDim, headDim]),
    rotaryDims,
  };
}

/** x [M, T, hd] (any leading batch) -> rotated, same shape. */
export function applyRotary(x: tf.Tensor3D, tables: RotaryTables): tf.Tensor3D {
  if (tables.rotaryDims === 0) return tf.clone(x);
  return tf.tidy(() => {
    const [m, t, hd] = x.shape;
    const half = tf.reshape(mm(tf.reshape(x, [m * t, hd]) as tf.Tensor2D, tables.rot), [m, t, hd]); // [M, T, hd]
    return tf.add(tf.mul(x, tables.cos), tf.mul(half, tables.sin)) as tf.Tensor3D; // [M, T, hd]
  });
}

/** The transpose of `applyRotary` (its backward pass): dy·C + (dy·S)·rotᵀ. */
export function applyRotaryTranspose(dy: tf.Tensor3D, tables: RotaryTables): tf.Tensor3D {
  if (tables.rotaryDims === 0) return tf.clone(dy);
  return tf.tidy(() => {
    const [m, t, hd] = dy.shape;
    const ds = tf.reshape(tf.mul(dy, tables.sin), [m * t, hd]) as tf.Tensor2D; // [M·T, hd]
    return tf.add(tf.mul(dy, tables.cos), tf.reshape(mm(ds, tables.rotT), [m, t, hd])) as tf.Tensor3D; // [M, T, hd]
  });
}
