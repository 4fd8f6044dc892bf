// Share by link, `?notebook=<URL>` imports and workshop mode. Paths are relative (no leading slash) so the same specs
// run against `next start` (scripts/e2e.mjs) and the static export under a sub-path (scripts/e2e-export.mjs).
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'fflate';
import { expect, test, type Page } from '@playwright/test';
import { cell, cells, openIsolated, settled, snap } from './helpers';

const SHARED = `---
title: Shared by link
description: sent to a colleague
defaults:
  factor: 7
---

# A shared notebook

Multiply by the factor.

\`\`\`js
window.__sharedRan = true; const answer = 6 * defaults.factor
\`\`\`

\`\`\`js
\`answer is \${answer}\`
\`\`\`
`;

const isExport = process.env.E2E_EXPORT === '1';
const SITE = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:3100';
const ROOT = SITE.endsWith('/') ? SITE : `${SITE}/`;

async function importFile(page: Page, text: string): Promise<void> {
  await openIsolated(page, './');
  await page.getByTestId('import-input').setInputFiles({ name: 'shared.md', mimeType: 'text/markdown', buffer: Buffer.from(text) });
  await page.waitForURL(isExport ? /open\/\?id=u-/ : /\/notebooks\/u-/);
  await expect(cells(page).first()).toBeVisible();
}

