// The loop guard on a fake clock: a ping per stretch of checks, a throw once the ping is unanswered past the limit.
import { describe, expect, it } from 'vitest';
import { createLoopGuard, LoopGuardError } from './loopGuard';

function fakeGuard(limitMs = 1000) {
  let t = 0;
  const pings: (() => void)[] = [];
  const guard = createLoopGuard({ limitMs, now: () => t, post: (fn) => pings.push(fn) });
  return {
    guard,
    pings,
    advance: (ms: number) => (t += ms),
    answer: () => pings.splice(0).forEach((fn) => fn()),
  };
}

describe('createLoopGuard', () => {
  it('throws once its ping has waited past the limit, and keeps throwing until the event loop turns', () => {
    const g = fakeGuard(1000);
    g.guard.check();
    expect(g.pings).toHaveLength(1);
    for (let i = 0; i < 100; i++) {
      g.advance(9);
      g.guard.check();
    }
    expect(g.pings).toHaveLength(1); // one ping out at a time
    g.advance(200); // 1100 ms since the ping
    expect(() => g.guard.check()).toThrow(LoopGuardError);
    expect(() => g.guard.check()).toThrow('cell ran for 1 s without yielding (infinite loop?): stopped');
    g.answer();
    expect(() => g.guard.check()).not.toThrow();
    expect(g.pings).toHaveLength(1);
  });

  it('lets a loop that yields run on for as long as it likes', () => {
    const g = fakeGuard(1000);
    for (let i = 0; i < 50; i++) {
      g.guard.check();
      g.advance(400);
      g.guard.check();
      g.answer(); // an await that reached the event loop
    }
  });

  it('forgives one gap longer than the limit per ping (a frozen page), not two', () => {
    const g = fakeGuard(1000);
    g.guard.check();
    g.advance(5000);
    expect(() => g.guard.check()).not.toThrow();
    g.advance(900);
    expect(() => g.guard.check()).not.toThrow();
    g.advance(5000);
    expect(() => g.guard.check()).toThrow(LoopGuardError);
  });

  it('reads the clock less often in fast loops and more often in slow ones', () => {
    const g = fakeGuard(60_000);
    let stride = 1;
    for (let i = 0; i < 30; i++) stride = g.guard.check(); // no time passes: as fast as it gets
    expect(stride).toBe(1 << 14);
    for (let i = 0; i < 10; i++) {
      g.advance(50);
      stride = g.guard.check();
    }
    expect(stride).toBe(1);
  });

  it('is frozen and validates its limit', () => {
    expect(Object.isFrozen(createLoopGuard().check)).toBe(true);
    for (const bad of [0, -1, NaN, Infinity]) expect(() => createLoopGuard({ limitMs: bad })).toThrow(/positive number/);
  });
});
