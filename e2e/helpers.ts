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

/** Saves a screenshot under test-results/screens/ for a human to look at. */
export async function snap(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });
}

export function notebookText(title: string, cellsSource: string[]): string {
  return `---\ntitle: ${title}\n---\n\n${cellsSource.map((s) => '```js\n' + s + '\n```').join('\n\n')}\n`;
}
