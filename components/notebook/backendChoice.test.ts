import { describe, expect, it } from 'vitest';
import type { InitOptions } from '@/lib/engine/api';
import type { EngineConnection } from '@/lib/engine/client';
import type { BackendInfo } from '@/lib/engine/types';
import { CHOICE_KEY, connectWithChoice, deviceKey, forgetChoice, readChoice } from './backendChoice';

function memoryStorage(init: Record<string, string> = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k), m };
}

const measured: BackendInfo = {
  backend: 'wasm',
  fallbacks: [],
  choice: 'measured',
  timings: [
    { backend: 'webgpu', firstMs: 2400, stepMs: 310, software: true },
    { backend: 'webgl', firstMs: 900, stepMs: 80 },
    { backend: 'wasm', firstMs: 30, stepMs: 9 },
  ],
};

/** An engine stand-in that answers init like lib/engine/backend's selectBackend would, and records what it was asked. */
function engine(answer: (o: InitOptions) => BackendInfo) {
  const asked: InitOptions[] = [];
  const connect = async (o: InitOptions) => {
    asked.push(o);
    return { info: answer(o) } as EngineConnection;
  };
  return { connect, asked };
}

const device = deviceKey({ userAgent: 'Chromium/140', hardwareConcurrency: 2 });
const env = (storage: ReturnType<typeof memoryStorage>) => ({ storage, device, now: () => 1_700_000_000_000 });

describe('connectWithChoice', () => {
  it('measures on the first visit, remembers the choice, and starts the remembered backend on the next', async () => {
    const storage = memoryStorage();
    const first = engine(() => measured);
    const c1 = await connectWithChoice(first.connect, {}, env(storage));
    expect(first.asked).toEqual([{ measure: true, prefer: undefined }]);
    expect(c1.info.measuredAt).toBe(1_700_000_000_000);
    expect(readChoice(storage, device)).toMatchObject({ backend: 'wasm', timings: measured.timings });

    const second = engine((o) => ({ backend: o.prefer!, fallbacks: [], choice: 'remembered' }));
    const c2 = await connectWithChoice(second.connect, {}, env(storage));
    expect(second.asked).toEqual([{ measure: true, prefer: 'wasm' }]);
    // The header still shows what the choice was based on.
    expect(c2.info).toMatchObject({ backend: 'wasm', choice: 'remembered', timings: measured.timings, measuredAt: 1_700_000_000_000 });
  });

  it('a forced backend is neither measured nor remembered', async () => {
    const storage = memoryStorage();
    const e = engine(() => ({ backend: 'webgpu', fallbacks: [], choice: 'forced' }));
    await connectWithChoice(e.connect, { backend: 'webgpu' }, env(storage));
    expect(e.asked).toEqual([{ backend: 'webgpu' }]);
    expect(storage.m.size).toBe(0);
  });

  it('forgetting the choice makes the next connection measure again', async () => {
    const storage = memoryStorage();
    await connectWithChoice(engine(() => measured).connect, {}, env(storage));
    forgetChoice(storage);
    const e = engine(() => measured);
    await connectWithChoice(e.connect, {}, env(storage));
    expect(e.asked[0].prefer).toBeUndefined();
  });

  it('works without storage (blocked localStorage): measures every time', async () => {
    const e = engine(() => measured);
    const c = await connectWithChoice(e.connect, {}, { storage: null, device, now: () => 5 });
    expect(c.info.backend).toBe('wasm');
    expect(e.asked[0]).toEqual({ measure: true, prefer: undefined });
  });
});

describe('readChoice', () => {
  it('ignores another device, garbage and out-of-range values', () => {
    const good = { backend: 'webgl', device, measuredAt: 1, timings: [{ backend: 'webgl', firstMs: 1, stepMs: 1 }] };
    const read = (v: unknown) => readChoice(memoryStorage({ [CHOICE_KEY]: typeof v === 'string' ? v : JSON.stringify(v) }), device);
    expect(read(good)).toMatchObject({ backend: 'webgl' });
    expect(read({ ...good, device: 'another browser' })).toBeNull();
    expect(read('{not json')).toBeNull();
    expect(read({ ...good, backend: 'tpu' })).toBeNull();
    expect(read({ ...good, timings: [{ backend: 'webgl', stepMs: -1 }] })).toBeNull();
    expect(read({ ...good, timings: 'x' })).toBeNull();
    expect(read({ ...good, timings: Array(5).fill(good.timings[0]) })).toBeNull();
    expect(read(null)).toBeNull();
  });

  it('measures again once wasm threads turn on (a choice made without them is another device)', () => {
    const nav = { userAgent: 'Chromium/140', hardwareConcurrency: 2 };
    const storage = memoryStorage({ [CHOICE_KEY]: JSON.stringify({ backend: 'webgl', device: deviceKey(nav), measuredAt: 1, timings: [] }) });
    expect(readChoice(storage, deviceKey(nav, false))).toMatchObject({ backend: 'webgl' });
    expect(readChoice(storage, deviceKey(nav, true))).toBeNull();
  });
});
