// The project's one seeded-RNG module, in plain JS so every backend and host draws the same numbers. Two
// generators, kept apart because fixtures and checkpoints depend on each one's exact sequence:
// - `createRng` (mulberry32, mixed seed): data sampling, so every window, synthetic line and split reproduces
//   byte for byte; its state fits in one word for checkpoints.
// - `createNormalRng` (sfc32 seeded through splitmix32): the reference parameter init and token sampling.
// A leaf (imports only ./errors), so lib/tokenformer and lib/train may use it without depending on the rest of lib/data.
import { DataError } from './errors';

/** murmur3's 32-bit finaliser: spreads nearby seeds (0, 1, 2) to unrelated states. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Folds any safe integer seed (negative or above 2^32 included) into 32 well-mixed bits. */
export function mixSeed(seed: number): number {
  if (!Number.isSafeInteger(seed)) {
    throw new DataError('bad-option', `seed must be a safe integer, got ${seed}`);
  }
  const lo = seed >>> 0; // two's-complement low word, also for negatives
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
  return fmix32(lo ^ fmix32(hi + 0x9e3779b9));
}

/**
 * A seed for a named sub-stream ('train', 'val', 3, ...), so one user seed drives several independent
 * generators without their sequences overlapping by construction.
 */
export function deriveSeed(seed: number, label: string | number): number {
  let h = 0x811c9dc5; // FNV-1a over the label's UTF-16 units
  const s = String(label);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(mixSeed(seed) ^ fmix32(h >>> 0));
}

export interface Rng {
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform float in [0, 1) with 32 bits of resolution. */
  float(): number;
  /** Uniform integer in [0, n), exactly uniform (rejection sampling) for any n up to 2^32. */
  int(n: number): number;
  /** Uniform integer in [lo, hi], both ends included. */
  range(lo: number, hi: number): number;
  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T;
  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[];
  /** The whole generator state: save it to resume a sequence exactly (checkpoints). */
  state: number;
}

/** mulberry32: one 32-bit word of state, passes PractRand to well beyond what a data sampler draws. */
export function createRng(seed: number): Rng {
  let s = mixSeed(seed);
  const uint32 = (): number => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1 || n > 0x1_0000_0000) {
      throw new DataError('bad-option', `rng.int(n) needs an integer n in [1, 2^32], got ${n}`);
    }
    // Plain floor(u * n) would favour some values by up to 1/(2^32/n) (about 2% for enwik8's 90M starts).
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    let x = uint32();
    while (x >= limit) x = uint32();
    return x % n;
  };
  return {
    uint32,
    float: () => uint32() / 0x1_0000_0000,
    int,
    range: (lo, hi) => lo + int(hi - lo + 1),
    pick: (items) => {
      if (items.length === 0) throw new DataError('bad-option', 'rng.pick needs a non-empty array');
      return items[int(items.length)];
    },
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
      }
      return items;
    },
    get state() {
      return s >>> 0;
    },
    set state(v: number) {
      s = v | 0;
    },
  };
}

/** Uniform and standard-normal draws for parameter init and token sampling (`createNormalRng`). */
export interface NormalRng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal. */
  normal(): number;
}

/** sfc32 (small fast counter) seeded through splitmix32: fast, 128-bit state, good statistical quality. */
export function createNormalRng(seed: number): NormalRng {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(), b = split(), c = split(), d = split();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // let the state mix before use
  let spare: number | null = null;
  const normal = () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    // Box-Muller; 1 - next() is in (0, 1] so the log is finite.
    const u = 1 - next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { next, normal };
}

/** `count` samples of N(0, std²). */
export function normalArray(rng: NormalRng, count: number, std: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal() * std;
  return out;
}

/**
 * The init stream of one parameter: FNV-1a of its name over the base seed. Not `deriveSeed`: reference
 * checkpoints and fixtures were initialised with this exact mapping.
 */
export function deriveParamSeed(seed: number, label: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
