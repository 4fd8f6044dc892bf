// The loop guard in the real app: a cell stuck in `while (true) {}` is stopped with a clear error within seconds, the
// page keeps responding, the other cells keep working, and the cell runs again once fixed.
import { expect, test } from '@playwright/test';
import { cell, importNotebook, notebookText, snap, typeInCell } from './helpers';

test('a synchronous infinite loop is stopped with a clear error and the page stays usable', async ({ page }) => {
  test.setTimeout(120_000);
  await importNotebook(page, 'spin.md', notebookText('Spin', ['const a = 20', 'let spins = 0; while (true) { spins++ }', 'a * 2 + 2']));
  await page.getByTestId('run-all').click();
  await page.getByTestId('trust-accept').click();
  const started = Date.now();

  const error = cell(page, 1).getByTestId('cell-error');
  await expect(error).toContainText('cell ran for 5 s without yielding (infinite loop?): stopped', { timeout: 20_000 });
  // The guard's limit is 5 s; the rest is the page catching up.
  expect(Date.now() - started).toBeLessThan(15_000);
  await expect(error).toContainText('line 1');
  await expect(cell(page, 1)).toHaveAttribute('data-status', 'error');
  await expect(cell(page, 2).getByTestId('cell-output')).toHaveText('42');
  await snap(page, 'loop-guard');

  // The page responds: another cell is edited and run.
  await typeInCell(page, 2, 'a + 1');
  await page.keyboard.press('ControlOrMeta+Enter');
  await expect(cell(page, 2).getByTestId('cell-output')).toHaveText('21');

  // Fixed, the cell runs again.
  await typeInCell(page, 1, 'let spins = 0; while (spins < 1e6) { spins++ }');
  await page.keyboard.press('ControlOrMeta+Enter');
  await expect(cell(page, 1)).toHaveAttribute('data-status', 'done');
  await expect(cell(page, 1).getByTestId('cell-output')).toContainText('1000000');
});
