// Crash recovery: the backend order (kept equal to the engine's), which backend comes next, and resuming from the autosave.
import { describe, expect, it } from 'vitest';
import type { EngineApi } from '@/lib/engine/api';
import type { EngineConnection } from '@/lib/engine/client';
import type { BackendName } from '@/lib/engine/types';
import { memoryCheckpointStore } from '@/lib/io/checkpointStore';
import { asBackend, describeOutcome, failedBackend, nextBackend, recoverEngine } from './recovery';
import { createRunStore } from '@/lib/store/runStore';

function fakeConn(backend: BackendName, loaded: string[]): EngineConnection {
  const api = {
    loadCheckpoint: async (bytes: Uint8Array, name: string) => {
      if (bytes[0] === 0xff) throw new Error('bad header');
      loaded.push(`${name}:${bytes.length}`);
      return { step: 5, params: 1234 };
    },
  } as unknown as EngineApi;
  return { api, info: { backend, fallbacks: [] }, runs: createRunStore(), terminate: () => {}, onCrash: () => {} };
}

describe('backend order', () => {
  it('nextBackend walks down the order and stops after CPU', () => {
    expect(nextBackend('webgpu')).toBe('webgl');
    expect(nextBackend('webgl')).toBe('wasm');
    expect(nextBackend('wasm')).toBe('cpu');
    expect(nextBackend('cpu')).toBeNull();
  });

  it('asBackend accepts only known names', () => {
    expect(asBackend('wasm')).toBe('wasm');
    expect(asBackend('metal')).toBeUndefined();
    expect(asBackend(null)).toBeUndefined();
  });

  it('failedBackend: the one in use at a crash, the one asked for at a failed start', () => {
    const info = { backend: 'webgpu' as const, fallbacks: [] };
    expect(failedBackend({ status: 'crashed', info }, 'wasm')).toBe('webgpu');
    expect(failedBackend({ status: 'error', info: null }, 'wasm')).toBe('wasm');
    expect(failedBackend({ status: 'error', info: null }, undefined)).toBeNull();
  });
});

describe('recoverEngine', () => {
  it('restarts on the backend and resumes from the autosave', async () => {
    const store = memoryCheckpointStore();
    await store.save('autosave', new Uint8Array(16), { step: 5, params: 1234 });
    await store.save('other', new Uint8Array(3), { step: 9, params: 1 });
    const loaded: string[] = [];
    const asked: (BackendName | undefined)[] = [];
    const o = await recoverEngine('cpu', { store, restart: async (b) => (asked.push(b), fakeConn('cpu', loaded)) });
    expect(asked).toEqual(['cpu']);
    expect(loaded).toEqual(['autosave.safetensors:16']);
    expect(o).toMatchObject({ kind: 'resumed', backend: 'cpu', step: 5, params: 1234 });
    expect(describeOutcome(o)).toMatch(/^Restarted on CPU and resumed from step 5 \(autosave of .+\)/);
  });

  it('without an autosave the new engine starts empty and the page says the model must be recreated', async () => {
    const loaded: string[] = [];
    const o = await recoverEngine('cpu', { store: memoryCheckpointStore(), restart: async () => fakeConn('cpu', loaded) });
    expect(o).toEqual({ kind: 'fresh', backend: 'cpu' });
    expect(loaded).toEqual([]);
    expect(describeOutcome(o)).toContain('the model must be recreated');
  });

  it('an autosave that does not load is reported, the engine still runs', async () => {
    const store = memoryCheckpointStore();
    await store.save('autosave', new Uint8Array([0xff]), { step: 1, params: 1 });
    const o = await recoverEngine('wasm', { store, restart: async () => fakeConn('wasm', []) });
    expect(o).toEqual({ kind: 'fresh', backend: 'wasm', reason: 'bad header' });
    expect(describeOutcome(o)).toContain('could not be loaded (bad header)');
  });

  it('names the backend really in use (the engine may fall back) and reports a failed start', async () => {
    const o = await recoverEngine('webgl', { store: memoryCheckpointStore(), restart: async () => fakeConn('wasm', []) });
    expect(o).toMatchObject({ kind: 'fresh', backend: 'wasm' });
    const failed = await recoverEngine('cpu', {
      store: memoryCheckpointStore(),
      restart: async () => {
        throw new Error('no tfjs backend could start');
      },
    });
    expect(failed).toEqual({ kind: 'failed', error: 'no tfjs backend could start' });
    expect(describeOutcome(failed)).toBe('The engine could not be restarted: no tfjs backend could start');
  });
});
