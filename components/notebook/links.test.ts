// App URLs under `next start` and in a static export under a sub-path (next.config.mjs fixes both at build time).
import { afterEach, describe, expect, it, vi } from 'vitest';

async function linksWith(env: { STATIC_EXPORT: string; BASE_PATH: string }) {
  vi.stubEnv('NEXT_PUBLIC_STATIC_EXPORT', env.STATIC_EXPORT);
  vi.stubEnv('NEXT_PUBLIC_BASE_PATH', env.BASE_PATH);
  vi.resetModules();
  return import('./links');
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('links', () => {
  it('under next start, user notebooks keep their own route and share links point at /open', async () => {
    const l = await linksWith({ STATIC_EXPORT: '', BASE_PATH: '' });
    expect(l.notebookHref('u-abc')).toBe('/notebooks/u-abc');
    expect(l.notebookHref('welcome')).toBe('/notebooks/welcome');
    expect(l.openPageUrl('https://lab.example')).toBe('https://lab.example/open');
    expect(l.bundledPageUrl('https://lab.example', 'welcome', '?workshop=1')).toBe('https://lab.example/notebooks/welcome?workshop=1');
  });

  it('in a static export under a sub-path, user notebooks open by id and absolute URLs carry the sub-path', async () => {
    const l = await linksWith({ STATIC_EXPORT: '1', BASE_PATH: '/lab/sub' });
    // Link and router add the base path themselves; a static host has no page per user notebook.
    expect(l.notebookHref('u-abc')).toBe('/open/?id=u-abc');
    expect(l.notebookHref('welcome')).toBe('/notebooks/welcome');
    expect(l.openPageUrl('https://x.github.io')).toBe('https://x.github.io/lab/sub/open/');
    expect(l.bundledPageUrl('https://x.github.io', 'welcome', '?workshop=1')).toBe('https://x.github.io/lab/sub/notebooks/welcome/?workshop=1');
    const { WASM_PATH } = await import('@/lib/engine/basePath');
    expect(WASM_PATH).toBe('/lab/sub/tfjs-wasm/');
  });
});
