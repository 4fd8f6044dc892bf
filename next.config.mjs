/** Next.js config: the app is fully static-servable and works offline (tfjs wasm binaries live in public/). */
// `npm run export` (NEXT_EXPORT=1) writes a static site to out/ with directory paths (`x/index.html`), so any static
// file server can host it; BASE_PATH=/some/path builds either kind for hosting under a sub-path.
const isExport = process.env.NEXT_EXPORT === '1';

function basePathFrom(raw) {
  const p = (raw ?? '').trim().replace(/\/+$/, '');
  if (p === '') return '';
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(p)) throw new Error(`BASE_PATH must look like /some/path (got "${raw}")`);
  return p;
}
const basePath = basePathFrom(process.env.BASE_PATH);

// Cross-origin isolation (SharedArrayBuffer, so tfjs wasm can use threads). Static hosts that cannot send these get
// the same from public/sw.js.
const isolationHeaders = [
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  { key: 'Cross-Origin-Embedder-Policy', value: 'require-corp' },
];

const nextConfig = {
  reactStrictMode: true,
  // The engine imports Node built-ins only from files the browser never loads.
  turbopack: {},
  ...(basePath ? { basePath, assetPrefix: basePath } : {}),
  // Read by code that builds URLs by hand (wasm binaries, fixtures, the service worker, share links).
  env: { NEXT_PUBLIC_BASE_PATH: basePath, NEXT_PUBLIC_STATIC_EXPORT: isExport ? '1' : '' },
  ...(isExport
    ? { output: 'export', trailingSlash: true }
    : {
        async headers() {
          return [{ source: '/:path*', headers: isolationHeaders }];
        },
      }),
};
export default nextConfig;
