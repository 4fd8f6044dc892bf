// A hostile notebook, imported: untrusted and trusted, in the notebook and in presentation mode, every link clicked,
// no dialog, no navigation to a script URL, and no unsafe element, attribute or URL anywhere in the DOM.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { findUnsafe, HARMLESS, XSS_VECTORS } from '../components/notebook/sanitize.vectors';
import { importNotebook } from './helpers';

// One slide per vector (its name as a `##` heading), after a slide of Markdown that must keep working.
const NOTEBOOK = `---
title: XSS corpus
---

# Harmless

${HARMLESS.join('\n\n')}

${XSS_VECTORS.map((v) => `## ${v.name}\n\n${v.source}`).join('\n\n')}
`;

// Clicked links are answered by page.route (204, so the page stays put); requests a service worker handles bypass
// page.route, so the app's offline worker (public/sw.js, registered in production builds) stays off here.
test.use({ serviceWorkers: 'block' });

/** URL-bearing attributes anywhere in the page (the app's own markup included) that are not http(s), mailto or relative. */
function unsafeUrlsInPage(): string[] {
  const urlAttrs = new Set(['href', 'src', 'action', 'formaction', 'poster', 'srcset', 'data', 'cite', 'background', 'ping']);
  const bad: string[] = [];
  for (const el of Array.from(document.querySelectorAll('*'))) {
    for (const attr of Array.from(el.attributes)) {
      const name = attr.localName.toLowerCase();
      if (name.startsWith('on')) bad.push(`${el.localName} ${attr.name}`);
      if (!urlAttrs.has(name)) continue;
      const urls = name === 'srcset' ? attr.value.split(',').map((c) => c.trim().split(/\s+/)[0] ?? '') : [attr.value];
      for (const u of urls) {
        let protocol = '';
        try {
          protocol = new URL(u, document.baseURI).protocol;
        } catch {
          protocol = 'unparsable';
        }
        if (!['http:', 'https:', 'mailto:'].includes(protocol)) bad.push(`${el.localName} ${attr.name}="${attr.value}"`);
      }
    }
  }
  return bad;
}

/**
 * Checks the rendered Markdown under `scope`, then clicks each of its links as a user would, and checks that no dialog
 * came up. Returns the number of links clicked.
 */
async function checkAndClick(page: Page, scope: Locator, dialogs: string[]): Promise<number> {
  for (const el of await scope.all()) expect(await el.evaluate(findUnsafe)).toEqual([]);
  expect(await page.evaluate(unsafeUrlsInPage)).toEqual([]);
  const links = scope.locator('a, area');
  const n = await links.count();
  for (let i = 0; i < n; i++) {
    const link = links.nth(i);
    // A real click where the link can be hit; a dispatched one (which still follows the link) for hidden or SVG ones.
    if (await link.isVisible()) await link.click({ timeout: 5_000 });
    else await link.dispatchEvent('click');
  }
  // Give anything deferred (a timer, an error event) a moment to fire before the verdict.
  await page.waitForTimeout(200);
  expect(dialogs).toEqual([]);
  return n;
}

test('a hostile notebook runs no script, untrusted or trusted, in cells or slides', async ({ page, context }) => {
  test.setTimeout(240_000);
  const dialogs: string[] = [];
  context.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  // Links that leave the notebook open in new tabs: none may run script, and they are closed at once.
  context.on('page', (p) => void p.close());
  await importNotebook(page, 'xss.md', NOTEBOOK);
  const notebookUrl = page.url();

  // From here on no document loads: a followed link is recorded and answered 204, so the page stays where it is.
  const navigations: string[] = [];
  await context.route('**/*', (route) => {
    if (!route.request().isNavigationRequest()) return route.continue();
    navigations.push(route.request().url());
    return route.fulfill({ status: 204 });
  });

  for (const trusted of [false, true]) {
    if (trusted) await page.getByTestId('trust-accept-banner').click();
    await expect(page.getByTestId('trust-banner')).toHaveCount(trusted ? 0 : 1);

    // The notebook view: harmless links and math render; the hostile ones are inert.
    const markdown = page.getByTestId('markdown');
    await expect(markdown.first().locator('a[href="#results"]')).toBeVisible();
    await expect(markdown.first().locator('a[href="https://example.com/page?a=1&b=2"]')).toHaveAttribute('rel', 'noopener noreferrer');
    await expect(markdown.first().locator('.katex').first()).toBeVisible();
    // The Markdown-syntax vectors alone make over 20 links (inert now); raw HTML adds more once trusted.
    expect(await checkAndClick(page, markdown, dialogs)).toBeGreaterThan(20);
    expect(page.url().split('#')[0]).toBe(notebookUrl);

    // Presentation mode: every slide, every link.
    await page.getByTestId('present').click();
    const counter = page.getByTestId('slide-counter');
    const count = Number((await counter.textContent())!.split('/')[1]);
    expect(count).toBe(XSS_VECTORS.length + 1);
    let clicked = 0;
    for (let i = 0; i < count; i++) {
      await expect(counter).toHaveText(`${i + 1} / ${count}`);
      clicked += await checkAndClick(page, page.getByTestId('slide'), dialogs);
      if (i < count - 1) await page.getByTestId('slide-next').click();
    }
    expect(clicked).toBeGreaterThan(20);
    await page.getByTestId('present-exit').click();
    await expect(page.getByTestId('presentation')).toHaveCount(0);
  }

  await page.waitForTimeout(500);
  expect(dialogs).toEqual([]);
  for (const url of navigations) expect(['http:', 'https:']).toContain(new URL(url).protocol);
});
