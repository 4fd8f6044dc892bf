// The derived worker API over a real MessageChannel: methods by name, callbacks proxied, buffers moved, no probes.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { wrapRemote } from './client';
import { Engine } from './engine';
import type { Metrics } from './types';

describe('wrapRemote', () => {
  it('forwards every EngineApi method, proxies callbacks, transfers corpus bytes, and answers no probes', async () => {
    tf.env().set('PROD', true);
    const { port1, port2 } = new MessageChannel();
    const engine = new Engine();
    Comlink.expose(engine, port1 as unknown as Comlink.Endpoint);
    const api = wrapRemote(Comlink.wrap<Engine>(port2 as unknown as Comlink.Endpoint));
    // Not a thenable, not a generator: awaiting it or handing it to the notebook runtime gives it back as it is.
    expect(await Promise.resolve(api)).toBe(api);
    expect((api as unknown as Record<string, unknown>).next).toBeUndefined();
    expect('then' in api).toBe(false);
    expect('train' in api).toBe(true);

    await api.init({ backend: 'wasm' });
    await api.createModel({ preset: 'micro', seed: 1 });
    const bytes = new TextEncoder().encode('hello world, '.repeat(400));
    await api.loadData({ kind: 'text', name: 'x.txt', bytes });
    expect(bytes.length).toBe(0); // moved to the engine, not copied
    const seen: Metrics[] = [];
    const s = await api.train({ steps: 4, batchSize: 2, seqLen: 16, logEvery: 2 }, (m) => seen.push(m));
    expect(s.steps).toBe(4);
    expect(seen.flatMap((m) => m.points).map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect((await api.run())?.points).toHaveLength(4);
    await api.dispose();
    port2.close();
  }, 60_000);
});
