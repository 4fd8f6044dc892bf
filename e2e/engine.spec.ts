// The engine behind the page: the header shows the backend really in use, and the training widget trains.
import { expect, test } from '@playwright/test';
import { cell, importNotebook, notebookText, settled, snap } from './helpers';

test('the header names the backend in use', async ({ page }) => {
  await page.goto('/notebooks/welcome');
  const backend = page.getByTestId('backend');
  await expect(backend).toHaveAttribute('data-backend', /^(webgpu|webgl|wasm|cpu)$/, { timeout: 60_000 });
  await expect(page.getByTestId('engine-state')).toHaveText('idle');
  test.info().annotations.push({ type: 'backend', description: (await backend.textContent()) ?? '' });
});

test('?backend=wasm is honoured, and 20 quick steps train with a finite loss', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/notebooks/welcome?backend=wasm&quick=1');
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await page.getByTestId('run-all').click();
  const start = page.getByTestId('train-start');
  await expect(start).toBeEnabled({ timeout: 90_000 });
  await settled(page);
  await expect(page.getByTestId('param-count')).not.toHaveText('–');
  await start.click();
  await expect(page.getByTestId('train-state')).toHaveText('done', { timeout: 180_000 });
  await expect(page.getByTestId('train-step')).toHaveText('20');
  const loss = Number(await page.getByTestId('train-loss').getAttribute('data-loss'));
  expect(Number.isFinite(loss)).toBe(true);
  await expect(page.getByTestId('train-chart').locator('svg').first()).toBeVisible();
  await snap(page, 'trained');
});

test('a checkpoint saved in the browser resumes training after a reload', async ({ page }) => {
  test.setTimeout(240_000);
  const cellsSource = [
    "const start = (await lab.checkpoints()).some((c) => c.name === 'e2e-resume') ? await lab.load('e2e-resume') : await lab.model('micro')",
    "const data = await lab.data('copy')",
    'const summary = (start, data, await lab.train({ steps: 10, batchSize: 8, seqLen: 32, evalEvery: 0 }).done)',
    "const saved = (summary, await lab.save('e2e-resume'))",
    '`resumed from ${start.step}, now at step ${saved.step}`',
  ];
  await importNotebook(page, 'resume.md', notebookText('Resume', cellsSource));
  await page.getByTestId('trust-accept-banner').click();
  await expect(page.getByTestId('save-state')).toHaveText('saved');
  await page.goto(`${page.url().split('?')[0]}?backend=wasm`);
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await page.getByTestId('run-all').click();
  await expect(cell(page, 4).getByTestId('cell-output')).toHaveText('resumed from 0, now at step 10', { timeout: 120_000 });

  await page.reload();
  await expect(page.getByTestId('backend')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await page.getByTestId('run-all').click();
  await expect(cell(page, 4).getByTestId('cell-output')).toHaveText('resumed from 10, now at step 20', { timeout: 120_000 });
});
