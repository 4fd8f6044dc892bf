// One notebook page: cells render, edits survive a reload (and revert), errors stay in their cell, keyboard control.
import { expect, test } from '@playwright/test';
import { cell, cells, importNotebook, notebookText, snap, typeInCell } from './helpers';

test('opens a bundled notebook: code and rendered markdown with math', async ({ page }) => {
  await page.goto('/notebooks/welcome');
  await expect(page.getByTestId('notebook-title')).toHaveText('Welcome to TokenFormer Lab');
  expect(await cells(page).count()).toBeGreaterThan(5);
  await expect(cell(page, 0).getByTestId('markdown').locator('h1')).toHaveText('Welcome');
  await expect(cell(page, 1).locator('.cm-content')).toHaveText('const n = 8');
  await expect(page.locator('.markdown-body .katex').first()).toBeVisible();
  await expect(page.locator('.katex-display')).toHaveCount(1);
});

test('an edit survives a reload, and revert brings back the bundled version', async ({ page }) => {
  await page.goto('/notebooks/welcome');
  await typeInCell(page, 1, 'const n = 9');
  await expect(page.getByTestId('save-state')).toHaveText('saved');
  await page.reload();
  await expect(cell(page, 1).locator('.cm-content')).toHaveText('const n = 9');

  page.once('dialog', (d) => void d.accept());
  await page.getByTestId('revert').click();
  await expect(cell(page, 1).locator('.cm-content')).toHaveText('const n = 8');
  await expect(page.getByTestId('revert')).toHaveCount(0);
  await page.reload();
  await expect(cell(page, 1).locator('.cm-content')).toHaveText('const n = 8');
});

test('an imported notebook asks before running; an error stays in its cell while the others run', async ({ page }) => {
  await importNotebook(page, 'errors.md', notebookText('Errors', ['const a = 20', 'throw new Error("boom")', 'a * 2 + 2']));
  await expect(page.getByTestId('trust-banner')).toBeVisible();
  await expect(cell(page, 1).locator('.cm-content')).toHaveText('throw new Error("boom")');

  await page.getByTestId('run-all').click();
  await expect(page.getByTestId('trust-dialog')).toBeVisible();
  await page.getByTestId('trust-cancel').click();
  await expect(page.getByTestId('trust-dialog')).toHaveCount(0);
  await expect(cell(page, 0)).toHaveAttribute('data-status', 'idle');

  await page.getByTestId('run-all').click();
  await page.getByTestId('trust-accept').click();
  await expect(cell(page, 1)).toHaveAttribute('data-status', 'error');
  await expect(cell(page, 1).getByTestId('cell-error')).toContainText('boom');
  await expect(cell(page, 2)).toHaveAttribute('data-status', 'done');
  await expect(cell(page, 2).getByTestId('cell-output')).toHaveText('42');
  await expect(page.getByTestId('trust-banner')).toHaveCount(0);
  await snap(page, 'error-cell');
});

test('keyboard: run, run and advance, command mode, insert, kind, delete and undo, move', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('new-notebook').click();
  await page.waitForURL(/\/notebooks\/u-/);
  const nb = page.getByTestId('notebook');
  await expect(cells(page)).toHaveCount(2);

  await cell(page, 1).locator('.cm-content').click();
  await expect(nb).toHaveAttribute('data-mode', 'edit');
  await page.keyboard.type('1 + 2');
  await page.keyboard.press('Shift+Enter'); // last cell: runs it and adds a new one to edit
  await expect(cells(page)).toHaveCount(3);
  await expect(cell(page, 1).getByTestId('cell-output')).toHaveText('3');
  await page.keyboard.type('2 * 21');
  await page.keyboard.press('ControlOrMeta+Enter');
  await expect(cell(page, 2).getByTestId('cell-output')).toHaveText('42');

  await page.keyboard.press('Escape');
  await expect(nb).toHaveAttribute('data-mode', 'command');
  await page.keyboard.press('a');
  await expect(cells(page)).toHaveCount(4);
  await expect(cell(page, 2)).toHaveAttribute('data-selected', 'true');
  await page.keyboard.press('m');
  await expect(cell(page, 2)).toHaveAttribute('data-kind', 'markdown');
  await page.keyboard.press('y');
  await expect(cell(page, 2)).toHaveAttribute('data-kind', 'code');

  await page.keyboard.press('d');
  await page.keyboard.press('d');
  await expect(cells(page)).toHaveCount(3);
  await expect(page.getByTestId('undo-toast')).toBeVisible();
  await page.keyboard.press('z');
  await expect(cells(page)).toHaveCount(4);
  await page.keyboard.press('d');
  await page.keyboard.press('d');
  await expect(cells(page)).toHaveCount(3);

  // The "2 * 21" cell took the deleted cell's place and is selected: move it above "1 + 2".
  await expect(cell(page, 2)).toHaveAttribute('data-selected', 'true');
  await page.keyboard.press('Alt+ArrowUp');
  await expect(cell(page, 1).locator('.cm-content')).toHaveText('2 * 21');
  await page.keyboard.press('b');
  await expect(cells(page)).toHaveCount(4);
  await expect(cell(page, 2)).toHaveAttribute('data-selected', 'true');
  await page.keyboard.press('Enter');
  await expect(nb).toHaveAttribute('data-mode', 'edit');
  await page.keyboard.type('"typed"');
  await page.keyboard.press('ControlOrMeta+Enter');
  await expect(cell(page, 2).getByTestId('cell-output')).toHaveText('typed');

  // An edit after a run marks the cell stale (its output is out of date) until it runs again.
  await page.keyboard.type(' + "!"');
  await expect(cell(page, 2)).toHaveAttribute('data-status', 'stale');
  await page.keyboard.press('ControlOrMeta+Enter');
  await expect(cell(page, 2).getByTestId('cell-output')).toHaveText('typed!');
  await expect(cell(page, 2)).toHaveAttribute('data-status', 'done');
});
