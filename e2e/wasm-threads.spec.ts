// Threaded wasm: a cross-origin isolated page trains on several wasm threads with the same losses as one thread; a
// page that is not isolated gets one thread without an error; threads that die fall back to one thread, bounded.
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { cell, importNotebook, notebookText } from './helpers';

/** Five `tiny` steps (hidden 128: matmuls large enough for XNNPACK to split across threads); the cell prints threads and losses. */
const TRAIN_CELLS = [
  "const model = await lab.model('tiny')",
  "const data = (model, await lab.data('copy'))",
  'const trained = (data, await lab.train({ steps: 5, batchSize: 4, seqLen: 64, evalEvery: 0, logEvery: 1 }).done)',
  'const record = (trained, await lab.run())',
  'JSON.stringify({ threads: lab.backend.threads, adapter: lab.backend.adapter, losses: record.points.map((p) => p.loss) })',
];

type Report = { threads: number; adapter: string; losses: number[] };

async function trainReport(page: Page, url: string): Promise<Report> {
  await page.goto(url);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 90_000 });
  await page.getByTestId('run-all').click();
  const out = cell(page, 4).getByTestId('cell-output');
  await expect(out).toContainText('"losses"', { timeout: 180_000 });
  const text = (await out.textContent()) ?? '';
  return JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as Report;
}

test('cross-origin isolated: wasm trains on more than one thread, with the losses of one thread', async ({ page }) => {
  test.setTimeout(420_000);
  await importNotebook(page, 'threads.md', notebookText('Threads', TRAIN_CELLS));
  await page.getByTestId('trust-accept-banner').click();
  await expect(page.getByTestId('save-state')).toHaveText('saved');
  const base = page.url().split('?')[0];
  expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);

  const threaded = await trainReport(page, `${base}?backend=wasm`);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  expect(threaded.threads).toBe(Math.min(cores, 8));
  expect(threaded.threads, 'this check needs a machine with 2+ cores').toBeGreaterThan(1);
  expect(threaded.adapter).toMatch(new RegExp(`^wasm \\(SIMD, ${threaded.threads} threads\\)$`));
  const badge = page.getByTestId('backend');
  await expect(badge).toHaveAttribute('data-threads', String(threaded.threads));
  await expect(badge).toContainText(`${threaded.threads} threads`);
  await expect(badge.locator('.backend-fallback')).toHaveCount(0);

  const single = await trainReport(page, `${base}?backend=wasm&threads=1`);
  expect(single.threads).toBe(1);
  await expect(badge).toHaveAttribute('data-threads', '1');

  expect(threaded.losses).toHaveLength(5);
  expect(single.losses).toHaveLength(5);
  threaded.losses.forEach((l, i) => {
    expect(Number.isFinite(l)).toBe(true);
    expect(Math.abs(l - single.losses[i]), `step ${i + 1}: ${l} vs ${single.losses[i]}`).toBeLessThan(1e-4);
  });
  const worst = Math.max(...threaded.losses.map((l, i) => Math.abs(l - single.losses[i])));
  console.log(`losses: ${threaded.threads} threads ${JSON.stringify(threaded.losses)}; 1 thread ${JSON.stringify(single.losses)}; largest difference ${worst}`);
});

/** Responses without COOP/COEP and no service worker to add them: a page that is not cross-origin isolated. */
async function withoutIsolation(context: BrowserContext): Promise<void> {
  await context.route('**/*', async (route) => {
    const res = await route.fetch();
    const headers = { ...res.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response: res, headers });
  });
}

test.describe('without cross-origin isolation', () => {
  test.use({ serviceWorkers: 'block' });
  test('wasm starts on one thread, with no error and no fallback', async ({ page, context }) => {
    await withoutIsolation(context);
    await page.goto('/notebooks/welcome?backend=wasm');
    const badge = page.getByTestId('backend');
    await expect(badge).toHaveAttribute('data-backend', 'wasm', { timeout: 90_000 });
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(false);
    await expect(badge).toHaveAttribute('data-threads', '1');
    await expect(badge).toContainText('1 thread)');
    await expect(badge.locator('.backend-fallback')).toHaveCount(0);
  });
});

test('threads that die (the minified-factory failure) fall back to one thread within the bound, and training works', async ({ page, context }) => {
  test.setTimeout(240_000);
  // A factory script that passes the check but, like the minified factory, names something outside itself: every
  // pthread worker throws "r is not defined" and the threaded start never completes.
  await context.route('**/tfjs-wasm/tfjs-backend-wasm-threaded-simd.js', (route) =>
    route.fulfill({ status: 200, contentType: 'text/javascript', body: 'var WasmBackendModuleThreadedSimd = r;' }),
  );
  const t0 = Date.now();
  await page.goto('/bench?backend=wasm&threads=2&preset=micro&steps=4&seconds=120&batch=4&seq=32&ui=none&warmup=1&log=1');
  const result = page.getByTestId('bench-result');
  await expect(result).toBeVisible({ timeout: 120_000 });
  const r = JSON.parse((await result.textContent()) ?? '{}') as { backend: string; threads: number; adapter: string; fallbacks: { backend: string; reason: string }[]; lossFinite: boolean; engineMs: number };
  console.log(`fallback: ${JSON.stringify(r.fallbacks)}; engine ready after ${(r.engineMs / 1000).toFixed(1)} s (page ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  expect(r.backend).toBe('wasm');
  expect(r.threads).toBe(1);
  expect(r.adapter).toMatch(/, 1 thread\)$/);
  expect(r.fallbacks).toEqual([{ backend: 'wasm', reason: expect.stringMatching(/^2 threads: did not start within 15 s; using 1 thread$/) }]);
  expect(r.lossFinite).toBe(true);
});
