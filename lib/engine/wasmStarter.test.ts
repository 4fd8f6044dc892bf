import { describe, expect, it } from 'vitest';
import { reportCores } from './wasmStarter';

describe('reportCores', () => {
  it("shadows the navigator's core count, as a browser's prototype getter has it, and restores it", () => {
    class WorkerNavigatorLike {
      get hardwareConcurrency() {
        return 2;
      }
    }
    const nav = new WorkerNavigatorLike() as { hardwareConcurrency?: number };
    const restore = reportCores(nav, 4);
    expect(nav.hardwareConcurrency).toBe(4);
    restore();
    expect(nav.hardwareConcurrency).toBe(2);
    expect(Object.getOwnPropertyNames(nav)).toEqual([]);
  });
});
