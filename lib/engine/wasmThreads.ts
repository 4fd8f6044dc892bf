// Threaded tfjs wasm, the plain logic: how many threads, what the pthread workers load, and a bounded start that falls
// back to one thread. No tfjs here (the page imports it for ?threads=); wasmStarter.ts drives tfjs.

/**
 * tfjs 4.22's threaded build starts this many pthread workers with the module. A thread past them would be started
 * while the engine waits for it, so no more are asked for.
 */
export const MAX_WASM_THREADS = 8;

/** How long the threaded build may take to start (fetch, compile, every pthread worker loaded) before one thread is used instead. */
export const THREADED_START_TIMEOUT_MS = 15_000;

/** The package's own threaded factory script (wasm-out/), served beside the .wasm binaries by scripts/copy-wasm.mjs. */
export const THREADED_FACTORY_FILE = 'tfjs-backend-wasm-threaded-simd.js';

export interface ThreadEnv {
  /** `crossOriginIsolated`: SharedArrayBuffer exists, so wasm threads can. */
  isolated: boolean;
  /** A worker (the engine's), not a page's main thread, which must not block waiting on its threads. */
  inWorker: boolean;
  /** `navigator.hardwareConcurrency`. */
  cores?: number;
}

/**
 * Threads for the wasm backend. Never more than one without cross-origin isolation. `requested` (the page's
 * `?threads=N`, `InitOptions.threads`) is taken, clamped to 1..MAX_WASM_THREADS; otherwise a worker gets one per core
 * up to that cap, and a page's main thread one. (tfjs alone would take half the cores: wasmStarter.ts sees to it
 * that this count is the one used.)
 */
export function chooseWasmThreads(env: ThreadEnv, requested?: number): number {
  if (!env.isolated) return 1;
  if (requested !== undefined && Number.isFinite(requested)) return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(requested)));
  if (!env.inWorker) return 1;
  const cores = env.cores !== undefined && Number.isInteger(env.cores) && env.cores > 0 ? env.cores : 1;
  return Math.min(cores, MAX_WASM_THREADS);
}

/** `?threads=N` from a query string: a whole number 1..64, else undefined (the default choice). */
export function threadsFromQuery(search: string): number | undefined {
  const raw = new URLSearchParams(search).get('threads');
  if (raw === null || !/^\d{1,2}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= 1 && n <= 64 ? n : undefined;
}

/** The environment this code runs in (Node: not isolated, not a worker). */
export function currentThreadEnv(): ThreadEnv {
  const g = globalThis as { crossOriginIsolated?: boolean; WorkerGlobalScope?: abstract new () => unknown; navigator?: { hardwareConcurrency?: number } };
  return {
    isolated: g.crossOriginIsolated === true,
    inWorker: typeof g.WorkerGlobalScope === 'function' && globalThis instanceof g.WorkerGlobalScope,
    cores: g.navigator?.hardwareConcurrency,
  };
}

/** The factory script is ~55 kB; anything past this is not it. */
export const MAX_FACTORY_SCRIPT_BYTES = 1 << 20;
const FACTORY_NAME = 'WasmBackendModuleThreadedSimd';

/** Null when `text` is the threaded factory script, else why not (an HTML fallback page, an empty or huge file). */
export function checkFactoryScript(text: string): string | null {
  if (text.length > MAX_FACTORY_SCRIPT_BYTES) return `the threaded factory script is over ${MAX_FACTORY_SCRIPT_BYTES} bytes`;
  if (!text.startsWith(`var ${FACTORY_NAME} =`, text.search(/\S/))) return `the threaded factory script does not define ${FACTORY_NAME}`;
  return null;
}

/**
 * What each pthread worker evaluates as `var WasmBackendModuleThreadedSimd = <this>`. tfjs puts the factory's own
 * source text there (`factory.toString()`); once the bundler has minified the factory, that text refers to names
 * outside itself and every thread dies ("r is not defined"). This is the package's unminified script instead, whole
 * (it keeps its own closure) and scoped in a function, so the workers fetch nothing and it works offline.
 */
export function threadedFactorySource(scriptText: string): string {
  return `(function () {\n${scriptText}\n;return ${FACTORY_NAME};\n})()`;
}

export interface WasmStarter {
  /** Makes tfjs's wasm backend the active one with this many threads (1: the single-threaded build); null once it is, else why not. */
  start(threads: number): Promise<string | null>;
  /** The threads the started backend uses. */
  threads(): number;
}

export interface WasmStart {
  /** Null when the wasm backend is active, else why it could not start at all. */
  reason: string | null;
  threads: number;
  /** Why the threaded build was not used, when it was asked for and the single-threaded one runs instead. */
  fallback?: string;
}

class StartTimeout extends Error {}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StartTimeout(`did not start within ${ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`}`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/**
 * Starts wasm with `threads`, bounded by `timeoutMs`; when the threaded build fails or hangs, starts the
 * single-threaded one and says why. A threaded start abandoned on time keeps its idle workers and memory until the
 * engine's worker ends (tfjs has no way to cancel it).
 */
export async function startWasm(threads: number, s: WasmStarter, timeoutMs = THREADED_START_TIMEOUT_MS): Promise<WasmStart> {
  let fallback: string | undefined;
  if (threads > 1) {
    let why: string | null;
    try {
      why = await within(s.start(threads), timeoutMs);
    } catch (e) {
      why = e instanceof Error ? e.message : String(e);
    }
    if (why === null) return { reason: null, threads: s.threads() };
    fallback = `${threads} threads: ${why}; using 1 thread`;
  }
  const reason = await s.start(1);
  return { reason, threads: 1, ...(fallback ? { fallback } : {}) };
}
