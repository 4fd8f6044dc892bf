// Debounced autosave: bursts coalesce, flush writes at once, cancel drops, writes stay in order.
import { describe, expect, it, vi } from 'vitest';
import { createAutosaver } from './autosave';

describe('createAutosaver', () => {
  it('writes only the last value of a burst, after the delay', async () => {
    vi.useFakeTimers();
    const saved: number[] = [];
    const s = createAutosaver<number>(async (v) => void saved.push(v), 100);
    s.schedule(1);
    s.schedule(2);
    s.schedule(3);
    expect(saved).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(saved).toEqual([3]);
    vi.useRealTimers();
  });

  it('flushes at once and cancels pending writes', async () => {
    const saved: number[] = [];
    const s = createAutosaver<number>(async (v) => void saved.push(v), 10_000);
    s.schedule(1);
    await s.flush();
    expect(saved).toEqual([1]);
    s.schedule(2);
    s.cancel();
    await s.flush();
    expect(saved).toEqual([1]);
  });

  it('keeps going after a failed write and reports it', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const saved: number[] = [];
    const s = createAutosaver<number>(
      async (v) => {
        if (fail) throw new Error('quota');
        saved.push(v);
      },
      1,
      (e) => errors.push(e),
    );
    s.schedule(1);
    await s.flush();
    fail = false;
    s.schedule(2);
    await s.flush();
    expect(errors).toHaveLength(1);
    expect(saved).toEqual([2]);
  });
});
