// Page side of the worker protocol: starts the engine worker and wraps it as an EngineApi (browser only).
import * as Comlink from 'comlink';
import type { EngineApi, InitOptions } from './api';
import type { Engine } from './engine';
import type { BackendInfo } from './types';
import { mirrorRuns, type RunStore } from '../store/runStore';
import { threadsFromQuery } from './wasmThreads';

/**
 * Buffers moved to the worker instead of copied, per method (a raw enwik8 is 100 MB); the caller gives them up.
 * The only special cases: everything else crosses as it is, and every function argument becomes a comlink proxy.
 */
const TRANSFERS: { [K in keyof EngineApi]?: (...args: Parameters<EngineApi[K]>) => Transferable[] } = {
  loadData: (spec) => ('bytes' in spec ? [spec.bytes.buffer as ArrayBuffer] : []),
  // A Blob crosses as a handle on the same data, not a copy of it: only bytes can be moved.
  loadCheckpoint: (input, _name, o) => (o?.transfer && input instanceof Uint8Array ? [input.buffer as ArrayBuffer] : []),
};

/**
 * The API's method names, and nothing else: the proxy must not answer probes such as `then` or `next` (the
 * notebook runtime takes an object with `next` for a generator). A Record, so the compiler flags a method added
 * to or dropped from EngineApi; how each is forwarded is not written here.
 */
const METHODS: Record<keyof EngineApi, 1> = { init: 1, createModel: 1, modelInfo: 1, loadData: 1, train: 1, pause: 1, resume: 1, stop: 1, grow: 1, evaluate: 1, generate: 1, attention: 1, logits: 1, setTokenizer: 1, tokenize: 1, textLoss: 1, usage: 1, saveCheckpoint: 1, loadCheckpoint: 1, memory: 1, parity: 1, runs: 1, run: 1, subscribe: 1, syncPoint: 1, unsubscribe: 1, state: 1, dispose: 1 };

/** The remote Engine as an EngineApi: every method forwarded by name, no per-method forwarding code. */
export function wrapRemote(remote: Comlink.Remote<Engine>): EngineApi {
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy({} as EngineApi, {
    has: (_t, key) => typeof key === 'string' && Object.hasOwn(METHODS, key),
    get(_t, key) {
      if (typeof key !== 'string' || !Object.hasOwn(METHODS, key)) return undefined;
      if (!cache.has(key)) {
        const transfers = TRANSFERS[key as keyof EngineApi] as ((...a: unknown[]) => Transferable[]) | undefined;
        cache.set(key, (...args: unknown[]) => {
          const moved = transfers?.(...args) ?? [];
          const sent = args.map((a, i) => (typeof a === 'function' ? Comlink.proxy(a) : i === 0 && moved.length ? Comlink.transfer(a, moved) : a));
          return (remote as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[key](...sent);
        });
      }
      return cache.get(key);
    },
  });
}

export interface EngineConnection {
  api: EngineApi;
  /** The page's one mirror of the engine's runs, fed by its run stream (lib/store/runStore.ts). */
  runs: RunStore;
  info: BackendInfo;
  /** Ends the worker at once (all tensors go with it). */
  terminate(): void;
  /** Called once if the worker dies or the GPU device is lost. */
  onCrash(cb: (message: string) => void): void;
}

/** Starts the engine worker; see InitOptions for how it picks its backend. */
export async function connectEngine(opts: InitOptions = {}): Promise<EngineConnection> {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'tokenformer-engine' });
  const remote = Comlink.wrap<Engine>(worker);
  const crashCallbacks: ((message: string) => void)[] = [];
  let crashed: string | null = null;
  const crash = (message: string) => {
    if (crashed) return;
    crashed = message;
    crashCallbacks.forEach((cb) => cb(message));
  };
  worker.addEventListener('error', (e) => crash(`engine worker crashed: ${e.message || 'unknown error'}`));
  worker.addEventListener('message', (e: MessageEvent) => {
    if (e.data && e.data.__engineEvent === 'fatal') crash(String(e.data.message));
  });

  const api = wrapRemote(remote);
  let info: BackendInfo;
  try {
    // `?threads=N` on any page (1: single-threaded wasm) reaches every engine it starts, for comparing runs.
    info = await api.init({ ...opts, threads: opts.threads ?? threadsFromQuery(location.search) });
  } catch (e) {
    worker.terminate();
    throw e;
  }
  let runs: RunStore;
  try {
    runs = await mirrorRuns(api);
  } catch (e) {
    worker.terminate();
    throw e;
  }
  return {
    api,
    info,
    runs,
    terminate: () => {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
    onCrash: (cb) => {
      crashCallbacks.push(cb);
      if (crashed) cb(crashed);
    },
  };
}
