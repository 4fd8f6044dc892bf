// The static export, served under a sub-path by a plain static server: every bundled notebook runs clean in quick mode,
// the wasm binaries (threaded, with their factory script) and the engine worker load from the sub-path, and the service
// worker makes the page cross-origin isolated (the server sends no COOP/COEP headers) and keeps an offline copy. Run by
// scripts/e2e-export.mjs.
import { readdirSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { cells, openIsolated, runReport, runToCompletion, snap } from '../helpers';

const SLUGS = readdirSync('notebooks')
  .filter((f) => f.endsWith('.md'))
  .map((f) => f.replace(/\.md$/, ''));
const SITE = new URL(process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3100/');
const BASE = SITE.pathname; // "/lab/sub/"

// Paths are relative (no leading slash), so they resolve under the sub-path of baseURL.

test('every request stays under the sub-path, and the pages are plain files (no server code)', async ({ page }) => {
  const outside: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    // blob: URLs (the wasm threads' worker scripts) are made in the page, not fetched from the host.
    if (u.protocol !== 'blob:' && u.origin === SITE.origin && !u.pathname.startsWith(BASE)) outside.push(u.pathname);
  });
  await openIsolated(page, 'notebooks/welcome/?quick=1&backend=wasm');
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  // Isolated by the service worker, wasm runs threaded: its factory script came from the sub-path too.
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-threads', String(Math.min(cores, 8)));
  // Client-side navigation to the index and back goes through the exported RSC payloads, under the sub-path too.
  await page.locator('.topbar .brand').click();
  await expect(page.getByTestId('notebook-item').first()).toBeVisible();
  expect(new URL(page.url()).pathname).toBe(BASE);
  expect(outside.filter((p) => !p.startsWith('/favicon'))).toEqual([]);
});

for (const slug of SLUGS) {
  test(`exported "${slug}" runs top to bottom in quick mode without an error`, async ({ page }) => {
    test.setTimeout(300_000);
    await openIsolated(page, `notebooks/${slug}/?quick=1&backend=wasm`);
    await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
    await expect(cells(page).first()).toBeVisible();
    await runToCompletion(page, 240_000);
    const { statuses, errors } = await runReport(page);
    await snap(page, `export-${slug}`);
    expect(errors).toEqual([]);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 'done')).toEqual([]);
  });
}

test('once loaded, the site works offline: a bundled notebook opens and its engine starts from the cache', async ({ page, context }) => {
  test.setTimeout(180_000);
  await openIsolated(page, '?quick=1');
  // The page asks the worker for the offline copy; wait until it reports it done.
  const report = await page.evaluate(
    () =>
      new Promise<{ done: number; failed: number; total: number }>((resolve) => {
        navigator.serviceWorker.addEventListener('message', (e) => e.data?.type === 'precached' && resolve(e.data));
        navigator.serviceWorker.controller?.postMessage({ type: 'precache' });
      }),
  );
  expect(report.failed).toBe(0);
  expect(report.done).toBe(report.total);
  await context.setOffline(true);
  await page.goto('notebooks/train-enwik8/?quick=1&backend=wasm');
  await expect(page.getByTestId('notebook-title')).toBeVisible();
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await context.setOffline(false);
});
