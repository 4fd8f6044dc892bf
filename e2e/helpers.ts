// Shared e2e helpers: cell locators, typing into CodeMirror, importing a notebook file, screenshots.
import { expect, type Locator, type Page } from '@playwright/test';

export const cells = (page: Page): Locator => page.getByTestId('cell');
export const cell = (page: Page, i: number): Locator => cells(page).nth(i);

/** Waits until no cell is queued or running, so outputs stop moving the page before a click. */
export async function settled(page: Page, timeout = 90_000): Promise<void> {
  await expect(page.locator('[data-testid="cell"][data-status="running"], [data-testid="cell"][data-status="queued"]')).toHaveCount(0, { timeout });
}

/** Replaces a code cell's source by typing, as a user would. */
export async function typeInCell(page: Page, i: number, text: string): Promise<void> {
  const content = cell(page, i).locator('.cm-content');
  await content.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(text);
  await expect(content).toHaveText(text.split('\n').join(''));
}

/** Imports notebook text through the index page's file picker; resolves on the new notebook's page. */
export async function importNotebook(page: Page, name: string, text: string): Promise<void> {
  await page.goto('/');
  await page.getByTestId('import-input').setInputFiles({ name, mimeType: 'text/markdown', buffer: Buffer.from(text) });
  await page.waitForURL(/\/notebooks\/u-/);
  await expect(cells(page).first()).toBeVisible();
}

/**
 * Opens `path` and waits until the page is cross-origin isolated: at once under `next start` (its headers), after one
 * reload under public/sw.js on a static host without them (the first visit in a browser profile).
 */
export async function openIsolated(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect.poll(() => page.evaluate(() => window.crossOriginIsolated).catch(() => false), { timeout: 60_000 }).toBe(true);
  await page.waitForLoadState('load');
}

/** Runs all cells, pressing Start on any training widget that waits for it (as a reader would), until nothing runs. */
export async function runToCompletion(page: Page, timeoutMs: number): Promise<void> {
  await page.getByTestId('run-all').click();
  const busy = page.locator('[data-testid="cell"][data-status="running"], [data-testid="cell"][data-status="queued"]');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const starts = page.locator('[data-testid="trainer"][data-state="idle"] [data-testid="train-start"]:enabled');
    for (let i = (await starts.count()) - 1; i >= 0; i--) await starts.nth(i).click();
    const training = await page.locator('[data-testid="trainer"][data-state="training"]').count();
    if (!training && (await busy.count()) === 0 && (await starts.count()) === 0) return;
    await page.waitForTimeout(500);
  }
  throw new Error(`cells still running after ${timeoutMs} ms`);
}

/** The code cells' statuses and error texts after a run (what "ran clean" is judged on). */
export async function runReport(page: Page): Promise<{ statuses: (string | null)[]; errors: string[] }> {
  const code = page.locator('[data-testid="cell"][data-kind="code"]');
  const statuses = await code.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
  return { statuses, errors: await page.getByTestId('cell-error').allTextContents() };
}

/** Saves a screenshot under test-results/screens/ for a human to look at. */
export async function snap(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });
}

export function notebookText(title: string, cellsSource: string[]): string {
  return `---\ntitle: ${title}\n---\n\n${cellsSource.map((s) => '```js\n' + s + '\n```').join('\n\n')}\n`;
}

/**
 * Clicks `target` in `panel`. Mousedown in a cell selects it and the notebook scrolls a newly selected cell into view,
 * so in a cell partly out of the window the button moves before mouseup and the click is lost (NotebookView's
 * scrollIntoView on selection). Selecting the cell first, with a click on the panel's corner, keeps the click whole.
 */
export async function press(panel: Locator, target: Locator): Promise<void> {
  await panel.click({ position: { x: 4, y: 4 } });
  await target.click();
}

/** Runs every cell of a notebook with a checkpoints widget (accepting the trust prompt if asked) and waits for it. */
export async function runAllWithCheckpoints(page: Page): Promise<void> {
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await page.getByTestId('run-all').click();
  const dialog = page.getByTestId('trust-dialog');
  await expect(dialog.or(page.getByTestId('checkpoints'))).toBeVisible({ timeout: 60_000 });
  if (await dialog.isVisible()) await page.getByTestId('trust-accept').click();
  await settled(page);
  await expect(page.getByTestId('checkpoints')).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
}
