import { describe, expect, it } from 'vitest';
import { selectBackend } from './backend';

describe('selectBackend: wasm threads', () => {
  it('in Node (no cross-origin isolation, no factory script) wasm runs on one thread, says so, and records no fallback', async () => {
    const info = await selectBackend({ backend: 'wasm', threads: 4 });
    expect(info).toMatchObject({ backend: 'wasm', threads: 1, fallbacks: [] });
    expect(info.adapter).toMatch(/^wasm \((SIMD|no SIMD), 1 thread\)$/);
  });
});
