// Every bundled notebook runs to completion in quick mode in the browser, and editing a cell re-runs its dependents.
import { readdirSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { cell, cells, importNotebook, notebookText, runToCompletion, settled, snap } from './helpers';

const SLUGS = readdirSync('notebooks')
  .filter((f) => f.endsWith('.md'))
  .map((f) => f.replace(/\.md$/, ''));

for (const slug of SLUGS) {
  test(`bundled notebook "${slug}" runs top to bottom in quick mode without an error`, async ({ page }) => {
    test.setTimeout(300_000);
    await page.goto(`/notebooks/${slug}?quick=1&backend=wasm`);
    await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
    await expect(cells(page).first()).toBeVisible();
    await runToCompletion(page, 240_000);
    const code = page.locator('[data-testid="cell"][data-kind="code"]');
    const statuses = await code.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    const errors = await page.getByTestId('cell-error').allTextContents();
    await snap(page, `bundled-${slug}`);
    expect(errors).toEqual([]);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 'done')).toEqual([]);
  });
}

test('editing a cell re-runs the cells that depend on it, and only those', async ({ page }) => {
  await importNotebook(page, 'reactive.md', notebookText('Reactive', ['const a = 2', 'const b = a * 10', '`b is ${b}`', "'unrelated ' + Math.random()"]));
  await page.getByTestId('trust-accept-banner').click();
  await page.getByTestId('run-all').click();
  await settled(page);
  await expect(cell(page, 2).getByTestId('cell-output')).toHaveText('b is 20');
  const unrelated = await cell(page, 3).getByTestId('cell-output').textContent();
  const content = cell(page, 0).locator('.cm-content');
  await content.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('const a = 5');
  await page.keyboard.press('Shift+Enter');
  await expect(cell(page, 2).getByTestId('cell-output')).toHaveText('b is 50');
  await settled(page);
  expect(await cell(page, 3).getByTestId('cell-output').textContent()).toBe(unrelated);
  await snap(page, 'reactive-edit');
});
