/* TokenFormer Lab service worker: an offline copy of the app, and cross-origin isolation on hosts that cannot send
 * COOP/COEP headers (GitHub Pages, `python3 -m http.server`, a USB stick served by anything).
 * Plain script, no build step. Registered by components/layout/ServiceWorker.tsx with the app's base path as scope. */
/* eslint-env serviceworker */

// scripts/export.mjs writes a hash of the exported site here, so every new export is a new worker (and a new cache).
const VERSION = '__PRECACHE_VERSION__';
const SCOPE = new URL(self.registration.scope).pathname; // "/" or "/some/path/"
const PREFIX = `tokenformer-lab:${SCOPE}:`;
const CACHE = PREFIX + VERSION;
// Content-addressed or versioned with the app: served from the cache first.
const IMMUTABLE = [`${SCOPE}_next/static/`, `${SCOPE}tfjs-wasm/`];

self.addEventListener('install', () => {
  // The page reloads once to become cross-origin isolated; it should not wait for a download first.
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

// The page asks for the offline copy once it runs under this worker (see ServiceWorker.tsx).
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'precache') event.waitUntil(precache(event.source));
});

/** Caches every file listed in precache.json (written by `npm run export`); a `next start` deployment has none. */
async function precache(client) {
  let files = [];
  try {
    const res = await fetch(`${SCOPE}precache.json`, { cache: 'no-store' });
    if (res.ok) files = (await res.json()).files || [];
  } catch {
    return;
  }
  const cache = await caches.open(CACHE);
  let done = 0;
  let failed = 0;
  // A few at a time, and skipping what is cached already (a worker restarted midway picks up where it was).
  const queue = files.filter((f) => typeof f === 'string').map((f) => SCOPE + f.replace(/^\/+/, ''));
  const work = async () => {
    for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
      try {
        if (!(await cache.match(url))) {
          const res = await fetch(url, { cache: 'no-cache' });
          if (!res.ok) throw new Error(String(res.status));
          await cache.put(url, res);
        }
        done++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all([work(), work(), work(), work()]);
  if (client) client.postMessage({ type: 'precached', done, failed, total: files.length });
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE) || req.headers.has('range')) return;
  if (req.cache === 'only-if-cached' && req.mode !== 'same-origin') return;
  event.respondWith(respond(req, url).then(isolate));
});

async function respond(req, url) {
  const cache = await caches.open(CACHE);
  if (IMMUTABLE.some((p) => url.pathname.startsWith(p))) {
    const hit = await cache.match(req);
    if (hit) return hit;
    const res = await fetch(req);
    if (res.ok && res.type === 'basic') await cache.put(req, res.clone());
    return res;
  }
  // Pages, notebooks and everything else: the network when there is one (a new deployment shows at once), else the copy.
  try {
    const res = await fetch(req);
    if (res.ok && res.type === 'basic' && !url.search) await cache.put(req, res.clone());
    return res;
  } catch (e) {
    const hit = (await cache.match(req)) || (await cache.match(req, { ignoreSearch: true })) || (req.mode === 'navigate' && (await cache.match(dirIndex(url))));
    if (hit) return hit;
    throw e;
  }
}

// "/lab/notebooks/welcome" and "/lab/notebooks/welcome/" are the same page on a static host.
function dirIndex(url) {
  return url.pathname.endsWith('/') ? `${url.pathname}index.html` : `${url.pathname}/`;
}

/** The response with COOP/COEP added, so documents and workers under this worker are cross-origin isolated. */
function isolate(res) {
  // Opaque, error and redirect responses cannot be rebuilt; they carry no document anyway.
  if (!res || res.status === 0 || res.type === 'opaqueredirect') return res;
  const headers = new Headers(res.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
