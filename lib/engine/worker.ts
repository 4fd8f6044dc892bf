// Web Worker entry: hosts one Engine and exposes it to the page over comlink (plain data only crosses).
import * as Comlink from 'comlink';
import { WASM_PATH } from './basePath';
import { Engine } from './engine';

const engine = new Engine({
  wasmPath: WASM_PATH,
  // Tell the page when the GPU device is lost, so it can offer a restart on the next backend.
  onFatal: (message) => (self as unknown as Worker).postMessage({ __engineEvent: 'fatal', message }),
});
Comlink.expose(engine);
