// Starts tfjs's wasm backend with or without threads; the pthread workers load the package's own factory script.
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { MAX_FACTORY_SCRIPT_BYTES, checkFactoryScript, threadedFactorySource, type WasmStarter } from './wasmThreads';

/**
 * Gives tfjs's pthread workers the package's own factory script, fetched from the app (the service worker keeps it
 * offline); null when done, else why not.
 */
async function useFactoryScript(scriptUrl: string): Promise<string | null> {
  const res = await fetch(scriptUrl).catch((e: Error) => e);
  if (res instanceof Error || !res.ok) return `the threaded factory script is not served at ${scriptUrl} (${res instanceof Error ? res.message : `HTTP ${res.status}`})`;
  if (Number(res.headers.get('content-length') ?? 0) > MAX_FACTORY_SCRIPT_BYTES) return `the threaded factory script at ${scriptUrl} is too large`;
  const text = await res.text();
  const bad = checkFactoryScript(text);
  if (bad) return `${bad} (${scriptUrl})`;
  // The same module object tfjs's backend_wasm.js imports (one module instance per bundle), so tfjs's
  // `factory.toString()` reads this own property instead of the minified function's text.
  const mod = (await import('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js')) as unknown as { default?: unknown };
  const factory = typeof mod.default === 'function' ? mod.default : mod;
  if (typeof factory !== 'function') return 'the threaded wasm factory is not a function in this bundle';
  const source = threadedFactorySource(text);
  Object.defineProperty(factory, 'toString', { value: () => source, configurable: true, writable: true });
  return null;
}

/**
 * tfjs's threaded build caps its threads at navigator.hardwareConcurrency / 2 (it takes every core for two
 * hyperthreads), read once while the module starts: one thread on a 2-core machine. Until the returned restore is
 * called, `nav` (this realm's navigator) reports `cores` instead.
 */
export function reportCores(nav: { hardwareConcurrency?: number }, cores: number): () => void {
  const own = Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency');
  Object.defineProperty(nav, 'hardwareConcurrency', { value: cores, configurable: true });
  return () => {
    if (own) Object.defineProperty(nav, 'hardwareConcurrency', own);
    else delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  };
}

/** The real starter: tfjs's flags, thread count and backend. `scriptUrl`: where the threaded factory script is served. */
export function tfjsWasmStarter(scriptUrl: string | undefined): WasmStarter {
  let started = 1;
  // Set while a threaded start runs; a start abandoned on time is followed by a single-threaded one, which restores it.
  let restoreCores: (() => void) | null = null;
  const restore = () => {
    restoreCores?.();
    restoreCores = null;
  };
  return {
    async start(threads) {
      restore();
      const threaded = threads > 1 && scriptUrl !== undefined;
      if (threaded) {
        const why = await useFactoryScript(scriptUrl);
        if (why) return why;
      }
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threaded);
      // -1: tfjs's default, which the single-threaded build reads as one.
      setThreadsCount(threaded ? threads : -1);
      if (threaded) restoreCores = reportCores(globalThis.navigator, 2 * threads);
      try {
        await import('@tensorflow/tfjs-backend-wasm');
        const ok = await tf.setBackend('wasm');
        await tf.ready();
        if (!ok || tf.getBackend() !== 'wasm') return `tf.setBackend('wasm') failed`;
      } catch (e) {
        return (e as Error).message || String(e);
      } finally {
        restore();
      }
      // An abandoned threaded start that finishes late overwrites tfjs's count, so the single-threaded one is not asked.
      started = threaded ? getThreadsCount() : 1;
      return null;
    },
    threads: () => started,
  };
}
