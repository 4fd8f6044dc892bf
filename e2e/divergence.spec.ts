// A diverging run in the real app: the trainer skips the non-finite steps, stops, rolls back, and says so in the widget
// and on its chart; the model is still finite afterwards (a save works).
import { expect, test } from '@playwright/test';
import { importNotebook, notebookText, settled, snap } from './helpers';

const NOTEBOOK = notebookText('Divergence (e2e)', [
  "const model = await lab.model('micro')",
  "const data = await lab.data('copy')",
  'model; data;\nconst run = view(trainer({ steps: 40, lr: 1e30, batchSize: 4, seqLen: 32, evalEvery: 0, name: "lr 1e30", invalidation }))',
  // Once the run has diverged, the model it left must still save (saving refuses NaN or Inf weights).
  "run.state === 'diverged' ? `saved ${(await lab.checkpointBytes()).length} bytes` : run.state",
]);

test('a run at lr 1e30 is stopped and rolled back, with the reason in the widget and on the chart', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await importNotebook(page, 'divergence.md', NOTEBOOK);
  await page.goto(`${page.url()}?backend=wasm`);
  await page.getByTestId('run-all').click();
  await page.getByTestId('trust-accept').click();
  const trainer = page.getByTestId('trainer');
  await expect(trainer.getByTestId('train-start')).toBeEnabled({ timeout: 90_000 });
  await settled(page);
  await trainer.getByTestId('train-start').click();

  await expect(trainer.getByTestId('train-state')).toHaveText('diverged', { timeout: 120_000 });
  const message = trainer.getByTestId('train-divergence');
  await expect(message).toBeVisible();
  await expect(message).toContainText(/Training diverged at step \d+: (loss is NaN|loss is Infinity|gradient norm is (NaN|Infinity))/);
  await expect(message).toContainText('Try a lower learning rate');
  // The chart marks where it went wrong.
  await expect(trainer.getByTestId('train-chart')).toContainText(/diverged at \d+/);
  await snap(page, 'divergence');

  // What the widget reports to other cells, and the model it left is finite: it saves.
  const summary = await trainer.evaluate((el) => (el as unknown as { value: { summary: { divergence?: { rolledBackTo: number | null } } | null } }).value.summary);
  expect(summary?.divergence).toBeTruthy();
  await expect(page.getByTestId('cell').nth(3).getByTestId('cell-output')).toContainText(/saved \d+ bytes/, { timeout: 30_000 });
});
