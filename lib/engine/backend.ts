// Backend choice: measured (the fastest timed Pattention step), forced, or the first that starts of webgpu -> webgl -> wasm -> cpu.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import '../tokenformer/kernels/webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { pickFastest, timeActiveBackend, type MeasureOptions } from './measure';
import { THREADED_FACTORY_FILE, chooseWasmThreads, currentThreadEnv, startWasm, type WasmStart } from './wasmThreads';
import { tfjsWasmStarter } from './wasmStarter';
import { BACKEND_ORDER, type BackendInfo, type BackendName, type BackendTiming } from './types';

export { BACKEND_ORDER };

export function isBackendName(s: unknown): s is BackendName {
  return typeof s === 'string' && (BACKEND_ORDER as readonly string[]).includes(s);
}

export interface SelectOptions {
  /** Force this backend (falls to the backends after it in the order, with the reason, only if it cannot start). */
  backend?: BackendName;
  /** Where the browser fetches the tfjs wasm binaries from (the app serves them at /tfjs-wasm/). */
  wasmPath?: string;
  /** Choose by timing each backend (when no `backend` is forced); `true` for the default limits. */
  measure?: boolean | Partial<MeasureOptions>;
  /** With `measure`: the backend chosen by an earlier measurement on this device, used without timing if it starts. */
  prefer?: BackendName;
  /** With `measure`: the backends to time (default MEASURED_BACKENDS). */
  candidates?: readonly BackendName[];
  /** Wasm threads (1: single-threaded); default one per core in a cross-origin isolated worker (wasmThreads.ts). */
  threads?: number;
}

/** How this realm's wasm backend started; tfjs keeps one wasm backend per realm, started once. */
let wasmStarted: WasmStart | null = null;

const isBrowserLike = () => typeof navigator !== 'undefined' && typeof (globalThis as { document?: unknown; importScripts?: unknown }).document !== 'undefined' || typeof (globalThis as { importScripts?: unknown }).importScripts === 'function';

async function probe(name: BackendName): Promise<string | null> {
  // Returns null when the backend can start here, else the reason it cannot.
  const nav = typeof navigator !== 'undefined' ? (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }) : undefined;
  if (name === 'webgpu') {
    if (!nav?.gpu) return 'WebGPU is not available (no navigator.gpu)';
    const adapter = await nav.gpu.requestAdapter().catch((e: Error) => e);
    if (!adapter || adapter instanceof Error) return `no WebGPU adapter${adapter instanceof Error ? `: ${adapter.message}` : ''}`;
  }
  if (name === 'webgl' && !isBrowserLike()) return 'WebGL needs a browser';
  if (name === 'webgl' && typeof OffscreenCanvas === 'undefined' && typeof document === 'undefined') return 'WebGL needs OffscreenCanvas in a worker';
  return null;
}

async function describeAdapter(backend: BackendName): Promise<string | undefined> {
  if (backend === 'wasm') {
    const threads = wasmStarted?.threads ?? 1;
    return `wasm (${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`;
  }
  if (backend !== 'webgpu') return undefined;
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu;
  const info = (await gpu?.requestAdapter())?.info;
  if (!info) return 'WebGPU adapter';
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'WebGPU adapter';
}

async function start(name: BackendName, opts: SelectOptions): Promise<string | null> {
  // Returns null once `name` is the active backend, else why it could not start.
  const reason = await probe(name);
  if (reason) return reason;
  if (name === 'wasm' && !wasmStarted) {
    // The threaded build needs its factory script from the app (wasmPath), so Node and bare hosts get one thread.
    const scriptUrl = opts.wasmPath && globalThis.location ? new URL(opts.wasmPath + THREADED_FACTORY_FILE, globalThis.location.href).href : undefined;
    const started = await startWasm(scriptUrl ? chooseWasmThreads(currentThreadEnv(), opts.threads) : 1, tfjsWasmStarter(scriptUrl));
    if (started.reason) return started.fallback ? `${started.reason} (after ${started.fallback})` : started.reason;
    wasmStarted = started;
    return null;
  }
  try {
    if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    const ok = await tf.setBackend(name);
    await tf.ready();
    if (ok && tf.getBackend() === name) return null;
    return `tf.setBackend('${name}') failed`;
  } catch (e) {
    return (e as Error).message || String(e);
  }
}

