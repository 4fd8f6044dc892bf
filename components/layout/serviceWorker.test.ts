// public/sw.js in a simulated worker scope: isolation headers, what it intercepts, offline fallback, precache, cleanup.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SOURCE = readFileSync(join(__dirname, '..', '..', 'public', 'sw.js'), 'utf8');
const ORIGIN = 'https://lab.example';

/** A Cache Storage in memory, keyed by URL (what the worker needs of it). */
function memoryCaches() {
  const stores = new Map<string, Map<string, Response>>();
  const keyOf = (r: Request | string) => (typeof r === 'string' ? new URL(r, ORIGIN).href : r.url);
  const open = async (name: string) => {
    if (!stores.has(name)) stores.set(name, new Map());
    const s = stores.get(name)!;
    return {
      match: async (r: Request | string, o?: { ignoreSearch?: boolean }) => {
        const key = keyOf(r);
        const hit = s.get(key) ?? (o?.ignoreSearch ? [...s].find(([k]) => k.split('?')[0] === key.split('?')[0])?.[1] : undefined);
        return hit?.clone();
      },
      put: async (r: Request | string, res: Response) => void s.set(keyOf(r), res.clone()),
    };
  };
  return { stores, api: { open, keys: async () => [...stores.keys()], delete: async (n: string) => stores.delete(n) } };
}

type Listener = (e: Record<string, unknown>) => void;

function boot(opts: { scope?: string; network: (url: string) => Response | Promise<Response>; caches?: ReturnType<typeof memoryCaches> }) {
  const listeners = new Map<string, Listener>();
  const fetched: string[] = [];
  const caches = opts.caches ?? memoryCaches();
  const self = {
    registration: { scope: `${ORIGIN}${opts.scope ?? '/lab/'}` },
    location: new URL(`${ORIGIN}${opts.scope ?? '/lab/'}sw.js`),
    addEventListener: (type: string, fn: Listener) => listeners.set(type, fn),
    skipWaiting: () => Promise.resolve(),
    clients: { claim: () => Promise.resolve() },
  };
  const fetchFn = async (input: Request | string) => {
    const url = typeof input === 'string' ? new URL(input, ORIGIN).href : input.url;
    fetched.push(url);
    const res = await opts.network(url);
    // Same-origin responses are "basic" in a browser; Node's Response says "default".
    Object.defineProperty(res, 'type', { value: 'basic' });
    return res;
  };
  new Function('self', 'caches', 'fetch', SOURCE)(self, caches.api, fetchFn);

  const waitFor = async (type: string, extra: Record<string, unknown> = {}) => {
    let pending: Promise<unknown> = Promise.resolve();
    listeners.get(type)!({ ...extra, waitUntil: (p: Promise<unknown>) => (pending = p) });
    await pending;
  };
  /** Resolves to the worker's response, or null when it lets the browser handle the request. */
  const request = async (path: string, init: RequestInit & { navigate?: boolean } = {}): Promise<Response | null> => {
    const slot: { answer: Promise<Response> | null } = { answer: null };
    const { navigate, ...rest } = init;
    const req = new Request(new URL(path, ORIGIN), rest);
    // Node cannot construct a navigation request; the worker only reads the mode.
    if (navigate) Object.defineProperty(req, 'mode', { value: 'navigate' });
    listeners.get('fetch')!({ request: req, respondWith: (p: Promise<Response>) => (slot.answer = p) });
    return slot.answer;
  };
  return { waitFor, request, fetched, caches };
}

const ok = (body: string, type = 'text/html') => new Response(body, { headers: { 'content-type': type } });

describe('public/sw.js', () => {
  it('adds COOP/COEP to what it serves, and leaves other origins, other scopes and non-GETs alone', async () => {
    const sw = boot({ network: () => ok('<p>page') });
    const res = await sw.request('/lab/notebooks/welcome/');
    expect(res!.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res!.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(res!.headers.get('content-type')).toBe('text/html');
    expect(await res!.text()).toBe('<p>page');
    expect(await sw.request('https://elsewhere.example/lab/x')).toBeNull();
    expect(await sw.request('/other-app/')).toBeNull();
    expect(await sw.request('/lab/x', { method: 'POST', body: 'x' })).toBeNull();
  });

  it('serves pages from the network while online and from its copy offline, query or not', async () => {
    let online = true;
    const sw = boot({ network: () => (online ? ok('fresh') : Promise.reject(new TypeError('Failed to fetch'))) });
    expect(await (await sw.request('/lab/notebooks/welcome/'))!.text()).toBe('fresh');
    online = false;
    expect(await (await sw.request('/lab/notebooks/welcome/?quick=1', { navigate: true }))!.text()).toBe('fresh');
    // "/lab/notebooks/welcome" (no slash) finds the directory page.
    expect(await (await sw.request('/lab/notebooks/welcome', { navigate: true }))!.text()).toBe('fresh');
    await expect(sw.request('/lab/never-seen/')!).rejects.toThrow('Failed to fetch');
  });

  it('serves hashed assets and wasm from the cache first', async () => {
    let n = 0;
    const sw = boot({ network: () => ok(`v${++n}`, 'application/wasm') });
    expect(await (await sw.request('/lab/tfjs-wasm/tfjs-backend-wasm-simd.wasm'))!.text()).toBe('v1');
    expect(await (await sw.request('/lab/tfjs-wasm/tfjs-backend-wasm-simd.wasm'))!.text()).toBe('v1');
    expect(sw.fetched).toHaveLength(1);
  });

  it('precaches the listed files on request, reports what it did, and on activation drops old versions of its scope only', async () => {
    const files: Record<string, string> = { '/lab/': 'index', '/lab/notebooks/welcome/': 'welcome', '/lab/tfjs-wasm/a.wasm': 'wasm' };
    const sw = boot({
      network: (url) => {
        const path = new URL(url).pathname;
        if (path === '/lab/precache.json') return ok(JSON.stringify({ files: ['', 'notebooks/welcome/', 'tfjs-wasm/a.wasm', 'missing.js'] }), 'application/json');
        return path in files ? ok(files[path]) : new Response('no', { status: 404 });
      },
    });
    const messages: unknown[] = [];
    await sw.waitFor('message', { data: { type: 'precache' }, source: { postMessage: (m: unknown) => messages.push(m) } });
    expect(messages).toEqual([{ type: 'precached', done: 3, failed: 1, total: 4 }]);
    const [name] = [...sw.caches.stores.keys()];
    expect(name).toBe('tokenformer-lab:/lab/:__PRECACHE_VERSION__');
    expect([...sw.caches.stores.get(name)!.keys()].sort()).toEqual([`${ORIGIN}/lab/`, `${ORIGIN}/lab/notebooks/welcome/`, `${ORIGIN}/lab/tfjs-wasm/a.wasm`]);

    await sw.caches.api.open('tokenformer-lab:/lab/:old');
    await sw.caches.api.open('tokenformer-lab:/other/:old');
    await sw.waitFor('activate');
    expect([...sw.caches.stores.keys()].sort()).toEqual(['tokenformer-lab:/lab/:__PRECACHE_VERSION__', 'tokenformer-lab:/other/:old']);
  });
});
