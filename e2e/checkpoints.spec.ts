// The checkpoints widget in the real app: save, reload the page, load, train on (the step count continues), a malformed upload changes nothing.
import { expect, test, type Page } from '@playwright/test';
import { importNotebook, notebookText, press, runAllWithCheckpoints, snap } from './helpers';

const NOTEBOOK = notebookText('Checkpoints (e2e)', [
  "const model = await lab.model('micro')",
  "const data = await lab.data('copy')",
  'model; data;\ntrainer({ steps: 5, batchSize: 4, seqLen: 32, evalEvery: 0, train: { logEvery: 1 }, name: "ckpt test", invalidation })',
  "model;\ncheckpoints({ name: 'five steps', invalidation })",
]);

async function trainFive(page: Page): Promise<void> {
  const t = page.getByTestId('trainer');
  await press(t, t.getByTestId('train-start'));
  await expect(t.getByTestId('train-state')).toHaveText('done', { timeout: 60_000 });
}

const stepOf = (page: Page) => page.getByTestId('train-step').getAttribute('data-step');

test('a checkpoint saved in the browser survives a reload; loading it continues the step count; a bad upload changes nothing', async ({ page }) => {
  test.setTimeout(240_000);
  await importNotebook(page, 'checkpoints.md', NOTEBOOK);
  const url = `${new URL(page.url()).pathname}?backend=wasm`;
  await page.goto(url);
  await runAllWithCheckpoints(page);
  const panel = page.getByTestId('checkpoints');

  await trainFive(page);
  expect(await stepOf(page)).toBe('5');
  await panel.getByTestId('ckpt-name').fill('five steps');
  await press(panel, panel.getByTestId('ckpt-save'));
  const row = panel.locator('[data-testid="ckpt-row"][data-name="five steps"]');
  await expect(row).toHaveAttribute('data-step', '5');
  await expect(panel.getByTestId('ckpt-status')).toContainText('saved "five steps" at step 5');
  await snap(page, 'checkpoints-saved');

  // A new page, a new engine: the model is fresh, the checkpoint is still in IndexedDB.
  await page.reload();
  await runAllWithCheckpoints(page);
  await expect(row).toHaveAttribute('data-step', '5');
  await expect(panel.getByTestId('ckpt-current')).toHaveAttribute('data-step', '0');
  await expect(page.getByTestId('param-count')).not.toHaveAttribute('data-params', '');
  const params = await page.getByTestId('param-count').getAttribute('data-params');

  await press(panel, row.getByTestId('ckpt-load'));
  await expect(panel.getByTestId('ckpt-current')).toHaveAttribute('data-step', '5');
  await expect(panel.getByTestId('ckpt-status')).toContainText('loaded "five steps": step 5');
  await expect(panel.getByTestId('ckpt-error')).toBeHidden();

  await trainFive(page);
  expect(await stepOf(page)).toBe('10');

  // A malformed file: the engine's FormatError message is shown and the model stays as it was.
  await panel.getByTestId('ckpt-upload-input').setInputFiles({ name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a safetensors file at all') });
  await expect(panel.getByTestId('ckpt-error')).toBeVisible();
  await expect(panel.getByTestId('ckpt-error')).toContainText('loading broken.safetensors failed:');
  await expect(panel).toHaveAttribute('data-state', 'error');
  await expect(panel.getByTestId('ckpt-current')).toHaveAttribute('data-step', '10');
  await expect(page.getByTestId('param-count')).toHaveAttribute('data-params', params!);
  await panel.scrollIntoViewIfNeeded();
  await snap(page, 'checkpoints-bad-upload');

  // Training still goes on from step 10.
  await trainFive(page);
  expect(await stepOf(page)).toBe('15');
});