/** Whether the WebGPU adapter is a software one (SwiftShader or the browser's fallback adapter). */
async function softwareAdapter(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu;
  const adapter = await gpu?.requestAdapter().catch(() => null);
  if (!adapter) return false;
  const info = adapter.info ?? {};
  if (info.isFallbackAdapter === true || adapter.isFallbackAdapter === true) return true;
  return /swiftshader|llvmpipe|software/i.test([info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' '));
}

type AdapterLike = { isFallbackAdapter?: boolean; info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean } };

/** Backends timed by a measured choice, cheapest to measure first; cpu is never faster than wasm, so it is only the last resort. */
export const MEASURED_BACKENDS: readonly BackendName[] = ['wasm', 'webgl', 'webgpu'];

/** The info for the backend now active; wasm adds its thread count and, when threads were asked for but not used, why. */
async function infoFor(backend: BackendName, fallbacks: BackendInfo['fallbacks'], rest: Pick<BackendInfo, 'choice' | 'timings'>): Promise<BackendInfo> {
  const wasm = backend === 'wasm' ? wasmStarted : null;
  return {
    backend,
    adapter: await describeAdapter(backend),
    fallbacks: wasm?.fallback ? [...fallbacks, { backend: 'wasm', reason: wasm.fallback }] : fallbacks,
    ...(wasm ? { threads: wasm.threads } : {}),
    ...rest,
  };
}

async function selectMeasured(opts: SelectOptions): Promise<BackendInfo | null> {
  if (opts.prefer && !(await start(opts.prefer, opts))) return infoFor(opts.prefer, [], { choice: 'remembered' });
  const timings: BackendTiming[] = [];
  for (const name of opts.candidates ?? MEASURED_BACKENDS) {
    // wasm is timed as it will run: threaded where the page allows it.
    const reason = await start(name, opts);
    if (reason) {
      timings.push({ backend: name, reason });
      continue;
    }
    const timing = await timeActiveBackend(name, typeof opts.measure === 'object' ? opts.measure : {});
    if (name === 'webgpu' && (await softwareAdapter())) timing.software = true;
    timings.push(timing);
  }
  const best = pickFastest(timings);
  if (!best || (await start(best, opts))) return null;
  const order = (b: BackendName) => BACKEND_ORDER.indexOf(b);
  timings.sort((a, b) => order(a.backend) - order(b.backend));
  return infoFor(best, [], { choice: 'measured', timings });
}

/**
 * Selects and initialises a tfjs backend. Forced (`backend`): that one, falling down the order if it cannot start.
 * Measured (`measure`): the remembered `prefer` if it starts, else the fastest of a timed Pattention step on each
 * backend. Otherwise the first that starts in the order webgpu, webgl, wasm, cpu.
 */
export async function selectBackend(opts: SelectOptions = {}): Promise<BackendInfo> {
  if (opts.wasmPath) setWasmPaths(opts.wasmPath);
  // Threaded wasm only as wasmThreads.ts starts it (its own factory script, a bounded start), never tfjs's own way.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!opts.backend && opts.measure) {
    const measured = await selectMeasured(opts);
    if (measured) return measured;
  }
  // A forced backend falls down the list, never back up: after a WebGPU crash, webgl -> wasm -> cpu.
  const order = opts.backend ? BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(opts.backend)) : [...BACKEND_ORDER];
  const fallbacks: BackendInfo['fallbacks'] = [];
  for (const name of order) {
    const reason = await start(name, opts);
    if (!reason) return infoFor(name, fallbacks, { choice: opts.backend ? 'forced' : 'order' });
    fallbacks.push({ backend: name, reason });
  }
  throw new Error(`no tfjs backend could start: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}
