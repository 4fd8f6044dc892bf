// Backend choice: webgpu -> webgl -> wasm -> cpu, recording why each one before the chosen backend was skipped.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { BACKEND_ORDER, type BackendInfo, type BackendName } from './types';

export { BACKEND_ORDER };

export function isBackendName(s: unknown): s is BackendName {
  return typeof s === 'string' && (BACKEND_ORDER as readonly string[]).includes(s);
}

export interface SelectOptions {
  /** Force this backend (falls to the backends after it in the order, with the reason, only if it cannot start). */
  backend?: BackendName;
  /** Where the browser fetches the tfjs wasm binaries from (the app serves them at /tfjs-wasm/). */
  wasmPath?: string;
}

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
  if (backend !== 'webgpu') return backend === 'wasm' ? `wasm (${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD'})` : undefined;
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu;
  const info = (await gpu?.requestAdapter())?.info;
  if (!info) return 'WebGPU adapter';
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'WebGPU adapter';
}

/** Selects and initialises a tfjs backend; the order is webgpu, webgl, wasm, cpu (or `backend` first). */
export async function selectBackend(opts: SelectOptions = {}): Promise<BackendInfo> {
  if (opts.wasmPath) setWasmPaths(opts.wasmPath);
  // A cross-origin-isolated page (COOP/COEP from the server or public/sw.js) would get tfjs's threaded wasm, whose
  // pthread workers are built from the factory function's source text; once a bundler has minified that function it
  // refers to names outside itself and every thread dies ("r is not defined"), leaving the engine starting forever.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  // A forced backend falls down the list, never back up: after a WebGPU crash, webgl -> wasm -> cpu.
  const order = opts.backend ? BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(opts.backend)) : [...BACKEND_ORDER];
  const fallbacks: BackendInfo['fallbacks'] = [];
  for (const name of order) {
    let reason = await probe(name);
    if (!reason) {
      try {
        if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
        const ok = await tf.setBackend(name);
        await tf.ready();
        if (ok && tf.getBackend() === name) return { backend: name, adapter: await describeAdapter(name), fallbacks };
        reason = `tf.setBackend('${name}') failed`;
      } catch (e) {
        reason = (e as Error).message || String(e);
      }
    }
    fallbacks.push({ backend: name, reason });
  }
  throw new Error(`no tfjs backend could start: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}
