import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { MAX_FACTORY_SCRIPT_BYTES, MAX_WASM_THREADS, checkFactoryScript, chooseWasmThreads, startWasm, threadedFactorySource, threadsFromQuery, type WasmStarter } from './wasmThreads';

const require = createRequire(import.meta.url);
const FACTORY_SCRIPT = readFileSync(require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js'), 'utf8');

describe('chooseWasmThreads', () => {
  const worker = { isolated: true, inWorker: true };
  it('gives a cross-origin isolated worker one thread per core, up to the pool tfjs starts', () => {
    expect(chooseWasmThreads({ ...worker, cores: 2 })).toBe(2);
    expect(chooseWasmThreads({ ...worker, cores: 6 })).toBe(6);
    expect(chooseWasmThreads({ ...worker, cores: 64 })).toBe(MAX_WASM_THREADS);
  });
  it('gives one thread without isolation, even when more are asked for', () => {
    expect(chooseWasmThreads({ isolated: false, inWorker: true, cores: 8 })).toBe(1);
    expect(chooseWasmThreads({ isolated: false, inWorker: true, cores: 8 }, 4)).toBe(1);
  });
  it("gives a page's main thread one unless asked", () => {
    expect(chooseWasmThreads({ isolated: true, inWorker: false, cores: 8 })).toBe(1);
    expect(chooseWasmThreads({ isolated: true, inWorker: false, cores: 8 }, 3)).toBe(3);
  });
  it('takes a requested count, clamped to 1..MAX', () => {
    expect(chooseWasmThreads({ ...worker, cores: 8 }, 1)).toBe(1);
    expect(chooseWasmThreads({ ...worker, cores: 2 }, 4)).toBe(4);
    expect(chooseWasmThreads({ ...worker, cores: 2 }, 0)).toBe(1);
    expect(chooseWasmThreads({ ...worker, cores: 2 }, 1000)).toBe(MAX_WASM_THREADS);
    expect(chooseWasmThreads({ ...worker, cores: 2 }, NaN)).toBe(2);
  });
  it('reads an unknown or nonsense core count as one', () => {
    expect(chooseWasmThreads({ ...worker })).toBe(1);
    expect(chooseWasmThreads({ ...worker, cores: 0 })).toBe(1);
    expect(chooseWasmThreads({ ...worker, cores: 2.5 })).toBe(1);
  });
});

describe('threadsFromQuery', () => {
  it('reads ?threads=N, N a whole number 1..64', () => {
    expect(threadsFromQuery('?threads=1')).toBe(1);
    expect(threadsFromQuery('?backend=wasm&threads=4')).toBe(4);
    expect(threadsFromQuery('threads=64')).toBe(64);
  });
  it('ignores anything else', () => {
    for (const q of ['', '?backend=wasm', '?threads=', '?threads=0', '?threads=65', '?threads=-2', '?threads=2.5', '?threads=1e1', '?threads=abc', '?threads=999']) {
      expect(threadsFromQuery(q), q).toBeUndefined();
    }
  });
});

describe('the threaded factory the pthread workers get', () => {
  it('accepts the package script and refuses what is not it', () => {
    expect(checkFactoryScript(FACTORY_SCRIPT)).toBeNull();
    expect(checkFactoryScript('<!DOCTYPE html><html>not found</html>')).toMatch(/does not define WasmBackendModuleThreadedSimd/);
    expect(checkFactoryScript('')).toMatch(/does not define/);
    expect(checkFactoryScript(`var WasmBackendModuleThreadedSimd = 1;${' '.repeat(MAX_FACTORY_SCRIPT_BYTES)}`)).toMatch(/over/);
  });

  it('is self-contained: in an empty realm, as tfjs writes it into the worker blob, it defines the factory and nothing else', () => {
    const realm: Record<string, unknown> = {};
    // tfjs's blob text, with this source in place of the minified function's.
    runInNewContext(`var WasmBackendModuleThreadedSimd = ${threadedFactorySource(FACTORY_SCRIPT)}`, realm);
    expect(typeof realm.WasmBackendModuleThreadedSimd).toBe('function');
    expect(Object.keys(realm)).toEqual(['WasmBackendModuleThreadedSimd']);
  });
});

/** A starter whose threaded start answers as told, recording each start's thread count. */
function fakeStarter(threaded: 'ok' | 'fails' | 'hangs', single: string | null = null): WasmStarter & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    start(threads) {
      calls.push(threads);
      if (threads === 1) return Promise.resolve(single);
      if (threaded === 'hangs') return new Promise(() => {});
      return Promise.resolve(threaded === 'ok' ? null : 'worker failed to load');
    },
    threads: () => (calls.at(-1) === 1 ? 1 : calls.at(-1)!),
  };
}

describe('startWasm', () => {
  it('starts threaded when it can, with no fallback', async () => {
    const s = fakeStarter('ok');
    expect(await startWasm(4, s)).toEqual({ reason: null, threads: 4 });
    expect(s.calls).toEqual([4]);
  });
  it('falls back to one thread when the threaded build fails, saying why', async () => {
    const s = fakeStarter('fails');
    const r = await startWasm(2, s);
    expect(r).toEqual({ reason: null, threads: 1, fallback: '2 threads: worker failed to load; using 1 thread' });
    expect(s.calls).toEqual([2, 1]);
  });
  it('never hangs: a threaded start past the timeout falls back to one thread', async () => {
    const s = fakeStarter('hangs');
    const t0 = Date.now();
    const r = await startWasm(2, s, 50);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r.reason).toBeNull();
    expect(r.threads).toBe(1);
    expect(r.fallback).toMatch(/^2 threads: did not start within 50 ms; using 1 thread$/);
  });
  it('asks for one thread only once, and passes on why wasm cannot start at all', async () => {
    const s = fakeStarter('ok', 'no wasm here');
    expect(await startWasm(1, s)).toEqual({ reason: 'no wasm here', threads: 1 });
    expect(s.calls).toEqual([1]);
    const f = fakeStarter('fails', 'no wasm here');
    expect(await startWasm(3, f)).toMatchObject({ reason: 'no wasm here', fallback: expect.stringContaining('worker failed') });
  });
});
