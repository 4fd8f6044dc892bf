// Batches are real slices of the data, deterministic per seed and resumable; eval windows tile the split.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Batcher, evalBatches, evalPlan, evalWindowStarts } from './batcher';
import { DataError } from './errors';

const dataArb = fc.uint8Array({ minLength: 2, maxLength: 400 });

describe('Batcher', () => {
  it('yields [B, T] windows that are slices of the data at the reported starts', () => {
    fc.assert(
      fc.property(dataArb, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 64 }), fc.integer(), (data, B, Traw, seed) => {
        const T = Math.min(Traw, data.length);
        const batcher = new Batcher(data, { batchSize: B, seqLen: T, seed });
        for (let step = 0; step < 3; step++) {
          const batch = batcher.next();
          expect(batch.length).toBe(B * T);
          for (let b = 0; b < B; b++) {
            const s = batcher.lastStarts[b];
            expect(s >= 0 && s + T <= data.length).toBe(true);
            expect(Array.from(batch.subarray(b * T, (b + 1) * T))).toEqual(Array.from(data.subarray(s, s + T)));
          }
        }
      }),
    );
  });

  it('is deterministic per seed and differs across seeds', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const data = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
        const a = new Batcher(data, { batchSize: 4, seqLen: 8, seed });
        const b = new Batcher(data, { batchSize: 4, seqLen: 8, seed });
        const c = new Batcher(data, { batchSize: 4, seqLen: 8, seed: seed + 1 });
        const batchA = a.next();
        expect(Array.from(b.next())).toEqual(Array.from(batchA));
        expect(Array.from(c.next())).not.toEqual(Array.from(batchA));
      }),
      { numRuns: 30 },
    );
  });

  it('reaches every start, including the last one', () => {
    const data = Uint8Array.from({ length: 20 }, (_, i) => i);
    const batcher = new Batcher(data, { batchSize: 16, seqLen: 5, seed: 1 });
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) {
      batcher.next();
      batcher.lastStarts.forEach((s) => seen.add(s));
    }
    expect(batcher.windows).toBe(16);
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  it('resumes from a saved state and reuses an output buffer', () => {
    const data = Uint8Array.from({ length: 500 }, (_, i) => (i * 7) % 256);
    const a = new Batcher(data, { batchSize: 3, seqLen: 10, seed: 5 });
    a.next();
    const saved = a.state;
    const expected = Array.from(a.next());
    const b = new Batcher(data, { batchSize: 3, seqLen: 10, seed: 999 });
    b.state = saved;
    const buf = new Int32Array(30);
    expect(b.next(buf)).toBe(buf);
    expect(Array.from(buf)).toEqual(expected);
    expect(() => b.next(new Int32Array(29))).toThrow(DataError);
  });

  it('rejects data shorter than a window and bad shapes', () => {
    expect(() => new Batcher(new Uint8Array(10), { batchSize: 2, seqLen: 11 })).toThrow(/10 bytes, fewer than one window of seqLen = 11/);
    expect(() => new Batcher(new Uint8Array(10), { batchSize: 0, seqLen: 4 })).toThrow(DataError);
    expect(() => new Batcher(new Uint8Array(10), { batchSize: 1, seqLen: 1 })).toThrow(/seqLen/);
    expect(() => new Batcher(new Uint8Array(10), { batchSize: 1.5, seqLen: 4 })).toThrow(DataError);
  });
});

describe('evalBatches', () => {
  it('predicts every byte after the first exactly once when not capped', () => {
    fc.assert(
      fc.property(dataArb, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 2, max: 40 }), (data, B, Traw) => {
        const T = Math.min(Traw, data.length);
        const targets = new Uint8Array(data.length); // how often each position is a prediction target
        let windows = 0;
        const starts = evalWindowStarts(data.length, T);
        for (const batch of evalBatches(data, B, T)) {
          expect(batch.length % T).toBe(0);
          expect(batch.length / T).toBeLessThanOrEqual(B);
          for (let r = 0; r < batch.length / T; r++, windows++) {
            const s = starts[windows];
            expect(Array.from(batch.subarray(r * T, (r + 1) * T))).toEqual(Array.from(data.subarray(s, s + T)));
            for (let t = 1; t < T; t++) targets[s + t]++;
          }
        }
        expect(windows).toBe(starts.length);
        // Targets never overlap, and cover the split except a tail shorter than one stride.
        expect(Math.max(...targets)).toBeLessThanOrEqual(1);
        const covered = targets.reduce((a, x) => a + x, 0);
        expect(covered).toBe(evalPlan(data.length, B, T).targets);
        expect(data.length - 1 - covered).toBeLessThan(T - 1);
        expect(targets[0]).toBe(0);
      }),
    );
  });

  it('spreads a capped evaluation over the whole split', () => {
    const data = new Uint8Array(10_001);
    const starts = evalWindowStarts(data.length, 101, 10);
    expect(starts.length).toBe(10);
    expect(starts[0]).toBe(0);
    expect(starts[9]).toBeGreaterThan(8000);
    for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(100);
    const batches = [...evalBatches(data, 4, 101, 2)];
    expect(batches.map((b) => b.length / 101)).toEqual([4, 4]);
    expect(evalPlan(data.length, 4, 101, 2)).toEqual({ windows: 8, batches: 2, targets: 800 });
  });

  it('rejects a split shorter than one window', () => {
    expect(() => evalBatches(new Uint8Array(3), 2, 4)).toThrow(/evaluation split has 3 bytes/);
    expect(() => evalBatches(new Uint8Array(30), 2, 4, 0)).toThrow(DataError);
    expect(() => evalPlan(30, 2, 4, 1.5)).toThrow(DataError);
  });
});
