// Page side of the worker protocol: starts the engine worker and wraps it as an EngineApi (browser only).
import * as Comlink from 'comlink';
import type { EngineApi, InitOptions } from './api';
import type { Engine } from './engine';
import type { BackendInfo } from './types';

export interface EngineConnection {
  api: EngineApi;
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

  // Callbacks must be proxied to cross the boundary; everything else is plain data.
  const api: EngineApi = {
    init: (o) => remote.init(o),
    createModel: (s) => remote.createModel(s),
    modelInfo: () => remote.modelInfo(),
    // File bytes move to the worker instead of being copied (a raw enwik8 is 100 MB); the caller gives them up.
    loadData: (spec, onProgress) => {
      const cb = onProgress ? Comlink.proxy(onProgress) : undefined;
      return 'bytes' in spec ? remote.loadData(Comlink.transfer(spec, [spec.bytes.buffer as ArrayBuffer]), cb) : remote.loadData(spec, cb);
    },
    train: (o, onMetrics) => remote.train(o, Comlink.proxy(onMetrics)),
    pause: () => remote.pause(),
    resume: () => remote.resume(),
    stop: () => remote.stop(),
    grow: (o) => remote.grow(o),
    evaluate: (o) => remote.evaluate(o),
    generate: (o) => remote.generate(o),
    attention: (t) => remote.attention(t),
    usage: (o) => remote.usage(o),
    saveCheckpoint: (o) => remote.saveCheckpoint(o),
    // A Blob crosses to the worker as a handle on the same data, not a copy of it.
    loadCheckpoint: (input, name, o) => (o?.transfer && input instanceof Uint8Array ? remote.loadCheckpoint(Comlink.transfer(input, [input.buffer as ArrayBuffer]), name, o) : remote.loadCheckpoint(input, name, o)),
    memory: () => remote.memory(),
    parity: (f, o) => remote.parity(f, o),
    runs: () => remote.runs(),
    logits: (ids) => remote.logits(ids),
    setTokenizer: (s) => remote.setTokenizer(s),
    tokenize: (t) => remote.tokenize(t),
    textLoss: (t, o) => remote.textLoss(t, o),
    state: () => remote.state(),
    dispose: () => remote.dispose(),
  };
  let info: BackendInfo;
  try {
    info = await api.init(opts);
  } catch (e) {
    worker.terminate();
    throw e;
  }
  return {
    api,
    info,
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