/** The share link the dialog shows for the open notebook. */
async function shareLinkOf(page: Page): Promise<string> {
  await page.getByTestId('share').click();
  const link = await page.getByTestId('share-link').inputValue();
  await page.getByTestId('share-close').click();
  return link;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

test('a share link opens in a fresh browser profile behind the trust prompt, and the reader can keep it', async ({ page, browser }) => {
  test.setTimeout(180_000);
  await importFile(page, SHARED);
  const link = await shareLinkOf(page);
  expect(link).toMatch(/#nb=1\.[A-Za-z0-9_-]+$/);
  // The link points into this deployment, sub-path included.
  expect(link.startsWith(`${new URL(isExport ? 'open/' : 'open', ROOT).href}#nb=`)).toBe(true);

  const reader = await browser.newContext();
  const other = await reader.newPage();
  await openIsolated(other, link);
  await expect(other.getByTestId('notebook-title')).toHaveText('Shared by link');
  await expect(other.getByTestId('trust-banner')).toContainText('a share link');
  expect(await cells(other).count()).toBe(3);
  await expect(cell(other, 1).locator('.cm-content')).toHaveText('window.__sharedRan = true; const answer = 6 * defaults.factor');
  // Nothing ran: no cell left idle, no output, and the code's side effect never happened.
  const statuses = await other.locator('[data-testid="cell"][data-kind="code"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
  expect(statuses.every((s) => s === 'idle' || s === null)).toBe(true);
  expect(await other.evaluate(() => (window as unknown as { __sharedRan?: boolean }).__sharedRan)).toBeUndefined();
  await expect(other.getByTestId('save-state')).toHaveText('not saved');

  await other.getByTestId('run-all').click();
  await expect(other.getByTestId('trust-dialog')).toContainText('came from a share link');
  expect(await other.evaluate(() => (window as unknown as { __sharedRan?: boolean }).__sharedRan)).toBeUndefined();
  await other.getByTestId('trust-accept').click();
  await settled(other);
  // Front matter travelled with the cells: defaults.factor is 7.
  await expect(cell(other, 2).getByTestId('cell-output')).toHaveText('answer is 42');
  await snap(other, 'share-opened');

  await other.getByTestId('keep-notebook').click();
  await other.waitForURL(isExport ? /open\/\?id=u-/ : /\/notebooks\/u-/);
  await other.reload();
  await expect(other.getByTestId('notebook-title')).toHaveText('Shared by link');
  await expect(other.getByTestId('trust-banner')).toHaveCount(0);
  await other.goto(ROOT);
  await expect(other.locator('[data-testid="notebook-item"]', { hasText: 'Shared by link' })).toHaveCount(1);
  await reader.close();
});

test('a notebook too long for a link is offered as a .md file instead', async ({ page }) => {
  // Random bytes do not compress: 16 K base64 characters of them cannot fit in an 8 KB link.
  const noise = randomBytes(12_000).toString('base64');
  await importFile(page, `---\ntitle: Too long\n---\n\n\`\`\`js\nconst s = ${JSON.stringify(noise)}\n\`\`\`\n`);
  await page.getByTestId('share').click();
  await expect(page.getByTestId('share-too-long')).toContainText('more than the 8,192');
  await expect(page.getByTestId('share-link')).toHaveCount(0);
  const download = page.waitForEvent('download');
  await page.getByTestId('share-download').click();
  expect((await download).suggestedFilename()).toBe('too-long.md');
});

test('a malformed, truncated or oversized share link gives a clear error and breaks nothing', async ({ page }) => {
  await openIsolated(page, 'notebooks/welcome');
  const link = await shareLinkOf(page);
  const base = link.split('#')[0];

  await page.goto(`${base}#nb=1.not*base64!`);
  await expect(page.getByTestId('open-error')).toContainText('the share link is damaged');
  await page.goto(`${base}#nb=${link.split('#nb=')[1].slice(0, 40)}`);
  await expect(page.getByTestId('open-error')).toContainText(/damaged|cut short/);
  await page.goto(`${base}#nb=7.abcd`);
  await expect(page.getByTestId('open-error')).toContainText('format 7');
  // 64 MB of zeros deflates to ~90 K link characters; the page stops inflating at 1 MB.
  await page.goto(`${base}#nb=1.${b64url(deflateSync(new Uint8Array(64 * 1024 * 1024), { level: 9 }))}`);
  await expect(page.getByTestId('open-error')).toContainText('more than 1 MB');
  await page.goto(`${base}#nb=1.${b64url(deflateSync(new TextEncoder().encode('hello, not a notebook')))}`);
  await expect(page.getByTestId('open-error')).toContainText('is not a notebook');
  await snap(page, 'share-error');

  // The same tab then opens a good link (the fragment changes, no reload), and the rest of the app still works.
  await page.evaluate((good) => (window.location.href = good), link);
  await expect(page.getByTestId('notebook-title')).toHaveText('Welcome to TokenFormer Lab');
  await page.getByRole('link', { name: 'TokenFormer Lab' }).first().click();
  await expect(page.getByTestId('notebook-item').first()).toBeVisible();
  await expect(page.getByTestId('index-error')).toHaveCount(0);
});

test('?notebook=<URL> imports behind the trust prompt; a web page or a failed fetch says why', async ({ page }) => {
  await page.route('https://notebooks.example/**', (route) => {
    const url = route.request().url();
    if (url.endsWith('/ok.md')) return route.fulfill({ body: SHARED, headers: { 'content-type': 'text/plain', 'access-control-allow-origin': '*' } });
    if (url.endsWith('/page')) return route.fulfill({ body: '<!doctype html><p>hi</p>', headers: { 'content-type': 'text/html', 'access-control-allow-origin': '*' } });
    return route.fulfill({ status: 404, body: 'gone', headers: { 'access-control-allow-origin': '*' } });
  });
  await openIsolated(page, './');
  await page.goto(`./?notebook=${encodeURIComponent('https://notebooks.example/ok.md')}`);
  await expect(page.getByTestId('notebook-title')).toHaveText('Shared by link');
  await expect(page.getByTestId('trust-banner')).toContainText('https://notebooks.example/ok.md');

  await page.goto(`${isExport ? 'open/' : 'open'}?notebook=${encodeURIComponent('https://notebooks.example/page')}`);
  await expect(page.getByTestId('open-error')).toContainText('is a web page, not a notebook file');
  await page.goto(`${isExport ? 'open/' : 'open'}?notebook=${encodeURIComponent('https://notebooks.example/missing.md')}`);
  await expect(page.getByTestId('open-error')).toContainText('HTTP 404');
});

test('workshop mode: a reset to the original per participant, and the slides show where to follow along', async ({ page }) => {
  await openIsolated(page, 'notebooks/welcome?workshop=1&quick=1');
  await expect(page.getByTestId('workshop-badge')).toBeVisible();
  await expect(page.getByTestId('notebook')).toHaveAttribute('data-quick', 'true');
  const first = page.locator('[data-testid="cell"][data-kind="code"]').first().locator('.cm-content');
  const original = await first.textContent();
  await first.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('const edited = 1');
  await expect(first).toHaveText('const edited = 1');
  page.once('dialog', (d) => void d.accept());
  await page.getByTestId('reset-original').click();
  await expect(first).toHaveText(original ?? '');

  await page.getByTestId('present').click();
  const follow = page.getByTestId('participant-link');
  await expect(follow).toHaveAttribute('href', new URL(isExport ? 'notebooks/welcome/?workshop=1' : 'notebooks/welcome?workshop=1', ROOT).href);
});
